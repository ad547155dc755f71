"""Portal pages of the duty analysis: coverage, overlap, and the HR dashboard."""

from __future__ import annotations

from collections import defaultdict

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from roles.analysis import (
    DEFAULT_OVERLAP_THRESHOLD,
    MIN_OVERLAP_THRESHOLD,
    Relation,
    analysis_team_scope,
    coverage_report,
    coverage_summary,
    coverage_team_ids,
    overlap_pairs,
    overlap_pairs_resolve,
)
from roles.models import Duty, Role, RoleStatus
from teams.models import Membership, Team, TeamDuty
from teams.permissions import is_hr_manager
from teams.selectors import TeamTree

TEAMS_PER_PAGE = 25
PAIRS_PER_PAGE = 50
BAR_ROW_HEIGHT = 26


def _root(request: HttpRequest) -> Team | None:
    slug = request.GET.get("team")
    if not slug:
        return None
    team = Team.objects.filter(slug=slug, archived=False).first()
    if team is None:
        raise Http404
    return team


@login_required
@require_GET
def coverage_page(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    scope = analysis_team_scope(request.user, root=root)
    problems_only = request.GET.get("problems") == "1"
    team_ids = coverage_team_ids(user=request.user, scope=scope, problems_only=problems_only)
    page = Paginator(team_ids, TEAMS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "root": root,
        "problems_only": problems_only,
        "summary": coverage_summary(user=request.user, scope=scope),
        "report": coverage_report(user=request.user, team_ids=list(page.object_list)),
        "page": page,
    }
    return render(request, "analysis/coverage.html", context)


class OverlapForm(forms.Form):
    SHOW_CHOICES = [
        ("all", gettext_lazy("All pairs")),
        ("overlaps", gettext_lazy("Only duties of different roles or teams")),
        (Relation.SERVES, gettext_lazy("Only role duties restating the core duty they serve")),
    ]
    threshold = forms.FloatField(
        label=gettext_lazy("Minimum similarity"),
        min_value=MIN_OVERLAP_THRESHOLD,
        max_value=1.0,
        initial=DEFAULT_OVERLAP_THRESHOLD,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
        help_text=gettext_lazy("From 0.3 (loosely related) to 1 (the same words)."),
    )
    show = forms.ChoiceField(label=gettext_lazy("Show"), choices=SHOW_CHOICES, required=False, initial="all")


@login_required
@require_GET
def overlaps_page(request: HttpRequest) -> HttpResponse:
    root = _root(request)
    scope = analysis_team_scope(request.user, root=root)
    form = OverlapForm(request.GET or None)
    threshold, show = DEFAULT_OVERLAP_THRESHOLD, "all"
    if form.is_bound and form.is_valid():
        threshold = form.cleaned_data["threshold"] or DEFAULT_OVERLAP_THRESHOLD
        show = form.cleaned_data["show"] or "all"
    relations = {
        "all": None,
        "overlaps": [Relation.SAME_TEAM, Relation.CROSS_TEAM],
        Relation.SERVES: [Relation.SERVES],
    }[show]
    pairs, stats = overlap_pairs(user=request.user, threshold=threshold, scope=scope, relations=relations)
    page = Paginator(pairs, PAIRS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "root": root,
        "form": form,
        "threshold": threshold,
        "page": page,
        "pairs": overlap_pairs_resolve(list(page.object_list)),
        "stats": stats,
        "query": query.urlencode(),
    }
    return render(request, "analysis/overlaps.html", context)


# ---------------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------------


def _bars(rows: list[dict], key: str, *, width: int = 260) -> None:
    """Add ``<key>_width`` (pixels) to each row for a horizontal bar chart drawn in SVG."""
    top = max((r[key] for r in rows), default=0) or 1
    for r in rows:
        r[f"{key}_width"] = round(width * r[key] / top, 1)


def team_counts(*, user) -> list[dict]:
    """Roles, duties, people and coverage gaps per top-level team (each team's whole subtree).
    Five grouped queries whatever the number of teams."""
    tree = TeamTree.load(include_archived=False)
    top_of: dict[int, int] = {}
    for top in tree.roots():
        for team_id in tree.subtree_ids([top]):
            top_of[team_id] = top
    tops = Team.objects.in_bulk(tree.roots())
    rows = {pk: {"team": tops[pk], "roles": 0, "duties": 0, "people": 0, "gaps": 0} for pk in tree.roots()}
    live_roles = Role.objects.exclude(status=RoleStatus.RETIRED)

    def add(pairs, key):
        for team_id, n in pairs:
            if team_id in top_of:
                rows[top_of[team_id]][key] += n

    add(live_roles.values("team_id").annotate(n=Count("id")).values_list("team_id", "n"), "roles")
    add(
        Duty.objects.filter(role__in=live_roles)
        .values("role__team_id")
        .annotate(n=Count("id"))
        .values_list("role__team_id", "n"),
        "duties",
    )
    add(
        Membership.objects.filter(user__is_active=True)
        .values("team_id")
        .annotate(n=Count("user_id", distinct=True))
        .values_list("team_id", "n"),
        "people",
    )
    serving = Duty.objects.filter(serves=OuterRef("pk"), role__in=live_roles)
    add(
        TeamDuty.objects.filter(~Exists(serving)).values("team_id").annotate(n=Count("id")).values_list("team_id", "n"),
        "gaps",
    )
    result = [rows[pk] for pk in tree.roots() if pk in rows]
    for key in ("roles", "duties", "people", "gaps"):
        _bars(result, key)
    for index, row in enumerate(result):
        row["y"] = index * BAR_ROW_HEIGHT
    return result


def review_status() -> dict:
    """Open suggestions and the progress of open review cycles, from the reviews app. Imported
    here so that the dashboard still works (with an empty state) without it."""
    try:
        from reviews.models import CycleState, ReviewCycle, ReviewState, RoleReview, Suggestion, SuggestionState
    except ImportError:  # pragma: no cover - the reviews app is part of the project
        return {"available": False}
    open_suggestions = Suggestion.objects.filter(state=SuggestionState.OPEN)
    cycles = list(ReviewCycle.objects.filter(state=CycleState.OPEN).order_by("due_on", "pk")[:5])
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for cycle_id, state, n in (
        RoleReview.objects.filter(cycle__in=cycles).values("cycle_id", "state").annotate(n=Count("id"))
    ).values_list("cycle_id", "state", "n"):
        counts[cycle_id][state] = n
    labels = dict(ReviewState.choices)
    order = [
        ReviewState.APPROVED,
        ReviewState.SUBMITTED,
        ReviewState.SENT_BACK,
        ReviewState.PENDING,
        ReviewState.NOT_REVIEWED,
    ]
    progress = []
    for cycle in cycles:
        total = sum(counts[cycle.pk].values())
        segments, x = [], 0.0
        for state in order:
            n = counts[cycle.pk].get(state, 0)
            width = round(300 * n / total, 1) if total else 0
            segments.append({"state": state, "label": labels[state], "n": n, "x": x, "width": width})
            x += width
        done = counts[cycle.pk].get(ReviewState.APPROVED, 0)
        progress.append({"cycle": cycle, "total": total, "done": done, "segments": segments})
    return {
        "available": True,
        "open_suggestions": open_suggestions.count(),
        "latest_suggestions": list(open_suggestions.select_related("role", "author").order_by("-created_at")[:5]),
        "cycles": progress,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    if not is_hr_manager(request.user):
        raise PermissionDenied(_("The dashboard is for HR managers."))
    pairs, _stats = overlap_pairs(user=request.user)
    by_relation = defaultdict(int)
    for p in pairs:
        by_relation[p.relation] += 1
    top_overlaps = overlap_pairs_resolve([p for p in pairs if p.relation != Relation.SERVES][:5])
    context = {
        "summary": coverage_summary(user=request.user, scope=None),
        "teams": (teams := team_counts(user=request.user)),
        "chart_height": len(teams) * BAR_ROW_HEIGHT + 4,
        "overlaps": {
            "total": len(pairs),
            "serves": by_relation[Relation.SERVES],
            "elsewhere": by_relation[Relation.SAME_TEAM] + by_relation[Relation.CROSS_TEAM],
            "top": top_overlaps,
            "threshold": DEFAULT_OVERLAP_THRESHOLD,
        },
        "reviews": review_status(),
        "role_count": Role.objects.exclude(status=RoleStatus.RETIRED).count(),
    }
    return render(request, "analysis/dashboard.html", context)
