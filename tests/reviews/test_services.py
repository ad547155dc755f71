import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from orgstructure.exceptions import ConflictError, StaleVersionError
from orgstructure.models import ChangeEvent
from reviews import services
from reviews.models import CycleState, ReviewSchedule, ReviewState, RoleReview, Suggestion, SuggestionState
from roles.models import RevisionSource, RoleRevision
from roles.services import role_duties_replace
from tests.reviews.conftest import duties_of, revise_list


def review_of(cycle, role):
    return RoleReview.objects.get(cycle=cycle, role=role)


def test_a_full_quarter(org, django_capture_on_commit_callbacks):
    # given a quarterly schedule over the whole organisation
    schedule = services.review_schedule_create(
        name="Quarterly", starts_on=dt.date(2026, 1, 5), every_months=3, cycle_length_days=21, acting_user=org.hr
    )
    # when the schedule runs on its date
    with django_capture_on_commit_callbacks(execute=True):
        (cycle,) = services.review_schedules_run(today=dt.date(2026, 1, 5))
    # then one cycle opened, one review per active role, assigned to the nearest lead
    assert cycle.state == CycleState.OPEN and cycle.schedule == schedule
    assert cycle.due_on == dt.date(2026, 1, 25)
    reviewers = {r.role.title: r.reviewer for r in cycle.reviews.select_related("role", "reviewer")}
    assert reviewers == {"PM": org.lead, "Developer": org.boss, "Solo": None}
    schedule.refresh_from_db()
    assert schedule.next_run_on == dt.date(2026, 4, 5)

    # a member suggests on another team's role; it joins the open cycle
    s_accept = services.suggestion_create(
        role=org.pm, kind="add", proposed_text="Talk to customers", rationale="We lose touch", acting_user=org.member
    )
    s_reject = services.suggestion_create(
        role=org.dev,
        kind="remove",
        duty=org.dev.duties.get(text="Fix bugs"),
        rationale="QA does it",
        acting_user=org.member,
    )
    assert s_accept.cycle == cycle and s_reject.cycle == cycle

    # the product lead revises the PM role; the company lead keeps the developer role
    pm_review = review_of(cycle, org.pm)
    services.role_review_submit(
        review=pm_review,
        outcome="revise",
        duties=revise_list(org.pm, "Monitor metrics", "Write the PRD", "Coordinate launches with all teams"),
        comment="Metrics first",
        expected_version=1,
        acting_user=org.lead,
    )
    dev_review = review_of(cycle, org.dev)
    services.role_review_submit(review=dev_review, outcome="keep", acting_user=org.boss)

    # HR sends the PM review back, the lead submits again, HR approves
    services.role_review_send_back(review=pm_review, note="Keep launches short", acting_user=org.hr)
    pm_review.refresh_from_db()
    assert pm_review.state == ReviewState.SENT_BACK and pm_review.decision_note == "Keep launches short"
    services.role_review_submit(
        review=pm_review,
        outcome="revise",
        duties=revise_list(org.pm, "Monitor metrics", "Write the PRD", "Coordinate launches"),
        acting_user=org.lead,
    )
    services.role_review_approve(review=pm_review, acting_user=org.hr)
    services.role_review_approve(review=dev_review, acting_user=org.hr)
    # the suggestion on PM was based on version 1; the review made it version 2
    with pytest.raises(StaleVersionError):
        services.suggestion_accept(suggestion=s_accept, acting_user=org.hr)
    services.suggestion_accept(suggestion=s_accept, acting_user=org.hr, onto_current=True, note="Good idea")
    services.suggestion_reject(suggestion=s_reject, note="Developers fix their own bugs", acting_user=org.hr)

    # HR closes the cycle explicitly: the solo role (no lead) was never reviewed
    with pytest.raises(ConflictError):
        services.review_cycle_close(cycle=cycle, acting_user=org.hr)
    services.review_cycle_close(cycle=cycle, acting_user=org.hr, force=True)

    cycle.refresh_from_db()
    assert cycle.state == CycleState.CLOSED
    states = dict(cycle.reviews.values_list("role__title", "state"))
    assert states == {"PM": "approved", "Developer": "approved", "Solo": "not_reviewed"}
    assert duties_of(org.pm) == ["Monitor metrics", "Write the PRD", "Coordinate launches", "Talk to customers"]
    assert duties_of(org.dev) == ["Build features", "Fix bugs"]
    # each applied change is a revision that links back to its review or suggestion
    r2, r3 = RoleRevision.objects.filter(role=org.pm, number__gte=2).order_by("number")
    assert r2.source == RevisionSource.REVIEW and list(r2.reviews.all()) == [pm_review]
    assert r3.source == RevisionSource.SUGGESTION and list(r3.suggestions.all()) == [s_accept]
    assert r3.reason == f"Suggestion #{s_accept.pk} accepted"
    assert RoleRevision.objects.filter(role=org.dev).count() == 1  # keep changes nothing
    s_reject.refresh_from_db()
    assert s_reject.state == SuggestionState.REJECTED and s_reject.decided_by == org.hr
    actions = list(ChangeEvent.objects.filter(action__contains=".").values_list("action", flat=True))
    for expected in (
        "review_cycle.opened",
        "role_review.submitted",
        "role_review.sent_back",
        "role_review.approved",
        "suggestion.accepted",
        "suggestion.rejected",
        "review_cycle.closed",
    ):
        assert expected in actions


def test_schedule_runs_are_idempotent(org):
    services.review_schedule_create(name="Q", starts_on=dt.date(2026, 1, 1), acting_user=org.hr)
    assert len(services.review_schedules_run(today=dt.date(2026, 1, 2))) == 1
    assert services.review_schedules_run(today=dt.date(2026, 1, 2)) == []
    assert services.review_schedules_run(today=dt.date(2026, 3, 31)) == []
    assert len(services.review_schedules_run(today=dt.date(2026, 4, 1))) == 1
    assert RoleReview.objects.count() == 2 * 3


def test_schedule_skips_missed_periods_instead_of_replaying_them(org):
    schedule = services.review_schedule_create(name="Q", starts_on=dt.date(2025, 1, 1), acting_user=org.hr)
    (cycle,) = services.review_schedules_run(today=dt.date(2025, 11, 15))
    assert cycle.starts_on == dt.date(2025, 10, 1)
    schedule.refresh_from_db()
    assert schedule.next_run_on == dt.date(2026, 1, 1)


def test_inactive_schedule_opens_nothing(org):
    schedule = services.review_schedule_create(name="Q", starts_on=dt.date(2026, 1, 1), acting_user=org.hr)
    services.review_schedule_update(schedule=schedule, active=False, acting_user=org.hr)
    assert services.review_schedules_run(today=dt.date(2026, 6, 1)) == []


def test_cycle_scope_covers_chosen_teams_with_subtrees(org):
    cycle = services.review_cycle_create(
        name="Company only",
        starts_on=dt.date(2026, 1, 1),
        due_on=dt.date(2026, 1, 2),
        teams=[org.company],
        acting_user=org.hr,
    )
    services.review_cycle_open(cycle=cycle, acting_user=org.hr)
    assert set(cycle.reviews.values_list("role__title", flat=True)) == {"PM", "Developer"}


@pytest.mark.parametrize(
    "action",
    [
        lambda c, o: services.review_cycle_open(cycle=c, acting_user=o.hr),
        lambda c, o: services.review_cycle_update(cycle=c, teams=[], acting_user=o.hr),
    ],
)
def test_open_cycle_refuses_draft_only_actions(cycle, org, action):
    before = RoleReview.objects.count()
    with pytest.raises(ConflictError):
        action(cycle, org)
    assert RoleReview.objects.count() == before


def test_closed_and_cancelled_cycles_refuse_every_transition(cycle, org):
    review = review_of(cycle, org.pm)
    services.review_cycle_close(cycle=cycle, acting_user=org.hr, force=True)
    for call in (
        lambda: services.review_cycle_close(cycle=cycle, acting_user=org.hr, force=True),
        lambda: services.review_cycle_cancel(cycle=cycle, acting_user=org.hr),
        lambda: services.review_cycle_open(cycle=cycle, acting_user=org.hr),
        lambda: services.role_review_submit(review=review, outcome="keep", acting_user=org.lead),
        lambda: services.role_review_approve(review=review, acting_user=org.hr),
        lambda: services.role_review_send_back(review=review, note="x", acting_user=org.hr),
    ):
        with pytest.raises(ConflictError):
            call()
    review.refresh_from_db()
    assert review.state == ReviewState.NOT_REVIEWED
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CLOSED


def test_cancel_marks_undecided_reviews_not_reviewed(cycle, org):
    services.role_review_submit(review=review_of(cycle, org.pm), outcome="keep", acting_user=org.lead)
    services.role_review_approve(review=review_of(cycle, org.pm), acting_user=org.hr)
    services.review_cycle_cancel(cycle=cycle, acting_user=org.hr)
    assert dict(cycle.reviews.values_list("role__title", "state")) == {
        "PM": "approved",
        "Developer": "not_reviewed",
        "Solo": "not_reviewed",
    }


def test_review_transitions_from_wrong_states_change_nothing(cycle, org):
    review = review_of(cycle, org.pm)
    with pytest.raises(ConflictError):
        services.role_review_approve(review=review, acting_user=org.hr)
    with pytest.raises(ConflictError):
        services.role_review_send_back(review=review, note="no", acting_user=org.hr)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    with pytest.raises(ConflictError):
        services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    services.role_review_approve(review=review, acting_user=org.hr)
    with pytest.raises(ConflictError):
        services.role_review_approve(review=review, acting_user=org.hr)
    with pytest.raises(ConflictError):
        services.role_review_send_back(review=review, note="late", acting_user=org.hr)
    review.refresh_from_db()
    assert review.state == ReviewState.APPROVED and review.decision_note == ""


def test_stale_review_is_refused_then_applied_onto_current_list_explicitly(cycle, org):
    review = review_of(cycle, org.pm)
    services.role_review_submit(
        review=review,
        outcome="revise",
        duties=revise_list(org.pm, "Write the PRD", "Monitor metrics"),
        acting_user=org.lead,
    )
    role_duties_replace(
        role=org.pm,
        duties=[{"text": "Write the PRD"}, {"text": "Coordinate launches"}, {"text": "Monitor metrics"}, {"text": "X"}],
        expected_version=1,
        acting_user=org.hr,
    )
    with pytest.raises(StaleVersionError) as excinfo:
        services.role_review_approve(review=review, acting_user=org.hr)
    assert "based on version 1" in str(excinfo.value.message) and excinfo.value.current_version == 2
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED and duties_of(org.pm)[-1] == "X"
    services.role_review_approve(review=review, acting_user=org.hr, onto_current=True)
    # merged: the reviewer's removal of "Coordinate launches" and HR's "X" both hold
    assert duties_of(org.pm) == ["Write the PRD", "Monitor metrics", "X"]
    review.refresh_from_db()
    assert review.applied_revision.number == 3


def test_submit_checks_the_version_the_form_showed(cycle, org):
    with pytest.raises(StaleVersionError):
        services.role_review_submit(
            review=review_of(cycle, org.pm), outcome="keep", expected_version=0, acting_user=org.lead
        )


def test_submit_validates_the_proposed_list(cycle, org):
    review = review_of(cycle, org.pm)
    with pytest.raises(ValidationError):
        services.role_review_submit(review=review, outcome="revise", duties=[], acting_user=org.lead)
    with pytest.raises(ValidationError):
        services.role_review_submit(
            review=review, outcome="revise", duties=[{"text": "a"}, {"text": "A"}], acting_user=org.lead
        )
    with pytest.raises(ValidationError):  # unchanged: that is a "keep"
        services.role_review_submit(
            review=review,
            outcome="revise",
            duties=revise_list(org.pm, "Write the PRD", "Coordinate launches", "Monitor metrics"),
            acting_user=org.lead,
        )
    with pytest.raises(ValidationError):
        services.role_review_submit(review=review, outcome="maybe", acting_user=org.lead)
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_only_the_assigned_reviewer_or_hr_submits(cycle, org):
    review = review_of(cycle, org.pm)
    for user in (org.boss, org.member, org.outsider):
        with pytest.raises(PermissionDenied):
            services.role_review_submit(review=review, outcome="keep", acting_user=user)
    for call in (
        lambda u: services.role_review_approve(review=review, acting_user=u),
        lambda u: services.role_review_send_back(review=review, note="x", acting_user=u),
        lambda u: services.review_cycle_close(cycle=cycle, acting_user=u, force=True),
        lambda u: services.review_cycle_cancel(cycle=cycle, acting_user=u),
    ):
        with pytest.raises(PermissionDenied):
            call(org.lead)
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING


def test_hr_assigns_a_reviewer_to_a_role_without_lead(cycle, org):
    review = review_of(cycle, org.solo)
    assert review.reviewer is None
    services.role_review_assign(review=review, reviewer=org.boss, acting_user=org.hr)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.boss)


def test_send_back_needs_a_note(cycle, org):
    review = review_of(cycle, org.pm)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    with pytest.raises(ValidationError):
        services.role_review_send_back(review=review, note="  ", acting_user=org.hr)
    review.refresh_from_db()
    assert review.state == ReviewState.SUBMITTED


@pytest.mark.parametrize(
    ("kind", "kwargs", "expected"),
    [
        (
            "add",
            {"proposed_text": "New", "proposed_position": 1},
            ["New", "Write the PRD", "Coordinate launches", "Monitor metrics"],
        ),
        (
            "change",
            {"duty": "Coordinate launches", "proposed_text": "Run launches"},
            ["Write the PRD", "Run launches", "Monitor metrics"],
        ),
        ("remove", {"duty": "Write the PRD"}, ["Coordinate launches", "Monitor metrics"]),
        (
            "reorder",
            {"duty": "Monitor metrics", "proposed_position": 1},
            ["Monitor metrics", "Write the PRD", "Coordinate launches"],
        ),
    ],
)
def test_accepting_each_kind_applies_it(org, kind, kwargs, expected):
    if "duty" in kwargs:
        kwargs["duty"] = org.pm.duties.get(text=kwargs["duty"])
    suggestion = services.suggestion_create(
        role=org.pm, kind=kind, rationale="Why not", acting_user=org.member, **kwargs
    )
    services.suggestion_accept(suggestion=suggestion, acting_user=org.hr)
    assert duties_of(org.pm) == expected
    suggestion.refresh_from_db()
    assert suggestion.applied_revision.role == org.pm and suggestion.applied_revision.number == 2


def test_other_suggestions_are_accepted_without_changing_the_list(org):
    suggestion = services.suggestion_create(
        role=org.pm, kind="other", rationale="Split this role", acting_user=org.member
    )
    services.suggestion_accept(suggestion=suggestion, acting_user=org.hr)
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.ACCEPTED and suggestion.applied_revision is None
    assert RoleRevision.objects.filter(role=org.pm).count() == 1


def test_suggestion_on_a_removed_duty_cannot_be_applied_even_onto_current(org):
    duty = org.pm.duties.get(text="Write the PRD")
    suggestion = services.suggestion_create(
        role=org.pm, kind="change", duty=duty, proposed_text="Write specs", rationale="r", acting_user=org.member
    )
    role_duties_replace(role=org.pm, duties=[{"text": "Only this"}], expected_version=1, acting_user=org.hr)
    with pytest.raises(StaleVersionError):
        services.suggestion_accept(suggestion=suggestion, acting_user=org.hr)
    with pytest.raises(ConflictError):
        services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.OPEN and duties_of(org.pm) == ["Only this"]


def test_suggestion_transitions_from_wrong_states_change_nothing(org):
    s = services.suggestion_create(role=org.pm, kind="add", proposed_text="N", rationale="r", acting_user=org.member)
    services.suggestion_withdraw(suggestion=s, acting_user=org.member)
    for call in (
        lambda: services.suggestion_accept(suggestion=s, acting_user=org.hr),
        lambda: services.suggestion_reject(suggestion=s, note="n", acting_user=org.hr),
        lambda: services.suggestion_withdraw(suggestion=s, acting_user=org.member),
    ):
        with pytest.raises(ConflictError):
            call()
    s.refresh_from_db()
    assert s.state == SuggestionState.WITHDRAWN and s.decided_by is None
    assert duties_of(org.pm) == ["Write the PRD", "Coordinate launches", "Monitor metrics"]


def test_who_may_suggest_withdraw_and_decide(org):
    with pytest.raises(PermissionDenied):  # not a member of any team
        services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.outsider)
    s = services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.member)
    for user in (org.lead, org.boss, org.outsider):
        with pytest.raises(PermissionDenied):
            services.suggestion_withdraw(suggestion=s, acting_user=user)
        with pytest.raises(PermissionDenied):
            services.suggestion_accept(suggestion=s, acting_user=user)
        with pytest.raises(PermissionDenied):
            services.suggestion_reject(suggestion=s, note="n", acting_user=user)
    s.refresh_from_db()
    assert s.state == SuggestionState.OPEN


def test_suggestion_input_is_validated(org):
    other_duty = org.dev.duties.first()
    cases = [
        {"kind": "add", "proposed_text": "", "rationale": "r"},
        {"kind": "add", "proposed_text": "write the prd", "rationale": "r"},
        {"kind": "change", "duty": other_duty, "proposed_text": "x", "rationale": "r"},
        {"kind": "reorder", "duty": org.pm.duties.get(position=1), "proposed_position": 1, "rationale": "r"},
        {"kind": "reorder", "duty": org.pm.duties.get(position=1), "proposed_position": 9, "rationale": "r"},
        {"kind": "remove", "duty": org.pm.duties.get(position=1), "rationale": " "},
        {"kind": "nonsense", "rationale": "r"},
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            services.suggestion_create(role=org.pm, acting_user=org.member, **case)
    assert Suggestion.objects.count() == 0


def test_suggestions_only_on_active_roles(org):
    from roles.services import role_retire

    role_retire(role=org.dev, acting_user=org.hr)
    with pytest.raises(ConflictError):
        services.suggestion_create(role=org.dev, kind="other", rationale="r", acting_user=org.member)


def test_open_suggestions_join_a_cycle_that_opens_later(org):
    s = services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.member)
    assert s.cycle is None
    cycle = services.review_cycle_create(
        name="Q", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 2), acting_user=org.hr
    )
    services.review_cycle_open(cycle=cycle, acting_user=org.hr)
    s.refresh_from_db()
    assert s.cycle == cycle


def test_schedule_permission(org):
    with pytest.raises(PermissionDenied):
        services.review_schedule_create(name="x", starts_on=dt.date(2026, 1, 1), acting_user=org.lead)
    assert ReviewSchedule.objects.count() == 0
