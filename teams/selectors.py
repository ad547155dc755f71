"""Reads about teams that the admin, the API and the pages share."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from teams.models import Team


def team_children_map(*, include_archived: bool = True) -> dict[int | None, list[int]]:
    """parent id → child ids, from one query over (id, parent_id)."""
    qs = Team.objects.all()
    if not include_archived:
        qs = qs.filter(archived=False)
    children: dict[int | None, list[int]] = defaultdict(list)
    for team_id, parent_id in qs.order_by("position", "name").values_list("id", "parent_id"):
        children[parent_id].append(team_id)
    return children


def team_subtree_ids(root_ids: Iterable[int], *, children: dict[int | None, list[int]] | None = None) -> set[int]:
    """The given teams and every team below them (one query unless ``children`` is given)."""
    roots = list(root_ids)
    if not roots:
        return set()
    if children is None:
        children = team_children_map()
    seen: set[int] = set()
    stack = roots[:]
    while stack:
        team_id = stack.pop()
        if team_id in seen:
            continue
        seen.add(team_id)
        stack.extend(children.get(team_id, ()))
    return seen
