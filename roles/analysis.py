"""Duty analysis: coverage (which core duties the role duties serve) and overlap (duties that
say nearly the same thing in different places). Selectors and pure functions, shared by the
analysis pages, the dashboard and ``/api/v1/analysis/``.

Who sees what: HR managers analyse the whole organisation; a team lead analyses the teams they
lead (and the teams below them); anyone else is refused. Draft roles count only for HR and the
leads of their team, as everywhere else (``roles.visibility.RoleVisibility``). Retired roles
and archived teams are left out: they are not part of the organisation any more.

Every selector runs a fixed number of queries whatever the size of the organisation.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from math import ceil

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Max, OuterRef
from django.utils.translation import gettext as _

from roles.models import Duty, Role, RoleStatus
from roles.textsim import features
from roles.visibility import RoleVisibility
from teams.models import Team, TeamDuty
from teams.permissions import is_hr_manager, led_team_ids
from teams.selectors import TeamTree, team_subtree_ids

# On the seed organisation every pair at or above 0.6 is a role duty and the core duty it
# serves, restating it (0.64 … 1.0 in both languages); the most similar unrelated pairs score
# 0.55-0.57 (a shared "负责…的策划与执行,提升…" phrase). See tests/analysis/test_overlap.py.
DEFAULT_OVERLAP_THRESHOLD = 0.6
MIN_OVERLAP_THRESHOLD = 0.3  # below this, everything with a common word "overlaps"
OVERLAP_CACHE_SECONDS = 600
# A few seconds of Python: real duty texts stay far below it even at 200,000 duties; text
# generated from a few dozen phrases does not, and is then analysed partially (and says so).
OVERLAP_MAX_WORK = 5_000_000
OVERLAP_MAX_PAIRS = 20_000  # the best ones are kept; more is no longer a list anyone reads


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


# ---------------------------------------------------------------------------------------------
# Overlap: an n-gram index instead of comparing every pair
# ---------------------------------------------------------------------------------------------


@dataclass
class JoinStats:
    items: int = 0
    candidates: int = 0  # distinct pairs that shared an indexed feature and passed the size filter
    pairs: int = 0  # pairs at or above the threshold
    complete: bool = True  # False when the work budget ran out before every duty was compared

    @property
    def all_pairs(self) -> int:
        return self.items * (self.items - 1) // 2


def similar_pairs(
    feature_sets: Sequence[frozenset[str]],
    threshold: float,
    *,
    skip: Callable[[int, int], bool] | None = None,
    max_work: int | None = None,
) -> tuple[list[tuple[int, int, float]], JoinStats]:
    """All pairs ``(i, j, score)`` (``i < j``) whose Dice similarity is at least ``threshold``.

    A prefix-filtered set-similarity join (AllPairs / PPJoin, Bayardo et al. 2007, Xiao et al.
    2008) instead of comparing every pair. Features are ordered rarest first and sets are
    processed in increasing size. With t the Jaccard threshold equivalent to the Dice one, two
    sets x, y can reach it only if they share ``ceil(t/(1+t)·(|x|+|y|))`` features, so:

    - a set probes the inverted index with its first ``n - ceil(t·n) + 1`` features and is
      indexed under its first ``n - ceil(2t/(1+t)·n) + 1`` only: frequent features ("用户",
      "user") are at the end of every set and hardly ever reach the index;
    - a candidate smaller than ``t·n`` is skipped (size filter), and one that can no longer
      reach the required overlap from the positions of the shared feature is dropped
      (positional filter) before it is verified.

    The result is exact (the same pairs as comparing everything; see the tests). Text where
    every word is common (a generated organisation built from a few dozen phrases) makes every
    posting list long: ``max_work`` bounds the posting entries visited, and when it runs out the
    sets not yet processed are left out and ``stats.complete`` is False.
    """
    stats = JoinStats(items=len(feature_sets))
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    eps = 1e-9
    jaccard = threshold / (2 - threshold)
    overlap_factor = jaccard / (1 + jaccard)
    frequency: dict[str, int] = defaultdict(int)
    for fs in feature_sets:
        for f in fs:
            frequency[f] += 1
    ordered = [sorted(fs, key=lambda f: (frequency[f], f)) for fs in feature_sets]
    order = sorted((i for i in range(len(ordered)) if ordered[i]), key=lambda i: len(ordered[i]))
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    pairs: list[tuple[int, int, float]] = []
    work = 0
    for x in order:
        if max_work is not None and work > max_work:
            stats.complete = False
            break
        tokens = ordered[x]
        n = len(tokens)
        probe = n - ceil(jaccard * n - eps) + 1
        min_size = jaccard * n - eps
        counts: dict[int, int] = {}
        for i, token in enumerate(tokens[:probe]):
            postings = index.get(token, ())
            work += len(postings)
            for y, j in postings:
                count = counts.get(y, 0)
                if count < 0:
                    continue
                ny = len(ordered[y])
                if ny < min_size:
                    continue
                required = ceil(overlap_factor * (n + ny) - eps)
                if count + 1 + min(n - i - 1, ny - j - 1) >= required:
                    counts[y] = count + 1
                else:
                    counts[y] = -1
        fx = feature_sets[x]
        for y, count in counts.items():
            if count <= 0:
                continue
            stats.candidates += 1
            ny = len(ordered[y])
            shared = len(fx & feature_sets[y])
            if 2 * shared < (threshold - eps) * (n + ny):
                continue
            i, j = (x, y) if x < y else (y, x)
            if skip is None or not skip(i, j):
                pairs.append((i, j, 2 * shared / (n + ny)))
        for i, token in enumerate(tokens[: n - ceil(2 * overlap_factor * n - eps) + 1]):
            index[token].append((x, i))
    stats.pairs = len(pairs)
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs, stats


ROLE_DUTY = "role_duty"
CORE_DUTY = "core_duty"


@dataclass(frozen=True)
class DutyItem:
    """One side of an overlap: a role duty or a team core duty (with what visibility needs)."""

    kind: str
    id: int
    team_id: int
    role_id: int | None = None
    serves_id: int | None = None
    draft: bool = False


class Relation:
    SERVES = "serves"  # a role duty and the very core duty it serves: expected to be close
    SAME_TEAM = "same_team"
    CROSS_TEAM = "cross_team"


@dataclass
class OverlapPair:
    a: DutyItem
    b: DutyItem
    score: float
    relation: str
    # Filled in by ``overlap_pairs_resolve`` for display.
    a_text: str = ""
    b_text: str = ""
    a_team: Team | None = None
    b_team: Team | None = None
    a_role: Role | None = None
    b_role: Role | None = None


def _relation(a: DutyItem, b: DutyItem) -> str:
    if a.kind != b.kind:
        role_side, core_side = (a, b) if a.kind == ROLE_DUTY else (b, a)
        if role_side.serves_id == core_side.id:
            return Relation.SERVES
    return Relation.SAME_TEAM if a.team_id == b.team_id else Relation.CROSS_TEAM


def _fingerprint() -> str:
    """Changes whenever a duty, core duty, role or team changes (four aggregate queries)."""
    parts = [
        Duty.objects.aggregate(n=Count("id"), m=Max("id")),
        TeamDuty.objects.aggregate(n=Count("id"), m=Max("id"), u=Max("updated_at")),
        Role.objects.aggregate(n=Count("id"), u=Max("updated_at")),
        Team.objects.aggregate(n=Count("id"), u=Max("updated_at")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:24]


def _overlap_compute(threshold: float) -> tuple[list[OverlapPair], JoinStats]:
    """Every overlapping pair in the organisation (all live duties, drafts included: each
    reader's view is filtered afterwards). Two queries and the index join."""
    items: list[DutyItem] = []
    sets: list[frozenset[str]] = []
    role_duties = Duty.objects.filter(role__team__archived=False).exclude(role__status=RoleStatus.RETIRED)
    for pk, text, role_id, team_id, serves_id, status in role_duties.values_list(
        "id", "text", "role_id", "role__team_id", "serves_id", "role__status"
    ).iterator(chunk_size=5000):
        items.append(DutyItem(ROLE_DUTY, pk, team_id, role_id, serves_id, status == RoleStatus.DRAFT))
        sets.append(features(text))
    for pk, text, team_id in (
        TeamDuty.objects.filter(team__archived=False).values_list("id", "text", "team_id").iterator(chunk_size=5000)
    ):
        items.append(DutyItem(CORE_DUTY, pk, team_id))
        sets.append(features(text))

    def same_list(i: int, j: int) -> bool:
        # Duplicates inside one role are a "clear and concise" problem (roles.quality); inside
        # one team's core duties the team service already refuses exact repeats.
        a, b = items[i], items[j]
        return a.kind == b.kind == ROLE_DUTY and a.role_id == b.role_id

    found, stats = similar_pairs(sets, threshold, skip=same_list, max_work=OVERLAP_MAX_WORK)
    if len(found) > OVERLAP_MAX_PAIRS:
        found = found[:OVERLAP_MAX_PAIRS]
        stats.complete = False
    pairs = [
        OverlapPair(a=items[i], b=items[j], score=round(score, 3), relation=_relation(items[i], items[j]))
        for i, j, score in found
    ]
    # Role duty first, then core duty: reads "this role duty ~ that core duty".
    for p in pairs:
        if p.a.kind == CORE_DUTY and p.b.kind == ROLE_DUTY:
            p.a, p.b = p.b, p.a
    return pairs, stats


def clamp_threshold(value) -> float:
    """A threshold from user input: a number in [MIN_OVERLAP_THRESHOLD, 1], two decimals."""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        return DEFAULT_OVERLAP_THRESHOLD
    if threshold != threshold:  # NaN
        return DEFAULT_OVERLAP_THRESHOLD
    return round(min(1.0, max(MIN_OVERLAP_THRESHOLD, threshold)), 2)


def overlap_pairs(
    *,
    user,
    threshold: float = DEFAULT_OVERLAP_THRESHOLD,
    scope: set[int] | None = None,
    relations: Iterable[str] | None = None,
) -> tuple[list[OverlapPair], JoinStats]:
    """Overlapping duty pairs ``user`` may see, best first: pairs with at least one side in
    ``scope`` (``None``: everywhere), without draft roles the user may not see. The join's
    result is cached per threshold until the organisation changes."""
    threshold = clamp_threshold(threshold)
    key = f"roles.analysis.overlaps:{threshold:.2f}:{_fingerprint()}"
    cached = cache.get(key)
    if cached is None:
        cached = _overlap_compute(threshold)
        cache.set(key, cached, OVERLAP_CACHE_SECONDS)
    pairs, stats = cached
    wanted = set(relations) if relations is not None else None
    visibility = RoleVisibility.for_user(user)

    def visible(item: DutyItem) -> bool:
        return not item.draft or visibility.drafts_visible_in(item.team_id)

    result = [
        OverlapPair(a=p.a, b=p.b, score=p.score, relation=p.relation)
        for p in pairs
        if (wanted is None or p.relation in wanted)
        and (scope is None or p.a.team_id in scope or p.b.team_id in scope)
        and visible(p.a)
        and visible(p.b)
    ]
    return result, stats


def overlap_pairs_resolve(pairs: Sequence[OverlapPair]) -> list[OverlapPair]:
    """Fill in texts, teams and roles of the given pairs (three queries, for one page of them)."""
    duty_ids = {i.id for p in pairs for i in (p.a, p.b) if i.kind == ROLE_DUTY}
    core_ids = {i.id for p in pairs for i in (p.a, p.b) if i.kind == CORE_DUTY}
    duty_texts = dict(Duty.objects.filter(pk__in=duty_ids).values_list("id", "text"))
    core_texts = dict(TeamDuty.objects.filter(pk__in=core_ids).values_list("id", "text"))
    role_ids = {i.role_id for p in pairs for i in (p.a, p.b) if i.role_id}
    roles = {r.pk: r for r in Role.objects.filter(pk__in=role_ids).select_related("team")}
    team_ids = {i.team_id for p in pairs for i in (p.a, p.b)} - {r.team_id for r in roles.values()}
    teams = {r.team_id: r.team for r in roles.values()}
    if team_ids:
        teams.update({t.pk: t for t in Team.objects.filter(pk__in=team_ids)})
    for p in pairs:
        for side, item in (("a", p.a), ("b", p.b)):
            texts = duty_texts if item.kind == ROLE_DUTY else core_texts
            setattr(p, f"{side}_text", texts.get(item.id, ""))
            setattr(p, f"{side}_role", roles.get(item.role_id) if item.role_id else None)
            setattr(p, f"{side}_team", teams.get(item.team_id))
    return list(pairs)
