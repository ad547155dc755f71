"""The admin site's titles, and what every domain ModelAdmin shares: writes go through services,
and a service's refusal becomes a form error or a message, never a 500 or a half-applied change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from orgstructure.exceptions import ServiceError

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


class PersonAdmin(ServiceRefusalsMixin, UserAdmin):
    """People are deactivated (``is_active``), never deleted: revisions, reviews, suggestions,
    the change feed and the history name them as the ones who acted, and a deleted account would
    leave those changes unsigned."""

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Deactivating goes through the service: what the person was given as a lead moves on.
        if not (change and "is_active" in form.changed_data):
            return super().save_model(request, obj, form, change)
        from teams.services import person_set_active

        is_active, obj.is_active = obj.is_active, not obj.is_active
        super().save_model(request, obj, form, change)
        with service_call():
            person_set_active(user=obj, is_active=is_active, acting_user=request.user)
        obj.refresh_from_db(fields=["is_active"])


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PersonAdmin)
