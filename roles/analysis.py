"""Duty analysis: coverage (which core duties the role duties serve), and who may analyse what.
Selectors shared by the analysis pages, the dashboard and ``/api/v1/analysis/``; the overlap
analysis (duties that say nearly the same thing in different places) is ``roles.overlap``.

Who sees what: HR managers analyse the whole organisation; a team lead analyses the teams they
lead (and the teams below them); anyone else is refused. Draft roles count only for HR and the
leads of their team, as everywhere else (``roles.visibility.RoleVisibility``). Retired roles
and archived teams are left out: they are not part of the organisation any more.

Every selector runs a fixed number of queries whatever the size of the organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from roles.models import Duty, Role, RoleStatus
from roles.visibility import RoleVisibility
from teams.models import Team, TeamDuty
from teams.permissions import is_hr_manager, led_team_ids
from teams.selectors import TeamTree, team_subtree_ids

# The overlap analysis lives in roles.overlap (a stored index of pairs).


# ---------------------------------------------------------------------------------------------
# Scope: which teams a person may analyse
# ---------------------------------------------------------------------------------------------


def analysis_team_scope(user, *, root: Team | None = None) -> set[int] | None:
    """The ids of the non-archived teams ``user`` may analyse (``None``: all of them, for HR),
    narrowed to ``root``'s subtree when given. Raises ``PermissionDenied`` for people who lead
    no team, and when ``root`` is outside what a lead may see."""
    if not user or not user.is_authenticated or not user.is_active:
        raise PermissionDenied(_("Sign in to see the analysis."))
    if is_hr_manager(user):
        return None if root is None else team_subtree_ids([root.pk])
    led = led_team_ids(user)
    if not led:
        raise PermissionDenied(_("Duty analysis is for HR managers and team leads."))
    if root is None:
        return led
    if root.pk not in led:
        raise PermissionDenied(_("You can analyse only the teams you lead."))
    return team_subtree_ids([root.pk]) & led


def _scoped(qs, scope: set[int] | None, field_name: str = "team_id"):
    return qs if scope is None else qs.filter(**{f"{field_name}__in": scope})


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------


@dataclass
class CoreDutyCoverage:
    duty: TeamDuty
    serving: list[Duty] = field(default_factory=list)  # each with ``role`` set

    @property
    def is_gap(self) -> bool:
        return not self.serving


@dataclass
class TeamCoverage:
    team: Team
    core: list[CoreDutyCoverage] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    unmapped: list[Duty] = field(default_factory=list)  # role duties that serve no core duty
    roles_without_duties: list[Role] = field(default_factory=list)

    @property
    def gaps(self) -> list[CoreDutyCoverage]:
        return [c for c in self.core if c.is_gap]

    @property
    def has_roles(self) -> bool:
        return bool(self.roles)

    @property
    def has_problems(self) -> bool:
        return bool(self.gaps or self.unmapped or self.roles_without_duties or not self.roles)


@dataclass
class CoverageSummary:
    teams: int
    core_duties: int
    gaps: int
    unmapped_duties: int
    roles_without_duties: int
    teams_without_roles: int


def _live_roles(user, scope: set[int] | None):
    qs = Role.objects.exclude(status=RoleStatus.RETIRED).filter(team__archived=False)
    return RoleVisibility.for_user(user).filter(_scoped(qs, scope))


def coverage_team_ids(*, user, scope: set[int] | None, problems_only: bool = False) -> list[int]:
    """The ids of the teams in scope in tree order (for paging the coverage report); with
    ``problems_only``, only teams with a gap, an unmapped duty, a role without duties or no role."""
    ordered = [team_id for team_id, _level in TeamTree.load(include_archived=False).walk()]
    if scope is not None:
        ordered = [t for t in ordered if t in scope]
    if not problems_only:
        return ordered
    roles = _live_roles(user, scope)
    serving = Duty.objects.filter(serves=OuterRef("pk"), role__in=roles)
    with_gaps = set(
        _scoped(TeamDuty.objects.filter(team__archived=False), scope)
        .filter(~Exists(serving))
        .values_list("team_id", flat=True)
    )
    unmapped = Duty.objects.filter(role__in=roles, serves__isnull=True)
    with_unmapped = set(unmapped.values_list("role__team_id", flat=True))
    empty_roles = roles.filter(~Exists(Duty.objects.filter(role=OuterRef("pk"))))
    with_empty_roles = set(empty_roles.values_list("team_id", flat=True))
    with_roles = set(roles.values_list("team_id", flat=True))
    problem = with_gaps | with_unmapped | with_empty_roles
    return [t for t in ordered if t in problem or t not in with_roles]


def coverage_summary(*, user, scope: set[int] | None) -> CoverageSummary:
    """Totals over the teams in scope (five aggregate queries)."""
    teams = _scoped(Team.objects.filter(archived=False), scope, "id")
    roles = _live_roles(user, scope)
    core = _scoped(TeamDuty.objects.filter(team__archived=False), scope)
    serving = Duty.objects.filter(serves=OuterRef("pk"), role__in=roles)
    return CoverageSummary(
        teams=teams.count(),
        core_duties=core.count(),
        gaps=core.filter(~Exists(serving)).count(),
        unmapped_duties=Duty.objects.filter(role__in=roles, serves__isnull=True).count(),
        roles_without_duties=roles.filter(~Exists(Duty.objects.filter(role=OuterRef("pk")))).count(),
        teams_without_roles=teams.filter(~Exists(roles.filter(team=OuterRef("pk")))).count(),
    )


def coverage_report(*, user, team_ids: Sequence[int]) -> list[TeamCoverage]:
    """Coverage of the given teams (in the given order): each core duty with the role duties
    that serve it, unmapped role duties and roles without duties. Four queries."""
    teams = {t.pk: t for t in Team.objects.filter(pk__in=list(team_ids), archived=False)}
    result = {pk: TeamCoverage(team=team) for pk, team in teams.items()}
    core_by_id: dict[int, CoreDutyCoverage] = {}
    for duty in TeamDuty.objects.filter(team_id__in=teams).order_by("team_id", "position"):
        entry = CoreDutyCoverage(duty=duty)
        core_by_id[duty.pk] = entry
        result[duty.team_id].core.append(entry)
    roles = {r.pk: r for r in _live_roles(user, set(teams)).order_by("title", "pk")}
    for role in roles.values():
        role.duty_list = []
        result[role.team_id].roles.append(role)
    for duty in Duty.objects.filter(role_id__in=roles).order_by("role_id", "position"):
        duty.role = roles[duty.role_id]
        duty.role.duty_list.append(duty)
        served = core_by_id.get(duty.serves_id) if duty.serves_id else None
        if served is not None:
            served.serving.append(duty)
        else:
            result[duty.role.team_id].unmapped.append(duty)
    for role in roles.values():
        if not role.duty_list:
            result[role.team_id].roles_without_duties.append(role)
    return [result[pk] for pk in team_ids if pk in result]
