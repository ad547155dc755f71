"""/api/v1/people/: the internal directory (active people and their teams; emails for HR only)."""

import pytest

from teams.models import Membership, Team
from teams.services import membership_add
from tests.api.conftest_teams import *  # noqa: F403 (fixtures)
from tests.api.conftest_teams import READERS, assert_error, client_for, db_snapshot
from tests.factories import RoleFactory, TeamFactory, UserFactory

URL = "/api/v1/people/"


def test_anonymous_cannot_list_people(callers):
    assert_error(client_for(None).get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("caller", READERS)
def test_every_signed_in_person_lists_people_with_their_teams(callers, org, caller):
    role = RoleFactory(team=org.product, title="Product manager", slug="pm")
    Membership.objects.filter(user=callers["lead"]).update(role=role)
    membership_add(user=callers["lead"], team=org.design, acting_user=None)

    response = client_for(callers[caller]).get(URL, {"search": "productlead"})

    assert response.status_code == 200
    [person] = response.json()["results"]
    assert set(person) == {"id", "username", "name", "email", "teams"}
    assert (person["id"], person["username"], person["name"]) == (callers["lead"].pk, "productlead", "Pat Lead")
    assert person["teams"] == [  # by team name
        {"id": org.design.pk, "slug": "design", "name": "Design", "is_lead": False, "role": None},
        {
            "id": org.product.pk,
            "slug": "product",
            "name": "Product",
            "is_lead": True,
            "role": {"id": role.pk, "slug": "pm", "title": "Product manager"},
        },
    ]


@pytest.mark.parametrize("caller", ["member", "other_lead", "lead", "reader"])
def test_only_hr_sees_emails(callers, caller):
    people = client_for(callers[caller]).get(URL).json()["results"]
    assert people
    assert all(p["email"] is None for p in people)
    assert "@" not in str(people)


def test_hr_sees_emails(callers):
    people = {p["username"]: p for p in client_for(callers["hr"]).get(URL).json()["results"]}
    assert people["productlead"]["email"] == "productlead@example.com"


def test_inactive_people_are_not_listed(callers):
    UserFactory(username="gone", is_active=False)
    client = client_for(callers["reader"])

    assert "gone" not in [p["username"] for p in client.get(URL, {"page_size": 100}).json()["results"]]
    gone_id = UserFactory(username="gone").pk
    assert_error(client.get(f"{URL}{gone_id}/"), 404, "not_found")


def test_archived_teams_are_left_out(callers, org):
    Team.objects.filter(pk=org.product.pk).update(archived=True)

    person = client_for(callers["reader"]).get(f"{URL}{callers['lead'].pk}/").json()

    assert person["teams"] == []


def test_a_draft_role_is_hidden_from_people_who_may_not_see_it(callers, org):
    draft = RoleFactory(team=org.product, status="draft")
    Membership.objects.filter(user=callers["member"]).update(role=draft)

    def role_seen_by(caller):
        [team] = client_for(callers[caller]).get(f"{URL}{callers['member'].pk}/").json()["teams"]
        return team["role"]

    assert role_seen_by("hr")["id"] == draft.pk
    assert role_seen_by("lead")["id"] == draft.pk
    assert role_seen_by("reader") is None
    assert role_seen_by("other_lead") is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "olga"}, ["opslead"]),
        ({"search": "Pat Lead"}, ["productlead"]),
        ({"team": "operations"}, ["opslead"]),
        ({"team": "product", "ordering": "-username"}, ["productlead", "member"]),
    ],
)
def test_people_search_filter_and_ordering(callers, org, params, expected):
    response = client_for(callers["member"]).get(URL, params)

    assert response.status_code == 200, response.json()
    assert [p["username"] for p in response.json()["results"]] == expected


@pytest.mark.parametrize("team", ["nope", "999999"])
def test_people_filter_refuses_an_unknown_team(callers, team):
    assert "team" in assert_error(client_for(callers["member"]).get(URL, {"team": team}), 400, "invalid")["fields"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_people_are_read_only(callers, method):
    before = db_snapshot()
    target = f"{URL}{callers['member'].pk}/" if method != "post" else URL

    response = getattr(client_for(callers["hr"]), method)(target, {"username": "x"}, format="json")

    assert_error(response, 405, "method_not_allowed")
    assert db_snapshot() == before


@pytest.mark.parametrize("size", [3, 30])
def test_people_list_queries_do_not_grow_with_size(callers, django_assert_max_num_queries, size):
    teams = [TeamFactory(), TeamFactory()]
    for _ in range(size):
        user = UserFactory()
        for team in teams:
            membership_add(user=user, team=team, role=RoleFactory(team=team, status="draft"), acting_user=None)
    client = client_for(callers["other_lead"])

    with django_assert_max_num_queries(7):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == size + 5
