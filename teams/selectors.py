"""Reads about teams that the admin, the API and the pages share.

``TeamTree`` is the one way to walk the team tree. It reads (id, parent id) of every team in
one query and answers children, subtrees, ancestors and depth from memory. Every walk keeps a
visited set and stops at ``TeamTree.MAX_DEPTH`` levels, so even a cycle forced into the
database (the services refuse to make one) cannot make a page loop forever: the teams of a
cycle are simply not below any top-level team, and a walk that starts inside one visits each
team once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from teams.models import Team


class TeamTree:
    """The team tree (or its non-archived part) in memory, from one query."""

    #: No walk goes deeper than this, whatever the data says (a real tree is far shallower).
    MAX_DEPTH = 10_000

    def __init__(self, rows: Iterable[tuple[int, int | None]], *, values: dict[int, dict[str, Any]] | None = None):
        """``rows`` are (team id, parent id) pairs in sibling order; ``values`` optionally
        holds more fields of each team (see ``load``)."""
        self._parent: dict[int, int | None] = {}
        self._children: dict[int | None, list[int]] = {}
        self._values = values or {}
        for team_id, parent_id in rows:
            if team_id in self._parent:
                continue
            self._parent[team_id] = parent_id
            self._children.setdefault(parent_id, []).append(team_id)

    @classmethod
    def load(cls, *, include_archived: bool = True, fields: Sequence[str] = ()) -> TeamTree:
        """The tree from the database, in one query. Without archived teams, the teams below
        an archived one are not reachable from the top either (they are hidden with it).
        ``fields`` (e.g. ``("slug", "name")``) are loaded too, for ``values``."""
        qs = Team.objects.all()
        if not include_archived:
            qs = qs.filter(archived=False)
        rows = list(qs.order_by("position", "name", "id").values("id", "parent_id", *fields))
        return cls(((r["id"], r["parent_id"]) for r in rows), values={r["id"]: r for r in rows} if fields else None)

    def values(self, team_id: int) -> dict[str, Any]:
        """The fields ``load`` was asked for (with ``id`` and ``parent_id``), or ``{}``."""
        return self._values.get(team_id, {})

    def __contains__(self, team_id: object) -> bool:
        return team_id in self._parent

    def __len__(self) -> int:
        return len(self._parent)

    def ids(self) -> list[int]:
        return list(self._parent)

    def parent(self, team_id: int) -> int | None:
        """The parent's id; ``None`` for a top-level team, an unknown one, or one whose parent
        is not in this tree (e.g. archived)."""
        parent_id = self._parent.get(team_id)
        return parent_id if parent_id in self._parent else None

    def roots(self) -> list[int]:
        """The top-level teams, in order."""
        return list(self._children.get(None, ()))

    def children(self, team_id: int | None) -> list[int]:
        """The direct sub-teams of ``team_id`` (``None``: the top-level teams), in order."""
        return list(self._children.get(team_id, ()))

    def child_count(self, team_id: int) -> int:
        return len(self._children.get(team_id, ()))

    def walk(self, root_ids: Iterable[int] | None = None, *, max_depth: int | None = None) -> list[tuple[int, int]]:
        """(team id, level below its root) of ``root_ids`` (default: the top-level teams) and
        everything below them, depth first in sibling order, each team once; ``max_depth``
        limits the levels below the roots (0: the roots only)."""
        roots = self.roots() if root_ids is None else [r for r in root_ids if r in self._parent]
        limit = self.MAX_DEPTH if max_depth is None else min(max_depth, self.MAX_DEPTH)
        seen: set[int] = set()
        ordered: list[tuple[int, int]] = []
        stack = [(team_id, 0) for team_id in reversed(roots)]
        while stack:
            team_id, level = stack.pop()
            if team_id in seen:
                continue
            seen.add(team_id)
            ordered.append((team_id, level))
            if level < limit:
                stack.extend((child, level + 1) for child in reversed(self._children.get(team_id, ())))
        return ordered

    def subtree_ids(self, root_ids: Iterable[int]) -> set[int]:
        """The given teams and every team below them."""
        roots = list(root_ids)
        return set(roots) | {team_id for team_id, _level in self.walk(roots)}

    def ancestors(self, team_id: int) -> list[int]:
        """Ids of the teams above ``team_id``, from the top-level team down (empty for a
        top-level team). On a cycle, it stops before repeating a team."""
        path: list[int] = []
        seen = {team_id}
        current = self.parent(team_id)
        while current is not None and current not in seen and len(path) < self.MAX_DEPTH:
            seen.add(current)
            path.append(current)
            current = self.parent(current)
        path.reverse()
        return path

    def is_at_or_above(self, upper_id: int, team_id: int) -> bool:
        """Whether ``upper_id`` is ``team_id`` or one of the teams above it. Unlike the walks,
        this follows parent links without a depth bound (the visited set alone ends it), so
        the cycle check holds however deep the data."""
        seen: set[int] = set()
        current: int | None = team_id
        while current is not None and current in self._parent and current not in seen:
            if current == upper_id:
                return True
            seen.add(current)
            current = self._parent[current]
        return False

    def height(self, team_id: int) -> int:
        """Levels below ``team_id`` (0 for a team without sub-teams), up to ``MAX_DEPTH``."""
        return max((level for _team, level in self.walk([team_id])), default=0)

    def path(self, team_id: int) -> list[int]:
        """Ids from the top-level team down to ``team_id`` itself."""
        return [*self.ancestors(team_id), team_id]

    def depth(self, team_id: int) -> int:
        """0 for a top-level team, 1 for its sub-teams, ..."""
        return len(self.ancestors(team_id))

    def cycles(self) -> list[list[int]]:
        """Each cycle of parent links (which the services never make, but raw SQL could), as
        the ids on it, starting at its smallest id."""
        found: list[list[int]] = []
        state: dict[int, int] = {}  # 1: on the current chain, 2: done
        for start in sorted(self._parent):
            chain: list[int] = []
            current: int | None = start
            while current is not None and current in self._parent and current not in state:
                state[current] = 1
                chain.append(current)
                current = self._parent[current]
            if current is not None and state.get(current) == 1:
                cycle = chain[chain.index(current) :]
                low = cycle.index(min(cycle))
                found.append(cycle[low:] + cycle[:low])
            for team_id in chain:
                state[team_id] = 2
        return found


def team_children_map(*, include_archived: bool = True) -> dict[int | None, list[int]]:
    """parent id → child ids, from one query (kept for callers that want a plain map)."""
    tree = TeamTree.load(include_archived=include_archived)
    result: dict[int | None, list[int]] = {None: tree.roots()}
    for team_id in tree.ids():
        if kids := tree.children(team_id):
            result[team_id] = kids
    return result


def team_subtree_ids(root_ids: Iterable[int], *, tree: TeamTree | None = None) -> set[int]:
    """The given teams and every team below them (one query unless ``tree`` is given)."""
    roots = list(root_ids)
    if not roots:
        return set()
    return (tree or TeamTree.load()).subtree_ids(roots)


@dataclass(frozen=True)
class OrgProblem:
    """One structural problem of the organisation, as ``check_org`` reports it."""

    kind: str  # "cycle", "under_archived", "lead_without_permission", "permission_without_lead"
    team_id: int
    user_id: int | None = None
    detail: str = ""


def org_structure_problems() -> list[OrgProblem]:
    """Everything the services never leave behind but raw SQL, an old bug or a restore could:
    cycles of parent links, active teams under an archived one, leads without their lead
    permission, lead permissions without a lead membership. Four queries."""
    from django.db.models import Exists, OuterRef

    from teams.models import Membership, TeamUserObjectPermission
    from teams.permissions import TeamPermissions

    problems: list[OrgProblem] = []
    tree = TeamTree.load(fields=("slug", "archived"))
    for cycle in tree.cycles():
        slugs = " under ".join(tree.values(pk)["slug"] for pk in [*cycle, cycle[0]])
        problems.append(OrgProblem("cycle", cycle[0], detail=slugs))
    for team_id in tree.ids():
        parent_id = tree.parent(team_id)
        if parent_id is not None and tree.values(parent_id)["archived"] and not tree.values(team_id)["archived"]:
            problems.append(
                OrgProblem(
                    "under_archived",
                    team_id,
                    detail=f"{tree.values(team_id)['slug']} under archived {tree.values(parent_id)['slug']}",
                )
            )
    lead_perms = TeamUserObjectPermission.objects.filter(permission__codename=TeamPermissions.LEAD_CODENAME)
    without_perm = Membership.objects.filter(is_lead=True).exclude(
        Exists(lead_perms.filter(user_id=OuterRef("user_id"), content_object_id=OuterRef("team_id")))
    )
    for team_id, user_id, username, slug in without_perm.order_by("pk").values_list(
        "team_id", "user_id", "user__username", "team__slug"
    ):
        problems.append(OrgProblem("lead_without_permission", team_id, user_id, f"{username} leads {slug}"))
    without_lead = lead_perms.exclude(
        Exists(
            Membership.objects.filter(is_lead=True, user_id=OuterRef("user_id"), team_id=OuterRef("content_object_id"))
        )
    )
    for team_id, user_id, username, slug in without_lead.order_by("pk").values_list(
        "content_object_id", "user_id", "user__username", "content_object__slug"
    ):
        problems.append(
            OrgProblem("permission_without_lead", team_id, user_id, f"{username} may lead {slug} without leading it")
        )
    return problems
