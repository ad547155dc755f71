"""Middleware for the whole site: refuse NUL characters before any view runs, and the security
headers every response carries."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from orgstructure.api.errors import error_body

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
        return True
    if request.method == "POST" and request.content_type in _FORM_TYPES:
        try:
            form = request.POST
        except Exception:  # a malformed or too large body: the view reports it, as before
            return False
        return any("\x00" in key or any("\x00" in str(v) for v in values) for key, values in form.lists())
    return False


class NulCharacterGuardMiddleware:
    """A NUL character in a URL, a query parameter or a posted form value is refused with a 400
    on every URL: PostgreSQL refuses NUL in text, so wherever such a value reached a query it
    would be a 500. (JSON bodies are checked by the API's validation: control characters are
    refused field by field.) Pages get an HTML page, the API its JSON error shape."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = _("The address or the form contains a NUL character, which is never valid here.")
            if request.path.startswith("/api/"):
                body = error_body(message, "invalid")
                return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy, and ``Cache-Control: private, no-store`` on what a signed-in
    person is shown (never on static files, which whitenoise answers before this runs).
    Settings: ``CONTENT_SECURITY_POLICY`` (the site's policy) and
    ``CONTENT_SECURITY_POLICY_OVERRIDES`` (path prefix → policy, for a page such as Swagger UI
    that needs a different one). (Referrer-Policy comes from Django's SecurityMiddleware,
    ``SECURE_REFERRER_POLICY``.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        for prefix, override in settings.CONTENT_SECURITY_POLICY_OVERRIDES.items():
            if request.path.startswith(prefix):
                policy = override
                break
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "private" not in response.get("Cache-Control", ""):
            # A signed-in page may show what only this person may see: no shared cache, no
            # copy on disk after sign-out. (A view that chose a private policy of its own keeps
            # it: the org chart API's "private, no-cache" lets scripts revalidate by ETag.)
            response["Cache-Control"] = "private, no-store"
        return response
