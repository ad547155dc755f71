"""Differences between two duty lists, for revision history in the admin, the API and pages."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher
from typing import Any


def duty_list_diff(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line up two duty lists (snapshots: dicts with ``text``, ``position``, ``serves``) and say,
    for each duty, whether it is unchanged, added, removed, changed (reworded in place) or
    moved (same text at another position). A changed ``serves`` link counts as a change.

    Returns items ``{"op", "old_position", "new_position", "old_text", "new_text",
    "old_serves", "new_serves"}`` in the order of the new list, removed ones where they were.
    """
    old_texts = [d["text"] for d in old]
    new_texts = [d["text"] for d in new]
    result: list[dict[str, Any]] = []
    removed_texts = {t for t in old_texts if t not in new_texts}
    added_texts = {t for t in new_texts if t not in old_texts}
    old_pos = {d["text"]: i for i, d in enumerate(old)}

    def item(op, o=None, n=None):
        return {
            "op": op,
            "old_position": o["position"] if o else None,
            "new_position": n["position"] if n else None,
            "old_text": o["text"] if o else None,
            "new_text": n["text"] if n else None,
            "old_serves": o.get("serves") if o else None,
            "new_serves": n.get("serves") if n else None,
        }

    matcher = SequenceMatcher(a=old_texts, b=new_texts, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for o, n in zip(old[i1:i2], new[j1:j2], strict=True):
                same_link = o.get("serves") == n.get("serves")
                result.append(item("unchanged" if same_link else "changed", o, n))
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
                result.append(item("removed", o, None))
        for n in news:
            if id(n) in pairs:
                result.append(item("changed", pairs[id(n)], n))
            elif n["text"] in added_texts:
                result.append(item("added", None, n))
            else:
                result.append(item("moved", old[old_pos[n["text"]]], n))
    return result


def duty_list_diff_summary(diff: Sequence[dict[str, Any]]) -> dict[str, int]:
    summary = {"added": 0, "removed": 0, "changed": 0, "moved": 0, "unchanged": 0}
    for entry in diff:
        summary[entry["op"]] += 1
    return summary
