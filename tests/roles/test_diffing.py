"""Comparisons shown to people pair duties by identity (roles.diffing)."""

from roles.diffing import duty_list_diff, duty_list_diff_summary


def snap(*items):
    return [{"id": i, "position": n, "text": t, "serves": None} for n, (i, t) in enumerate(items, start=1)]


def ops(diff):
    return [(e["op"], e["old_text"], e["new_text"]) for e in diff]


def test_a_duty_reworded_and_moved_is_one_change():
    old = snap((1, "A"), (2, "B"), (3, "C"))
    new = snap((2, "B"), (3, "C"), (1, "A, reworded"))
    diff = duty_list_diff(old, new)
    assert ops(diff) == [("unchanged", "B", "B"), ("unchanged", "C", "C"), ("changed", "A", "A, reworded")]
    assert (diff[2]["old_position"], diff[2]["new_position"]) == (1, 3)
    assert duty_list_diff_summary(diff) == {"added": 0, "removed": 0, "changed": 1, "moved": 0, "unchanged": 2}


def test_rewording_in_place_is_not_a_removal_and_an_addition():
    old = snap((1, "A"), (2, "B"))
    new = snap((1, "Completely different"), (2, "B"))
    assert ops(duty_list_diff(old, new)) == [("changed", "A", "Completely different"), ("unchanged", "B", "B")]


def test_moves_additions_and_removals_by_identity():
    old = snap((1, "A"), (2, "B"), (3, "C"), (4, "D"))
    new = snap((4, "D"), (1, "A"), (9, "New"), (3, "C"))
    assert ops(duty_list_diff(old, new)) == [
        ("moved", "D", "D"),
        ("unchanged", "A", "A"),
        ("removed", "B", None),
        ("added", None, "New"),
        ("unchanged", "C", "C"),
    ]


def test_proposals_without_ids_for_new_duties_and_a_replaced_text_with_a_new_id():
    old = snap((1, "A"), (2, "B"))
    new = [{"id": 1, "text": "A"}, {"id": None, "text": "B"}, {"id": None, "text": "New"}]
    assert ops(duty_list_diff(old, new)) == [
        ("unchanged", "A", "A"),
        ("unchanged", "B", "B"),
        ("added", None, "New"),
    ]


def test_old_snapshots_without_ids_still_compare_by_text():
    old = [{"position": 1, "text": "A"}, {"position": 2, "text": "B"}]
    new = [{"position": 1, "text": "B"}, {"position": 2, "text": "A2"}]
    assert (
        duty_list_diff_summary(duty_list_diff(old, new))["removed"]
        + duty_list_diff_summary(duty_list_diff(old, new))["changed"]
        >= 1
    )


def test_history_page_and_admin_show_a_reworded_and_moved_duty_as_one_change(client, hr):
    from django.urls import reverse

    from roles.services import role_duties_replace
    from tests.factories import role_with_duties

    role = role_with_duties("Alpha duty", "Beta duty", "Gamma duty")
    alpha = role.duties.get(text="Alpha duty")
    role_duties_replace(
        role=role,
        duties=[{"text": "Beta duty"}, {"text": "Gamma duty"}, {"id": alpha.pk, "text": "Alpha duty, reworded"}],
        expected_version=1,
        acting_user=hr,
    )
    client.force_login(hr)
    history = client.get(f"/roles/{role.pk}/history/").content.decode()
    assert "0 added, 0 removed, 1 changed, 0 moved" in history
    revision = role.revisions.get(number=2)
    admin_page = client.get(reverse("admin:roles_rolerevision_change", args=[revision.pk])).content.decode()
    assert admin_page.count('class="duty-diff-changed"') == 1
    assert 'class="duty-diff-removed"' not in admin_page and 'class="duty-diff-added"' not in admin_page


def test_a_reworded_duty_against_a_snapshot_without_ids_is_one_change():
    # the first revision after duties carried ids, compared with an older snapshot without any
    old = [{"text": "Write the PRD"}, {"text": "Coordinate launches"}, {"text": "Monitor metrics"}]
    new = [
        {"id": 1, "text": "Write the PRD"},
        {"id": 2, "text": "Coordinate all launches"},
        {"id": 3, "text": "Monitor metrics"},
    ]
    ops = [(d["op"], d["old_text"], d["new_text"]) for d in duty_list_diff(old, new)]
    assert ops == [
        ("unchanged", "Write the PRD", "Write the PRD"),
        ("changed", "Coordinate launches", "Coordinate all launches"),
        ("unchanged", "Monitor metrics", "Monitor metrics"),
    ]
