"""Reads about cycles, reviews and suggestions that the pages, the admin and the API share.
Every list goes through the visibility filters of ``reviews.permissions``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from reviews.models import (
    CycleState,
    ReviewCycle,
    ReviewOutcome,
    ReviewState,
    RoleReview,
    Suggestion,
    SuggestionState,
)
from reviews.permissions import reviews_visible_to, suggestions_visible_to
from roles.diffing import duty_list_diff, duty_list_diff_summary
from roles.models import Duty, Role, RoleRevision
from teams.permissions import led_team_ids

REVIEW_RELATED = ("cycle", "role__team", "reviewer", "decided_by", "applied_revision")
SUGGESTION_RELATED = ("role__team", "author", "decided_by", "cycle", "applied_revision", "duty")


def review_list(*, user, mine: bool = False) -> QuerySet[RoleReview]:
    qs = reviews_visible_to(user, RoleReview.objects.all())
    if mine:
        qs = qs.filter(reviewer=user)
    return qs.select_related(*REVIEW_RELATED).order_by(
        "-cycle__starts_on", "cycle_id", "role__team__name", "role__title"
    )


def suggestion_list(*, user) -> QuerySet[Suggestion]:
    return suggestions_visible_to(user, Suggestion.objects.all()).select_related(*SUGGESTION_RELATED)


def suggestions_on_led_teams(*, user) -> QuerySet[Suggestion]:
    """Suggestions on roles of teams the user leads (with subtrees), by anyone."""
    return suggestion_list(user=user).filter(role__team_id__in=led_team_ids(user))


def _as_rows(duties: list[dict[str, Any]] | list[Duty]) -> list[dict[str, Any]]:
    rows = []
    for position, item in enumerate(duties, start=1):
        if isinstance(item, Duty):
            rows.append({"id": item.pk, "position": position, "text": item.text, "serves": item.serves_id})
        else:
            rows.append(
                {"id": item.get("id"), "position": position, "text": item["text"], "serves": item.get("serves")}
            )
    return rows


@dataclass
class ProposalView:
    """What a decision screen shows: the role's current list, the proposed one, their diff,
    and whether the role changed since the proposal was made."""

    role: Role
    current: list[dict[str, Any]]
    proposed: list[dict[str, Any]] | None
    diff: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)
    stale: bool = False
    base_version: int | None = None
    base_diff: list[dict[str, Any]] = field(default_factory=list)  # base → proposed, when stale
    problem: str = ""
    # When stale: the duties changed on both sides (``DutyConflict``s shown with their three
    # versions), and ``diff`` is what applying onto the current list does (conflicting duties
    # left as they are now until HR chooses).
    conflicts: list[Any] = field(default_factory=list)


def _merge_view(view: ProposalView, compute) -> None:
    """Fill ``view`` from a three-way merge (``compute(resolutions)`` gives the
    ``roles.merging.MergeResult``); conflicting duties are shown as they are now."""
    preview = compute(None)
    if preview is None:
        return
    view.conflicts = list(preview.conflicts)
    if preview.conflicts:
        preview = compute({c.key: {"take": "current"} for c in preview.conflicts})
    view.diff = duty_list_diff(view.current, _as_rows(preview.duties))
    view.summary = duty_list_diff_summary(view.diff)


def _base_rows(role: Role, version: int | None) -> list[dict[str, Any]] | None:
    if not version:
        return [] if version == 0 else None
    revision = RoleRevision.objects.filter(role=role, number=version).only("duties").first()
    return _as_rows(revision.duties) if revision else None


def review_proposal(review: RoleReview) -> ProposalView:
    role = review.role
    current = _as_rows(list(Duty.objects.filter(role=role).order_by("position")))
    if review.outcome != ReviewOutcome.REVISE:
        return ProposalView(role=role, current=current, proposed=None, base_version=review.base_version)
    proposed = _as_rows(review.proposed_duties)
    view = ProposalView(role=role, current=current, proposed=proposed, base_version=review.base_version)
    view.diff = duty_list_diff(current, proposed)
    view.summary = duty_list_diff_summary(view.diff)
    view.stale = review.state == ReviewState.SUBMITTED and review.base_version != role.version
    if view.stale:
        from reviews.services import review_merge_preview

        base = _base_rows(role, review.base_version)
        if base is not None:
            view.base_diff = duty_list_diff(base, proposed)
        _merge_view(view, lambda resolutions: review_merge_preview(review, resolutions=resolutions))
    return view


def suggestion_proposal(suggestion: Suggestion) -> ProposalView:
    from orgstructure.exceptions import ConflictError
    from reviews.services import suggestion_merge_preview, suggestion_proposed_duties

    role = suggestion.role
    duties = list(Duty.objects.filter(role=role).order_by("position"))
    current = _as_rows(duties)
    view = ProposalView(role=role, current=current, proposed=None, base_version=suggestion.base_version)
    view.stale = suggestion.state == SuggestionState.OPEN and suggestion.base_version != role.version
    if suggestion.state != SuggestionState.OPEN:
        return view
    try:
        proposed = suggestion_proposed_duties(suggestion, duties)
    except ConflictError as exc:
        view.problem = str(exc.message)
        return view
    if proposed is not None:
        view.proposed = _as_rows(proposed)
        view.diff = duty_list_diff(current, view.proposed)
        view.summary = duty_list_diff_summary(view.diff)
        if view.stale:
            try:
                _merge_view(view, lambda resolutions: suggestion_merge_preview(suggestion, resolutions=resolutions))
            except ConflictError as exc:
                view.problem = str(exc.message)
    return view


@dataclass
class TeamProgress:
    team_id: int
    team_name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done(self) -> int:
        return self.counts.get(ReviewState.APPROVED, 0) + self.counts.get(ReviewState.NOT_REVIEWED, 0)


@dataclass
class CycleDashboard:
    cycle: ReviewCycle
    teams: list[TeamProgress]
    totals: dict[str, int]
    overdue: list[RoleReview]
    unassigned: list[RoleReview]
    awaiting_decision: list[RoleReview]
    open_suggestions: list[Suggestion]


def cycle_dashboard(*, cycle: ReviewCycle, today: dt.date | None = None, limit: int = 200) -> CycleDashboard:
    """Progress per team (one aggregate query), overdue and unassigned reviews, reviews waiting
    for HR and open suggestions (each list capped at ``limit``). A fixed number of queries."""
    today = today or timezone.localdate()
    per_team: dict[int, dict[str, int]] = defaultdict(dict)
    names: dict[int, str] = {}
    totals: dict[str, int] = defaultdict(int)
    rows = (
        RoleReview.objects.filter(cycle=cycle)
        .values("role__team_id", "role__team__name", "state")
        .annotate(n=Count("pk"))
        .order_by("role__team__name")
    )
    for row in rows:
        team_id = row["role__team_id"]
        names[team_id] = row["role__team__name"]
        per_team[team_id][row["state"]] = row["n"]
        totals[row["state"]] += row["n"]
    teams = [TeamProgress(team_id=t, team_name=names[t], counts=dict(c)) for t, c in per_team.items()]
    reviews = RoleReview.objects.filter(cycle=cycle).select_related("role__team", "reviewer")
    waiting = Q(state__in=(ReviewState.PENDING, ReviewState.SENT_BACK))
    overdue = (
        list(reviews.filter(waiting).order_by("role__team__name", "role__title")[:limit])
        if cycle.state == CycleState.OPEN and cycle.due_on < today
        else []
    )
    return CycleDashboard(
        cycle=cycle,
        teams=teams,
        totals=dict(totals),
        overdue=overdue,
        unassigned=list(reviews.filter(waiting, reviewer__isnull=True).order_by("role__title")[:limit]),
        awaiting_decision=list(reviews.filter(state=ReviewState.SUBMITTED).order_by("submitted_at")[:limit]),
        open_suggestions=list(
            Suggestion.objects.filter(cycle=cycle, state=SuggestionState.OPEN)
            .select_related("role__team", "author")
            .order_by("created_at")[:limit]
        ),
    )


def cycle_list_with_progress() -> QuerySet[ReviewCycle]:
    return ReviewCycle.objects.annotate(
        review_count=Count("reviews", distinct=True),
        decided_count=Count(
            "reviews",
            filter=Q(reviews__state__in=(ReviewState.APPROVED, ReviewState.NOT_REVIEWED)),
            distinct=True,
        ),
    ).order_by("-starts_on", "-pk")
