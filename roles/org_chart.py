"""The org chart: the whole organisation (or a subtree) as one document, for scripts.

Built from a fixed handful of ``values()`` queries into plain dicts (no model instances, no
nested serializers), so the number of queries is the same for 5 teams and for 2,000:

1. teams with their core duties (one LEFT JOIN),
2. roles, 3. duties, 4. leads and role holders (with the person).

Its version is cheap to know without building it (``org_chart_stamp``: one query): every write
records a ``ChangeEvent`` in the same transaction, so the latest id of an event about teams, roles
or memberships changes whenever the chart may have (review and suggestion events don't: what they
change in a duty list is a ``role.duties_replaced`` event of its own); the other input is what the
caller may see (HR, lead of which teams, other).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from orgstructure.models import ChangeEvent
from orgstructure.spreadsheet import csv_writer
from roles.models import Duty, Role, RoleStatus
from roles.visibility import RoleVisibility
from teams.models import Membership, Team, TeamUserObjectPermission
from teams.permissions import TeamPermissions
from teams.selectors import TeamTree

CSV_HEADER = ("team_path", "team_slug", "role_slug", "role_title", "duty_position", "duty_text")
CSV_PATH_SEPARATOR = " / "


@dataclass(frozen=True)
class OrgChartStamp:
    """What the chart's version depends on: the latest change, and what the caller may see."""

    last_event_id: int
    is_hr: bool
    led_team_ids: frozenset[int] = field(default_factory=frozenset)  # led directly (subtrees come from the tree)

    @property
    def visibility(self) -> str:
        if self.is_hr:
            return "hr"
        if self.led_team_ids:
            return "lead:" + ",".join(str(i) for i in sorted(self.led_team_ids))
        return "all"

    def version(self, *params: Any) -> str:
        """An opaque version for this caller's view with these query parameters (the ETag)."""
        raw = "|".join(["org-chart-1", str(self.last_event_id), self.visibility, *(repr(p) for p in params)])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def org_chart_stamp(user) -> OrgChartStamp:
    """One query: the latest change event id, whether the user is an HR manager (the
    ``teams.change_team`` permission, directly or through a group), and the teams they lead
    directly. Together with the token lookup, a 304 costs two queries."""
    user_model = get_user_model()
    user_perms = user_model.user_permissions.through
    user_groups = user_model.groups.through
    group_perms = Group.permissions.through
    app_label, codename = TeamPermissions.CHANGE.split(".")
    q = connection.ops.quote_name

    def col(model, name):
        return q(model._meta.get_field(name).column)

    perm, ct = q(Permission._meta.db_table), q(ContentType._meta.db_table)
    lead_perm = q(TeamUserObjectPermission._meta.db_table)
    sql = f"""
        SELECT 0, MAX(id) FROM {q(ChangeEvent._meta.db_table)}
        WHERE action LIKE 'team.%%' OR action LIKE 'role.%%' OR action LIKE 'membership.%%'
           OR action LIKE 'person.%%'
        UNION ALL
        SELECT 1, COUNT(*) FROM {perm} p JOIN {ct} ct ON ct.id = p.content_type_id
        WHERE ct.app_label = %s AND p.codename = %s AND (
            EXISTS (SELECT 1 FROM {q(user_perms._meta.db_table)} up
                    WHERE up.{col(user_perms, "permission")} = p.id AND up.{col(user_perms, "user")} = %s)
            OR EXISTS (SELECT 1 FROM {q(user_groups._meta.db_table)} ug
                       JOIN {q(group_perms._meta.db_table)} gp
                            ON gp.{col(group_perms, "group")} = ug.{col(user_groups, "group")}
                       WHERE gp.{col(group_perms, "permission")} = p.id AND ug.{col(user_groups, "user")} = %s))
        UNION ALL
        SELECT 2, o.content_object_id FROM {lead_perm} o
        JOIN {perm} p ON p.id = o.permission_id JOIN {ct} ct ON ct.id = p.content_type_id
        WHERE o.user_id = %s AND ct.app_label = %s AND p.codename = %s
    """  # noqa: S608 - only table and column names from model metadata are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [app_label, codename, user.pk, user.pk, user.pk, "teams", TeamPermissions.LEAD_CODENAME])
        rows = cursor.fetchall()
    last_event_id, is_hr, led = 0, bool(user.is_superuser), set()
    for kind, value in rows:
        if kind == 0:
            last_event_id = value or 0
        elif kind == 1:
            is_hr = is_hr or bool(value)
        elif value is not None:
            led.add(int(value))
    return OrgChartStamp(last_event_id=last_event_id, is_hr=is_hr, led_team_ids=frozenset(led))


def _person(user_id: int, username: str, first_name: str, last_name: str) -> dict[str, Any]:
    return {"id": user_id, "username": username, "name": f"{first_name} {last_name}".strip() or username}


@dataclass
class _Tree:
    teams: dict[int, dict[str, Any]]  # id → TEAM dict (children filled in later)
    shape: TeamTree


def _load_teams() -> _Tree:
    rows = (
        Team.objects.filter(archived=False)
        .order_by("position", "name", "id", "core_duties__position")
        .values_list(
            "id",
            "parent_id",
            "slug",
            "name",
            "kind",
            "description",
            "core_duties__id",
            "core_duties__position",
            "core_duties__text",
        )
    )
    teams: dict[int, dict[str, Any]] = {}
    links: list[tuple[int, int | None]] = []
    for team_id, parent_id, slug, name, kind, description, duty_id, duty_position, duty_text in rows:
        team = teams.get(team_id)
        if team is None:
            team = teams[team_id] = {
                "id": team_id,
                "slug": slug,
                "name": name,
                "kind": kind,
                "description": description,
                "leads": [],
                "core_duties": [],
                "roles": [],
                "children": [],
            }
            links.append((team_id, parent_id))
        if duty_id is not None:
            team["core_duties"].append({"id": duty_id, "position": duty_position, "text": duty_text})
    return _Tree(teams=teams, shape=TeamTree(links))


def org_chart_build(*, stamp: OrgChartStamp, root: str | None = None, depth: int | None = None) -> list[dict[str, Any]]:
    """The list of top TEAM dicts (see the API contract): the whole tree, or the subtree of the
    team with slug ``root``; ``depth`` limits how many levels of sub-teams are included below
    the top (0: the top teams only). Archived teams (and what is below them) and retired roles
    are left out; draft roles appear only to HR and to leads of the role's team or a team above."""
    tree = _load_teams()
    if root is not None:
        root_id = next((t["id"] for t in tree.teams.values() if t["slug"] == root), None)
        if root_id is None:
            raise Http404(_("No team with the slug %(slug)s (or it is archived).") % {"slug": root})
        top = [root_id]
    else:
        top = tree.shape.roots()
    walked = tree.shape.walk(top, max_depth=depth)
    included = [team_id for team_id, _level in walked]
    included_set = set(included)
    whole_tree = root is None and depth is None

    # The team filter for roles, duties and memberships: a join when the whole tree is wanted
    # (no long id lists), the ids otherwise.
    def team_filter(prefix: str) -> Q:
        if whole_tree:
            return Q(**{f"{prefix}team__archived": False})
        return Q(**{f"{prefix}team_id__in": included})

    # The caller's leads cover their subtrees: worked out from the tree already loaded.
    visibility = RoleVisibility(
        signed_in=True,
        all_drafts=stamp.is_hr,
        led_team_ids=lambda: tree.shape.subtree_ids(i for i in stamp.led_team_ids if i in tree.teams) & included_set,
    )

    roles: dict[int, dict[str, Any]] = {}
    role_rows = (
        Role.objects.filter(team_filter(""), status__in=[RoleStatus.ACTIVE, RoleStatus.DRAFT])
        .filter(visibility.q())
        .order_by("title", "id")
        .values_list("id", "team_id", "slug", "title", "status", "headcount", "version")
    )
    for role_id, team_id, slug, title, status, headcount, version in role_rows:
        if team_id not in included_set:
            continue
        role = {
            "id": role_id,
            "slug": slug,
            "title": title,
            "status": status,
            "headcount": headcount,
            "version": version,
            "duties": [],
            "holders": [],
        }
        roles[role_id] = role
        tree.teams[team_id]["roles"].append(role)

    if roles:
        duty_rows = (
            Duty.objects.filter(team_filter("role__"), role__status__in=[RoleStatus.ACTIVE, RoleStatus.DRAFT])
            .order_by("role_id", "position")
            .values_list("role_id", "id", "position", "text", "serves_id")
        )
        for role_id, duty_id, position, text, serves in duty_rows:
            role = roles.get(role_id)
            if role is not None:
                role["duties"].append({"id": duty_id, "position": position, "text": text, "serves": serves})

    member_rows = (
        Membership.objects.filter(team_filter(""))
        .filter(Q(is_lead=True) | Q(role__isnull=False))
        .filter(user__is_active=True)  # a deactivated person leads and holds nothing
        .order_by("user__username", "id")
        .values_list(
            "team_id", "role_id", "is_lead", "user_id", "user__username", "user__first_name", "user__last_name"
        )
    )
    for team_id, role_id, is_lead, *person in member_rows:
        if team_id not in included_set:
            continue
        if is_lead:
            tree.teams[team_id]["leads"].append(_person(*person))
        if role_id in roles:
            roles[role_id]["holders"].append(_person(*person))

    # Each team hangs under the parent the walk reached it from, once: the document is a tree
    # even if the data were not.
    for team_id, level in walked:
        if level > 0:
            tree.teams[tree.shape.parent(team_id)]["children"].append(tree.teams[team_id])
    return [tree.teams[team_id] for team_id in top]


def org_chart_document(*, version: str, teams: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": version, "generated_at": timezone.now().isoformat(), "teams": teams}


def org_chart_csv(teams: list[dict[str, Any]]) -> bytes:
    """One row per duty (team path, team slug, role slug, role title, duty position, duty
    text) after a header row; UTF-8 with a byte-order mark, so Excel shows Chinese correctly. A
    text a spreadsheet would run as a formula starts with ``'`` (scripts wanting raw text use the
    JSON)."""
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    stack = [(team, team["name"]) for team in reversed(teams)]
    while stack:
        team, path = stack.pop()
        for role in team["roles"]:
            for duty in role["duties"]:
                writer.writerow((path, team["slug"], role["slug"], role["title"], duty["position"], duty["text"]))
        stack.extend((child, f"{path}{CSV_PATH_SEPARATOR}{child['name']}") for child in reversed(team["children"]))
    return out.getvalue().encode("utf-8-sig")
