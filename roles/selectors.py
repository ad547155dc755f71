"""Reads about roles and duties that the pages, the admin and the API share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from roles.models import Duty, Role, RoleStatus
from roles.permissions import roles_visible_to
from teams.models import Membership, Team, TeamDuty


@dataclass
class TeamNode:
    team: Team
    depth: int
    core_duties: list[TeamDuty] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    leads: list = field(default_factory=list)
    children: list[TeamNode] = field(default_factory=list)


def org_overview(*, user) -> list[TeamNode]:
    """The non-archived team tree with core duties, visible non-retired roles (each with
    ``duty_list``) and leads, flattened in tree order. A fixed number of queries."""
    teams = list(Team.objects.filter(archived=False).order_by("position", "name"))
    by_id = {t.pk: TeamNode(team=t, depth=0) for t in teams}
    for duty in TeamDuty.objects.filter(team_id__in=by_id).order_by("team_id", "position"):
        by_id[duty.team_id].core_duties.append(duty)
    roles = list(
        roles_visible_to(user, Role.objects.filter(team_id__in=by_id).exclude(status=RoleStatus.RETIRED)).order_by(
            "title"
        )
    )
    duties = defaultdict(list)
    for duty in Duty.objects.filter(role__in=[r.pk for r in roles]).order_by("role_id", "position"):
        duties[duty.role_id].append(duty)
    for role in roles:
        role.duty_list = duties[role.pk]
        by_id[role.team_id].roles.append(role)
    for membership in Membership.objects.filter(team_id__in=by_id, is_lead=True).select_related("user"):
        by_id[membership.team_id].leads.append(membership.user)

    roots: list[TeamNode] = []
    for node in by_id.values():
        parent = by_id.get(node.team.parent_id)
        (parent.children if parent else roots).append(node)
    flat: list[TeamNode] = []
    stack = [(node, 0) for node in reversed(roots)]
    while stack:
        node, depth = stack.pop()
        node.depth = depth
        flat.append(node)
        stack.extend((child, depth + 1) for child in reversed(node.children))
    return flat
