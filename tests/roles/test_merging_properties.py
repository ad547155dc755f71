"""Properties of the three-way duty merge, for random lists (hypothesis): merging a side with
itself or with the base gives that side, changes on different duties both survive, and
conflicts do not depend on which side is called current."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roles.merging import duty_lists_merge

SERVES = st.sampled_from([None, 1, 2])


@st.composite
def base_lists(draw):
    n = draw(st.integers(min_value=0, max_value=8))
    return [{"id": i, "text": f"duty {i}", "serves": draw(SERVES)} for i in range(1, n + 1)]


@st.composite
def edited(draw, base, side, *, new_ids, touch=None, reorder=True):
    """A list derived from ``base``: each duty (of ``touch``, if given) kept, reworded,
    re-linked or removed; new duties added; maybe reordered. Texts are unique per side."""
    items = []
    for item in base:
        action = (
            draw(st.sampled_from(["keep", "text", "serves", "remove"]))
            if touch is None or item["id"] in touch
            else "keep"
        )
        if action == "keep":
            items.append(dict(item))
        elif action == "text":
            items.append({**item, "text": f"{item['text']} ({side})"})
        elif action == "serves":
            items.append({**item, "serves": draw(SERVES.filter(lambda s, now=item["serves"]: s != now))})
    for index in range(draw(st.integers(min_value=0, max_value=3))):
        items.insert(
            draw(st.integers(min_value=0, max_value=len(items))),
            {"id": (100 + index) if new_ids else None, "text": f"new {side} {index}", "serves": draw(SERVES)},
        )
    if reorder and draw(st.booleans()):
        items = draw(st.permutations(items))
    return list(items)


def plain(items):
    return [(item["id"], item["text"], item["serves"]) for item in items]


PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(st.data())
def test_merging_the_current_list_with_itself_gives_the_current_list(data):
    base = data.draw(base_lists())
    current = data.draw(edited(base, "c", new_ids=True))
    result = duty_lists_merge(base=base, current=current, proposed=current)
    assert result.clean and plain(result.duties) == plain(current)


@PROFILE
@given(st.data())
def test_a_proposal_onto_an_unchanged_list_is_the_proposal(data):
    base = data.draw(base_lists())
    proposed = data.draw(edited(base, "p", new_ids=False))
    result = duty_lists_merge(base=base, current=base, proposed=proposed)
    assert result.clean and plain(result.duties) == plain(proposed)


@PROFILE
@given(st.data())
def test_changes_on_different_duties_both_survive(data):
    base = data.draw(base_lists())
    ids = [item["id"] for item in base]
    mine = set(data.draw(st.sets(st.sampled_from(ids))) if ids else set())
    current = data.draw(edited(base, "c", new_ids=True, touch=mine, reorder=False))
    proposed = data.draw(edited(base, "p", new_ids=False, touch=set(ids) - mine, reorder=False))
    result = duty_lists_merge(base=base, current=current, proposed=proposed)
    assert result.clean
    merged = {(item["text"], item["serves"]) for item in result.duties}
    by_id = {item["id"]: item for item in base}
    expected = set()
    for side, touched in ((current, mine), (proposed, set(ids) - mine)):
        for item in side:
            if item["id"] is None or item["id"] not in by_id or item["id"] in touched:
                expected.add((item["text"], item["serves"]))  # its own change, or its addition
    assert expected <= merged
    # nothing either side removed comes back
    removed = {i for i in ids if all(x["id"] != i for x in current) or all(x["id"] != i for x in proposed)}
    assert not removed & {item["id"] for item in result.duties}
    assert len(result.duties) == len({item["text"] for item in result.duties})


@PROFILE
@given(st.data())
def test_conflicts_are_symmetric(data):
    base = data.draw(base_lists())
    one = data.draw(edited(base, "c", new_ids=False))
    other = data.draw(edited(base, "p", new_ids=False))
    forward = duty_lists_merge(base=base, current=one, proposed=other)
    backward = duty_lists_merge(base=base, current=other, proposed=one)
    assert {c.key: (c.base, c.current, c.proposed) for c in forward.conflicts} == {
        c.key: (c.base, c.proposed, c.current) for c in backward.conflicts
    }
    assert {(d["text"], d["serves"]) for d in forward.duties} == {(d["text"], d["serves"]) for d in backward.duties}
