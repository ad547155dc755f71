"""Permission codenames of the teams app and the checks that use them.

A lead holds ``teams.lead_team`` on their team as a django-guardian object permission; a
permission on a team covers its whole subtree, so checks look at the team and its ancestors.
HR managers hold the model permissions (through the "HR managers" group) and pass every check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from teams.models import Team


HR_MANAGERS_GROUP = "HR managers"
ORG_READERS_GROUP = "Org readers"


class TeamPermissions:
    LEAD_CODENAME = "lead_team"
    LEAD = "teams.lead_team"
    VIEW = "teams.view_team"
    ADD = "teams.add_team"
    CHANGE = "teams.change_team"
    DELETE = "teams.delete_team"
    CHANGE_MEMBERSHIP = "teams.change_membership"
    ADD_MEMBERSHIP = "teams.add_membership"
    DELETE_MEMBERSHIP = "teams.delete_membership"
    CHANGE_PROJECT_GROUP = "teams.change_projectgroup"
    ADD_PROJECT_GROUP = "teams.add_projectgroup"


def is_hr_manager(user: AbstractBaseUser | None) -> bool:
    """HR managers (and superusers) may change everything; it is the change_team model
    permission that marks them, whichever group grants it."""
    return bool(user and user.is_active and user.has_perm(TeamPermissions.CHANGE))


def led_team_ids(user: AbstractBaseUser | None) -> set[int]:
    """Ids of the teams the user leads directly, and all teams below them."""
    from teams.models import TeamUserObjectPermission
    from teams.selectors import team_subtree_ids

    if not user or not user.is_authenticated or not user.is_active:
        return set()
    direct = list(
        TeamUserObjectPermission.objects.filter(
            user=user, permission__codename=TeamPermissions.LEAD_CODENAME
        ).values_list("content_object_id", flat=True)
    )
    if not direct:
        return set()
    return team_subtree_ids(direct)


def leads_any_team(user: AbstractBaseUser | None) -> bool:
    """True when the user is an active lead of at least one team that is not archived."""
    from teams.models import Membership

    if not user or not user.is_authenticated or not user.is_active:
        return False
    return Membership.objects.filter(user=user, is_lead=True, team__archived=False).exists()


def user_leads_team(user: AbstractBaseUser | None, team: Team) -> bool:
    """True when the user leads this team or a team above it."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    return team.pk in led_team_ids(user)
