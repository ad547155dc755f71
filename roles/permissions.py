"""Permission codenames of the roles app, and who may see which roles (the rule itself lives in
``roles.visibility.RoleVisibility``; these are shortcuts for one-off checks)."""

from __future__ import annotations

from django.db.models import QuerySet

from roles.visibility import RoleVisibility


class RolePermissions:
    VIEW = "roles.view_role"
    ADD = "roles.add_role"
    CHANGE = "roles.change_role"
    CHANGE_DUTIES = "roles.change_role"
    VIEW_REVISION = "roles.view_rolerevision"


def roles_visible_to(user, queryset: QuerySet) -> QuerySet:
    """Active and retired roles for every signed-in person; draft roles only for HR and the
    leads of the role's team (or of a team above it)."""
    return RoleVisibility.for_user(user).filter(queryset)


def can_view_role(user, role) -> bool:
    return RoleVisibility.for_user(user).can_see(role)
