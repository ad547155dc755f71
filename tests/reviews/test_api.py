import datetime as dt

import pytest
from rest_framework.test import APIClient

from reviews import services
from reviews.models import CycleState, ReviewState, RoleReview, SuggestionState
from roles.models import RoleRevision
from roles.services import role_duties_replace
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory, role_with_duties
from tests.reviews.conftest import duties_of


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def review_of(cycle, role):
    return RoleReview.objects.get(cycle=cycle, role=role)


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"detail", "code", "fields"} and body["code"] == code, body
    return body


@pytest.mark.parametrize(
    "url", ["/api/v1/review-cycles/", "/api/v1/role-reviews/", "/api/v1/suggestions/", "/api/v1/review-schedules/"]
)
def test_anonymous_callers_get_401(api, db, url):
    assert_error(api.get(url), 401, "not_authenticated")


def test_a_quarter_through_the_api(api, org):
    hr = APIClient()
    hr.force_authenticate(org.hr)
    response = hr.post(
        "/api/v1/review-schedules/", {"name": "Quarterly", "starts_on": "2026-01-01", "teams": []}, format="json"
    )
    assert response.status_code == 201 and response.json()["next_run_on"] == "2026-01-01"
    (cycle,) = services.review_schedules_run(today=dt.date(2026, 1, 1))

    lead = APIClient()
    lead.force_authenticate(org.lead)
    mine = lead.get("/api/v1/role-reviews/?mine=true").json()
    assert [r["role"]["title"] for r in mine["results"]] == ["PM"]
    review_id = mine["results"][0]["id"]
    response = lead.post(
        f"/api/v1/role-reviews/{review_id}/submit/",
        {
            "outcome": "revise",
            "duties": [{"text": "Write the PRD"}, {"text": "Own the roadmap"}],
            "expected_version": 1,
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "submitted"

    response = hr.post(f"/api/v1/role-reviews/{review_id}/request-changes/", {"note": "Keep metrics"}, format="json")
    assert response.json()["state"] == "sent_back" and response.json()["decision_note"] == "Keep metrics"
    lead.post(
        f"/api/v1/role-reviews/{review_id}/submit/",
        {"outcome": "revise", "duties": [{"text": "Write the PRD"}, {"text": "Monitor metrics"}]},
        format="json",
    )
    body = hr.post(f"/api/v1/role-reviews/{review_id}/approve/", {}, format="json").json()
    assert body["state"] == "approved" and body["applied_revision"]["number"] == 2

    member = APIClient()
    member.force_authenticate(org.member)
    response = member.post(
        "/api/v1/suggestions/",
        {"role": org.dev.pk, "kind": "add", "proposed_text": "Write tests", "rationale": "Quality"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["cycle"] == cycle.pk
    suggestion_id = response.json()["id"]
    body = hr.post(f"/api/v1/suggestions/{suggestion_id}/accept/", {"note": "Yes"}, format="json").json()
    assert body["state"] == "accepted" and body["applied_revision"]["number"] == 2

    response = hr.post(f"/api/v1/review-cycles/{cycle.pk}/close/", {}, format="json")
    assert_error(response, 409, "reviews_pending")
    body = hr.post(f"/api/v1/review-cycles/{cycle.pk}/close/", {"force": True}, format="json").json()
    assert body["state"] == "closed" and body["decided_count"] == body["review_count"] == 3

    assert duties_of(org.pm) == ["Write the PRD", "Monitor metrics"]
    assert duties_of(org.dev) == ["Build features", "Fix bugs", "Write tests"]
    assert RoleRevision.objects.get(role=org.pm, number=2).reviews.get().pk == review_id
    assert RoleRevision.objects.get(role=org.dev, number=2).suggestions.get().pk == suggestion_id


def test_cycle_actions_from_wrong_states_are_409_and_change_nothing(api, org, cycle):
    as_user(api, org.hr)
    assert_error(api.post(f"/api/v1/review-cycles/{cycle.pk}/open/"), 409, "conflict")
    api.post(f"/api/v1/review-cycles/{cycle.pk}/cancel/")
    for action in ("open", "close", "cancel"):
        assert_error(api.post(f"/api/v1/review-cycles/{cycle.pk}/{action}/", {}, format="json"), 409, "conflict")
    cycle.refresh_from_db()
    assert cycle.state == CycleState.CANCELLED


def test_review_actions_from_wrong_states_are_409(api, org, cycle):
    review = review_of(cycle, org.pm)
    as_user(api, org.hr)
    assert_error(api.post(f"/api/v1/role-reviews/{review.pk}/approve/", {}, format="json"), 409, "conflict")
    response = api.post(f"/api/v1/role-reviews/{review.pk}/request-changes/", {"note": "n"}, format="json")
    assert_error(response, 409, "conflict")
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING and review.decision_note == ""


def test_suggestion_actions_from_wrong_states_are_409(api, org):
    s = services.suggestion_create(role=org.pm, kind="other", rationale="r", acting_user=org.member)
    services.suggestion_reject(suggestion=s, note="no", acting_user=org.hr)
    as_user(api, org.hr)
    assert_error(api.post(f"/api/v1/suggestions/{s.pk}/accept/", {}, format="json"), 409, "conflict")
    assert_error(api.post(f"/api/v1/suggestions/{s.pk}/reject/", {"note": "x"}, format="json"), 409, "conflict")
    as_user(api, org.member)
    assert_error(api.post(f"/api/v1/suggestions/{s.pk}/withdraw/"), 409, "conflict")
    s.refresh_from_db()
    assert s.state == SuggestionState.REJECTED and s.decision_note == "no"


def test_stale_accept_is_412_then_onto_current(api, org):
    s = services.suggestion_create(role=org.pm, kind="add", proposed_text="New", rationale="r", acting_user=org.member)
    role_duties_replace(role=org.pm, duties=[{"text": "Only"}], expected_version=1, acting_user=org.hr)
    as_user(api, org.hr)
    body = assert_error(api.post(f"/api/v1/suggestions/{s.pk}/accept/", {}, format="json"), 412, "stale_version")
    assert body["current_version"] == 2 and "apply it onto the current list" in body["detail"]
    assert duties_of(org.pm) == ["Only"]
    response = api.post(f"/api/v1/suggestions/{s.pk}/accept/", {"onto_current": True}, format="json")
    assert response.status_code == 200 and duties_of(org.pm) == ["Only", "New"]


def test_visibility_and_permissions_per_user(api, org, cycle):
    s = services.suggestion_create(role=org.pm, kind="other", rationale="mine", acting_user=org.member)
    review = review_of(cycle, org.pm)
    other_lead = UserFactory(username="other-lead")
    membership_add(user=other_lead, team=org.lonely, is_lead=True, acting_user=None)

    def ids(user, url):
        return {item["id"] for item in as_user(api, user).get(url).json()["results"]}

    # suggestions: the author, the lead of the role's team (and above), HR; nobody else
    for user, visible in {
        org.member: {s.pk},
        org.lead: {s.pk},
        org.boss: {s.pk},
        org.hr: {s.pk},
        other_lead: set(),
        org.outsider: set(),
    }.items():
        assert ids(user, "/api/v1/suggestions/") == visible, user
    assert_error(as_user(api, org.outsider).get(f"/api/v1/suggestions/{s.pk}/"), 404, "not_found")
    # reviews: the reviewer and HR
    assert ids(org.lead, "/api/v1/role-reviews/") == {review.pk}
    assert ids(org.member, "/api/v1/role-reviews/") == set()
    assert len(ids(org.hr, "/api/v1/role-reviews/")) == 3
    assert_error(
        as_user(api, org.member).post(f"/api/v1/role-reviews/{review.pk}/submit/", {"outcome": "keep"}, format="json"),
        404,
        "not_found",
    )
    # leads and members may not decide or run cycles (403), and nothing changes
    as_user(api, org.lead)
    services.role_review_submit(review=review, outcome="keep", acting_user=org.lead)
    assert_error(api.post(f"/api/v1/role-reviews/{review.pk}/approve/", {}, format="json"), 403, "permission_denied")
    assert_error(api.post(f"/api/v1/suggestions/{s.pk}/accept/", {}, format="json"), 403, "permission_denied")
    assert_error(api.post(f"/api/v1/suggestions/{s.pk}/withdraw/"), 403, "permission_denied")
    assert_error(
        api.post(f"/api/v1/review-cycles/{cycle.pk}/close/", {"force": True}, format="json"), 403, "permission_denied"
    )
    response = api.post(
        "/api/v1/review-cycles/", {"name": "x", "starts_on": "2026-01-01", "due_on": "2026-01-02"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    assert api.get("/api/v1/review-schedules/").json()["results"] == []
    review.refresh_from_db()
    s.refresh_from_db()
    cycle.refresh_from_db()
    assert (review.state, s.state, cycle.state) == ("submitted", "open", "open")
    # an outsider (no team) cannot suggest
    response = as_user(api, org.outsider).post(
        "/api/v1/suggestions/", {"role": org.pm.pk, "kind": "other", "rationale": "r"}, format="json"
    )
    assert_error(response, 403, "permission_denied")
    # Org readers see schedules and cycles but not reviews or suggestions
    reader = UserFactory(username="script")
    from django.contrib.auth.models import Group

    reader.groups.add(Group.objects.get(name="Org readers"))
    assert ids(reader, "/api/v1/review-cycles/") == {cycle.pk}
    assert ids(reader, "/api/v1/suggestions/") == set()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/suggestions/", {"role": "x", "kind": "add", "rationale": "r"}),
        ("/api/v1/suggestions/", {"role": 999999, "kind": "add", "rationale": "r"}),
        ("/api/v1/suggestions/", {"kind": "teleport", "rationale": "r"}),
        ("/api/v1/suggestions/", ["not", "an", "object"]),
        ("/api/v1/suggestions/", {"role": 1, "kind": "change", "duty": 999999, "rationale": "r", "proposed_text": "x"}),
        ("/api/v1/review-cycles/", {"name": "x", "starts_on": "2026-02-01", "due_on": "2026-01-01"}),
        ("/api/v1/review-cycles/", {"name": "x", "starts_on": "yesterday", "due_on": "2026-01-01"}),
        ("/api/v1/review-cycles/", {"name": "x", "starts_on": "2026-01-01", "due_on": "2026-01-02", "teams": [999]}),
        ("/api/v1/review-schedules/", {"name": "x", "starts_on": "2026-01-01", "every_months": 0}),
    ],
)
def test_bad_input_is_400_never_500(api, org, url, body):
    as_user(api, org.hr)
    assert_error(api.post(url, body, format="json"), 400, "invalid")


def test_bad_submit_and_filters_are_400(api, org, cycle):
    review = review_of(cycle, org.pm)
    as_user(api, org.lead)
    for body in (
        {"outcome": "revise"},
        {"outcome": "revise", "duties": [{"text": ""}]},
        {"outcome": "revise", "duties": [{"text": "a", "serves": 999999}]},
        {"outcome": "revise", "duties": "nope"},
        {"outcome": "maybe"},
    ):
        assert_error(api.post(f"/api/v1/role-reviews/{review.pk}/submit/", body, format="json"), 400, "invalid")
    assert_error(api.get("/api/v1/role-reviews/?mine=perhaps"), 400, "invalid")
    assert_error(api.get("/api/v1/suggestions/?state=nonsense"), 400, "invalid")
    review.refresh_from_db()
    assert review.state == ReviewState.PENDING
    as_user(api, org.hr)
    assert_error(api.post(f"/api/v1/role-reviews/{review.pk}/request-changes/", {}, format="json"), 400, "invalid")


def _grow(org, n):
    for _i in range(n):
        team = TeamFactory(parent=org.product)
        role = role_with_duties("A", "B", team=team)
        services.suggestion_create(role=role, kind="other", rationale="r", acting_user=org.member)


@pytest.mark.parametrize("extra", [2, 15])
def test_list_endpoints_query_counts_do_not_grow(api, org, extra, django_assert_max_num_queries):
    _grow(org, extra)
    cycle = services.review_cycle_open(
        cycle=services.review_cycle_create(
            name="Q", starts_on=dt.date(2026, 1, 1), due_on=dt.date(2026, 1, 2), acting_user=org.hr
        ),
        acting_user=org.hr,
    )
    assert cycle.reviews.count() == 3 + extra
    for user in (org.hr, org.lead, org.member):
        as_user(api, user)
        for url in (
            "/api/v1/review-cycles/",
            "/api/v1/role-reviews/",
            "/api/v1/suggestions/",
            "/api/v1/review-schedules/",
        ):
            with django_assert_max_num_queries(10):
                assert api.get(url).status_code == 200


def test_stale_approval_with_conflicts_is_409_merge_conflict_then_resolved(api, org, cycle):
    ids = {d.text: d.pk for d in org.pm.duties.all()}
    prd, launches, metrics = ids["Write the PRD"], ids["Coordinate launches"], ids["Monitor metrics"]
    review = review_of(cycle, org.pm)
    as_user(api, org.lead)
    proposal = [{"id": prd, "text": "Write the spec"}, {"id": launches, "text": "Coordinate launches"}]
    response = api.post(
        f"/api/v1/role-reviews/{review.pk}/submit/", {"outcome": "revise", "duties": proposal}, format="json"
    )
    assert response.status_code == 200 and response.json()["proposed_duties"][0]["id"] == prd
    role_duties_replace(
        role=org.pm,
        duties=[
            {"id": prd, "text": "Write the PRD and roadmap"},
            {"text": "Coordinate launches"},
            {"id": metrics, "text": "Monitor"},
        ],
        expected_version=1,
        acting_user=org.hr,
    )
    as_user(api, org.hr)
    url = f"/api/v1/role-reviews/{review.pk}/approve/"
    body = assert_error(api.post(url, {"onto_current": True}, format="json"), 409, "merge_conflict")
    # the PRD duty was reworded on both sides; "Monitor metrics" was reworded by HR and removed by the lead
    assert set(body["fields"]) == {str(prd), str(metrics)}
    assert body["fields"][str(prd)]["base"] == {"position": 1, "text": "Write the PRD", "serves": None}
    assert body["fields"][str(prd)]["current"]["text"] == "Write the PRD and roadmap"
    assert body["fields"][str(prd)]["proposed"]["text"] == "Write the spec"
    assert body["fields"][str(metrics)]["proposed"] is None and body["current_version"] == 2
    assert review_of(cycle, org.pm).state == ReviewState.SUBMITTED
    assert RoleRevision.objects.filter(role=org.pm).count() == 2  # nothing applied

    bad = {"onto_current": True, "resolutions": {str(prd): {"take": "text"}}}
    assert_error(api.post(url, bad, format="json"), 400, "invalid")
    partial = {"onto_current": True, "expected_version": 2, "resolutions": {str(prd): {"take": "current"}}}
    body = assert_error(api.post(url, partial, format="json"), 409, "merge_conflict")
    assert set(body["fields"]) == {str(metrics)}
    resolved = {
        "onto_current": True,
        "expected_version": 2,
        "resolutions": {
            str(prd): {"take": "text", "text": "Write the spec and roadmap"},
            str(metrics): {"take": "current"},
        },
    }
    response = api.post(url, resolved, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved" and response.json()["applied_revision"]["number"] == 3
    assert duties_of(org.pm) == ["Write the spec and roadmap", "Coordinate launches", "Monitor"]


def test_keep_with_an_edited_list_is_400_through_the_api(api, org, cycle):
    review = review_of(cycle, org.pm)
    as_user(api, org.lead)
    url = f"/api/v1/role-reviews/{review.pk}/submit/"
    body = assert_error(
        api.post(url, {"outcome": "keep", "duties": [{"text": "Something else"}]}, format="json"), 400, "invalid"
    )
    assert body["fields"] == {"duties": ["You edited the list: choose Revise, or undo the edits."]}
    assert review_of(cycle, org.pm).state == ReviewState.PENDING
    assert api.post(url, {"outcome": "keep"}, format="json").status_code == 200


def test_merge_conflict_is_in_the_openapi_schema(api, org):
    as_user(api, org.hr)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    approve = schema["paths"]["/api/v1/role-reviews/{id}/approve/"]["post"]
    ref = approve["responses"]["409"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "merge_conflict" in approve["responses"]["409"]["description"]
    assert set(schema["components"]["schemas"][ref]["properties"]) >= {"detail", "code", "fields", "current_version"}
    request = approve["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"onto_current", "resolutions", "expected_version"} <= set(
        schema["components"]["schemas"][request]["properties"]
    )
