"""Attacks on the three-way merge of stale decisions (issue 11 §1–2): hostile resolutions,
stale resolutions, merged lists the role would refuse, suggestions on duties deleted since,
the decision pages."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from orgstructure.exceptions import MergeConflict
from reviews import services
from reviews.models import ReviewState, SuggestionState
from roles.models import RoleRevision
from tests.reviews.conftest import duties_of, hr_edits, review_of
from tests.reviews.conftest import pm_duty_ids as ids
from tests.reviews.conftest import submit_revise as submit


@pytest.fixture
def conflicted(cycle, org):
    """A stale review whose PRD duty was reworded on both sides (role now at version 2)."""
    i = ids(org)
    review = submit(
        cycle,
        org,
        [
            {"id": i["Write the PRD"], "text": "Write the spec"},
            {"id": i["Coordinate launches"], "text": "Coordinate launches"},
            {"id": i["Monitor metrics"], "text": "Monitor metrics"},
        ],
    )
    hr_edits(
        org, {"id": i["Write the PRD"], "text": "Write the PRD and roadmap"}, "Coordinate launches", "Monitor metrics"
    )
    return review, str(i["Write the PRD"])


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(
    "resolutions",
    [
        [],
        None,
        "current",
        {"KEY": "current"},
        {"KEY": None},
        {"KEY": []},
        {"KEY": {"take": ["current"]}},
        {"KEY": {"take": "text", "text": None}},
        {"KEY": {"take": "text", "text": 12}},
        {"KEY": {"take": "text", "text": "x" * 100_000}},
        {"KEY": {"take": "text", "text": "bad\x00nul"}},
        {"KEY": {"take": "other"}},
        {"99999": {"take": "proposed"}},
    ],
)
def test_hostile_resolutions_through_the_api_are_refused_not_500(conflicted, org, resolutions):
    review, key = conflicted
    if isinstance(resolutions, dict):
        resolutions = {k.replace("KEY", key): v for k, v in resolutions.items()}
    body = {"onto_current": True, "expected_version": 2, "resolutions": resolutions}
    response = api_as(org.hr).post(f"/api/v1/role-reviews/{review.pk}/approve/", body, format="json")
    assert response.status_code in (400, 409), response.content
    assert set(response.json()) >= {"detail", "code", "fields"}
    assert review_of(review.cycle, org.pm).state == ReviewState.SUBMITTED
    assert duties_of(org.pm)[0] == "Write the PRD and roadmap"


@pytest.mark.parametrize("text", ["", "   ", "x" * 5000, "bad\x00nul", "Coordinate launches", "coordinate LAUNCHES"])
def test_hostile_resolution_text_on_the_decision_page_is_a_message_not_500(client, conflicted, org, text):
    review, key = conflicted
    client.force_login(org.hr)
    response = client.post(
        f"/reviews/{review.pk}/",
        {
            "action": "approve",
            "onto_current": "on",
            "expected_version": "2",
            "note": "",
            f"resolve-{key}": "text",
            f"resolve-{key}-text": text,
        },
    )
    assert response.status_code in (200, 400)  # a message on the page, or NUL refused for the whole request
    assert review_of(review.cycle, org.pm).state == ReviewState.SUBMITTED
    assert duties_of(org.pm)[0] == "Write the PRD and roadmap"


def test_resolutions_without_the_version_they_were_made_against_are_refused(conflicted, org):
    # HR sees the conflict at version 2 and chooses the proposal over "Write the PRD and roadmap"
    review, key = conflicted
    # meanwhile someone rewords the duty again: HR never saw this text
    hr_edits(org, {"id": int(key), "text": "PRD owned by Ana"}, "Coordinate launches", "Monitor metrics")
    # a resolution sent without expected_version must not overwrite it blindly
    with pytest.raises(ValidationError) as excinfo:
        services.role_review_approve(
            review=review, acting_user=org.hr, onto_current=True, resolutions={key: {"take": "proposed"}}
        )
    assert "expected_version" in excinfo.value.message_dict
    assert duties_of(org.pm)[0] == "PRD owned by Ana"
    response = api_as(org.hr).post(
        f"/api/v1/role-reviews/{review.pk}/approve/",
        {"onto_current": True, "resolutions": {key: {"take": "proposed"}}},
        format="json",
    )
    assert response.status_code == 400 and "expected_version" in response.json()["fields"]
    assert duties_of(org.pm)[0] == "PRD owned by Ana"
    assert review_of(review.cycle, org.pm).state == ReviewState.SUBMITTED


def test_two_duties_merged_to_the_same_text_are_a_conflict_hr_can_resolve(cycle, org):
    i = ids(org)
    # the lead rewords the PRD duty to "Write the spec"; HR rewords "Monitor metrics" to the same text
    review = submit(
        cycle,
        org,
        [
            {"id": i["Write the PRD"], "text": "Write the spec"},
            {"id": i["Coordinate launches"], "text": "Coordinate launches"},
            {"id": i["Monitor metrics"], "text": "Monitor metrics"},
        ],
    )
    hr_edits(org, "Write the PRD", "Coordinate launches", {"id": i["Monitor metrics"], "text": "write the SPEC"})
    with pytest.raises(MergeConflict) as excinfo:
        services.role_review_approve(review=review, acting_user=org.hr, onto_current=True)
    (conflict,) = excinfo.value.conflicts
    assert conflict.key == str(i["Write the PRD"]) and conflict.proposed["text"] == "Write the spec"
    assert "same text" in excinfo.value.fields[conflict.key]["detail"]
    assert RoleRevision.objects.filter(role=org.pm).count() == 2
    services.role_review_approve(
        review=review,
        acting_user=org.hr,
        onto_current=True,
        expected_version=2,
        resolutions={conflict.key: {"take": "text", "text": "Write the PRD as a spec"}},
    )
    assert duties_of(org.pm) == ["Write the PRD as a spec", "Coordinate launches", "write the SPEC"]


def test_a_proposed_new_duty_with_the_text_hr_gave_another_duty_is_a_conflict(cycle, org):
    i = ids(org)
    review = submit(cycle, org, [*[{"id": v, "text": t} for t, v in i.items()], {"text": "Hire people"}])
    hr_edits(org, "Write the PRD", "Coordinate launches", {"id": i["Monitor metrics"], "text": "Hire people"})
    with pytest.raises(MergeConflict) as excinfo:
        services.role_review_approve(review=review, acting_user=org.hr, onto_current=True)
    (conflict,) = excinfo.value.conflicts
    assert conflict.base is None and conflict.current is None and conflict.proposed["text"] == "Hire people"
    response = api_as(org.hr).post(
        f"/api/v1/role-reviews/{review.pk}/approve/",
        {"onto_current": True, "expected_version": 2, "resolutions": {conflict.key: {"take": "current"}}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(duties_of(org.pm)) == ["Coordinate launches", "Hire people", "Write the PRD"]


def suggest(org, kind, duty_text=None, **fields):
    duty = org.pm.duties.get(text=duty_text) if duty_text else None
    return services.suggestion_create(
        role=org.pm, kind=kind, duty=duty, rationale="because", acting_user=org.member, **fields
    )


def test_a_change_suggestion_on_a_duty_deleted_since_is_a_resolvable_conflict(org):
    suggestion = suggest(org, "change", "Coordinate launches", proposed_text="Coordinate all launches")
    hr_edits(org, "Write the PRD", "Monitor metrics")  # HR removes the duty
    with pytest.raises(MergeConflict) as excinfo:
        services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    (conflict,) = excinfo.value.conflicts
    assert conflict.current is None and conflict.proposed["text"] == "Coordinate all launches"
    services.suggestion_accept(
        suggestion=suggestion,
        acting_user=org.hr,
        onto_current=True,
        expected_version=2,
        resolutions={conflict.key: {"take": "proposed"}},
    )
    assert duties_of(org.pm) == ["Write the PRD", "Coordinate all launches", "Monitor metrics"]
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.ACCEPTED


@pytest.mark.parametrize("kind", ["remove", "reorder"])
def test_a_remove_or_reorder_suggestion_on_a_duty_deleted_since_merges_to_nothing(org, kind):
    fields = {"proposed_position": 3} if kind == "reorder" else {}
    suggestion = suggest(org, kind, "Coordinate launches", **fields)
    hr_edits(org, "Write the PRD", "Monitor metrics")
    services.suggestion_accept(suggestion=suggestion, acting_user=org.hr, onto_current=True)
    suggestion.refresh_from_db()
    assert suggestion.state == SuggestionState.ACCEPTED and suggestion.applied_revision is None
    assert duties_of(org.pm) == ["Write the PRD", "Monitor metrics"]


def test_the_decision_page_keeps_hr_choices_when_it_refuses_the_decision(client, conflicted, org):
    # HR writes their own text for the conflicting duty but forgets to tick "apply onto the current list"
    review, key = conflicted
    client.force_login(org.hr)
    response = client.post(
        f"/reviews/{review.pk}/",
        {
            "action": "approve",
            "expected_version": "2",
            "note": "",
            f"resolve-{key}": "text",
            f"resolve-{key}-text": "HR's own careful wording",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert review_of(review.cycle, org.pm).state == ReviewState.SUBMITTED
    # the page shows the conflict again with what HR typed and chose, not the proposal's text
    assert 'value="HR&#x27;s own careful wording"' in page
    assert f'name="resolve-{key}" value="text" checked' in page


@pytest.mark.parametrize("who", ["lead", "member", "boss"])
def test_only_hr_may_resolve_a_conflict(client, conflicted, org, who):
    review, key = conflicted
    user = getattr(org, who)
    body = {"onto_current": True, "expected_version": 2, "resolutions": {key: {"take": "proposed"}}}
    response = api_as(user).post(f"/api/v1/role-reviews/{review.pk}/approve/", body, format="json")
    assert response.status_code in (403, 404)
    client.force_login(user)
    page = client.post(
        f"/reviews/{review.pk}/",
        {"action": "approve", "onto_current": "on", "expected_version": "2", f"resolve-{key}": "proposed"},
    )
    assert page.status_code in (403, 404)
    assert review_of(review.cycle, org.pm).state == ReviewState.SUBMITTED
    assert duties_of(org.pm)[0] == "Write the PRD and roadmap"


def test_resolving_on_the_page_needs_the_csrf_token(conflicted, org):
    from django.test import Client

    review, key = conflicted
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.hr)
    response = client.post(
        f"/reviews/{review.pk}/",
        {"action": "approve", "onto_current": "on", "expected_version": "2", f"resolve-{key}": "proposed"},
    )
    assert response.status_code == 403
    assert duties_of(org.pm)[0] == "Write the PRD and roadmap"


@pytest.mark.parametrize(
    "edit",
    [
        lambda rows: [rows[1], rows[0], rows[2]],  # reordered
        lambda rows: rows[:2],  # one removed
        lambda rows: [*rows, {"text": "Extra"}],
        lambda rows: [{**rows[0], "serves": 999}, *rows[1:]],
        lambda rows: [],
    ],
)
def test_keep_with_any_edit_is_refused_through_the_api(cycle, org, edit):
    review = review_of(cycle, org.pm)
    rows = [{"id": d.pk, "text": d.text} for d in org.pm.duties.order_by("position")]
    response = api_as(org.lead).post(
        f"/api/v1/role-reviews/{review.pk}/submit/", {"outcome": "keep", "duties": edit(rows)}, format="json"
    )
    assert response.status_code == 400, response.content
    assert review_of(cycle, org.pm).state == ReviewState.PENDING
    same = [{**row, "text": f"  {row['text']} "} for row in rows]  # only spaces differ: not an edit
    response = api_as(org.lead).post(
        f"/api/v1/role-reviews/{review.pk}/submit/", {"outcome": "keep", "duties": same}, format="json"
    )
    assert response.status_code == 200, response.content
