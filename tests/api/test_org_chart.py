"""GET /api/v1/org-chart/: the document field by field, visibility, query counts, ETag/304, CSV."""

import json

import pytest

from roles.models import Role, RoleStatus
from roles.org_template import org_template_load, org_template_read
from roles.services import role_duties_replace, role_update
from teams.models import TeamDuty
from teams.services import membership_add, membership_update, team_archive, team_create, team_update
from tests.factories import RoleFactory, TeamFactory, UserFactory, role_with_duties

URL = "/api/v1/org-chart/"
TEMPLATE = org_template_read("ecommerce")


def test_the_seed_organisation_field_by_field(seed_org, member_client):
    response = member_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    doc = response.json()
    assert set(doc) == {"version", "generated_at", "teams"}
    assert response["ETag"] == f'"{doc["version"]}"'
    assert [t["slug"] for t in doc["teams"]] == [t["slug"] for t in TEMPLATE["teams"]]
    for team, spec in zip(doc["teams"], TEMPLATE["teams"], strict=True):
        assert set(team) == {"id", "slug", "name", "kind", "description", "leads", "core_duties", "roles", "children"}
        assert team["name"] == spec["name"]["en"]
        assert team["kind"] == spec["kind"]
        assert team["leads"] == [] and team["children"] == []
        core = team["core_duties"]
        assert [(d["position"], d["text"]) for d in core] == [
            (i, d["en"]) for i, d in enumerate(spec["core_duties"], 1)
        ]
        assert [d["id"] for d in core] == list(
            TeamDuty.objects.filter(team_id=team["id"]).order_by("position").values_list("id", flat=True)
        )
        (role,) = team["roles"]
        (role_spec,) = spec["roles"]
        assert set(role) == {"id", "slug", "title", "status", "headcount", "version", "duties", "holders"}
        assert (role["slug"], role["title"], role["status"], role["headcount"], role["version"]) == (
            role_spec["slug"],
            role_spec["title"]["en"],
            "active",
            1,
            1,
        )
        assert role["holders"] == []
        assert [(d["position"], d["text"], d["serves"]) for d in role["duties"]] == [
            (i, d["en"], core[d["serves"] - 1]["id"]) for i, d in enumerate(role_spec["duties"], 1)
        ]
        assert [d["id"] for d in role["duties"]] == list(
            Role.objects.get(pk=role["id"]).duties.order_by("position").values_list("id", flat=True)
        )


def test_leads_and_holders_are_people(seed_teams, seed_roles, member_client):
    # given
    product, pm = seed_teams["product"], seed_roles["product-manager"]
    boss = UserFactory(username="boss", first_name="Li", last_name="Na")
    holder = UserFactory(username="zz-holder", first_name="", last_name="")
    membership_add(user=boss, team=product, is_lead=True, acting_user=None)
    membership_add(user=holder, team=product, role=pm, acting_user=None)
    membership_add(user=UserFactory(username="plain"), team=product, acting_user=None)

    # when
    team = member_client.get(URL).json()["teams"][0]

    # then
    assert team["leads"] == [{"id": boss.pk, "username": "boss", "name": "Li Na"}]
    assert team["roles"][0]["holders"] == [{"id": holder.pk, "username": "zz-holder", "name": "zz-holder"}]


def test_sub_teams_are_nested_and_archived_teams_and_retired_roles_are_left_out(seed_teams, seed_roles, member_client):
    tech = seed_teams["technology"]
    platform = team_create(name="Platform", slug="platform", parent=tech, acting_user=None)
    old = team_create(name="Zzarchived", slug="zzarchived", parent=tech, acting_user=None)
    team_archive(team=old, acting_user=None)
    role_with_duties("Keep it up", team=platform, slug="sre", title="SRE")
    role_update(role=seed_roles["product-manager"], status=RoleStatus.RETIRED, acting_user=None)

    doc = member_client.get(URL).json()

    by_slug = {t["slug"]: t for t in doc["teams"]}
    assert [c["slug"] for c in by_slug["technology"]["children"]] == ["platform"]
    assert [r["slug"] for r in by_slug["technology"]["children"][0]["roles"]] == ["sre"]
    assert by_slug["product"]["roles"] == []
    assert "zzarchived" not in json.dumps(doc)


def test_root_and_depth(seed_teams, member_client):
    tech = seed_teams["technology"]
    platform = team_create(name="Platform", slug="platform", parent=tech, acting_user=None)
    team_create(name="Database", slug="database", parent=platform, acting_user=None)

    sub = member_client.get(URL, {"root": "technology"}).json()
    assert [t["slug"] for t in sub["teams"]] == ["technology"]
    assert sub["teams"][0]["children"][0]["children"][0]["slug"] == "database"

    shallow = member_client.get(URL, {"root": "technology", "depth": 1}).json()
    assert shallow["teams"][0]["children"][0]["slug"] == "platform"
    assert shallow["teams"][0]["children"][0]["children"] == []

    top = member_client.get(URL, {"depth": 0}).json()
    assert len(top["teams"]) == 5 and all(t["children"] == [] for t in top["teams"])
    assert top["teams"][4]["roles"][0]["slug"] == "software-development-engineer"
    assert len({sub["version"], shallow["version"], top["version"]}) == 3


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"depth": "abc"}, 400, "depth"),
        ({"depth": "-1"}, 400, "depth"),
        ({"depth": "99999999999999999999999"}, 400, "depth"),
        ({"format": "xml"}, 400, "format"),
        ({"root": "x" * 101}, 400, "root"),
        ({"root": "unknown"}, 404, None),
        ({"root": "产品"}, 404, None),
    ],
)
def test_bad_query_parameters_are_json_errors(seed_org, member_client, params, status, field):
    response = member_client.get(URL, params)

    assert response.status_code == status
    body = response.json()
    assert set(body) == {"detail", "code", "fields"}
    if field:
        assert body["code"] == "invalid" and field in body["fields"]
    else:
        assert body["code"] == "not_found"
        assert params["root"] in body["detail"]


def test_anonymous_gets_401_json(seed_org, anon):
    response = anon.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Token")


# --- draft roles ---------------------------------------------------------------------------


@pytest.fixture
def draft_setup(seed_teams, make_lead, client_for, hr_client, member_client):
    """A draft role in a sub-team of Technology; a lead of Technology, one of Marketing."""
    platform = team_create(name="Platform", slug="platform", parent=seed_teams["technology"], acting_user=None)
    draft = role_with_duties("Secret duty", team=platform, slug="secret", title="Secret", status=RoleStatus.DRAFT)
    return {
        "draft": draft,
        "hr": hr_client,
        "tech_lead": client_for(make_lead(seed_teams["technology"], "tech-lead")),
        "other_lead": client_for(make_lead(seed_teams["marketing"], "mkt-lead")),
        "member": member_client,
    }


def _role_slugs(doc) -> set[str]:
    found, stack = set(), list(doc["teams"])
    while stack:
        team = stack.pop()
        found |= {r["slug"] for r in team["roles"]}
        stack.extend(team["children"])
    return found


@pytest.mark.parametrize(
    ("caller", "sees"), [("hr", True), ("tech_lead", True), ("other_lead", False), ("member", False)]
)
def test_draft_roles_only_for_hr_and_leads_of_the_team_or_above(draft_setup, caller, sees):
    client = draft_setup[caller]

    doc = client.get(URL).json()
    csv_text = client.get(URL, {"format": "csv"}).content.decode("utf-8-sig")

    assert ("secret" in _role_slugs(doc)) is sees
    assert ("Secret duty" in csv_text) is sees


def test_each_visibility_class_gets_its_own_etag(draft_setup):
    etags = {caller: draft_setup[caller].get(URL)["ETag"] for caller in ("hr", "tech_lead", "other_lead", "member")}

    assert len(set(etags.values())) == 4
    # A 304 for one class is never served to another.
    response = draft_setup["member"].get(URL, HTTP_IF_NONE_MATCH=etags["hr"])
    assert response.status_code == 200 and "secret" not in _role_slugs(response.json())


# --- queries, ETag, 304 ---------------------------------------------------------------------


def _build_org(teams: int):
    parent = None
    for i in range(teams):
        team = TeamFactory(parent=parent if i % 3 else None)
        core = [TeamDuty.objects.create(team=team, position=p, text=f"Core {i}.{p}") for p in (1, 2, 3)]
        for r in range(2):
            role = RoleFactory(team=team, status=RoleStatus.DRAFT if r else RoleStatus.ACTIVE)
            role_duties_replace(
                role=role,
                duties=[{"text": f"Duty {i}.{r}.{d}", "serves": core[d % 3].pk} for d in range(4)],
                expected_version=0,
                acting_user=None,
            )
            membership_add(user=UserFactory(), team=team, role=role, is_lead=not r, acting_user=None)
        parent = team


@pytest.mark.parametrize("caller", ["hr", "lead", "member"])
def test_the_number_of_queries_does_not_grow_with_the_organisation(
    db, hr, member, client_for, django_assert_max_num_queries, caller
):
    counts = []
    for size in (5, 60):
        _build_org(size - (5 if counts else 0))
        if caller == "lead":
            user = UserFactory(username=f"lead-{size}")
            membership_add(user=user, team=TeamFactory(), is_lead=True, acting_user=None)
        else:
            user = {"hr": hr, "member": member}[caller]
        client = client_for(user)
        with django_assert_max_num_queries(6) as captured:
            response = client.get(URL)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert len(response.json()["teams"]) > 5


def test_if_none_match_gives_304_in_two_queries(seed_org, member_client, django_assert_max_num_queries):
    first = member_client.get(URL)
    etag = first["ETag"]

    with django_assert_max_num_queries(2):
        response = member_client.get(URL, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert member_client.get(URL, HTTP_IF_NONE_MATCH=f"W/{etag}").status_code == 304
    assert member_client.get(URL, HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304
    assert member_client.get(URL, HTTP_IF_NONE_MATCH='"other"').status_code == 200
    # Same data, same ETag; a different format is a different representation.
    assert member_client.get(URL)["ETag"] == etag
    assert member_client.get(URL, {"format": "csv"})["ETag"] != etag


def _change_duties(seed_roles, seed_teams):
    role = seed_roles["product-manager"]
    role_duties_replace(role=role, duties=[{"text": "Only this"}], expected_version=1, acting_user=None)


def _rename_team(seed_roles, seed_teams):
    team_update(team=seed_teams["marketing"], name="Growth team", acting_user=None)


def _add_member(seed_roles, seed_teams):
    membership_add(user=UserFactory(), team=seed_teams["product"], acting_user=None)


def _make_lead(seed_roles, seed_teams):
    membership = membership_add(user=UserFactory(), team=seed_teams["product"], acting_user=None)
    membership_update(membership=membership, is_lead=True, acting_user=None)


@pytest.mark.parametrize("change", [_change_duties, _rename_team, _add_member, _make_lead])
def test_the_etag_changes_when_the_organisation_does(seed_teams, seed_roles, member_client, change):
    before = member_client.get(URL)

    change(seed_roles, seed_teams)

    after = member_client.get(URL, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json() != before.json()


def test_review_and_suggestion_events_leave_the_etag_alone(seed_roles, seed_teams, member, member_client):
    from reviews.services import suggestion_create

    membership_add(user=member, team=seed_teams["product"], acting_user=None)
    before = member_client.get(URL)["ETag"]

    suggestion_create(
        role=seed_roles["marketing-specialist"],
        kind="add",
        proposed_text="Runs the brand survey",
        rationale="Gap",
        acting_user=member,
    )

    assert member_client.get(URL, HTTP_IF_NONE_MATCH=before).status_code == 304


def test_becoming_hr_changes_the_etag(seed_org, member, member_client):
    from django.contrib.auth.models import Group

    before = member_client.get(URL)["ETag"]
    member.groups.add(Group.objects.get(name="HR managers"))

    assert member_client.get(URL, HTTP_IF_NONE_MATCH=before).status_code == 200


def test_the_change_cursor_header_is_the_latest_event(seed_org, member_client):
    from orgstructure.models import ChangeEvent

    response = member_client.get(URL)

    assert int(response["X-Change-Cursor"]) == ChangeEvent.objects.latest("id").id


# --- CSV -------------------------------------------------------------------------------------


def test_csv_has_a_header_and_one_row_per_duty(seed_org, member_client):
    import csv
    import io

    response = member_client.get(URL, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["team_path", "team_slug", "role_slug", "role_title", "duty_position", "duty_text"]
    assert len(rows) == 16
    spec = TEMPLATE["teams"][0]
    assert rows[1] == [
        spec["name"]["en"],
        "product",
        "product-manager",
        "Product manager",
        "1",
        spec["roles"][0]["duties"][0]["en"],
    ]


def test_csv_keeps_chinese_text_and_shows_the_team_path(db, member_client):
    org_template_load(key="ecommerce", lang="zh-hans")
    tech = __import__("teams.models", fromlist=["Team"]).Team.objects.get(slug="technology")
    sub = team_create(name="平台组", slug="platform", parent=tech, acting_user=None)
    role_with_duties("保障系统稳定", team=sub, slug="sre", title="运维工程师")

    text = member_client.get(URL, {"format": "csv"}).content.decode("utf-8-sig")

    assert '产品团队,product,product-manager,产品经理,1,"负责产品的需求分析与功能设计,撰写产品需求文档。"' in text
    assert "技术团队 / 平台组,platform,sre,运维工程师,1,保障系统稳定" in text
