"""The permission check every service starts with."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _


def require_permission(acting_user, perm: str, obj=None) -> None:
    """Refuse unless ``acting_user`` holds ``perm`` (on ``obj`` when given).

    ``acting_user=None`` is the system itself (management commands such as the template
    loader, run by an operator on the server); people always pass their user.
    """
    if acting_user is None:
        return
    if not acting_user.is_active:
        raise PermissionDenied(_("Your account is inactive."))
    if acting_user.has_perm(perm) or (obj is not None and acting_user.has_perm(perm, obj)):
        return
    raise PermissionDenied(_("You do not have permission to do this."))


def history_user(instance, acting_user):
    """Tell django-simple-history who made the change (works outside a request too)."""
    if acting_user is not None:
        instance._history_user = acting_user
    return instance
