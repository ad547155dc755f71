"""Races on PostgreSQL: two threads, each with its own connection, released together by a
barrier. Whatever the interleaving, a transition happens exactly once."""

import datetime as dt

import pytest

from orgstructure.exceptions import ConflictError
from orgstructure.models import ChangeEvent
from reviews import services
from reviews.models import CycleState, ReviewState, RoleReview, SuggestionState
from roles.models import RoleRevision
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REPETITIONS = 100


def test_two_hr_managers_accepting_the_same_suggestion_apply_it_once(org):
    for i in range(REPETITIONS):
        org.pm.refresh_from_db()
        version = org.pm.version
        suggestion = services.suggestion_create(
            role=org.pm,
            kind="change",
            duty=org.pm.duties.get(position=1),
            proposed_text=f"Duty {i}",
            rationale="r",
            acting_user=org.member,
        )
        results = race(
            lambda s=suggestion: services.suggestion_accept(suggestion=s, acting_user=org.hr),
            lambda s=suggestion: services.suggestion_accept(suggestion=s, acting_user=org.hr),
        )
        outcomes = sorted(kind for kind, _value in results)
        assert outcomes == ["error", "ok"], results
        assert isinstance(next(v for k, v in results if k == "error"), ConflictError)
        org.pm.refresh_from_db()
        assert org.pm.version == version + 1
        suggestion.refresh_from_db()
        assert suggestion.state == SuggestionState.ACCEPTED
        assert RoleRevision.objects.filter(suggestions=suggestion).count() == 1
    assert ChangeEvent.objects.filter(action="suggestion.accepted").count() == REPETITIONS


def test_accepting_a_suggestion_while_its_cycle_closes(org):
    for i in range(REPETITIONS):
        cycle = services.review_cycle_create(
            name=f"Q{i}",
            starts_on=dt.date(2026, 1, 1),
            due_on=dt.date(2026, 1, 2),
            teams=[org.product],
            acting_user=org.hr,
        )
        services.review_cycle_open(cycle=cycle, acting_user=org.hr)
        suggestion = services.suggestion_create(
            role=org.pm,
            kind="change",
            duty=org.pm.duties.get(position=1),
            proposed_text=f"Duty {i}",
            rationale="r",
            acting_user=org.member,
        )
        assert suggestion.cycle_id == cycle.pk
        results = race(
            lambda s=suggestion: services.suggestion_accept(suggestion=s, acting_user=org.hr),
            lambda c=cycle: services.review_cycle_close(cycle=c, force=True, acting_user=org.hr),
        )
        assert [kind for kind, _value in results] == ["ok", "ok"], results
        suggestion.refresh_from_db()
        cycle.refresh_from_db()
        assert suggestion.state == SuggestionState.ACCEPTED and cycle.state == CycleState.CLOSED
        assert RoleRevision.objects.filter(suggestions=suggestion).count() == 1
        # the close summary saw exactly the transitions committed before it
        accepted = ChangeEvent.objects.get(action="suggestion.accepted", object_id=suggestion.pk)
        closed = ChangeEvent.objects.get(action="review_cycle.closed", object_id=cycle.pk)
        assert closed.data["suggestions_accepted"] == (1 if accepted.pk < closed.pk else 0)
        assert closed.data["suggestions_open"] == (0 if accepted.pk < closed.pk else 1)


def test_approving_a_review_while_the_cycle_is_force_closed(org):
    applied = refused = 0
    for i in range(REPETITIONS):
        cycle = services.review_cycle_create(
            name=f"Q{i}",
            starts_on=dt.date(2026, 1, 1),
            due_on=dt.date(2026, 1, 2),
            teams=[org.product],
            acting_user=org.hr,
        )
        services.review_cycle_open(cycle=cycle, acting_user=org.hr)
        review = RoleReview.objects.get(cycle=cycle)
        current = list(org.pm.duties.order_by("position").values_list("text", flat=True))
        services.role_review_submit(
            review=review,
            outcome="revise",
            duties=[{"text": t} for t in current[:2]] + [{"text": f"Reviewed {i}"}],
            acting_user=org.lead,
        )
        before = RoleRevision.objects.filter(role=org.pm).count()
        approve, close = race(
            lambda r=review: services.role_review_approve(review=r, acting_user=org.hr),
            lambda c=cycle: services.review_cycle_close(cycle=c, force=True, acting_user=org.hr),
        )
        assert close[0] == "ok", close
        review.refresh_from_db()
        after = RoleRevision.objects.filter(role=org.pm).count()
        if approve[0] == "ok":
            applied += 1
            assert review.state == ReviewState.APPROVED and after == before + 1
            assert review.applied_revision is not None
        else:
            refused += 1
            assert isinstance(approve[1], ConflictError), approve
            assert review.state == ReviewState.NOT_REVIEWED and after == before
            assert review.applied_revision is None
    assert applied + refused == REPETITIONS


def test_a_lead_removed_while_submitting_either_submits_first_or_is_refused(org):
    """Removing a lead and that lead's submit at once: either the submit came first (the review
    is submitted by someone who led then, and stays for HR), or the review moved on first and
    the submit is refused. Never a deadlock, never a submitted review by someone who had lost it."""
    from django.core.exceptions import PermissionDenied

    from teams.models import Membership
    from teams.services import membership_add, membership_remove

    outcomes = {"submitted first": 0, "moved first": 0}
    for i in range(REPETITIONS):
        cycle = services.review_cycle_create(
            name=f"Q{i}", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), acting_user=org.hr
        )
        cycle = services.review_cycle_open(cycle=cycle, acting_user=org.hr)
        review = RoleReview.objects.get(cycle=cycle, role=org.pm)
        assert review.reviewer == org.lead
        membership = Membership.objects.get(user=org.lead, team=org.product)
        results = race(
            lambda r=review: services.role_review_submit(review=r, outcome="keep", acting_user=org.lead),
            lambda m=membership: membership_remove(membership=m, acting_user=org.hr),
        )
        submit, remove = results
        assert remove[0] == "ok", results
        review.refresh_from_db()
        if submit[0] == "ok":
            assert review.state == ReviewState.SUBMITTED and review.reviewer == org.lead
            outcomes["submitted first"] += 1
        else:
            assert isinstance(submit[1], PermissionDenied), submit
            assert review.state == ReviewState.PENDING and review.reviewer == org.boss
            outcomes["moved first"] += 1
        services.review_cycle_cancel(cycle=cycle, acting_user=org.hr)
        membership_add(user=org.lead, team=org.product, is_lead=True, acting_user=org.hr)
    assert sum(outcomes.values()) == REPETITIONS
