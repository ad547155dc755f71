"""The admin site's titles, and what every domain ModelAdmin shares: writes go through services,
and a service's refusal becomes a form error or a message, never a 500 or a half-applied change."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy
from simple_history.admin import SimpleHistoryAdmin

from orgstructure.accounts import (
    PERSONAL_FIELDS,
    PRIVILEGED_FIELDS,
    user_create,
    user_may_manage,
    user_password_set,
    user_update,
)
from orgstructure.exceptions import ServiceError
from orgstructure.models import ApiToken
from orgstructure.signin import AdminSignInForm
from orgstructure.tokens import api_token_issue, api_token_revoke

User = get_user_model()

admin.site.site_header = gettext_lazy("orgstructure administration")
admin.site.site_title = gettext_lazy("orgstructure")
admin.site.index_title = gettext_lazy("Teams, roles and duties")

SERVICE_ERRORS = (ValidationError, PermissionDenied, ServiceError)
_REFUSAL_ATTR = "_orgstructure_service_refusal"


class ServiceRefused(Exception):
    """A service said no while the admin was saving. Raised out of the change form's atomic
    block so that everything the same save already did is rolled back."""

    def __init__(self, error: Exception):
        self.error = error
        super().__init__(str(error))


@contextmanager
def service_call() -> Iterator[None]:
    """Wrap the service calls of a save: their refusals become ``ServiceRefused``."""
    try:
        yield
    except SERVICE_ERRORS as exc:
        raise ServiceRefused(exc) from exc


def refusal_messages(error: Exception) -> list[str]:
    if isinstance(error, ValidationError):
        return [str(m) for m in error.messages]
    if isinstance(error, ServiceError):
        return [str(error.message)]
    if isinstance(error, PermissionDenied):
        return [str(error) or _("You do not have permission to do this.")]
    return [str(error)]


def add_refusal_errors(form, error: Exception) -> None:
    """Put a service's refusal on the form: on the field it names when the form shows that
    field, otherwise at the top of the form."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            texts = [str(m) for e in errors for m in e.messages]
            if field in form.fields and not form.fields[field].disabled:
                form.add_error(field, texts)
            else:
                form.add_error(None, texts)
        return
    form.add_error(None, refusal_messages(error))


class ServiceRefusalsMixin:
    """For a ModelAdmin whose saves call services (inside ``service_call()``): when a service
    refuses, the transaction is rolled back and the form is shown again, with the user's input
    and the refusal as a form error (status 200)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            if getattr(request, _REFUSAL_ATTR, None) is not None:
                raise refused.error from refused  # refused again without a form error: don't loop
            setattr(request, _REFUSAL_ATTR, refused.error)
            # The atomic block has rolled back; validate the same POST again, now with the
            # refusal as a form error, so that the page shows it and saves nothing.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, _REFUSAL_ATTR, None)
        if refusal is None:
            return form_class

        class RefusedForm(form_class):
            def clean(self):
                cleaned_data = super().clean()
                add_refusal_errors(self, refusal)
                return cleaned_data

        return RefusedForm


class ServiceModelAdmin(ServiceRefusalsMixin, SimpleHistoryAdmin):
    """A ModelAdmin whose saves call services (see ``ServiceRefusalsMixin``). The
    django-simple-history "revert" is off: it would save a historical copy directly, around the
    services."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def save_model(self, request, obj, form, change):
        raise NotImplementedError(f"{type(self).__name__} must save through a service")

    def delete_model(self, request, obj):
        raise PermissionDenied

    def delete_queryset(self, request, queryset):
        raise PermissionDenied

    def run_action(
        self,
        request,
        objects: Iterable,
        service: Callable,
        *,
        done: Callable[[int], str],
        already: Callable | None = None,
    ) -> None:
        """Call ``service(obj)`` for each selected object, each in its own transaction (one
        refusal does not undo the others, and says which object and why)."""
        count = 0
        for obj in objects:
            if already is not None and already(obj):
                continue
            try:
                with transaction.atomic():
                    service(obj)
            except SERVICE_ERRORS as exc:
                self.message_user(
                    request,
                    _("%(object)s: %(reason)s") % {"object": obj, "reason": " ".join(refusal_messages(exc))},
                    messages.ERROR,
                )
            else:
                count += 1
        if count:
            self.message_user(request, done(count), messages.SUCCESS)


def copy_saved_fields(target, saved) -> None:
    """Copy what a service saved onto the instance the admin keeps using (for its log entry
    and redirect), so the admin never has to save that instance itself."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


def count_subquery(model, fk: str, **filters) -> Coalesce:
    """How many ``model`` rows point at the outer row through ``fk``, as a correlated subquery:
    no GROUP BY on the outer query (which may be a tree query), one query for a whole page."""
    rows = model.objects.filter(**{fk: OuterRef("pk")}, **filters).order_by().values(fk)
    return Coalesce(Subquery(rows.annotate(n=Count("pk")).values("n")), Value(0), output_field=IntegerField())


class PasswordSetForm(AdminPasswordChangeForm):
    acting_user = None

    def save(self, commit=True):
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return user_password_set(user=self.user, password=password, acting_user=self.acting_user)


class PersonAdmin(ServiceRefusalsMixin, UserAdmin):
    """People are deactivated (``is_active``), never deleted: revisions, reviews, suggestions,
    the change feed and the history name them as the ones who acted, and a deleted account would
    leave those changes unsigned.

    Who may change what is ``orgstructure.accounts``' rule: a non-superuser sees no privilege
    fields, sees accounts with as many rights as theirs or more read-only (password page
    included), and a POST that carries a privilege field anyway is refused (403)."""

    def _is_superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_may_manage(editor=request.user, target=obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._is_superuser(request):
            return fieldsets
        hidden = set(PRIVILEGED_FIELDS)
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for name, options in fieldsets
            if any(f not in hidden for f in options["fields"])
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        crafted = request.method == "POST" and any(field in request.POST for field in PRIVILEGED_FIELDS)
        if crafted and not self._is_superuser(request):
            raise PermissionDenied  # the form never shows these fields to them: a crafted request
        return super().changeform_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request, id, form_url=""):
        target = self.get_object(request, unquote(id))
        if target is not None and not user_may_manage(editor=request.user, target=target):
            raise PermissionDenied  # the page too: nothing to offer
        # Django's view saves through its form; this one's save calls the service, as the editor
        bound = copy.copy(self)
        bound.change_password_form = type("PasswordSetForm", (PasswordSetForm,), {"acting_user": request.user})
        return UserAdmin.user_change_password(bound, request, id, form_url)

    def save_model(self, request, obj, form, change):
        if not change:
            with service_call():
                user_create(user=obj, acting_user=request.user)
            return
        fields = [f for f in form.changed_data if f in PERSONAL_FIELDS or f in PRIVILEGED_FIELDS]
        fields = [f for f in fields if f != "is_active"]
        with service_call():
            user_update(user=obj, changes={f: form.cleaned_data[f] for f in fields}, acting_user=request.user)
            if "is_active" in form.changed_data:
                # deactivating goes through its service: what the person was given as a lead moves on
                from teams.services import person_set_active

                person_set_active(user=obj, is_active=form.cleaned_data["is_active"], acting_user=request.user)
        obj.refresh_from_db(fields=["is_active"])

    def save_related(self, request, form, formsets, change):
        # groups and permissions were saved by user_update
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PersonAdmin)

# Sign-in: the admin's form says when the account or address is locked out (django-axes).
admin.site.login_form = AdminSignInForm


class ApiTokenAdmin(TokenAdmin):
    """Superusers see whose API tokens exist, issue one (its key shown once, in the message) and
    revoke one; nobody else sees these pages, and no page shows a stored key."""

    list_display = ("user", "created")
    fields = ("user",)
    raw_id_fields = ()

    def _allowed(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def save_model(self, request, obj, form, change):
        token = api_token_issue(user=obj.user, acting_user=request.user)
        copy_saved_fields(obj, token)
        self.message_user(
            request,
            _("The API token of %(user)s is %(key)s. Copy it now: it is not shown again.")
            % {"user": obj.user.get_username(), "key": token.key},
            messages.WARNING,
        )

    def delete_model(self, request, obj):
        api_token_revoke(user=obj.user, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for token in queryset.select_related("user"):
            api_token_revoke(user=token.user, acting_user=request.user)


if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
admin.site.register(ApiToken, ApiTokenAdmin)
