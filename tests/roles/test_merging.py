"""The three-way merge of duty lists (roles.merging), without a database."""

from roles.merging import Resolution, duty_lists_merge


def d(ident, text, serves=None):
    return {"id": ident, "text": text, "serves": serves}


BASE = [d(1, "A"), d(2, "B"), d(3, "C")]


def texts(result):
    return [item["text"] for item in result.duties]


def test_changes_on_different_duties_combine():
    current = [d(1, "A by HR"), d(2, "B"), d(3, "C")]
    proposed = [d(1, "A"), d(2, "B"), d(3, "C by lead")]
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert result.clean
    assert result.duties == [d(1, "A by HR"), d(2, "B"), d(3, "C by lead")]


def test_additions_on_both_sides_are_kept_next_to_their_neighbours():
    current = [d(1, "A"), d(9, "HR added"), d(2, "B"), d(3, "C")]
    proposed = [d(1, "A"), d(2, "B"), d(None, "Lead added"), d(3, "C")]
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert result.clean
    assert texts(result) == ["A", "HR added", "B", "Lead added", "C"]
    assert result.duties[1]["id"] == 9 and result.duties[3]["id"] is None


def test_removal_on_one_side_of_an_untouched_duty_is_taken():
    current = [d(1, "A"), d(3, "C")]  # HR removed B
    proposed = [d(1, "A"), d(2, "B"), d(3, "C"), d(None, "D")]
    assert texts(duty_lists_merge(base=BASE, current=current, proposed=proposed)) == ["A", "C", "D"]
    proposed = [d(2, "B"), d(3, "C")]  # the lead removed A
    assert texts(duty_lists_merge(base=BASE, current=BASE, proposed=proposed)) == ["B", "C"]


def test_the_same_change_on_both_sides_is_no_conflict():
    both = [d(1, "A2"), d(3, "C")]
    result = duty_lists_merge(base=BASE, current=both, proposed=both)
    assert result.clean and result.duties == both


def test_changed_differently_on_both_sides_is_a_conflict_and_nothing_is_decided_for_it():
    current = [d(1, "A by HR"), d(2, "B"), d(3, "C")]
    proposed = [d(1, "A by lead"), d(2, "B2"), d(3, "C")]
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert not result.clean
    (conflict,) = result.conflicts
    assert conflict.key == "1"
    assert conflict.as_dict() == {
        "base": {"position": 1, "text": "A", "serves": None},
        "current": {"position": 1, "text": "A by HR", "serves": None},
        "proposed": {"position": 1, "text": "A by lead", "serves": None},
    }


def test_changed_on_one_side_removed_on_the_other_is_a_conflict():
    current = [d(2, "B"), d(3, "C")]  # HR removed A
    proposed = [d(1, "A reworded"), d(2, "B"), d(3, "C")]
    (conflict,) = duty_lists_merge(base=BASE, current=current, proposed=proposed).conflicts
    assert conflict.current is None and conflict.proposed["text"] == "A reworded"
    current = [d(1, "A"), d(2, "B by HR"), d(3, "C")]
    proposed = [d(1, "A"), d(3, "C")]  # the lead removed B
    (conflict,) = duty_lists_merge(base=BASE, current=current, proposed=proposed).conflicts
    assert conflict.key == "2" and conflict.proposed is None and conflict.current["text"] == "B by HR"


def test_a_changed_serves_link_is_a_change():
    current = [d(1, "A", serves=7), d(2, "B"), d(3, "C")]
    proposed = [d(1, "A2", serves=8), d(2, "B"), d(3, "C")]
    assert len(duty_lists_merge(base=BASE, current=current, proposed=proposed).conflicts) == 1
    proposed = [d(1, "A"), d(2, "B"), d(3, "C")]
    assert duty_lists_merge(base=BASE, current=current, proposed=proposed).duties[0]["serves"] == 7


def test_resolutions_decide_each_conflict():
    current = [d(1, "A by HR"), d(2, "B by HR"), d(3, "C by HR")]
    proposed = [d(1, "A by lead"), d(2, "B by lead"), d(3, "C by lead")]
    result = duty_lists_merge(
        base=BASE,
        current=current,
        proposed=proposed,
        resolutions={
            "1": Resolution("current"),
            "2": {"take": "proposed"},
            "3": {"take": "text", "text": "C, agreed"},
            "99": {"take": "proposed"},  # not a conflict: ignored
        },
    )
    assert result.clean
    assert result.duties == [d(1, "A by HR"), d(2, "B by lead"), d(3, "C, agreed")]


def test_resolving_a_removal_conflict():
    current = [d(2, "B"), d(3, "C")]
    proposed = [d(1, "A reworded"), d(2, "B"), d(3, "C")]
    kept = duty_lists_merge(base=BASE, current=current, proposed=proposed, resolutions={"1": {"take": "proposed"}})
    assert texts(kept) == ["A reworded", "B", "C"]
    gone = duty_lists_merge(base=BASE, current=current, proposed=proposed, resolutions={"1": {"take": "current"}})
    assert texts(gone) == ["B", "C"]


def test_order_follows_the_proposal_when_it_reordered():
    current = [d(1, "A"), d(2, "B"), d(3, "C"), d(9, "D")]
    proposed = [d(3, "C"), d(1, "A"), d(2, "B")]
    assert texts(duty_lists_merge(base=BASE, current=current, proposed=proposed)) == ["C", "A", "B", "D"]


def test_order_follows_the_current_list_when_only_hr_reordered():
    current = [d(3, "C"), d(1, "A"), d(2, "B")]
    proposed = [d(1, "A"), d(2, "B reworded"), d(None, "New"), d(3, "C")]
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert texts(result) == ["C", "A", "B reworded", "New"]


def test_a_duty_reworded_and_moved_is_one_change():
    proposed = [d(3, "C"), d(1, "A reworded")]  # B removed, A reworded and moved to the end
    result = duty_lists_merge(base=BASE, current=BASE, proposed=proposed)
    assert result.duties == [d(3, "C"), d(1, "A reworded")]


def test_items_without_ids_are_the_base_duty_with_the_same_text():
    current = [d(1, "A"), d(2, "B by HR"), d(3, "C"), d(9, "HR added")]
    proposed = [{"text": "A"}, {"text": "B"}, {"text": "New"}]  # a script removed C
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert result.clean
    assert texts(result) == ["A", "B by HR", "New", "HR added"]


def test_old_snapshots_without_ids_pair_by_text():
    base = [{"text": "A"}, {"text": "B"}]
    current = [d(1, "A"), d(2, "B"), d(9, "HR added")]
    proposed = [d(1, "A"), d(2, "B changed")]
    result = duty_lists_merge(base=base, current=current, proposed=proposed)
    assert result.clean and texts(result) == ["A", "B changed", "HR added"]


def test_the_same_duty_added_on_both_sides_is_kept_once():
    current = [*BASE, d(9, "Same")]
    proposed = [*BASE, {"text": "Same"}]
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert result.clean and texts(result) == ["A", "B", "C", "Same"] and result.duties[-1]["id"] == 9


def test_a_duty_added_after_duties_the_other_side_removed_stays_after_the_others():
    proposed = [*BASE, {"text": "New at the end"}]
    current = [d(9, "Only")]  # HR replaced everything
    result = duty_lists_merge(base=BASE, current=current, proposed=proposed)
    assert result.clean and texts(result) == ["Only", "New at the end"]


def test_a_text_change_and_a_serves_change_of_the_same_duty_combine():
    # HR linked the duty to a core duty; the proposal rewords it: both are kept, no conflict
    base = [{"id": 1, "text": "Write the PRD", "serves": None}, {"id": 2, "text": "Ship", "serves": None}]
    current = [{"id": 1, "text": "Write the PRD", "serves": 7}, {"id": 2, "text": "Ship", "serves": None}]
    proposed = [{"id": 1, "text": "Write the spec", "serves": None}, {"id": 2, "text": "Ship", "serves": None}]
    for one, other in ((current, proposed), (proposed, current)):
        result = duty_lists_merge(base=base, current=one, proposed=other)
        assert result.clean
        assert result.duties[0] == {"id": 1, "text": "Write the spec", "serves": 7}


def test_own_text_for_a_conflict_keeps_the_serves_link_hr_set_since():
    base = [{"id": 1, "text": "Write the PRD", "serves": None}]
    current = [{"id": 1, "text": "Write the PRD and roadmap", "serves": 7}]
    proposed = [{"id": 1, "text": "Write the spec", "serves": None}]
    result = duty_lists_merge(base=base, current=current, proposed=proposed)
    assert len(result.conflicts) == 1
    resolved = duty_lists_merge(
        base=base, current=current, proposed=proposed, resolutions={"1": {"take": "text", "text": "Specs"}}
    )
    assert resolved.duties == [{"id": 1, "text": "Specs", "serves": 7}]
