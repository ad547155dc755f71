"""Three-way merge of duty lists on duty identity, as version control merges lines.

A change made from an older version of a role's list (a stale review decision, a suggestion,
later an import row or a scenario change) is not applied over the current list as it stands:
it is merged with what happened since. ``duty_lists_merge(base=..., current=..., proposed=...)``
compares the three lists duty by duty:

- a duty changed (text or ``serves``) or removed on one side only takes that side's change;
  one side's new text and the other's new ``serves`` link combine;
- a duty added on either side is kept;
- a duty changed differently on both sides, or changed on one side and removed on the other,
  is a ``DutyConflict``: nothing is decided for it until a person chooses (``resolutions``);
- so is a duty the proposal gives the text of another duty of the merged list (``DUPLICATE``).

Identity: items are dicts ``{"id", "text", "serves"}`` (``position`` is ignored: the order of
the list is the order). Duties keep their id across revisions (``role_duties_replace``). A
proposed item without an id is the base duty with exactly the same text, if any (scripts and
old proposals may not send ids); otherwise it is new. Old snapshots without ids are paired
with the current duty of the same text.

Order of the merged list: if only the current side reordered the duties both sides kept, the
current order is the skeleton; otherwise (the proposal reordered, or nobody did) the
proposal's order is. The other side's duties that the skeleton lacks (additions, duties kept
by a resolution) are then put right after the duty that precedes them on their own side, so
they stay next to their neighbours (duties the merge dropped still count as neighbours);
those after all of that side's duties in the skeleton go last.

Pure functions, no database: used by ``reviews.services`` and meant for scenarios and imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

TAKE_CURRENT = "current"
TAKE_PROPOSED = "proposed"
TAKE_TEXT = "text"
TAKES = (TAKE_CURRENT, TAKE_PROPOSED, TAKE_TEXT)
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class DutyConflict:
    """A duty both sides touched in incompatible ways. ``key`` is the duty's id as a string
    (what resolutions are keyed by); ``current`` / ``proposed`` are ``None`` when that side
    removed the duty, ``base`` is ``None`` when both sides added it differently."""

    key: str
    base: dict[str, Any] | None
    current: dict[str, Any] | None
    proposed: dict[str, Any] | None
    #: ``DUPLICATE``: each side alone is fine, but the proposal gives the duty the text of
    #: another duty of the merged list (a role cannot list a duty twice).
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"base": self.base, "current": self.current, "proposed": self.proposed}


@dataclass
class MergeResult:
    duties: list[dict[str, Any]]
    conflicts: list[DutyConflict] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts


@dataclass(frozen=True)
class Resolution:
    """What a person chose for one conflicting duty: keep the current version, take the
    proposed one, or write the text (``serves`` as merged when only one side changed it, else
    the proposed side's, else the current)."""

    take: str
    text: str = ""


def _content(item: Mapping[str, Any] | None) -> tuple[str, int | None] | None:
    if item is None:
        return None
    return (item.get("text"), item.get("serves"))


def _view(item: Mapping[str, Any] | None, position: int | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"position": position, "text": item.get("text"), "serves": item.get("serves")}


def _keyed(items: Sequence[Mapping[str, Any]], known: dict[str, str], prefix: str) -> dict[str, Mapping[str, Any]]:
    """key → item, in order. ``known`` maps a text to the key of the base duty it belongs to
    (for items without an id); a text claims at most one item."""
    result: dict[str, Mapping[str, Any]] = {}
    claimed: set[str] = set()
    ids = {str(item["id"]) for item in items if item.get("id") is not None}
    for index, item in enumerate(items):
        if item.get("id") is not None:
            key = str(item["id"])
        else:
            key = known.get(item.get("text"))
            if key is None or key in claimed or key in ids or key in result:
                key = f"{prefix}{index}"
        claimed.add(key)
        result[key] = item
    return result


def _reordered(primary: Sequence[str], base_order: Sequence[str]) -> bool:
    base_set, primary_set = set(base_order), set(primary)
    return [k for k in primary if k in base_set] != [k for k in base_order if k in primary_set]


def _place(skeleton: list[str], side_order: Sequence[str], wanted: set[str]) -> list[str]:
    """Insert the keys of ``side_order`` that are ``wanted`` but missing from ``skeleton``
    right after their predecessor on that side (or at the start); those after the side's last
    duty in the skeleton go to the end."""
    result = list(skeleton)
    present = set(result)
    last = max((i for i, key in enumerate(side_order) if key in present), default=-1)
    cursor = 0
    for index, key in enumerate(side_order):
        if key in present:
            cursor = result.index(key) + 1
        elif key in wanted:
            if 0 <= last < index:
                result.append(key)
            else:
                result.insert(cursor, key)
                cursor += 1
    return result


def _field_merge(b, c, p) -> tuple[Any, bool]:
    if c == p or p == b:
        return c, True
    if c == b:
        return p, True
    return None, False


def _fields_merge(b, c, p) -> dict[str, Any] | None:
    """A duty both sides kept and changed in different fields (one the text, the other its
    ``serves`` link): both changes; ``None`` when a field was changed differently on both."""
    if b is None or c is None or p is None:
        return None
    text, text_ok = _field_merge(b.get("text"), c.get("text"), p.get("text"))
    serves, serves_ok = _field_merge(b.get("serves"), c.get("serves"), p.get("serves"))
    return {"text": text, "serves": serves} if text_ok and serves_ok else None


def _chosen(resolution: Resolution, b, c, p) -> Mapping[str, Any] | None:
    if resolution.take == TAKE_CURRENT:
        return c
    if resolution.take == TAKE_PROPOSED:
        return p
    source = p or c or b
    serves = source.get("serves")
    if b is not None and c is not None and p is not None:
        merged, ok = _field_merge(b.get("serves"), c.get("serves"), p.get("serves"))
        serves = merged if ok else serves  # a link changed on one side only is kept
    return {"text": resolution.text, "serves": serves}


def duty_lists_merge(
    *,
    base: Sequence[Mapping[str, Any]],
    current: Sequence[Mapping[str, Any]],
    proposed: Sequence[Mapping[str, Any]],
    resolutions: Mapping[str, Resolution | Mapping[str, Any]] | None = None,
) -> MergeResult:
    """Merge ``proposed`` (made from ``base``) into ``current`` on duty identity.

    Returns the merged list (items ``{"id", "text", "serves"}``, ``id`` ``None`` for a new
    duty) and the conflicts left unresolved. A conflict resolved in ``resolutions`` (duty key →
    ``Resolution`` or ``{"take", "text"}``) is merged as chosen; resolutions for duties that are
    not in conflict are ignored."""
    resolutions = {
        str(k): v if isinstance(v, Resolution) else Resolution(take=v.get("take") or "", text=v.get("text") or "")
        for k, v in (resolutions or {}).items()
        if isinstance(v, Resolution | Mapping)
    }

    # Base keys: ids, or for old snapshots without ids the current duty with the same text.
    current_by_text = {item.get("text"): str(item["id"]) for item in current if item.get("id") is not None}
    base_items: dict[str, Mapping[str, Any]] = {}
    for index, item in enumerate(base):
        key = str(item["id"]) if item.get("id") is not None else current_by_text.get(item.get("text"), f"b{index}")
        base_items.setdefault(key, item)
    base_by_text = {item.get("text"): key for key, item in base_items.items()}
    current_items = _keyed(current, base_by_text, "c")
    # A proposed new duty with the text of a duty the current side added is that duty.
    added_by_text = {item.get("text"): key for key, item in current_items.items() if key not in base_items}
    proposed_items = _keyed(proposed, {**added_by_text, **base_by_text}, "p")
    base_pos = {key: i for i, key in enumerate(base_items, start=1)}
    current_pos = {key: i for i, key in enumerate(current_items, start=1)}
    proposed_pos = {key: i for i, key in enumerate(proposed_items, start=1)}

    merged: dict[str, dict[str, Any]] = {}
    conflicts: list[DutyConflict] = []
    for key in dict.fromkeys([*base_items, *current_items, *proposed_items]):
        b, c, p = base_items.get(key), current_items.get(key), proposed_items.get(key)
        bc, cc, pc = _content(b), _content(c), _content(p)
        if cc == pc:
            chosen = c  # same on both sides (or removed on both)
        elif b is not None and cc == bc:
            chosen = p  # only the proposal changed (or removed) it
        elif b is not None and pc == bc:
            chosen = c  # only the current side changed (or removed) it
        elif b is None and (c is None or p is None):
            chosen = c if c is not None else p  # added on one side
        elif _fields_merge(b, c, p) is not None:
            chosen = _fields_merge(b, c, p)  # one side changed the text, the other the link
        else:
            resolution = resolutions.get(key)
            if resolution is None or resolution.take not in TAKES:
                conflicts.append(
                    DutyConflict(
                        key=key,
                        base=_view(b, base_pos.get(key)),
                        current=_view(c, current_pos.get(key)),
                        proposed=_view(p, proposed_pos.get(key)),
                    )
                )
                continue
            chosen = _chosen(resolution, b, c, p)
        if chosen is not None:
            ident = c.get("id") if c is not None else (p or {}).get("id")
            merged[key] = {"id": ident, "text": chosen.get("text"), "serves": chosen.get("serves")}

    # Two duties merged to the same text (the proposal rewords or adds a duty to the text the
    # current side gave another one): a conflict on the proposal's duty, unless a person chose.
    by_text: dict[str, list[str]] = {}
    for key, item in merged.items():
        if isinstance(item["text"], str):
            by_text.setdefault(" ".join(item["text"].split()).casefold(), []).append(key)
    for keys in by_text.values():
        if len(keys) < 2:
            continue
        for key in keys:
            b, c, p = base_items.get(key), current_items.get(key), proposed_items.get(key)
            if c is not None and c.get("text") == merged[key]["text"]:
                continue
            resolution = resolutions.get(key)
            if resolution is not None and resolution.take in TAKES:
                chosen = _chosen(resolution, b, c, p)
                if chosen is None:
                    del merged[key]
                else:
                    merged[key] = {**merged[key], "text": chosen.get("text"), "serves": chosen.get("serves")}
                continue  # a list still repeating a duty is refused, with its message, when applied
            conflicts.append(
                DutyConflict(
                    key=key,
                    base=_view(b, base_pos.get(key)),
                    current=_view(c, current_pos.get(key)),
                    proposed=_view(p, proposed_pos.get(key)),
                    reason=DUPLICATE,
                )
            )
            del merged[key]

    # Each side's whole order (with the duties that did not survive) anchors the other's.
    current_order, proposed_order, base_order = list(current_items), list(proposed_items), list(base_items)
    only_current_reordered = not _reordered([k for k in proposed_order if k in merged], base_order) and _reordered(
        [k for k in current_order if k in merged], base_order
    )
    if only_current_reordered:
        order = _place(current_order, proposed_order, set(merged))
    else:
        order = _place(proposed_order, current_order, set(merged))
    order = [key for key in order if key in merged]
    return MergeResult(duties=[merged[k] for k in order], conflicts=conflicts)
