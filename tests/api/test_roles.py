"""Roles: list/detail visibility, create/update (HR), duties PUT with If-Match, revisions, restore."""

import pytest

from roles.models import Role, RoleRevision, RoleStatus
from roles.services import role_duties_replace
from teams.services import team_create
from tests.api.conftest import db_state
from tests.factories import TeamFactory, role_with_duties

LIST = "/api/v1/roles/"


def detail(role) -> str:
    return f"/api/v1/roles/{role.pk}/"


def duties_url(role) -> str:
    return f"/api/v1/roles/{role.pk}/duties/"


@pytest.fixture
def org(seed_teams, seed_roles, make_lead, client_for, hr_client, reader_client, member_client, anon):
    """The seed plus a draft role in Technology; leads of Technology and of Marketing."""
    draft = role_with_duties("Draft duty", team=seed_teams["technology"], slug="draft", status=RoleStatus.DRAFT)
    return {
        "draft": draft,
        "pm": seed_roles["product-manager"],
        "teams": seed_teams,
        "clients": {
            "anonymous": anon,
            "member": member_client,
            "reader": reader_client,
            "tech_lead": client_for(make_lead(seed_teams["technology"], "tech-lead")),
            "other_lead": client_for(make_lead(seed_teams["marketing"], "mkt-lead")),
            "hr": hr_client,
        },
    }


# --- reads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "sees_draft"),
    [("hr", True), ("tech_lead", True), ("other_lead", False), ("member", False), ("reader", False)],
)
def test_list_shows_only_visible_roles(org, caller, sees_draft):
    response = org["clients"][caller].get(LIST, {"page_size": 100})

    assert response.status_code == 200
    slugs = {r["slug"] for r in response.json()["results"]}
    assert ("draft" in slugs) is sees_draft
    assert "product-manager" in slugs
    assert response.json()["count"] == (6 if sees_draft else 5)


@pytest.mark.parametrize(
    ("caller", "status"),
    [("hr", 200), ("tech_lead", 200), ("other_lead", 404), ("member", 404), ("reader", 404), ("anonymous", 401)],
)
def test_a_draft_role_is_404_for_those_who_may_not_see_it(org, caller, status):
    response = org["clients"][caller].get(detail(org["draft"]))

    assert response.status_code == status
    if status != 200:
        assert set(response.json()) == {"detail", "code", "fields"}


def test_detail_has_ordered_duties_version_and_etag(org):
    pm = org["pm"]

    response = org["clients"]["member"].get(detail(pm))

    body = response.json()
    assert response["ETag"] == '"1"'
    assert body["version"] == 1 and body["team_slug"] == "product" and body["status"] == "active"
    assert [d["position"] for d in body["duties"]] == [1, 2, 3]
    assert body["duties"][0] == {
        "id": pm.duties.get(position=1).pk,
        "position": 1,
        "text": pm.duties.get(position=1).text,
        "serves": pm.duties.get(position=1).serves_id,
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"team_slug": "product"}, ["product-manager"]),
        ({"status": "draft"}, ["draft"]),
        ({"search": "engineer"}, ["software-development-engineer"]),
        ({"ordering": "-title", "team_slug": "technology"}, ["software-development-engineer", "draft"]),
    ],
)
def test_filters_search_and_ordering(org, params, expected):
    response = org["clients"]["hr"].get(LIST, params)

    assert [r["slug"] for r in response.json()["results"]] == expected


def test_filter_by_team_id(org):
    team = org["teams"]["operations"]
    response = org["clients"]["member"].get(LIST, {"team": team.pk})
    assert [r["slug"] for r in response.json()["results"]] == ["operations-specialist"]


@pytest.mark.parametrize(
    "params",
    [{"team": "abc"}, {"status": "bogus"}, {"team": "1.5"}, {"page": "abc"}, {"team": "9" * 30}, {"team": "-1"}],
)
def test_bad_list_parameters_are_json_errors_not_500(org, params):
    response = org["clients"]["member"].get(LIST, params)

    assert response.status_code in (400, 404)
    assert set(response.json()) == {"detail", "code", "fields"}


def test_list_query_count_does_not_grow(db, member_client, django_assert_max_num_queries):
    counts = []
    for n in (3, 40):
        for _ in range(n):
            role_with_duties("x", team=TeamFactory())
        with django_assert_max_num_queries(8) as captured:
            assert member_client.get(LIST).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- create / update -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "status"), [("anonymous", 401), ("member", 403), ("reader", 403), ("tech_lead", 403)]
)
def test_create_is_refused_to_non_hr_and_creates_nothing(org, caller, status):
    before = Role.objects.count()

    response = org["clients"][caller].post(LIST, {"team": org["teams"]["technology"].pk, "title": "New"}, format="json")

    assert response.status_code == status
    assert response.json()["code"] in ("not_authenticated", "permission_denied")
    assert Role.objects.count() == before


def test_hr_creates_a_role(org):
    team = org["teams"]["technology"]

    response = org["clients"]["hr"].post(
        LIST, {"team": team.pk, "title": "QA engineer", "status": "draft"}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["title"], body["slug"], body["status"], body["version"], body["duties"]) == (
        "QA engineer",
        "qa-engineer",
        "draft",
        0,
        [],
    )
    assert response["ETag"] == '"0"'
    assert Role.objects.get(pk=body["id"]).team == team


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "X"}, "team"),
        ({"team": 999999, "title": "X"}, "team"),
        ({"team": "abc", "title": "X"}, "team"),
        ({"team": "TEAM", "title": ""}, "title"),
        ({"team": "TEAM", "title": 5}, "title"),
        ({"team": "TEAM", "title": "X", "version": 7}, "version"),
        ({"team": "TEAM", "title": "X", "duties": []}, "duties"),
        ({"team": "TEAM", "title": "X", "headcount": "many"}, "headcount"),
        ({"team": "TEAM", "title": "X", "slug": "not a slug"}, "slug"),
        ({"team": "TEAM", "title": "X", "status": "gone"}, "status"),
        ({"team": "TEAM", "title": "Dup", "slug": "product-manager", "_team": "product"}, "non_field_errors"),
    ],
)
def test_create_with_bad_input_is_400_and_creates_nothing(org, payload, field):
    team = org["teams"][payload.pop("_team", "technology")]
    payload = {k: (team.pk if v == "TEAM" else v) for k, v in payload.items()}
    before = Role.objects.count()

    response = org["clients"]["hr"].post(LIST, payload, format="json")

    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid" and field in body["fields"], body
    assert Role.objects.count() == before


def test_creating_a_role_in_an_archived_team_is_400(org):
    from teams.services import team_archive

    empty = team_create(name="Empty", slug="empty", acting_user=None)
    team_archive(team=empty, acting_user=None)

    response = org["clients"]["hr"].post(LIST, {"team": empty.pk, "title": "X"}, format="json")

    assert response.status_code == 400 and "team" in response.json()["fields"]


def test_hr_updates_role_fields(org):
    pm = org["pm"]

    response = org["clients"]["hr"].patch(detail(pm), {"title": "Product owner", "headcount": 2}, format="json")

    assert response.status_code == 200
    pm.refresh_from_db()
    assert (pm.title, pm.headcount, pm.version) == ("Product owner", 2, 1)
    assert response.json()["title"] == "Product owner"


def test_hr_retires_a_role(org):
    response = org["clients"]["hr"].patch(detail(org["pm"]), {"status": "retired"}, format="json")

    assert response.status_code == 200
    assert Role.objects.get(pk=org["pm"].pk).status == RoleStatus.RETIRED


@pytest.mark.parametrize("payload", [{"team": 3}, {"version": 9}, {"duties": []}, {"id": 5}, {"title": None}])
def test_server_owned_fields_are_refused_explicitly(org, payload):
    before = db_state(org["pm"])

    response = org["clients"]["hr"].patch(detail(org["pm"]), payload, format="json")

    assert response.status_code == 400
    assert next(iter(payload)) in response.json()["fields"]
    assert db_state(org["pm"]) == before


@pytest.mark.parametrize(
    ("caller", "role", "status"),
    [
        ("anonymous", "pm", 401),
        ("member", "pm", 403),
        ("reader", "pm", 403),
        ("tech_lead", "draft", 403),
        ("other_lead", "draft", 404),
        ("member", "draft", 404),
    ],
)
def test_update_is_refused_to_non_hr_and_changes_nothing(org, caller, role, status):
    role = org[role]
    before = db_state(role)

    response = org["clients"][caller].patch(detail(role), {"title": "Hacked"}, format="json")

    assert response.status_code == status
    assert set(response.json()) == {"detail", "code", "fields"}
    assert db_state(role) == before


def test_put_on_a_role_and_delete_are_405(org):
    hr = org["clients"]["hr"]
    for response in (hr.put(detail(org["pm"]), {"title": "x"}, format="json"), hr.delete(detail(org["pm"]))):
        assert response.status_code == 405
        assert response.json()["code"] == "method_not_allowed"
    assert Role.objects.filter(pk=org["pm"].pk).exists()


# --- duties PUT with If-Match -----------------------------------------------------------------


def test_hr_replaces_the_duty_list(org):
    pm = org["pm"]
    core = list(pm.team.core_duties.order_by("position"))
    old_first = pm.duties.get(position=1)
    body = {
        "duties": [
            {"text": "New first duty", "serves": core[1].pk},
            {"id": old_first.pk, "position": 1, "text": old_first.text, "serves": old_first.serves_id},
        ],
        "reason": "Clearer",
    }

    response = org["clients"]["hr"].put(duties_url(pm), body, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    data = response.json()
    assert data["version"] == 2
    assert [(d["position"], d["text"], d["serves"]) for d in data["duties"]] == [
        (1, "New first duty", core[1].pk),
        (2, old_first.text, old_first.serves_id),
    ]
    assert data["duties"][1]["id"] == old_first.pk
    revision = RoleRevision.objects.get(role=pm, number=2)
    assert (revision.source, revision.reason, revision.author.username) == ("api", "Clearer", "hr")


def test_an_unchanged_list_writes_nothing(org):
    pm = org["pm"]
    same = [{"text": d.text, "serves": d.serves_id} for d in pm.duties.order_by("position")]
    before = db_state(pm)

    response = org["clients"]["hr"].put(duties_url(pm), {"duties": same}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 200 and response["ETag"] == '"1"'
    assert db_state(pm) == before


def test_without_if_match_it_is_428_and_nothing_changes(org):
    pm = org["pm"]
    before = db_state(pm)

    response = org["clients"]["hr"].put(duties_url(pm), {"duties": [{"text": "X"}]}, format="json")

    assert response.status_code == 428
    assert response.json()["code"] == "precondition_required"
    assert db_state(pm) == before


def test_a_stale_if_match_is_412_with_the_current_version_and_nothing_changes(org):
    pm = org["pm"]
    role_duties_replace(role=pm, duties=[{"text": "Someone else's edit"}], expected_version=1, acting_user=None)
    before = db_state(pm)

    response = org["clients"]["hr"].put(
        duties_url(pm), {"duties": [{"text": "Mine"}]}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 412
    body = response.json()
    assert body["code"] == "stale_version" and body["current_version"] == 2 and body["fields"] == {}
    assert "version 1" in body["detail"]
    assert response["ETag"] == '"2"'
    assert db_state(pm) == before


@pytest.mark.parametrize("header", ["*", "abc", 'W/"1"', '"1.0"', '"-1"', "1" * 40])
def test_a_malformed_if_match_is_400_and_nothing_changes(org, header):
    pm = org["pm"]
    before = db_state(pm)

    response = org["clients"]["hr"].put(
        duties_url(pm), {"duties": [{"text": "X"}]}, format="json", HTTP_IF_MATCH=header
    )

    assert response.status_code == 400
    assert "If-Match" in response.json()["fields"]
    assert db_state(pm) == before


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"duties": "text"},
        {"duties": [{"text": 5}]},
        {"duties": [{"text": ""}]},
        {"duties": [{"text": "a"}, {"text": "A"}]},
        {"duties": [{"text": "x" * 501}]},
        {"duties": [{"text": "ok", "serves": "abc"}]},
        {"duties": [{"text": "ok", "serves": 10**20}]},
        {"duties": [{"text": "ok", "serves": True}]},
        {"duties": [{"text": "ok", "color": "red"}]},
        {"duties": [{"text": f"d{i}"} for i in range(51)]},
        {"duties": [{"text": "bad\x00"}]},
        {"duties": [], "version": 3},
        [],
    ],
)
def test_invalid_duty_lists_are_400_and_nothing_changes(org, body):
    pm = org["pm"]
    before = db_state(pm)

    response = org["clients"]["hr"].put(duties_url(pm), body, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert db_state(pm) == before


def test_serving_another_teams_core_duty_is_400(org):
    pm = org["pm"]
    foreign = org["teams"]["marketing"].core_duties.first()
    before = db_state(pm)

    response = org["clients"]["hr"].put(
        duties_url(pm), {"duties": [{"text": "ok", "serves": foreign.pk}]}, format="json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 400
    assert "duties" in response.json()["fields"]
    assert db_state(pm) == before


def test_a_retired_roles_duties_are_409(org):
    pm = org["pm"]
    Role.objects.filter(pk=pm.pk).update(status=RoleStatus.RETIRED)
    before = db_state(pm)

    response = org["clients"]["hr"].put(duties_url(pm), {"duties": [{"text": "X"}]}, format="json", HTTP_IF_MATCH='"1"')

    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert db_state(pm) == before


@pytest.mark.parametrize(
    ("caller", "role", "status"),
    [
        ("anonymous", "pm", 401),
        ("member", "pm", 403),
        ("reader", "pm", 403),
        ("tech_lead", "draft", 403),
        ("other_lead", "draft", 404),
        ("member", "draft", 404),
    ],
)
def test_duty_changes_are_refused_to_non_hr_and_change_nothing(org, caller, role, status):
    role = org[role]
    before = db_state(role)

    response = org["clients"][caller].put(
        duties_url(role), {"duties": [{"text": "Hacked"}]}, format="json", HTTP_IF_MATCH=f'"{role.version}"'
    )

    assert response.status_code == status
    assert set(response.json()) == {"detail", "code", "fields"}
    assert db_state(role) == before


# --- revisions and restore --------------------------------------------------------------------


def test_revisions_newest_first_with_their_diff(org):
    pm = org["pm"]
    first = list(pm.duties.order_by("position").values_list("text", flat=True))
    role_duties_replace(
        role=pm,
        duties=[{"text": first[1]}, {"id": pm.duties.get(text=first[2]).pk, "text": "Brand new"}],
        expected_version=1,
        acting_user=None,
    )

    response = org["clients"]["member"].get(f"{detail(pm)}revisions/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["number"] for r in results] == [2, 1]
    latest = results[0]
    assert latest["source"] == "admin" and latest["author"] is None
    # f0 removed, f1 kept (its link to a core duty dropped: "changed"), f2 reworded to "Brand new".
    assert latest["summary"] == {"added": 0, "removed": 1, "changed": 2, "moved": 0, "unchanged": 0}
    assert [e["op"] for e in latest["diff"]] == ["removed", "changed", "changed"]
    assert [d["text"] for d in latest["duties"]] == [first[1], "Brand new"]
    assert results[1]["summary"]["added"] == 3  # the first revision against an empty list

    one = org["clients"]["member"].get(f"{detail(pm)}revisions/2/")
    assert one.status_code == 200 and one.json() == latest


@pytest.mark.parametrize(
    ("caller", "url", "status"),
    [
        ("member", "revisions/99/", 404),
        ("member", "revisions/abc/", 404),
        ("anonymous", "revisions/", 401),
    ],
)
def test_revision_errors(org, caller, url, status):
    response = org["clients"][caller].get(detail(org["pm"]) + url)
    assert response.status_code == status
    assert set(response.json()) == {"detail", "code", "fields"}


def test_revisions_of_an_invisible_draft_are_404(org):
    assert org["clients"]["other_lead"].get(f"{detail(org['draft'])}revisions/").status_code == 404
    assert org["clients"]["tech_lead"].get(f"{detail(org['draft'])}revisions/").status_code == 200


def test_hr_restores_an_old_revision(org):
    pm = org["pm"]
    original = list(pm.duties.order_by("position").values_list("text", flat=True))
    role_duties_replace(role=pm, duties=[{"text": "Replaced"}], expected_version=1, acting_user=None)

    response = org["clients"]["hr"].post(
        f"{detail(pm)}revisions/1/restore/", {"reason": "Undo"}, format="json", HTTP_IF_MATCH='"2"'
    )

    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"3"'
    assert [d["text"] for d in response.json()["duties"]] == original
    revision = RoleRevision.objects.get(role=pm, number=3)
    assert (revision.source, revision.restored_from.number, revision.reason) == ("restore", 1, "Undo")


@pytest.mark.parametrize(
    ("caller", "header", "status"),
    [("hr", None, 428), ("hr", '"1"', 412), ("member", '"2"', 403), ("reader", '"2"', 403), ("anonymous", '"2"', 401)],
)
def test_restore_refusals_change_nothing(org, caller, header, status):
    pm = org["pm"]
    role_duties_replace(role=pm, duties=[{"text": "Replaced"}], expected_version=1, acting_user=None)
    before = db_state(pm)
    extra = {"HTTP_IF_MATCH": header} if header else {}

    response = org["clients"][caller].post(f"{detail(pm)}revisions/1/restore/", {}, format="json", **extra)

    assert response.status_code == status
    assert set(response.json()) >= {"detail", "code", "fields"}
    assert db_state(pm) == before
