"""The org chart page's reads: a budgeted part of the team tree with leads, core duties, roles,
headcount and holders; the search that jumps into it; and the chart as an SVG document.

The page never renders the whole organisation at once: it draws the top of the tree (whole
sibling groups, breadth first, up to ``CHART_NODE_BUDGET`` teams) and leaves deeper sub-trees
to load when opened (``/org/teams/<slug>/subtree/``). Every function here runs a fixed number
of queries whatever the size of the organisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _

from roles.models import Role, RoleStatus
from roles.textsim import _CJK_RE
from roles.visibility import RoleVisibility
from teams.models import Membership, Team, TeamDuty
from teams.selectors import TeamTree

CHART_NODE_BUDGET = 60
SVG_NODE_LIMIT = 3000
SEARCH_LIMIT = 10


def person_label(user) -> str:
    return user.get_full_name() or user.get_username()


@dataclass
class ChartRole:
    role: Role
    holders: list = field(default_factory=list)


@dataclass
class ChartNode:
    team: Team
    depth: int
    child_count: int
    leads: list = field(default_factory=list)
    core_duties: list[TeamDuty] = field(default_factory=list)
    roles: list[ChartRole] = field(default_factory=list)
    children: list[ChartNode] = field(default_factory=list)

    @property
    def children_loaded(self) -> bool:
        return bool(self.children) or not self.child_count

    @property
    def people(self) -> int:
        return sum(len(r.holders) for r in self.roles)


def chart_tree(
    *,
    user,
    root_ids: Sequence[int] | None = None,
    budget: int = CHART_NODE_BUDGET,
    expand: Iterable[int] = (),
    tree: TeamTree | None = None,
) -> list[ChartNode]:
    """The chart from ``root_ids`` (default: the top-level teams) down, breadth first: a
    team's children are drawn all together or not at all, until ``budget`` teams are drawn.
    Teams in ``expand`` (e.g. the path to a search hit) always have their children drawn.
    Five queries (six with the team tree) plus the visibility check."""
    if tree is None:
        tree = TeamTree.load(include_archived=False)
    roots = list(dict.fromkeys(tree.roots() if root_ids is None else [r for r in root_ids if r in tree]))
    expand = set(expand)
    included: dict[int, int] = dict.fromkeys(roots, 0)  # team id → depth
    frontier = list(roots)
    while frontier:
        next_frontier = []
        for team_id in frontier:
            # A team already drawn is never drawn again, so a cycle in the data ends here.
            kids = [kid for kid in tree.children(team_id) if kid not in included]
            if kids and (team_id in expand or len(included) + len(kids) <= budget):
                for kid in kids:
                    included[kid] = included[team_id] + 1
                next_frontier.extend(kids)
        frontier = next_frontier

    teams = Team.objects.in_bulk(list(included))
    nodes = {
        pk: ChartNode(team=teams[pk], depth=depth, child_count=tree.child_count(pk))
        for pk, depth in included.items()
        if pk in teams
    }
    for duty in TeamDuty.objects.filter(team_id__in=nodes).order_by("team_id", "position"):
        nodes[duty.team_id].core_duties.append(duty)
    roles = RoleVisibility.for_user(user).filter(
        Role.objects.filter(team_id__in=nodes).exclude(status=RoleStatus.RETIRED)
    )
    chart_roles = {r.pk: ChartRole(role=r) for r in roles.order_by("title", "pk")}
    for chart_role in chart_roles.values():
        nodes[chart_role.role.team_id].roles.append(chart_role)
    memberships = (
        Membership.objects.filter(team_id__in=nodes, user__is_active=True)  # deactivated: no lead, no holder
        .filter(Q(is_lead=True) | Q(role__isnull=False))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    for membership in memberships:
        if membership.is_lead:
            nodes[membership.team_id].leads.append(membership.user)
        if membership.role_id in chart_roles:
            chart_roles[membership.role_id].holders.append(membership.user)
    for pk in included:
        node = nodes.get(pk)
        if node is None:
            continue
        # Only the sub-teams drawn one level below: a node is never its own descendant.
        node.children = [nodes[k] for k in tree.children(pk) if k in nodes and nodes[k].depth == node.depth + 1]
    return [nodes[pk] for pk in roots if pk in nodes]


def chart_flatten(nodes: Iterable[ChartNode]) -> list[ChartNode]:
    flat: list[ChartNode] = []
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        flat.append(node)
        stack.extend(reversed(node.children))
    return flat


# ---------------------------------------------------------------------------------------------
# Search
# ---------------------------------------------------------------------------------------------


@dataclass
class SearchHit:
    kind: str  # "team", "role" or "person"
    label: str
    detail: str
    team: Team
    anchor: str  # the element id on the chart


def chart_search(*, user, query: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Teams, roles and people whose name contains ``query`` (case-insensitive), each with the
    team to open on the chart. Three queries."""
    query = " ".join((query or "").split())[:100]
    if not query:
        return []
    hits: list[SearchHit] = []
    for team in Team.objects.filter(archived=False).filter(Q(name__icontains=query) | Q(slug__icontains=query))[:limit]:
        hits.append(SearchHit("team", team.name, team.get_kind_display(), team, f"team-{team.slug}"))
    visibility = RoleVisibility.for_user(user)
    roles = visibility.filter(
        Role.objects.exclude(status=RoleStatus.RETIRED).filter(team__archived=False, title__icontains=query)
    )
    for role in roles.select_related("team").order_by("title")[:limit]:
        hits.append(SearchHit("role", role.title, role.team.name, role.team, f"role-{role.pk}"))
    User = get_user_model()
    people = User.objects.filter(is_active=True).filter(
        Q(username__icontains=query) | Q(first_name__icontains=query) | Q(last_name__icontains=query)
    )
    memberships = (
        Membership.objects.filter(user__in=people[: limit * 2], team__archived=False)
        .select_related("user", "team", "role")
        .order_by("user__username", "team__name")[:limit]
    )
    lead_label = _("lead")
    for m in memberships:
        # A person is found by name; the role they hold is shown only to those who may see it.
        role = m.role if m.role_id and visibility.can_see(m.role) else None
        detail = m.team.name + (f" · {role.title}" if role else "") + (f" · {lead_label}" if m.is_lead else "")
        hits.append(SearchHit("person", person_label(m.user), detail, m.team, f"team-{m.team.slug}"))
    return hits


# ---------------------------------------------------------------------------------------------
# SVG
# ---------------------------------------------------------------------------------------------

SVG_BOX_WIDTH = 460
SVG_INDENT = 36
SVG_LINE = 18
SVG_PAD = 10
SVG_MARGIN = 20
SVG_MAX_ROLES = 8
FONT = "system-ui, 'PingFang SC', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"


def text_width(text: str, size: float) -> float:
    """A rough rendered width: CJK characters are square, Latin ones about half as wide."""
    cjk = len(_CJK_RE.findall(text))
    return (cjk + (len(text) - cjk) * 0.55) * size


def fit(text: str, width: float, size: float) -> str:
    """``text`` shortened with an ellipsis to fit ``width`` pixels at font ``size``."""
    if text_width(text, size) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch + "…", size) > width:
            break
        out += ch
    return out + "…"


def wrap(text: str, width: float, size: float, *, max_lines: int = 3) -> list[str]:
    """``text`` in lines that fit ``width`` pixels (breaking Latin text at spaces, CJK text
    anywhere), at most ``max_lines``, the last one shortened with an ellipsis if needed."""
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if text_width(rest, size) <= width:
            lines.append(rest)
            rest = ""
            break
        cut = 0
        while cut < len(rest) and text_width(rest[: cut + 1], size) <= width:
            cut += 1
        space = rest.rfind(" ", 0, cut + 1)
        if space > cut // 2:
            cut = space
        lines.append(rest[: max(cut, 1)].rstrip())
        rest = rest[max(cut, 1) :].lstrip()
    if rest:
        lines[-1] = fit(lines[-1] + " " + rest, width, size)
    return lines


def chart_svg(nodes: Sequence[ChartNode], *, title: str) -> str:
    """The chart as a standalone SVG document (an indented tree of boxes joined by elbow
    lines). Every text is XML-escaped."""
    flat = chart_flatten(nodes)
    lines_out: list[str] = []
    boxes: list[str] = []
    positions: dict[int, tuple[float, float, float]] = {}  # team id → (x, y top, height)
    y = SVG_MARGIN + 34
    inner = SVG_BOX_WIDTH - 2 * SVG_PAD
    for node in flat:
        x = SVG_MARGIN + node.depth * SVG_INDENT
        rows: list[tuple[str, str]] = [("name", fit(node.team.name, inner, 15))]
        if node.leads:
            rows.append(
                ("meta", fit(_("Leads: %(names)s") % {"names": ", ".join(map(person_label, node.leads))}, inner, 12))
            )
        for duty in node.core_duties:
            rows.extend(("duty", line) for line in wrap(f"{duty.position}. {duty.text}", inner, 12))
        for chart_role in node.roles[:SVG_MAX_ROLES]:
            holders = ", ".join(map(person_label, chart_role.holders)) or _("vacant")
            label = f"{chart_role.role.title} ×{chart_role.role.headcount} — {holders}"
            rows.append(("role", fit(label, inner, 12)))
        if len(node.roles) > SVG_MAX_ROLES:
            rows.append(("meta", _("and %(n)d more roles") % {"n": len(node.roles) - SVG_MAX_ROLES}))
        height = SVG_PAD * 2 + SVG_LINE * len(rows) + 4
        positions[node.team.pk] = (x, y, height)
        parts = [
            f"<g id={quoteattr('team-' + node.team.slug)}>",
            f'<rect x="{x}" y="{y}" width="{SVG_BOX_WIDTH}" height="{height}" rx="6" class="box"/>',
        ]
        ty = y + SVG_PAD + 14
        for kind, text in rows:
            parts.append(f'<text x="{x + SVG_PAD}" y="{ty}" class="{kind}">{escape(text)}</text>')
            ty += SVG_LINE + (4 if kind == "name" else 0)
        parts.append("</g>")
        boxes.append("".join(parts))
        y += height + 16
    for node in flat:
        px, py, ph = positions[node.team.pk]
        for child in node.children:
            cx, cy, _height = positions[child.team.pk]
            elbow_x = px + SVG_INDENT / 2
            lines_out.append(f'<path d="M{elbow_x} {py + ph} V{cy + 16} H{cx}" class="link"/>')
    width = SVG_MARGIN * 2 + SVG_BOX_WIDTH + max((n.depth for n in flat), default=0) * SVG_INDENT
    height = y + SVG_MARGIN
    style = (
        f"text{{font-family:{FONT};fill:#1d2330}} .name{{font-size:15px;font-weight:700}} "
        ".meta,.duty,.role{font-size:12px} .meta,.duty{fill:#5b6475} "
        ".box{fill:#fff;stroke:#9aa4b5} .link{fill:none;stroke:#9aa4b5;stroke-width:1.5}"
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label={quoteattr(title)}>'
        f"<title>{escape(title)}</title><style>{style}</style>"
        f'<rect width="100%" height="100%" fill="#f7f8fa"/>'
        f'<text x="{SVG_MARGIN}" y="{SVG_MARGIN + 12}" class="name">{escape(title)}</text>'
        + "".join(lines_out)
        + "".join(boxes)
        + "</svg>\n"
    )


def holders_by_role(role_ids: Iterable[int]) -> dict[int, list]:
    """Role id → the (active) people holding it (one query)."""
    result: dict[int, list] = defaultdict(list)
    for m in Membership.objects.filter(role_id__in=list(role_ids), user__is_active=True).select_related("user"):
        result[m.role_id].append(m.user)
    return result
