"""Differences between two duty lists, for revision history in the admin, the API and pages."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any


def _position(item: dict[str, Any] | None, index: int | None) -> int | None:
    if item is None:
        return None
    return item.get("position") or index


def _entry(op: str, o: dict[str, Any] | None = None, n: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "op": op,
        "old_position": o["position"] if o else None,
        "new_position": n["position"] if n else None,
        "old_text": o["text"] if o else None,
        "new_text": n["text"] if n else None,
        "old_serves": o.get("serves") if o else None,
        "new_serves": n.get("serves") if n else None,
    }


def duty_list_diff(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line up two duty lists (snapshots or proposals: dicts with ``text``, ``serves``, ``id``
    and optionally ``position``) and say, for each duty, whether it is unchanged, added,
    removed, changed (reworded, or its ``serves`` link changed; wherever it moved) or moved.

    Duties are paired by identity (their ``id``): a duty reworded and moved is one change, not
    a removal and an addition. Items without an id are paired with a duty of exactly the same
    text; when a list has no ids at all (old snapshots) duties are paired by text and position.

    Returns items ``{"op", "old_position", "new_position", "old_text", "new_text",
    "old_serves", "new_serves"}`` in the order of the new list, removed ones where they were.
    """
    old = [{**d, "position": _position(d, i)} for i, d in enumerate(old, start=1)]
    new = [{**d, "position": _position(d, i)} for i, d in enumerate(new, start=1)]
    if not any(d.get("id") is not None for d in old) or not any(d.get("id") is not None for d in new):
        # One side has no ids (a snapshot from before they were recorded): nothing to pair on.
        return _diff_by_text(old, new)
    # Pair by id, then the rest by exact text.
    pair_of_new: dict[int, int] = {}  # index in new -> index in old
    old_index_by_id = {d["id"]: i for i, d in enumerate(old) if d.get("id") is not None}
    for j, n in enumerate(new):
        i = old_index_by_id.get(n.get("id")) if n.get("id") is not None else None
        if i is not None and i not in pair_of_new.values():
            pair_of_new[j] = i
    paired_old = set(pair_of_new.values())
    unpaired_old_by_text: dict[str, list[int]] = {}
    for i, o in enumerate(old):
        if i not in paired_old:
            unpaired_old_by_text.setdefault(o["text"], []).append(i)
    for j, n in enumerate(new):
        if j not in pair_of_new and unpaired_old_by_text.get(n["text"]):
            pair_of_new[j] = unpaired_old_by_text[n["text"]].pop(0)
    paired_old = set(pair_of_new.values())

    # The longest run of paired duties in the same relative order stays in place; the others moved.
    new_paired = [j for j in range(len(new)) if j in pair_of_new]
    old_sequence = sorted(paired_old)
    matcher = SequenceMatcher(a=old_sequence, b=[pair_of_new[j] for j in new_paired], autojunk=False)
    in_place = {new_paired[block.b + k] for block in matcher.get_matching_blocks() for k in range(block.size)}

    # Removed duties go right after the duty that preceded them in the old list.
    removed_after: dict[int | None, list[dict[str, Any]]] = {}
    anchor: int | None = None
    for i, o in enumerate(old):
        if i in paired_old:
            anchor = i
        else:
            removed_after.setdefault(anchor, []).append(_entry("removed", o, None))
    result = list(removed_after.get(None, []))
    for j, n in enumerate(new):
        if j not in pair_of_new:
            result.append(_entry("added", None, n))
            continue
        o = old[pair_of_new[j]]
        same = o["text"] == n["text"] and o.get("serves") == n.get("serves")
        result.append(_entry("changed" if not same else ("unchanged" if j in in_place else "moved"), o, n))
        result.extend(removed_after.get(pair_of_new[j], []))
    return result


def _diff_by_text(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """For lists without duty ids (snapshots written before they carried ids): pair duties by
    text, and reworded ones by position within a changed stretch."""
    old_texts = [d["text"] for d in old]
    new_texts = [d["text"] for d in new]
    result: list[dict[str, Any]] = []
    removed_texts = {t for t in old_texts if t not in new_texts}
    added_texts = {t for t in new_texts if t not in old_texts}
    old_pos = {d["text"]: i for i, d in enumerate(old)}

    matcher = SequenceMatcher(a=old_texts, b=new_texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for o, n in zip(old[i1:i2], new[j1:j2], strict=True):
                same_link = o.get("serves") == n.get("serves")
                result.append(_entry("unchanged" if same_link else "changed", o, n))
            continue
        olds = list(old[i1:i2])
        news = list(new[j1:j2])
        # Pair genuinely reworded duties (removed here, added here) position by position.
        reworded_old = [o for o in olds if o["text"] in removed_texts]
        reworded_new = [n for n in news if n["text"] in added_texts]
        pairs = dict(zip([id(n) for n in reworded_new], reworded_old, strict=False))
        paired_old = {id(o) for o in pairs.values()}
        for o in olds:
            if o["text"] in removed_texts and id(o) not in paired_old:
                result.append(_entry("removed", o, None))
        for n in news:
            if id(n) in pairs:
                result.append(_entry("changed", pairs[id(n)], n))
            elif n["text"] in added_texts:
                result.append(_entry("added", None, n))
            else:
                result.append(_entry("moved", old[old_pos[n["text"]]], n))
    return result


def duty_list_diff_summary(diff: Sequence[dict[str, Any]]) -> dict[str, int]:
    summary = {"added": 0, "removed": 0, "changed": 0, "moved": 0, "unchanged": 0}
    for entry in diff:
        summary[entry["op"]] += 1
    return summary
