"""A stale decision never reverts anyone's work, whatever the interleaving (PostgreSQL, threads
with their own connections, ``REPETITIONS`` times each). Stale decisions are merged three ways
under the role's row lock: changes to different duties both survive, every time; a conflict
applies nothing; a direct edit that lost the race is told (412), never silently overwritten."""

from __future__ import annotations

import datetime as dt

import pytest

from orgstructure.exceptions import MergeConflict, StaleVersionError
from reviews import services as review_services
from reviews.models import ReviewOutcome, ReviewState, RoleReview, SuggestionState
from roles.models import RoleRevision
from roles.services import role_duties_replace
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory, hr_manager, role_with_duties
from tests.racing import race
from tests.trust.figures import record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REPETITIONS = 100


def texts(role):
    return list(role.duties.order_by("position").values_list("text", flat=True))


@pytest.fixture
def world(db):
    hr = hr_manager()
    team = TeamFactory()
    member = UserFactory(username="member")
    membership_add(user=member, team=team, acting_user=None)
    cycle = review_services.review_cycle_create(
        name="Q", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), acting_user=hr
    )
    cycle = review_services.review_cycle_open(cycle=cycle, acting_user=hr)
    return hr, team, member, cycle


def stale_review(hr, team, cycle, i, changes):
    """A role A, B, C with a submitted review made at version 1 that rewords duties
    (``changes``: text → new text); then HR adds a duty, so the review is stale."""
    role = role_with_duties(f"A{i}", f"B{i}", f"C{i}", team=team, title=f"Role {i}")
    ids = dict(role.duties.values_list("text", "pk"))
    proposed = [{"id": pk, "text": changes.get(text, text), "serves": None} for text, pk in ids.items()]
    proposed.sort(key=lambda item: item["id"])
    review = RoleReview.objects.create(
        cycle=cycle,
        role=role,
        reviewer=hr,
        state=ReviewState.SUBMITTED,
        outcome=ReviewOutcome.REVISE,
        proposed_duties=proposed,
        base_version=1,
    )
    role_duties_replace(
        role=role,
        duties=[*role.duties.order_by("position"), {"text": f"Added by HR {i}"}],
        expected_version=1,
        acting_user=hr,
    )
    return role, review, ids


def test_two_stale_decisions_on_different_duties_both_survive_every_time(world):
    hr, team, member, cycle = world
    for i in range(REPETITIONS):
        role, review, ids = stale_review(hr, team, cycle, i, {f"B{i}": f"B{i} by the lead"})
        suggestion = review_services.suggestion_create(
            role=role,
            kind="change",
            duty=role.duties.get(pk=ids[f"A{i}"]),
            proposed_text=f"A{i} suggested",
            rationale="r",
            acting_user=member,
        )
        # the suggestion is stale too (made at version 2; the race makes it 3)
        approve, accept = race(
            lambda r=review: review_services.role_review_approve(review=r, acting_user=hr, onto_current=True),
            lambda s=suggestion: review_services.suggestion_accept(suggestion=s, acting_user=hr, onto_current=True),
        )
        assert approve[0] == "ok" and accept[0] == "ok", (approve, accept)
        assert texts(role) == [f"A{i} suggested", f"B{i} by the lead", f"C{i}", f"Added by HR {i}"], i
        assert RoleRevision.objects.filter(role=role).count() == 4  # v1, HR's, and one per decision
        review.refresh_from_db()
        suggestion.refresh_from_db()
        assert review.state == ReviewState.APPROVED and suggestion.state == SuggestionState.ACCEPTED
    record("merge races: two stale decisions, both kept", REPETITIONS)


def test_hr_editing_while_a_stale_approval_runs_never_loses_either_change(world):
    hr, team, _member, cycle = world
    outcomes = {"both merged": 0, "edit told 412": 0}
    for i in range(REPETITIONS):
        role, review, ids = stale_review(hr, team, cycle, i, {f"B{i}": f"B{i} by the lead"})

        def hr_edit(role=role, ids=ids, i=i):
            current = list(role.duties.order_by("position").values("id", "text"))
            edited = [{**d, "text": f"A{i} by HR"} if d["id"] == ids[f"A{i}"] else d for d in current]
            return role_duties_replace(role=role, duties=edited, expected_version=2, acting_user=hr)

        approve, edit = race(
            lambda r=review: review_services.role_review_approve(review=r, acting_user=hr, onto_current=True),
            hr_edit,
        )
        assert approve[0] == "ok", approve
        if edit[0] == "ok":  # the edit came first: the approval merged onto it
            assert texts(role) == [f"A{i} by HR", f"B{i} by the lead", f"C{i}", f"Added by HR {i}"]
            outcomes["both merged"] += 1
        else:  # the approval came first: the edit, made from version 2, was refused, not applied over it
            assert isinstance(edit[1], StaleVersionError), edit
            assert texts(role) == [f"A{i}", f"B{i} by the lead", f"C{i}", f"Added by HR {i}"]
            outcomes["edit told 412"] += 1
    assert sum(outcomes.values()) == REPETITIONS
    record("merge races: HR edit vs stale approval, nothing lost", REPETITIONS)


def test_a_conflicting_stale_approval_applies_nothing_whatever_the_order(world):
    hr, team, _member, cycle = world
    for i in range(REPETITIONS):
        role, review, ids = stale_review(hr, team, cycle, i, {f"B{i}": f"B{i} by the lead"})

        def hr_edit(role=role, ids=ids, i=i):
            current = list(role.duties.order_by("position").values("id", "text"))
            edited = [{**d, "text": f"B{i} by HR"} if d["id"] == ids[f"B{i}"] else d for d in current]
            return role_duties_replace(role=role, duties=edited, expected_version=2, acting_user=hr)

        approve, edit = race(
            lambda r=review: review_services.role_review_approve(review=r, acting_user=hr, onto_current=True),
            hr_edit,
        )
        review.refresh_from_db()
        if edit[0] == "ok":  # HR reworded B first: the lead's rewording of B is a conflict, nothing applied
            assert approve[0] == "error" and isinstance(approve[1], MergeConflict), approve
            assert [c.key for c in approve[1].conflicts] == [str(ids[f"B{i}"])]
            assert texts(role) == [f"A{i}", f"B{i} by HR", f"C{i}", f"Added by HR {i}"]
            assert review.state == ReviewState.SUBMITTED
        else:  # the approval merged first; HR's edit from version 2 was refused
            assert approve[0] == "ok" and isinstance(edit[1], StaleVersionError), (approve, edit)
            assert texts(role) == [f"A{i}", f"B{i} by the lead", f"C{i}", f"Added by HR {i}"]
            assert review.state == ReviewState.APPROVED
    record("merge races: conflicts apply nothing", REPETITIONS)
