"""/api/v1/teams/: the tree fields, filters, and writes through the team services."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orgstructure.models import ChangeEvent
from teams.models import Team
from tests.api.conftest_teams import *  # noqa: F403 (fixtures)
from tests.api.conftest_teams import DENIED_WRITERS, READERS, assert_error, client_for, db_snapshot
from tests.factories import RoleFactory, TeamFactory

URL = "/api/v1/teams/"


def detail(team) -> str:
    return f"{URL}{team.pk}/"


# --- reads --------------------------------------------------------------------------------


def test_anonymous_cannot_list_teams(org):
    response = client_for(None).get(URL)
    assert_error(response, 401, "not_authenticated")


@pytest.mark.parametrize("caller", READERS)
def test_every_signed_in_person_lists_teams_with_tree_fields(callers, org, caller):
    response = client_for(callers[caller]).get(URL, {"page_size": 100})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    by_slug = {t["slug"]: t for t in body["results"]}
    design = by_slug["design"]
    assert design["parent"] == org.product.pk
    assert design["parent_slug"] == "product"
    assert design["path"] == ["company", "product"]
    assert design["depth"] == 2
    assert design["kind"] == "product"
    assert design["archived"] is False
    assert set(design) == {
        "id",
        "name",
        "slug",
        "kind",
        "description",
        "parent",
        "parent_slug",
        "depth",
        "path",
        "position",
        "archived",
        "created_at",
        "updated_at",
    }
    company = by_slug["company"]
    assert (company["parent"], company["parent_slug"], company["path"], company["depth"]) == (None, None, [], 0)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"parent": "null"}, ["company"]),
        ({"parent": "product"}, ["design"]),
        ({"parent": "company"}, ["product", "operations"]),
        ({"kind": "operations"}, ["operations"]),
        ({"slug": "design"}, ["design"]),
        ({"search": "oper"}, ["operations"]),
        ({"parent": "company", "ordering": "-name"}, ["product", "operations"]),
        ({"parent": "company", "ordering": "name"}, ["operations", "product"]),
    ],
)
def test_team_filters_search_and_ordering(callers, org, params, expected):
    response = client_for(callers["reader"]).get(URL, params)

    assert response.status_code == 200, response.json()
    assert [t["slug"] for t in response.json()["results"]] == expected


def test_parent_filter_takes_an_id(callers, org):
    response = client_for(callers["reader"]).get(URL, {"parent": org.product.pk})
    assert [t["slug"] for t in response.json()["results"]] == ["design"]


def test_archived_filter(callers, org):
    Team.objects.filter(pk=org.design.pk).update(archived=True)
    client = client_for(callers["reader"])

    assert [t["slug"] for t in client.get(URL, {"archived": "true"}).json()["results"]] == ["design"]
    assert "design" not in [t["slug"] for t in client.get(URL, {"archived": "false"}).json()["results"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"parent": "no-such-team"}, "parent"),
        ({"parent": "999999"}, "parent"),
        ({"parent": "99999999999999999999999"}, "parent"),
        ({"archived": "maybe"}, "archived"),
        ({"kind": "bakery"}, "kind"),
    ],
)
def test_bad_filter_values_are_400(callers, org, params, field):
    response = client_for(callers["reader"]).get(URL, params)

    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]


@pytest.mark.parametrize("caller", READERS)
def test_retrieve_team(callers, org, caller):
    response = client_for(callers[caller]).get(detail(org.design))

    assert response.status_code == 200
    assert response.json()["slug"] == "design"
    assert response.json()["path"] == ["company", "product"]


@pytest.mark.parametrize("pk", ["999999", "abc", "99999999999999999999999"])
def test_unknown_team_is_json_404(callers, org, pk):
    response = client_for(callers["reader"]).get(f"{URL}{pk}/")
    assert_error(response, 404, "not_found")


def test_anonymous_cannot_retrieve_team(org):
    assert_error(client_for(None).get(detail(org.product)), 401, "not_authenticated")


@pytest.mark.parametrize("size", [3, 30])
def test_team_list_queries_do_not_grow_with_size(callers, django_assert_max_num_queries, size):
    parent = TeamFactory()
    for _ in range(size):
        TeamFactory(parent=parent)
    client = client_for(callers["reader"])

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})
    assert response.json()["count"] == size + 5


# --- create -------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_create_team_is_refused_to_non_hr(callers, org, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).post(URL, {"name": "Growth", "parent": org.company.pk}, format="json")

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_creates_a_team(callers, org):
    hr = callers["hr"]
    response = client_for(hr).post(
        URL, {"name": "Growth", "parent": org.product.pk, "kind": "marketing", "description": "Grow"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "growth"
    assert body["path"] == ["company", "product"]
    assert body["depth"] == 2
    team = Team.objects.get(pk=body["id"])
    assert (team.name, team.parent_id, team.kind, team.description) == ("Growth", org.product.pk, "marketing", "Grow")
    event = ChangeEvent.objects.get(action="team.created")
    assert (event.object_id, event.actor) == (team.pk, hr)
    assert team.history.first().history_user == hr


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "parent": 999999}, "parent"),
        ({"name": "X", "parent": 99999999999999999999999}, "parent"),
        ({"name": "X", "parent": True}, "parent"),
        ({"name": "X", "position": 10**12}, "position"),
        ({"name": "X", "parent": "product"}, "parent"),
        ({"name": ["X"]}, "name"),
        ({"name": "X", "position": "first"}, "position"),
        ({"name": "X", "position": -1}, "position"),
        ({"name": "X", "kind": "bakery"}, "kind"),
        ({"name": "X", "slug": "not a slug"}, "slug"),
        ({"name": "X", "slug": "product"}, "slug"),
        ({"name": "   "}, "name"),
        ({}, "name"),
        ({"name": "X", "archived": True}, "archived"),
        ({"name": "X", "id": 5}, "id"),
        ({"name": "X", "depth": 3}, "depth"),
        ({"name": "X", "colour": "red"}, "colour"),
    ],
)
def test_create_team_bad_input_is_400_and_creates_nothing(callers, org, payload, field):
    before = db_snapshot()

    response = client_for(callers["hr"]).post(URL, payload, format="json")

    body = assert_error(response, 400, "invalid")
    assert field in body["fields"]
    assert db_snapshot() == before


def test_create_team_with_a_non_object_body_is_400(callers, org):
    response = client_for(callers["hr"]).post(URL, ["Growth"], format="json")
    assert_error(response, 400, "invalid")


def test_create_team_under_an_archived_team_is_refused(callers, org):
    Team.objects.filter(pk=org.design.pk).update(archived=True)
    before = db_snapshot()

    response = client_for(callers["hr"]).post(URL, {"name": "X", "parent": org.design.pk}, format="json")

    body = assert_error(response, 400, "invalid")
    assert "parent" in body["fields"]
    assert db_snapshot() == before


# --- update and move ----------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_update_team_is_refused_to_non_hr(callers, org, caller, status, code):
    before = db_snapshot()

    response = client_for(callers[caller]).patch(
        detail(org.product), {"name": "Renamed", "parent": None}, format="json"
    )

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_put_is_not_offered(callers, org):
    response = client_for(callers["hr"]).put(detail(org.product), {"name": "Renamed"}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_hr_updates_team_fields(callers, org):
    hr = callers["hr"]
    response = client_for(hr).patch(
        detail(org.product), {"name": "Product & Design", "description": "Builds it", "position": 5}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Product & Design"
    org.product.refresh_from_db()
    assert (org.product.name, org.product.description, org.product.position) == ("Product & Design", "Builds it", 5)
    event = ChangeEvent.objects.get(action="team.updated")
    assert event.actor == hr
    assert event.data == {"fields": ["description", "name", "position"]}


def test_hr_moves_a_team_with_its_subtree(callers, org):
    response = client_for(callers["hr"]).patch(detail(org.product), {"parent": org.operations.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["path"] == ["company", "operations"]
    design = client_for(callers["hr"]).get(detail(org.design)).json()
    assert design["path"] == ["company", "operations", "product"]
    assert design["depth"] == 3
    event = ChangeEvent.objects.get(action="team.moved")
    assert event.data["from_parent"] == org.company.pk
    assert event.data["to_parent"] == org.operations.pk


def test_hr_moves_a_team_to_the_top(callers, org):
    response = client_for(callers["hr"]).patch(detail(org.design), {"parent": None}, format="json")

    assert response.status_code == 200, response.json()
    assert (response.json()["parent"], response.json()["depth"]) == (None, 0)


@pytest.mark.parametrize("target", ["design", "product"])
def test_move_under_own_subtree_is_refused_and_nothing_changes(callers, org, target):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(
        detail(org.product), {"parent": getattr(org, target).pk, "name": "Renamed"}, format="json"
    )

    body = assert_error(response, 400, "invalid")
    assert "parent" in body["fields"]
    assert "sub-teams" in body["fields"]["parent"][0]
    assert db_snapshot() == before


@pytest.mark.parametrize(
    "payload",
    [{"archived": True}, {"depth": 0}, {"path": []}, {"id": 1}, {"created_at": "2020-01-01T00:00:00Z"}, {"x": 1}],
)
def test_server_owned_fields_are_refused_on_update(callers, org, payload):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(org.design), {**payload, "name": "New"}, format="json")

    body = assert_error(response, 400, "invalid")
    assert set(body["fields"]) == set(payload)
    assert db_snapshot() == before


def test_update_with_a_taken_slug_is_400(callers, org):
    before = db_snapshot()

    response = client_for(callers["hr"]).patch(detail(org.design), {"slug": "product"}, format="json")

    assert "slug" in assert_error(response, 400, "invalid")["fields"]
    assert db_snapshot() == before


@pytest.mark.parametrize("caller", ["member", "hr"])
def test_delete_is_not_offered(callers, org, caller):
    before = db_snapshot()

    response = client_for(callers[caller]).delete(detail(org.design))

    assert_error(response, 405 if caller == "hr" else 403)
    assert db_snapshot() == before


# --- archive / unarchive ------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["archive", "unarchive"])
@pytest.mark.parametrize(("caller", "status", "code"), DENIED_WRITERS)
def test_archive_actions_are_refused_to_non_hr(callers, org, caller, status, code, verb):
    if verb == "unarchive":
        Team.objects.filter(pk=org.design.pk).update(archived=True)
    before = db_snapshot()

    response = client_for(callers[caller]).post(f"{detail(org.design)}{verb}/")

    assert_error(response, status, code)
    assert db_snapshot() == before


def test_hr_archives_and_restores_a_team(callers, org):
    client = client_for(callers["hr"])

    response = client.post(f"{detail(org.design)}archive/")
    assert response.status_code == 200, response.json()
    assert response.json()["archived"] is True
    org.design.refresh_from_db()
    assert org.design.archived

    response = client.post(f"{detail(org.design)}unarchive/")
    assert response.status_code == 200
    assert response.json()["archived"] is False
    actions = ChangeEvent.objects.filter(action__startswith="team.").values_list("action", flat=True)
    assert list(actions) == ["team.archived", "team.unarchived"]


def test_archiving_a_team_with_sub_teams_or_roles_is_refused(callers, org):
    RoleFactory(team=org.operations)
    before = db_snapshot()
    client = client_for(callers["hr"])

    for team in (org.product, org.operations):
        response = client.post(f"{detail(team)}archive/")
        assert_error(response, 400, "invalid")
    assert db_snapshot() == before


def test_archive_unknown_team_is_404(callers, org):
    assert_error(client_for(callers["hr"]).post(f"{URL}999999/archive/"), 404, "not_found")


# --- token authentication -----------------------------------------------------------------


def test_a_script_reads_teams_with_a_token_and_a_bad_token_is_401(callers, org):
    token = Token.objects.create(user=callers["reader"])
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(URL, {"slug": "product"}).json()["results"][0]["id"] == org.product.pk

    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert_error(client.get(URL), 401, "authentication_failed")


def test_a_token_of_a_reader_cannot_write(callers, org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=callers['reader']).key}")
    before = db_snapshot()

    assert_error(client.post(URL, {"name": "Growth"}, format="json"), 403, "permission_denied")
    assert db_snapshot() == before
