"""/api/v1/teams/{id}/core-duties/ (read and replace as a whole) and /api/v1/core-duties/."""

import pytest

from orgstructure.models import ChangeEvent
from roles.services import role_duties_replace
from teams.models import TeamDuty
from tests.api.conftest_teams import *  # noqa: F403 (fixtures)
from tests.api.conftest_teams import DENIED_WRITERS, READERS, assert_error, client_for, db_snapshot
from tests.factories import RoleFactory, TeamDutyFactory, TeamFactory


def url(team) -> str:
    return f"/api/v1/teams/{team.pk}/core-duties/"


def core_duties(team) -> list[tuple[int, int, str]]:
    return list(TeamDuty.objects.filter(team=team).order_by("position").values_list("id", "position", "text"))


@pytest.fixture
def served(org):
    """A role of product whose duty serves the first core duty."""
    role = RoleFactory(team=org.product)
    role_duties_replace(
        role=role,
        duties=[{"text": "Write the roadmap", "serves": org.duties[0].pk}],
        expected_version=0,
        acting_user=None,
    )
    return role


# --- read ---------------------------------------------------------------------------------


def test_anonymous_cannot_read_core_duties(org):
    assert_error(client_for(None).get(url(org.product)), 401, "not_authenticated")


@pytest.mark.parametrize("caller", READERS)
def test_every_signed_in_person_reads_core_duties_in_order(callers, org, caller):
    response = client_for(callers[caller]).get(url(org.product))

    assert response.status_code == 200
    assert response.json() == {
        "core_duties": [
            {"id": org.duties[0].pk, "position": 1, "text": "Own the product roadmap"},
            {"id": org.duties[1].pk, "position": 2, "text": "Talk to customers"},
        ]
    }


def test_core_duties_of_unknown_team_is_404(callers, org):
    assert_error(client_for(callers["reader"]).get("/api/v1/teams/999999/core-duties/"), 404, "not_found")


# --- replace ------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_replace_is_refused_to_non_hr(callers, org, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).put(
        url(org.product), {"core_duties": [{"text": "Only this"}]}, format="json"
    )

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_reorders_edits_and_adds_keeping_ids(callers, org):
    first, second = org.duties
    hr = callers["hr"]
    payload = {
        "core_duties": [
            {"id": second.pk, "text": "Talk to customers every week"},
            {"text": "Own the product roadmap"},
            {"text": "Measure outcomes"},
        ]
    }

    response = client_for(hr).put(url(org.product), payload, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()["core_duties"]
    new_id = body[2]["id"]
    assert body == [
        {"id": second.pk, "position": 1, "text": "Talk to customers every week"},
        {"id": first.pk, "position": 2, "text": "Own the product roadmap"},
        {"id": new_id, "position": 3, "text": "Measure outcomes"},
    ]
    assert core_duties(org.product) == [(d["id"], d["position"], d["text"]) for d in body]
    event = ChangeEvent.objects.get(action="team.core_duties_replaced")
    assert (event.actor, event.team_id) == (hr, org.product.pk)


def test_hr_removes_an_unserved_core_duty(callers, org):
    response = client_for(callers["hr"]).put(
        url(org.product), {"core_duties": [{"id": org.duties[0].pk, "text": "Own the product roadmap"}]}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert core_duties(org.product) == [(org.duties[0].pk, 1, "Own the product roadmap")]


def test_removing_a_served_core_duty_is_refused_and_nothing_changes(callers, org, served):
    before = db_snapshot()

    response = client_for(callers["hr"]).put(
        url(org.product), {"core_duties": [{"id": org.duties[1].pk, "text": "Talk to customers"}]}, format="json"
    )

    body = assert_error(response, 409, "core_duty_in_use")
    assert "Own the product roadmap" in body["detail"]
    assert "still served by role duties" in body["detail"]
    assert db_snapshot() == before


def test_a_served_core_duty_may_be_reworded_and_moved(callers, org, served):
    first, second = org.duties
    payload = {"core_duties": [{"id": second.pk, "text": "Talk to customers"}, {"id": first.pk, "text": "Own it"}]}

    response = client_for(callers["hr"]).put(url(org.product), payload, format="json")

    assert response.status_code == 200, response.json()
    assert core_duties(org.product) == [(second.pk, 1, "Talk to customers"), (first.pk, 2, "Own it")]
    assert served.duties.get().serves_id == first.pk


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "core_duties"),
        ({"core_duties": "Own it"}, "core_duties"),
        ({"core_duties": [{"id": 1}]}, "core_duties"),
        ({"core_duties": [{"text": 7}]}, "core_duties"),
        ({"core_duties": [{"text": ""}]}, "core_duties"),
        ({"core_duties": [{"text": "   "}]}, "core_duties"),
        ({"core_duties": [{"text": "a" * 501}]}, "core_duties"),
        ({"core_duties": [{"text": "bad \x00 text"}]}, "core_duties"),
        ({"core_duties": [{"text": "Same"}, {"text": "same"}]}, "core_duties"),
        ({"core_duties": [{"id": "first", "text": "x"}]}, "core_duties"),
        ({"core_duties": [{"id": 999999, "text": "x"}]}, "core_duties"),
        ({"core_duties": [{"text": "x", "position": 1}]}, "core_duties"),
        ({"core_duties": [{"text": f"Duty {n}"} for n in range(51)]}, "core_duties"),
        ({"core_duties": [], "reason": "tidy"}, "reason"),
    ],
)
def test_replace_with_bad_input_is_400_and_nothing_changes(callers, org, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).put(url(org.product), payload, format="json")

    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]
    assert db_snapshot() == before


def test_replace_refuses_a_core_duty_of_another_team(callers, org):
    foreign = TeamDutyFactory(team=org.operations, text="Keep the lights on")
    before = db_snapshot()

    response = client_for(callers["hr"]).put(
        url(org.product), {"core_duties": [{"id": foreign.pk, "text": "Keep the lights on"}]}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "does not belong to this team" in str(body["fields"]["core_duties"])
    assert db_snapshot() == before


def test_replace_refuses_the_same_id_twice(callers, org):
    before = db_snapshot()
    duty_id = org.duties[0].pk

    response = client_for(callers["hr"]).put(
        url(org.product), {"core_duties": [{"id": duty_id, "text": "A"}, {"id": duty_id, "text": "B"}]}, format="json"
    )

    assert "core_duties" in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


# --- flat list ----------------------------------------------------------------------------


def test_anonymous_cannot_list_core_duties(org):
    assert_error(client_for(None).get("/api/v1/core-duties/"), 401, "not_authenticated")


@pytest.mark.parametrize("team_ref", ["slug", "pk"])
def test_flat_core_duty_list_filters_by_team(callers, org, team_ref):
    TeamDutyFactory(team=org.operations, position=1, text="Keep the lights on")

    response = client_for(callers["member"]).get("/api/v1/core-duties/", {"team": getattr(org.product, team_ref)})

    assert response.status_code == 200
    assert [(d["team"], d["position"], d["text"]) for d in response.json()["results"]] == [
        (org.product.pk, 1, "Own the product roadmap"),
        (org.product.pk, 2, "Talk to customers"),
    ]


@pytest.mark.parametrize("team", ["nope", "999999"])
def test_flat_core_duty_list_refuses_an_unknown_team(callers, org, team):
    body = assert_error(client_for(callers["reader"]).get("/api/v1/core-duties/", {"team": team}), 400, "invalid")
    assert "team" in body["fields"]


def test_flat_core_duty_list_is_read_only(callers, org):
    before = db_snapshot()
    response = client_for(callers["hr"]).post("/api/v1/core-duties/", {"team": org.product.pk, "text": "x"})
    assert_error(response, 405, "method_not_allowed")
    assert db_snapshot() == before


@pytest.mark.parametrize("size", [3, 30])
def test_core_duty_list_queries_do_not_grow_with_size(callers, django_assert_max_num_queries, size):
    for _ in range(size):
        TeamDutyFactory(team=TeamFactory())
    client = client_for(callers["reader"])

    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/core-duties/", {"page_size": 100})
    assert response.json()["count"] == size + 2
