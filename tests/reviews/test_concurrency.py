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


def _assigned_to_leads(cycle):
    """Every pending or sent-back review of the cycle is held by someone who leads its role's
    team or a team above (or by nobody: HR's dashboard lists it)."""
    from teams.models import Membership
    from teams.selectors import TeamTree

    tree = TeamTree.load()
    leads = set(Membership.objects.filter(is_lead=True, user__is_active=True).values_list("team_id", "user_id"))
    wrong = []
    for review in RoleReview.objects.filter(
        cycle=cycle, state__in=(ReviewState.PENDING, ReviewState.SENT_BACK)
    ).select_related("role"):
        if review.reviewer_id is None:
            continue
        if not any((team_id, review.reviewer_id) in leads for team_id in tree.path(review.role.team_id)):
            wrong.append((review.role.title, review.reviewer_id))
    return wrong


def test_two_co_leads_removed_at_once_never_leave_a_review_with_either(org, cycle):
    """Write skew: each removal, seeing the other co-lead still there, gives the review to the
    other one. Leadership changes are serialised, so the second sees the first's result."""
    from teams.models import Membership
    from teams.services import membership_add, membership_remove
    from tests.factories import UserFactory

    co = UserFactory(username="co-lead")
    review = RoleReview.objects.get(cycle=cycle, role=org.pm)
    for _i in range(REPETITIONS):
        Membership.objects.filter(team=org.product).delete()
        first = membership_add(user=org.lead, team=org.product, is_lead=True, acting_user=org.hr)
        second = membership_add(user=co, team=org.product, is_lead=True, acting_user=org.hr)
        RoleReview.objects.filter(pk=review.pk).update(reviewer=co)
        results = race(
            lambda m=first: membership_remove(membership=m, acting_user=org.hr),
            lambda m=second: membership_remove(membership=m, acting_user=org.hr),
        )
        assert [kind for kind, _v in results] == ["ok", "ok"], results
        assert _assigned_to_leads(cycle) == []
        review.refresh_from_db()
        assert review.reviewer_id == org.boss.pk


def test_hr_giving_a_review_to_a_lead_being_removed_never_leaves_it_with_them(org, cycle):
    from django.core.exceptions import ValidationError

    from teams.models import Membership
    from teams.services import membership_add, membership_remove

    review = RoleReview.objects.get(cycle=cycle, role=org.dev)
    for _i in range(REPETITIONS):
        Membership.objects.filter(team=org.product).delete()
        membership = membership_add(user=org.lead, team=org.product, is_lead=True, acting_user=org.hr)
        RoleReview.objects.filter(pk=review.pk).update(reviewer=org.boss)
        results = race(
            lambda: services.role_review_assign(review=review, reviewer=org.lead, acting_user=org.hr),
            lambda m=membership: membership_remove(membership=m, acting_user=org.hr),
        )
        assert results[1][0] == "ok", results
        assert results[0][0] == "ok" or isinstance(results[0][1], ValidationError), results
        assert _assigned_to_leads(cycle) == []


def test_opening_a_cycle_while_a_lead_is_removed_never_assigns_them(org):
    from teams.models import Membership
    from teams.services import membership_add, membership_remove

    for i in range(REPETITIONS):
        Membership.objects.filter(team=org.product).delete()
        membership = membership_add(user=org.lead, team=org.product, is_lead=True, acting_user=org.hr)
        draft = services.review_cycle_create(
            name=f"C{i}", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 31), acting_user=org.hr
        )
        results = race(
            lambda d=draft: services.review_cycle_open(cycle=d, acting_user=org.hr),
            lambda m=membership: membership_remove(membership=m, acting_user=org.hr),
        )
        assert [kind for kind, _v in results] == ["ok", "ok"], results
        assert _assigned_to_leads(draft) == []
        services.review_cycle_cancel(cycle=draft, acting_user=org.hr)
