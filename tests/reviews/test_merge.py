"""A stale decision never reverts anyone's work: reviews and suggestions approved onto the
current list are merged three ways on duty identity; conflicts apply nothing."""

import pytest
from django.core.exceptions import ValidationError

from orgstructure.exceptions import ConflictError, MergeConflict, StaleVersionError
from reviews import services
from reviews.models import ReviewState, SuggestionState
from roles.models import RevisionSource, RoleRevision
from tests.reviews.conftest import duties_of, hr_edits, review_of, revise_list, submit_revise
from tests.reviews.conftest import pm_duty_ids as ids


def test_stale_approval_onto_current_keeps_hr_changes_made_since(cycle, org):
    # given the lead rewords "Monitor metrics" (base: version 1)
    i = ids(org)
    review = submit_revise(
        cycle,
        org,
        [
            {"id": i["Write the PRD"], "text": "Write the PRD"},
            {"id": i["Coordinate launches"], "text": "Coordinate launches"},
            {"id": i["Monitor metrics"], "text": "Monitor metrics weekly"},
        ],
    )
    # and HR meanwhile rewords another duty and adds one
    hr_edits(
        org,
        {"id": i["Write the PRD"], "text": "Write the PRD with design"},
        "Coordinate launches",
        "Monitor metrics",
        "Hire",
    )
    # when HR approves onto the current list
    services.role_review_approve(review=review, acting_user=org.hr, onto_current=True)
    # then both sides' changes are there, in one revision linked to the review
    assert duties_of(org.pm) == ["Write the PRD with design", "Coordinate launches", "Monitor metrics weekly", "Hire"]
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.applied_revision.number == 3
    assert review.applied_revision.source == RevisionSource.REVIEW
    assert RoleRevision.objects.filter(role=org.pm).count() == 3
    assert ids(org)["Monitor metrics weekly"] == i["Monitor metrics"]  # the same duty, reworded


def test_conflicting_stale_approval_applies_nothing_until_resolved(cycle, org):
    i = ids(org)
    review = submit_revise(
        cycle,
        org,
        [
            {"id": i["Write the PRD"], "text": "Write the spec"},
            {"id": i["Monitor metrics"], "text": "Monitor metrics"},
        ],  # rewords the PRD duty, removes "Coordinate launches"
    )
    hr_edits(
        org,
        {"id": i["Write the PRD"], "text": "Write the PRD and roadmap"},
        {"id": i["Coordinate launches"], "text": "Coordinate launches with marketing"},
        "Monitor metrics",
    )
    before = duties_of(org.pm)
    with pytest.raises(MergeConflict) as excinfo:
        services.role_review_approve(review=review, acting_user=org.hr, onto_current=True)
    conflicts = {c.key: c for c in excinfo.value.conflicts}
    assert set(conflicts) == {str(i["Write the PRD"]), str(i["Coordinate launches"])}
    prd = conflicts[str(i["Write the PRD"])]
    assert (prd.base["text"], prd.current["text"], prd.proposed["text"]) == (
        "Write the PRD",
        "Write the PRD and roadmap",
        "Write the spec",
    )
    assert conflicts[str(i["Coordinate launches"])].proposed is None
    assert excinfo.value.code == "merge_conflict" and isinstance(excinfo.value, ConflictError)
    # nothing applied
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED and duties_of(org.pm) == before
    assert RoleRevision.objects.filter(role=org.pm).count() == 2

    # HR resolves: their own text for the PRD duty, the lead's removal of the other
    services.role_review_approve(
        review=review,
        acting_user=org.hr,
        onto_current=True,
        expected_version=2,
        resolutions={
            str(i["Write the PRD"]): {"take": "text", "text": "Write the spec and roadmap"},
            str(i["Coordinate launches"]): {"take": "proposed"},
        },
    )
    assert duties_of(org.pm) == ["Write the spec and roadmap", "Monitor metrics"]
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.applied_revision.number == 3


def test_resolutions_against_an_older_version_are_refused(cycle, org):
    i = ids(org)
    review = submit_revise(cycle, org, [{"id": i["Write the PRD"], "text": "Spec"}])
    hr_edits(org, {"id": i["Write the PRD"], "text": "PRD v2"}, "Coordinate launches", "Monitor metrics")
    hr_edits(org, "PRD v2", "Coordinate launches", "Monitor metrics", "Another")
    with pytest.raises(StaleVersionError):
        services.role_review_approve(
            review=review,
            acting_user=org.hr,
            onto_current=True,
            expected_version=2,
            resolutions={str(i["Write the PRD"]): {"take": "proposed"}},
        )
    assert review_of(cycle, org.pm).state == ReviewState.SUBMITTED


def test_a_fresh_approval_applies_the_proposal_as_it_is(cycle, org):
    review = submit_revise(cycle, org, revise_list(org.pm, "Monitor metrics", "Write the PRD"))
    services.role_review_approve(review=review, acting_user=org.hr)
    assert duties_of(org.pm) == ["Monitor metrics", "Write the PRD"]


def test_submitted_proposals_record_the_ids_of_the_duties_they_keep(cycle, org):
    i = ids(org)
    # a script sends no ids: the duties with the same text are the ones it keeps
    review = submit_revise(cycle, org, [{"text": "Monitor metrics"}, {"text": "New duty"}])
    review.refresh_from_db()
    assert review.proposed_duties == [
        {"id": i["Monitor metrics"], "text": "Monitor metrics", "serves": None},
        {"id": None, "text": "New duty", "serves": None},
    ]


def test_keep_with_an_edited_list_is_refused_and_changes_nothing(cycle, org):
    review = review_of(cycle, org.pm)
    edited = [{"text": "Write the PRD!"}, {"text": "Coordinate launches"}, {"text": "Monitor metrics"}]
    with pytest.raises(ValidationError) as excinfo:
        services.role_review_submit(review=review, outcome="keep", duties=edited, acting_user=org.lead)
    assert excinfo.value.message_dict == {"duties": ["You edited the list: choose Revise, or undo the edits."]}
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING
    # the unchanged list (or none at all) is a keep
    same = [{"text": t} for t in duties_of(org.pm)]
    services.role_review_submit(review=review, outcome="keep", duties=same, acting_user=org.lead)
    assert review_of(cycle, org.pm).state == ReviewState.SUBMITTED


# --- suggestions ---------------------------------------------------------------------------


def suggest(org, kind, duty_text=None, **fields):
    duty = org.pm.duties.get(text=duty_text) if duty_text else None
    return services.suggestion_create(
        role=org.pm, kind=kind, duty=duty, rationale="because", acting_user=org.member, **fields
    )


def test_a_change_suggestion_on_a_duty_hr_reworded_since_is_a_conflict_not_an_overwrite(org):
    i = ids(org)
    suggestion = suggest(org, "change", "Write the PRD", proposed_text="Write the spec")
    hr_edits(
        org, {"id": i["Write the PRD"], "text": "Write the PRD with design"}, "Coordinate launches", "Monitor metrics"
    )
    with pytest.raises(MergeConflict) as excinfo:
        services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    (conflict,) = excinfo.value.conflicts
    assert conflict.current["text"] == "Write the PRD with design" and conflict.proposed["text"] == "Write the spec"
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.OPEN and duties_of(org.pm)[0] == "Write the PRD with design"
    services.suggestion_accept(
        suggestion=suggestion,
        acting_user=org.hr,
        onto_current=True,
        expected_version=2,
        resolutions={conflict.key: {"take": "proposed"}},
    )
    assert duties_of(org.pm)[0] == "Write the spec"


def test_a_remove_suggestion_on_a_duty_hr_reworded_since_is_a_conflict(org):
    i = ids(org)
    suggestion = suggest(org, "remove", "Coordinate launches")
    hr_edits(
        org, "Write the PRD", {"id": i["Coordinate launches"], "text": "Coordinate all launches"}, "Monitor metrics"
    )
    with pytest.raises(MergeConflict):
        services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    assert "Coordinate all launches" in duties_of(org.pm)


def test_a_change_suggestion_merges_with_changes_to_other_duties(org):
    i = ids(org)
    suggestion = suggest(org, "change", "Write the PRD", proposed_text="Write the spec")
    hr_edits(org, "Write the PRD", {"id": i["Monitor metrics"], "text": "Monitor metrics daily"}, "Coordinate launches")
    services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    assert duties_of(org.pm) == ["Write the spec", "Monitor metrics daily", "Coordinate launches"]


def test_add_and_reorder_suggestions_merge_with_changes_since(org):
    add = suggest(org, "add", proposed_text="Talk to customers", proposed_position=2)
    move = suggest(org, "reorder", "Monitor metrics", proposed_position=1)
    hr_edits(org, "Write the PRD", "Coordinate launches", "Monitor metrics", "Hire")
    services.suggestion_accept(suggestion=add, acting_user=org.hr, onto_current=True)
    assert duties_of(org.pm) == ["Write the PRD", "Talk to customers", "Coordinate launches", "Monitor metrics", "Hire"]
    services.suggestion_accept(suggestion=move, acting_user=org.hr, onto_current=True)
    assert duties_of(org.pm)[0] == "Monitor metrics" and "Hire" in duties_of(org.pm)
