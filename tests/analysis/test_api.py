import pytest
from rest_framework.test import APIClient

from roles.models import Duty, Role
from teams.models import Team
from teams.services import membership_add
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

COVERAGE = "/api/v1/analysis/coverage/"
OVERLAPS = "/api/v1/analysis/overlaps/"


def client_for(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def marketing_lead(seed_org):
    lead = UserFactory(username="mlead")
    membership_add(user=lead, team=Team.objects.get(slug="marketing"), is_lead=True, acting_user=None)
    return lead


def test_coverage_for_hr_lists_every_team_with_its_served_core_duties(hr, seed_org):
    body = client_for(hr).get(COVERAGE).json()

    assert body["summary"] == {
        "teams": 5,
        "core_duties": 15,
        "gaps": 0,
        "unmapped_duties": 0,
        "roles_without_duties": 0,
        "teams_without_roles": 0,
    }
    assert body["count"] == 5 and body["results"][0]["team"]["slug"] == "product"
    cs = next(t for t in body["results"] if t["team"]["slug"] == "customer-service")
    core2 = cs["core_duties"][1]
    assert core2["text"] == "Collects user feedback, analyses user needs, and raises service quality."
    assert core2["gap"] is False
    assert core2["served_by"][0]["role"]["slug"] == "customer-service-specialist"


def test_coverage_of_one_team_and_problems_only(hr, seed_org):
    role = Role.objects.get(slug="marketing-specialist")
    Duty.objects.filter(role=role, position=2).update(serves=None)

    body = client_for(hr).get(COVERAGE, {"team": "marketing"}).json()
    problems = client_for(hr).get(COVERAGE, {"problems": "true"}).json()

    assert [t["team"]["slug"] for t in body["results"]] == ["marketing"]
    assert body["summary"]["gaps"] == 1 and body["summary"]["unmapped_duties"] == 1
    assert [c["gap"] for c in body["results"][0]["core_duties"]] == [False, True, False]
    assert [t["team"]["slug"] for t in problems["results"]] == ["marketing"]


def test_coverage_refuses_anonymous_members_and_leads_outside_their_teams(member, marketing_lead):
    anonymous = client_for().get(COVERAGE)
    as_member = client_for(member).get(COVERAGE)
    outside = client_for(marketing_lead).get(COVERAGE, {"team": "product"})
    unknown = client_for(marketing_lead).get(COVERAGE, {"team": "no-such-team"})
    own = client_for(marketing_lead).get(COVERAGE)

    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert as_member.status_code == 403 and as_member.json()["code"] == "permission_denied"
    assert outside.status_code == 403
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert own.status_code == 200
    assert [t["team"]["slug"] for t in own.json()["results"]] == ["marketing"]


def test_overlaps_default_view_lists_the_cross_team_overlap_with_its_shared_activities(hr, seed_org):
    response = client_for(hr).get(OVERLAPS)

    body = response.json()
    assert response.status_code == 200
    assert body["threshold"] == 0.45 and body["stats"]["complete"] is True and body["stats"]["duties"] == 30
    assert body["count"] >= 1
    assert {p["relation"] for p in body["results"]} <= {"cross_team", "same_team"}
    feedback = next(
        p
        for p in body["results"]
        if {p["a"]["text"], p["b"]["text"]}
        == {
            "Runs market research, analyses user feedback, and improves product features.",
            "Collects user feedback, analyses user needs, and raises service quality.",
        }
    )
    assert feedback["relation"] == "cross_team" and feedback["intended"] is None
    assert {"a", "b", "score"} == set(feedback["shared"][0])
    shared = {(s["a"], s["b"]) for s in feedback["shared"]} | {(s["b"], s["a"]) for s in feedback["shared"]}
    assert ("analyses user feedback", "Collects user feedback") in shared
    for side in ("a", "b"):
        text = feedback[side]["text"]
        assert all(0 <= start < end <= len(text) for start, end in feedback[side]["highlights"])
    assert not any(
        {p["a"]["team"]["slug"], p["b"]["team"]["slug"]} == {"technology", "customer-service"} for p in body["results"]
    )


def test_overlaps_restatements_are_listed_with_relation_serves(hr, seed_org):
    body = client_for(hr).get(OVERLAPS, {"relation": "serves"}).json()

    assert body["count"] >= 5
    first = body["results"][0]
    assert first["relation"] == "serves" and first["a"]["kind"] == "role_duty" and first["b"]["kind"] == "core_duty"
    assert first["a"]["serves"] == first["b"]["id"]
    texts = {(p["a"]["text"], p["b"]["text"]) for p in body["results"]}
    assert (
        "Collects user feedback, analyses user needs, proposes improvements.",
        "Collects user feedback, analyses user needs, and raises service quality.",
    ) in texts


def test_overlaps_threshold_relation_and_pagination(hr, seed_org):
    low = client_for(hr).get(OVERLAPS, {"threshold": "0.4", "relation": "cross_team", "page_size": 2}).json()
    bad = client_for(hr).get(OVERLAPS, {"threshold": "0.1"})
    nan = client_for(hr).get(OVERLAPS, {"threshold": "abc"})
    decided = client_for(hr).get(OVERLAPS, {"decided": "maybe"})

    assert low["count"] >= 1 and len(low["results"]) <= 2
    assert all(p["relation"] == "cross_team" for p in low["results"])
    assert bad.status_code == 400 and "threshold" in bad.json()["fields"]
    assert nan.status_code == 400
    assert decided.status_code == 400 and "decided" in decided.json()["fields"]


def test_marking_a_pair_intended_through_the_api(hr, seed_org, marketing_lead):
    client = client_for(hr)
    before = client.get(OVERLAPS).json()
    pair = before["results"][0]
    url = f"{OVERLAPS}{pair['id']}/intended/"

    refused = client_for(marketing_lead).post(url, {"note": "x"}, format="json")
    marked = client.post(url, {"note": "Shared on purpose <b>"}, format="json")
    after = client.get(OVERLAPS).json()
    intended = client.get(OVERLAPS, {"decided": "yes"}).json()
    unknown = client.post(f"{OVERLAPS}999999/intended/", {"note": ""}, format="json")

    assert refused.status_code in (403, 404)
    assert marked.status_code == 200 and marked.json()["intended"]["note"] == "Shared on purpose <b>"
    assert after["count"] == before["count"] - 1
    assert [p["id"] for p in intended["results"]] == [pair["id"]]
    assert unknown.status_code == 404
    assert client.delete(url).status_code == 204
    assert client.get(OVERLAPS).json()["count"] == before["count"]


def test_overlaps_for_a_lead_only_touch_their_teams_and_members_are_refused(member, marketing_lead):
    own = client_for(marketing_lead).get(OVERLAPS, {"relation": ["serves", "cross_team", "same_team"]}).json()
    refused = client_for(member).get(OVERLAPS)

    assert own["count"] >= 1
    assert all("marketing" in (p["a"]["team"]["slug"], p["b"]["team"]["slug"]) for p in own["results"])
    assert refused.status_code == 403


@pytest.mark.parametrize("extra_teams", [2, 20])
def test_analysis_api_query_counts_are_fixed(hr, seed_org, extra_teams, django_assert_max_num_queries):
    for _ in range(extra_teams):
        TeamFactory(parent=Team.objects.get(slug="product"))
    client = client_for(hr)
    with django_assert_max_num_queries(22):
        assert client.get(COVERAGE).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(OVERLAPS, {"threshold": "0.4"}).status_code == 200
