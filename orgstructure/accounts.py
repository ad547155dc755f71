"""People's accounts: who may change whose account, and the writes the admin (and anything
else) makes to one.

The rule. HR managers manage people, not superusers: an editor who is not a superuser may edit
a person's names, username, e-mail and active flag, and set their password or issue their API
token, only when that person has *fewer* rights than the editor (or is the editor themselves).
"Fewer rights" is exact: the person is no superuser, is not staff unless the editor is, and
holds a proper subset of the editor's permissions (their own and their groups', model and
object permissions, whether or not the account is active). So an HR
manager may not touch another HR manager (the same permissions), a superuser, or anyone who
holds a permission the HR manager lacks. A person who outranks the editor would otherwise be
taken over: a new password, or a new e-mail and a password-reset mail, is a sign-in as them.
Only superusers change ``is_superuser``, ``is_staff``, groups and user permissions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from orgstructure.authz import require_permission
from orgstructure.changes import person_change_record, person_snapshot

# Only superusers change these.
PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")
# What an editor may change on an account they manage.
PERSONAL_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
MANY_TO_MANY = ("groups", "user_permissions")


def _permissions(user) -> set[str]:
    """Every permission the account holds, as ``app.codename``: its own and its groups', model
    and object permissions (django-guardian) alike, and whether or not it is active (an inactive
    account's rights come back with its active flag, which the editor may set)."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

    fields = ("content_type__app_label", "codename")
    rows = set(Permission.objects.filter(Q(user=user) | Q(group__user=user)).values_list(*fields))
    for model in apps.get_models():
        if issubclass(model, UserObjectPermissionBase):
            held = model.objects.filter(user=user)
        elif issubclass(model, GroupObjectPermissionBase):
            held = model.objects.filter(group__user=user)
        else:
            continue
        rows |= set(held.values_list(*(f"permission__{f}" for f in fields)))
    return {f"{app}.{codename}" for app, codename in rows}


def user_may_manage(*, editor, target) -> bool:
    """May ``editor`` change ``target``'s personal fields, password and token? (See the module.)
    ``editor=None`` is the operator on the server."""
    if editor is None:
        return True
    if not editor.is_active:
        return False
    if editor.is_superuser or editor.pk == target.pk:
        return True
    if target.is_superuser or (target.is_staff and not editor.is_staff):
        return False
    return _permissions(target) < _permissions(editor)


def require_may_manage(*, editor, target) -> None:
    if not user_may_manage(editor=editor, target=target):
        raise PermissionDenied(
            _("%(user)s has as many rights as you or more: only a superuser may change this account.")
            % {"user": target.get_username()}
        )


def require_may_change_privileges(acting_user, fields: Iterable[str]) -> None:
    privileged = sorted(set(fields) & set(PRIVILEGED_FIELDS))
    if privileged and acting_user is not None and not acting_user.is_superuser:
        raise PermissionDenied(_("Only a superuser may change %(fields)s.") % {"fields": ", ".join(privileged)})


@transaction.atomic
def user_create(*, user: AbstractBaseUser, acting_user) -> AbstractBaseUser:
    """Save a new account (its password already set on ``user``). A non-superuser creates
    accounts without privileges only."""
    require_permission(acting_user, "auth.add_user")
    flags = [f for f in ("is_superuser", "is_staff") if getattr(user, f)]
    require_may_change_privileges(acting_user, flags)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def user_update(*, user: AbstractBaseUser, changes: Mapping[str, Any], acting_user) -> AbstractBaseUser:
    """Apply ``changes`` (field name → new value; groups and user_permissions take iterables)
    to ``user``."""
    require_permission(acting_user, "auth.change_user")
    unknown = sorted(set(changes) - set(PERSONAL_FIELDS) - set(PRIVILEGED_FIELDS))
    if unknown:
        raise PermissionDenied(_("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(unknown)})
    require_may_change_privileges(acting_user, changes)
    stored = type(user).objects.select_for_update().get(pk=user.pk)
    require_may_manage(editor=acting_user, target=stored)
    before = person_snapshot(stored)
    plain = {k: v for k, v in changes.items() if k not in MANY_TO_MANY}
    for field, value in plain.items():
        setattr(user, field, value)
    if plain:
        user.full_clean(exclude=["password"], validate_unique=True)
        user.save(update_fields=list(plain))
        # a renamed person is renamed in the org chart: its ETag follows person events
        person_change_record(person=user, before=before, acting_user=acting_user)
    for field in MANY_TO_MANY:
        if field in changes:
            getattr(user, field).set(changes[field])
    return user


@transaction.atomic
def user_password_set(*, user: AbstractBaseUser, password: str | None, acting_user) -> AbstractBaseUser:
    """Set ``user``'s password (``None``: password sign-in disabled)."""
    if acting_user is not None and acting_user.pk != user.pk:
        require_permission(acting_user, "auth.change_user")
    stored = type(user).objects.select_for_update().get(pk=user.pk)
    require_may_manage(editor=acting_user, target=stored)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    return user
