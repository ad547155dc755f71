"""Permission codenames of the roles app, and who may see which roles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from teams.permissions import is_hr_manager, led_team_ids


class RolePermissions:
    VIEW = "roles.view_role"
    ADD = "roles.add_role"
    CHANGE = "roles.change_role"
    CHANGE_DUTIES = "roles.change_role"
    VIEW_REVISION = "roles.view_rolerevision"


def roles_visible_to(user, queryset: QuerySet) -> QuerySet:
    """Active and retired roles are visible to every signed-in person; draft roles only to HR
    and to the leads of the role's team (or of a team above it)."""
    if is_hr_manager(user):
        return queryset
    if not user or not user.is_authenticated or not user.is_active:
        return queryset.none()
    led = led_team_ids(user)
    return queryset.filter(~Q(status="draft") | Q(team_id__in=led))


def can_view_role(user, role) -> bool:
    if role.status != "draft":
        return bool(user and user.is_authenticated and user.is_active)
    return is_hr_manager(user) or role.team_id in led_team_ids(user)
