"""/api/v1/memberships/: who is in which team, with which role, and who leads."""

import pytest

from orgstructure.models import ChangeEvent
from teams.models import Membership, Team
from teams.permissions import user_leads_team
from teams.services import membership_add
from tests.api.conftest_teams import *  # noqa: F403 (fixtures)
from tests.api.conftest_teams import DENIED_WRITERS, READERS, assert_error, client_for, db_snapshot
from tests.factories import RoleFactory, TeamFactory, UserFactory

URL = "/api/v1/memberships/"


def detail(membership) -> str:
    return f"{URL}{membership.pk}/"


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer", first_name="Nia", last_name="New")


@pytest.fixture
def member_ship(callers, org):
    return Membership.objects.get(user=callers["member"], team=org.product)


# --- reads --------------------------------------------------------------------------------


def test_anonymous_cannot_list_memberships(org):
    assert_error(client_for(None).get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("caller", READERS)
def test_every_signed_in_person_lists_memberships(callers, org, caller):
    role = RoleFactory(team=org.product, title="Product manager", slug="pm")
    Membership.objects.filter(user=callers["lead"]).update(role=role)

    response = client_for(callers[caller]).get(URL, {"team": "product"})

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(m["user"]["username"], m["is_lead"]) for m in results] == [("productlead", True), ("member", False)]
    lead = results[0]
    assert lead["user"] == {"id": callers["lead"].pk, "username": "productlead", "name": "Pat Lead"}
    assert lead["team"] == {"id": org.product.pk, "slug": "product", "name": "Product"}
    assert lead["role"] == {"id": role.pk, "slug": "pm", "title": "Product manager"}
    assert set(lead) == {"id", "user", "team", "role", "is_lead", "created_at", "updated_at"}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"is_lead": "true"}, ["productlead", "opslead"]),
        ({"is_lead": "false"}, ["member"]),
        ({"team": "operations"}, ["opslead"]),
        ({"search": "olga"}, ["opslead"]),
    ],
)
def test_membership_filters(callers, org, params, expected):
    response = client_for(callers["reader"]).get(URL, params)

    assert response.status_code == 200, response.json()
    assert sorted(m["user"]["username"] for m in response.json()["results"]) == sorted(expected)


def test_membership_filters_by_user_and_role(callers, org):
    role = RoleFactory(team=org.product)
    Membership.objects.filter(user=callers["member"]).update(role=role)
    client = client_for(callers["reader"])

    by_user = client.get(URL, {"user": callers["other_lead"].pk}).json()["results"]
    by_role = client.get(URL, {"role": role.pk}).json()["results"]

    assert [m["user"]["username"] for m in by_user] == ["opslead"]
    assert [m["user"]["username"] for m in by_role] == ["member"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"team": "nope"}, "team"),
        ({"user": "abc"}, "user"),
        ({"user": "99999999999999999999999"}, "user"),
        ({"role": "999999"}, "role"),
        ({"is_lead": "yes"}, "is_lead"),
    ],
)
def test_bad_membership_filter_values_are_400(callers, org, params, field):
    body = assert_error(client_for(callers["reader"]).get(URL, params), 400, "invalid")
    assert field in body["fields"]


def test_a_draft_role_shows_only_to_hr_and_the_teams_leads(callers, org, member_ship):
    draft = RoleFactory(team=org.product, status="draft", title="Secret plan")
    Membership.objects.filter(pk=member_ship.pk).update(role=draft)

    def role_seen_by(caller):
        return client_for(callers[caller]).get(detail(member_ship)).json()["role"]

    assert role_seen_by("hr")["title"] == "Secret plan"
    assert role_seen_by("lead")["title"] == "Secret plan"
    assert role_seen_by("member") is None
    assert role_seen_by("other_lead") is None
    assert role_seen_by("reader") is None


@pytest.mark.parametrize("size", [3, 30])
def test_membership_list_queries_do_not_grow_with_size(callers, django_assert_max_num_queries, size):
    team = TeamFactory()
    for n in range(size):
        user = UserFactory()
        membership_add(user=user, team=team, role=RoleFactory(team=team), is_lead=n % 2 == 0, acting_user=None)
    client = client_for(callers["member"])

    with django_assert_max_num_queries(6):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == size + 3


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_add_membership_is_refused_to_non_hr(callers, org, newcomer, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).post(
        URL, {"user": newcomer.pk, "team": org.product.pk, "is_lead": True}, format="json"
    )

    assert_error(response, status, code)
    assert db_snapshot() == before
    assert not user_leads_team(newcomer, org.product)


def test_hr_adds_a_lead_who_gets_the_lead_permission(callers, org, newcomer):
    role = RoleFactory(team=org.design)
    hr = callers["hr"]

    response = client_for(hr).post(
        URL, {"user": newcomer.pk, "team": org.design.pk, "role": role.pk, "is_lead": True}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["user"]["id"], body["team"]["slug"], body["role"]["id"], body["is_lead"]) == (
        newcomer.pk,
        "design",
        role.pk,
        True,
    )
    assert Membership.objects.filter(user=newcomer, team=org.design, role=role, is_lead=True).exists()
    assert user_leads_team(newcomer, org.design)
    assert not user_leads_team(newcomer, org.product)
    event = ChangeEvent.objects.get(action="membership.added", actor=hr)
    assert (event.team_id, event.data) == (org.design.pk, {"user": newcomer.pk, "is_lead": True})


def test_hr_adds_a_plain_member(callers, org, newcomer):
    response = client_for(callers["hr"]).post(URL, {"user": newcomer.pk, "team": org.design.pk}, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["is_lead"] is False
    assert response.json()["role"] is None
    assert not user_leads_team(newcomer, org.design)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"team": "product"}, "team"),
        ({"team": 999999}, "team"),
        ({"user": 999999}, "user"),
        ({"user": "newcomer"}, "user"),
        ({"role": 999999}, "role"),
        ({"is_lead": "sometimes"}, "is_lead"),
        ({"id": 3}, "id"),
        ({"created_at": "2020-01-01"}, "created_at"),
    ],
)
def test_add_membership_with_bad_input_is_400(callers, org, newcomer, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).post(
        URL, {"user": newcomer.pk, "team": org.design.pk, **payload}, format="json"
    )

    assert field in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize("case", ["duplicate", "foreign_role", "archived_team", "inactive_user"])
def test_add_membership_refusals_change_nothing(callers, org, newcomer, case):
    payload = {"user": newcomer.pk, "team": org.design.pk}
    if case == "duplicate":
        payload = {"user": callers["member"].pk, "team": org.product.pk}
    elif case == "foreign_role":
        payload["role"] = RoleFactory(team=org.operations).pk
    elif case == "archived_team":
        Team.objects.filter(pk=org.design.pk).update(archived=True)
    else:
        newcomer.is_active = False
        newcomer.save(update_fields=["is_active"])
    before = db_snapshot()

    response = client_for(callers["hr"]).post(URL, payload, format="json")

    body = assert_error(response, 400, "invalid")
    assert body["fields"]
    assert db_snapshot() == before


# --- update -------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_update_membership_is_refused_to_non_hr(callers, org, member_ship, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).patch(detail(member_ship), {"is_lead": True}, format="json")

    assert_error(response, status, code)
    assert db_snapshot() == before
    assert not user_leads_team(callers["member"], org.product)


def test_hr_makes_a_member_lead_and_back(callers, org, member_ship):
    client = client_for(callers["hr"])
    member = callers["member"]

    response = client.patch(detail(member_ship), {"is_lead": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["is_lead"] is True
    assert user_leads_team(member, org.product)
    assert user_leads_team(member, org.design)  # a lead's permission covers the subtree

    response = client.patch(detail(member_ship), {"is_lead": False}, format="json")
    assert response.status_code == 200
    assert response.json()["is_lead"] is False
    assert not user_leads_team(member, org.product)
    assert list(ChangeEvent.objects.filter(action="membership.updated").values_list("data__is_lead", flat=True)) == [
        True,
        False,
    ]


def test_hr_changes_and_clears_the_role(callers, org, member_ship):
    role = RoleFactory(team=org.product)
    client = client_for(callers["hr"])

    assert client.patch(detail(member_ship), {"role": role.pk}, format="json").json()["role"]["id"] == role.pk
    member_ship.refresh_from_db()
    assert member_ship.role == role

    assert client.patch(detail(member_ship), {"role": None}, format="json").json()["role"] is None
    member_ship.refresh_from_db()
    assert member_ship.role is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"team": 1}, "team"),
        ({"user": 1}, "user"),
        ({"role": "pm"}, "role"),
        ({"role": 999999}, "role"),
        ({"is_lead": [True]}, "is_lead"),
    ],
)
def test_update_membership_with_bad_input_is_400(callers, org, member_ship, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(member_ship), payload, format="json")

    assert field in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


def test_update_membership_with_a_role_of_another_team_is_400(callers, org, member_ship):
    foreign = RoleFactory(team=org.operations)
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(member_ship), {"role": foreign.pk}, format="json")

    assert "role" in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


# --- delete -------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_remove_membership_is_refused_to_non_hr(callers, org, caller, status, code):
    lead_ship = Membership.objects.get(user=callers["lead"], team=org.product)
    before = db_snapshot()

    response = client_for(callers[caller]).delete(detail(lead_ship))

    assert_error(response, status, code)
    assert db_snapshot() == before
    assert user_leads_team(callers["lead"], org.product)


def test_hr_removes_a_lead_who_loses_the_lead_permission(callers, org):
    lead_ship = Membership.objects.get(user=callers["lead"], team=org.product)

    response = client_for(callers["hr"]).delete(detail(lead_ship))

    assert response.status_code == 204
    assert not Membership.objects.filter(pk=lead_ship.pk).exists()
    assert not user_leads_team(callers["lead"], org.product)
    assert ChangeEvent.objects.get(action="membership.removed").actor == callers["hr"]


def test_remove_unknown_membership_is_404(callers, org):
    assert_error(client_for(callers["hr"]).delete(f"{URL}999999/"), 404, "not_found")


def test_an_empty_update_changes_nothing(callers, org, member_ship):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(member_ship), {}, format="json")

    assert response.status_code == 200
    assert response.json()["id"] == member_ship.pk
    assert db_snapshot() == before
