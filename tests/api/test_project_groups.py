"""/api/v1/project-groups/: cross-team groups, their members, archive instead of delete."""

import datetime

import pytest

from orgstructure.models import ChangeEvent
from teams.models import ProjectGroup, ProjectGroupMember, Team
from teams.services import project_group_create, project_group_member_add
from tests.api.conftest_teams import *  # noqa: F403 (fixtures)
from tests.api.conftest_teams import DENIED_WRITERS, READERS, assert_error, client_for, db_snapshot
from tests.factories import TeamFactory, UserFactory

URL = "/api/v1/project-groups/"


def detail(group) -> str:
    return f"{URL}{group.pk}/"


@pytest.fixture
def group(callers, org):
    group = project_group_create(
        name="Checkout revamp",
        purpose="Fewer abandoned carts",
        owner=callers["lead"],
        starts_on=datetime.date(2026, 1, 1),
        acting_user=None,
    )
    project_group_member_add(
        group=group, user=callers["member"], home_team=org.product, role_in_group="Research", acting_user=None
    )
    project_group_member_add(group=group, user=callers["other_lead"], home_team=org.operations, acting_user=None)
    return group


# --- reads --------------------------------------------------------------------------------


def test_anonymous_cannot_list_project_groups(group):
    assert_error(client_for(None).get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("caller", READERS)
def test_every_signed_in_person_lists_project_groups_with_members(callers, org, group, caller):
    response = client_for(callers[caller]).get(URL)

    assert response.status_code == 200
    [body] = response.json()["results"]
    assert (body["id"], body["name"], body["slug"], body["purpose"]) == (
        group.pk,
        "Checkout revamp",
        "checkout-revamp",
        "Fewer abandoned carts",
    )
    assert body["owner"] == {"id": callers["lead"].pk, "username": "productlead", "name": "Pat Lead"}
    assert (body["starts_on"], body["ends_on"], body["archived"]) == ("2026-01-01", None, False)
    assert body["members"] == [
        {
            "user": {"id": callers["member"].pk, "username": "member", "name": callers["member"].get_full_name()},
            "home_team": {"id": org.product.pk, "slug": "product", "name": "Product"},
            "role_in_group": "Research",
        },
        {
            "user": {"id": callers["other_lead"].pk, "username": "opslead", "name": "Olga Ops"},
            "home_team": {"id": org.operations.pk, "slug": "operations", "name": "Operations"},
            "role_in_group": "",
        },
    ]


def test_project_group_filters(callers, org, group):
    other = project_group_create(name="Warehouse move", acting_user=None)
    ProjectGroup.objects.filter(pk=other.pk).update(archived=True)
    client = client_for(callers["reader"])

    def names(params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.json()
        return [g["name"] for g in response.json()["results"]]

    assert names({"archived": "false"}) == ["Checkout revamp"]
    assert names({"archived": "true"}) == ["Warehouse move"]
    assert names({"member": callers["member"].pk}) == ["Checkout revamp"]
    assert names({"owner": callers["lead"].pk}) == ["Checkout revamp"]
    assert names({"search": "warehouse"}) == ["Warehouse move"]
    assert names({"ordering": "-name"}) == ["Warehouse move", "Checkout revamp"]


@pytest.mark.parametrize(("params", "field"), [({"archived": "no"}, "archived"), ({"member": "x"}, "member")])
def test_bad_project_group_filter_values_are_400(callers, group, params, field):
    assert field in assert_error(client_for(callers["reader"]).get(URL, params), 400, "invalid")["fields"]


def test_unknown_project_group_is_404(callers, org):
    assert_error(client_for(callers["reader"]).get(f"{URL}999999/"), 404, "not_found")


@pytest.mark.parametrize("size", [3, 30])
def test_project_group_list_queries_do_not_grow_with_size(callers, django_assert_max_num_queries, size):
    team = TeamFactory()
    for n in range(size):
        group = project_group_create(name=f"Group {n}", owner=UserFactory(), acting_user=None)
        for _ in range(2):
            project_group_member_add(group=group, user=UserFactory(), home_team=team, acting_user=None)
    client = client_for(callers["member"])

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == size


# --- create and update --------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_create_project_group_is_refused_to_non_hr(callers, org, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).post(URL, {"name": "Pricing"}, format="json")

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_creates_a_project_group(callers, org):
    hr = callers["hr"]
    response = client_for(hr).post(
        URL,
        {"name": "Pricing", "owner": callers["lead"].pk, "starts_on": "2026-02-01", "ends_on": "2026-06-30"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["slug"], body["owner"]["id"], body["ends_on"], body["members"]) == (
        "pricing",
        callers["lead"].pk,
        "2026-06-30",
        [],
    )
    group = ProjectGroup.objects.get(pk=body["id"])
    assert (group.name, group.owner, group.starts_on) == ("Pricing", callers["lead"], datetime.date(2026, 2, 1))
    assert ChangeEvent.objects.get(action="project_group.created").actor == hr


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": "X", "owner": 999999}, "owner"),
        ({"name": "X", "owner": "productlead"}, "owner"),
        ({"name": "X", "starts_on": "soon"}, "starts_on"),
        ({"name": "X", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}, "ends_on"),
        ({"name": "X", "archived": True}, "archived"),
        ({"name": "X", "members": []}, "members"),
        ({"name": "X", "id": 1}, "id"),
    ],
)
def test_create_project_group_with_bad_input_is_400(callers, org, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).post(URL, payload, format="json")

    assert field in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_update_project_group_is_refused_to_non_hr(callers, group, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).patch(detail(group), {"name": "Renamed"}, format="json")

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_updates_a_project_group(callers, group):
    response = client_for(callers["hr"]).patch(
        detail(group), {"purpose": "Faster checkout", "owner": None, "ends_on": "2026-12-31"}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["purpose"], response.json()["owner"]) == ("Faster checkout", None)
    group.refresh_from_db()
    assert (group.purpose, group.owner, group.ends_on) == ("Faster checkout", None, datetime.date(2026, 12, 31))


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"ends_on": "2025-12-31"}, "ends_on"), ({"archived": True}, "archived"), ({"slug": "a b"}, "slug")],
)
def test_update_project_group_with_bad_input_is_400(callers, group, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(group), payload, format="json")

    assert field in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize("caller", ["member", "hr"])
def test_delete_project_group_is_not_offered(callers, group, caller):
    before = db_snapshot()
    assert_error(client_for(callers[caller]).delete(detail(group)), 405 if caller == "hr" else 403)
    assert db_snapshot() == before


# --- archive ------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_archive_project_group_is_refused_to_non_hr(callers, group, caller, status, code):
    before = db_snapshot()
    assert_error(client_for(callers[caller]).post(f"{detail(group)}archive/"), status, code)
    assert db_snapshot() == before


def test_hr_archives_and_restores_a_project_group(callers, group):
    client = client_for(callers["hr"])

    assert client.post(f"{detail(group)}archive/").json()["archived"] is True
    group.refresh_from_db()
    assert group.archived
    assert client.post(f"{detail(group)}unarchive/").json()["archived"] is False
    group.refresh_from_db()
    assert not group.archived


# --- members ------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_add_group_member_is_refused_to_non_hr(callers, org, group, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).post(
        f"{detail(group)}members/", {"user": callers["reader"].pk, "home_team": org.design.pk}, format="json"
    )

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_adds_a_group_member(callers, org, group):
    hr = callers["hr"]
    response = client_for(hr).post(
        f"{detail(group)}members/",
        {"user": callers["lead"].pk, "home_team": org.product.pk, "role_in_group": "Sponsor"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json() == {
        "user": {"id": callers["lead"].pk, "username": "productlead", "name": "Pat Lead"},
        "home_team": {"id": org.product.pk, "slug": "product", "name": "Product"},
        "role_in_group": "Sponsor",
    }
    assert ProjectGroupMember.objects.filter(group=group, user=callers["lead"], role_in_group="Sponsor").exists()
    assert ChangeEvent.objects.filter(action="project_group.member_added", actor=hr).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"user": "x"}, "user"),
        ({"user": 999999}, "user"),
        ({"home_team": 999999}, "home_team"),
        ({"home_team": "product"}, "home_team"),
        ({"role_in_group": 3}, "role_in_group"),
        ({"group": 1}, "group"),
    ],
)
def test_add_group_member_with_bad_input_is_400(callers, org, group, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).post(
        f"{detail(group)}members/", {"user": callers["lead"].pk, "home_team": org.product.pk, **payload}, format="json"
    )

    assert field in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize("case", ["already_in", "archived_group", "archived_team"])
def test_add_group_member_refusals_change_nothing(callers, org, group, case):
    user = callers["member"] if case == "already_in" else callers["lead"]
    if case == "archived_group":
        ProjectGroup.objects.filter(pk=group.pk).update(archived=True)
    if case == "archived_team":
        Team.objects.filter(pk=org.design.pk).update(archived=True)
    before = db_snapshot()

    response = client_for(callers["hr"]).post(
        f"{detail(group)}members/", {"user": user.pk, "home_team": org.design.pk}, format="json"
    )

    assert assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_remove_group_member_is_refused_to_non_hr(callers, group, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).delete(f"{detail(group)}members/{callers['member'].pk}/")

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_removes_a_group_member(callers, group):
    response = client_for(callers["hr"]).delete(f"{detail(group)}members/{callers['member'].pk}/")

    assert response.status_code == 204
    assert list(group.members.values_list("user__username", flat=True)) == ["opslead"]
    assert ChangeEvent.objects.get(action="project_group.member_removed").data == {"user": callers["member"].pk}


@pytest.mark.parametrize("user_id", ["999999", "abc", "99999999999999999999999"])
def test_remove_a_non_member_is_404(callers, group, user_id):
    before = db_snapshot()
    assert_error(client_for(callers["hr"]).delete(f"{detail(group)}members/{user_id}/"), 404, "not_found")
    assert db_snapshot() == before
