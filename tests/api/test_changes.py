"""GET /api/v1/changes/?since=<cursor>: the change feed."""

import pytest

from orgstructure.models import ChangeEvent
from roles.models import RoleStatus
from roles.services import role_duties_replace
from tests.factories import role_with_duties

URL = "/api/v1/changes/"


def test_events_after_the_cursor_in_order_with_a_next_cursor(seed_org, seed_roles, hr, member_client):
    cursor = ChangeEvent.objects.latest("id").id
    pm = seed_roles["product-manager"]
    role_duties_replace(role=pm, duties=[{"text": "New"}], expected_version=1, acting_user=hr, source="api")

    response = member_client.get(URL, {"since": cursor})

    assert response.status_code == 200
    body = response.json()
    (event,) = body["results"]
    assert event == {
        "id": cursor + 1,
        "at": event["at"],
        "actor": {"id": hr.pk, "username": "hr", "name": hr.get_full_name()},
        "action": "role.duties_replaced",
        "object_type": "role",
        "object_id": pm.pk,
        "object": "Product manager",
        "team": pm.team_id,
        "role": pm.pk,
        "data": {"version": 2, "revision": pm.revisions.get(number=2).pk, "source": "api"},
    }
    assert body["next_cursor"] == cursor + 1 and body["has_more"] is False
    again = member_client.get(URL, {"since": body["next_cursor"]}).json()
    assert again == {"results": [], "next_cursor": cursor + 1, "has_more": False}


def test_paging_through_the_whole_feed(seed_org, member_client, django_assert_max_num_queries):
    total = ChangeEvent.objects.count()
    seen, cursor = [], 0
    while True:
        with django_assert_max_num_queries(6):
            body = member_client.get(URL, {"since": cursor, "limit": 4}).json()
        seen += [e["id"] for e in body["results"]]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert seen == sorted(seen) and len(seen) == total == len(set(seen))


@pytest.fixture
def draft_events(seed_teams, make_lead, client_for, hr_client, member_client):
    cursor = ChangeEvent.objects.latest("id").id
    draft = role_with_duties("Secret", team=seed_teams["technology"], slug="secret", status=RoleStatus.DRAFT)
    return {
        "cursor": cursor,
        "draft": draft,
        "hr": hr_client,
        "tech_lead": client_for(make_lead(seed_teams["technology"], "tech-lead")),
        "other_lead": client_for(make_lead(seed_teams["marketing"], "mkt-lead")),
        "member": member_client,
    }


@pytest.mark.parametrize(
    ("caller", "sees"), [("hr", True), ("tech_lead", True), ("other_lead", False), ("member", False)]
)
def test_events_about_draft_roles_are_hidden_from_those_who_may_not_see_them(draft_events, caller, sees):
    results = draft_events[caller].get(URL, {"since": draft_events["cursor"]}).json()["results"]

    about_draft = [e for e in results if e["role"] == draft_events["draft"].pk]
    assert bool(about_draft) is sees
    assert any(e["action"] == "membership.added" for e in results)  # the rest is there for everyone


@pytest.mark.parametrize(
    "params",
    [{"since": "abc"}, {"since": "-1"}, {"since": "9" * 30}, {"limit": "0"}, {"limit": "501"}, {"limit": "x"}],
)
def test_bad_parameters_are_400(db, member_client, params):
    response = member_client.get(URL, params)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and set(params) <= set(response.json()["fields"])


def test_anonymous_is_401(db, anon):
    assert anon.get(URL).status_code == 401
