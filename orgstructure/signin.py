"""Signing in, against guessing: what a locked-out person sees, and the limit on reset mails.

Failed sign-ins lock out with django-axes (settings ``AXES_*``): the sign-in forms (site and
admin) show the message on the form, the token endpoint answers the API's usual JSON error;
both with status 429. Axes calls ``lockout_response`` (``AXES_LOCKOUT_CALLABLE``) once a request
met a locked account or address. Password-reset mails are limited per e-mail address and per
client address (``PASSWORD_RESET_LIMIT_*``) in the shared cache."""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from orgstructure.client_address import client_address

LOCKOUT_MESSAGE = gettext_lazy(
    "Too many failed sign-in attempts for this account or from this address. Try again later."
)
LOCKOUT_STATUS = 429


def is_locked_out(request) -> bool:
    return bool(getattr(request, "axes_locked_out", False))


class LockoutAwareFormMixin:
    """Says "locked out" instead of "wrong password" when axes refused the attempt."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if is_locked_out(self.request):
                raise ValidationError(LOCKOUT_MESSAGE, code="locked_out") from None
            raise


class SignInForm(LockoutAwareFormMixin, AuthenticationForm):
    pass


class AdminSignInForm(LockoutAwareFormMixin, AdminAuthenticationForm):
    pass


def lockout_response(request, original_response=None, credentials=None):
    if request.path.startswith("/api/"):
        body = {"detail": str(LOCKOUT_MESSAGE), "code": "locked_out", "fields": {}}
        return JsonResponse(body, status=LOCKOUT_STATUS)
    if original_response is not None and original_response.status_code == 200:
        # the sign-in form, shown again with the message on it
        original_response.status_code = LOCKOUT_STATUS
        return original_response
    return render(request, "registration/locked_out.html", {"message": LOCKOUT_MESSAGE}, status=LOCKOUT_STATUS)


# --- password-reset mail ---------------------------------------------------------------------

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _parse_rate(rate: str) -> tuple[int, int]:
    """``"3/hour"`` → (3, 3600), as DRF writes rates."""
    count, period = rate.split("/")
    return int(count), _PERIODS[period.strip()[0]]


def within_limit(scope: str, ident: str, rate: str) -> bool:
    """Count one more use of ``scope`` by ``ident`` in the current window of ``rate``; False
    once the window's allowance is used up. The shared cache holds the counts."""
    limit, period = _parse_rate(rate)
    window = int(time.time() // period)
    digest = hashlib.sha256(ident.lower().encode()).hexdigest()[:32]
    key = f"limit:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=period)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period)
        used = 1
    return used <= limit


class LimitedPasswordResetForm(PasswordResetForm):
    """Sends the reset mail only within the limits; the page that follows is the same either
    way, so it tells a guesser nothing."""

    client_address = ""

    def save(self, *args, **kwargs):
        email = self.cleaned_data["email"]
        if not within_limit("password-reset-address", self.client_address, settings.PASSWORD_RESET_LIMIT_PER_ADDRESS):
            return
        if not within_limit("password-reset-email", email, settings.PASSWORD_RESET_LIMIT_PER_EMAIL):
            return
        super().save(*args, **kwargs)


class LimitedPasswordResetView(PasswordResetView):
    form_class = LimitedPasswordResetForm

    def form_valid(self, form):
        form.client_address = client_address(self.request)
        return super().form_valid(form)
