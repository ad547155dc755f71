"""Portal pages about teams: the team page, and the org chart's lazily loaded sub-trees and SVG
download (the chart page itself is ``orgstructure.views.home``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from roles.chart import CHART_NODE_BUDGET, SVG_NODE_LIMIT, chart_svg, chart_tree, holders_by_role
from roles.models import Role, RoleStatus
from roles.permissions import roles_visible_to
from teams.models import Membership, ProjectGroupMember, Team
from teams.permissions import is_hr_manager
from teams.selectors import TeamTree


def _visible_team(request: HttpRequest, slug: str) -> Team:
    """Archived teams are HR's business (they stay in the admin); others get a 404."""
    team = get_object_or_404(Team, slug=slug)
    if team.archived and not is_hr_manager(request.user):
        raise Http404
    return team


@login_required
@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A team: where it sits, its core duties, sub-teams, roles (with holders), members and the
    project groups its people belong to. A fixed number of queries."""
    team = _visible_team(request, slug)
    # The tree walk, not a recursive query: it answers even if the data held a cycle.
    ancestors = []
    if team.parent_id is not None:
        tree = TeamTree.load(fields=("slug", "name"))
        ancestors = [tree.values(pk) for pk in tree.ancestors(team.pk)]
    children = list(Team.objects.filter(parent=team, archived=False).order_by("position", "name"))
    core_duties = list(team.core_duties.order_by("position"))
    roles = list(
        roles_visible_to(request.user, Role.objects.filter(team=team).exclude(status=RoleStatus.RETIRED)).order_by(
            "title", "pk"
        )
    )
    holders = holders_by_role(r.pk for r in roles)
    for role in roles:
        role.holders = holders.get(role.pk, [])
    visible_role_ids = {r.pk for r in roles}
    memberships = list(
        Membership.objects.filter(team=team, user__is_active=True)  # the admin still lists deactivated people
        .select_related("user", "role")
        .order_by("-is_lead", "user__last_name", "user__first_name", "user__username")
    )
    for m in memberships:
        m.visible_role = m.role if m.role_id in visible_role_ids else None
    group_members = (
        ProjectGroupMember.objects.filter(home_team=team, group__archived=False, user__is_active=True)
        .select_related("group", "user")
        .order_by("group__name", "user__username")
    )
    groups: dict[int, dict] = {}
    for gm in group_members:
        groups.setdefault(gm.group_id, {"group": gm.group, "members": []})["members"].append(gm)
    context = {
        "team": team,
        "ancestors": ancestors,
        "children": children,
        "core_duties": core_duties,
        "roles": roles,
        "memberships": memberships,
        "leads": [m for m in memberships if m.is_lead],
        "project_groups": list(groups.values()),
    }
    return render(request, "teams/team_detail.html", context)


@login_required
@require_GET
def team_subtree(request: HttpRequest, slug: str) -> HttpResponse:
    """The chart below one team, as an HTML fragment the chart's script inserts when a
    collapsed sub-tree is opened (without JS, the link goes to the chart rooted there)."""
    team = _visible_team(request, slug)
    tree = TeamTree.load(include_archived=False)
    nodes = chart_tree(user=request.user, root_ids=tree.children(team.pk), budget=CHART_NODE_BUDGET, tree=tree)
    return render(request, "teams/chart_subtree.html", {"nodes": nodes, "parent": team})


@login_required
@require_GET
def chart_svg_download(request: HttpRequest) -> HttpResponse:
    """The chart (or ``?root=<slug>``'s sub-tree) as an SVG file, drawn on the server."""
    tree = TeamTree.load(include_archived=False)
    root = None
    if slug := request.GET.get("root"):
        root = _visible_team(request, slug)
    nodes = chart_tree(
        user=request.user,
        root_ids=[root.pk] if root else None,
        budget=SVG_NODE_LIMIT,
        tree=tree,
    )
    title = root.name if root else _("Organisation")
    response = HttpResponse(chart_svg(nodes, title=title), content_type="image/svg+xml; charset=utf-8")
    filename = f"org-chart-{slugify(root.slug) if root else 'all'}.svg"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
