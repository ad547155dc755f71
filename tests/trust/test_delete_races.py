"""Deletes racing deletes and updates, on PostgreSQL, ``REPETITIONS`` times each: the object that
vanished meanwhile is a 404, the referenced object that vanished is a 400/409, both with the
usual error shape; never a 500, never a half-applied change.

(Threads with their own connections, released together by a barrier: tests/racing.py.)"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from roles.models import Duty
from teams import services as team_services
from teams.models import Membership, ProjectGroupMember, TeamDuty
from tests.factories import TeamDutyFactory, TeamFactory, UserFactory, hr_manager, role_with_duties
from tests.racing import race
from tests.trust.figures import record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REPETITIONS = 100


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _call(token: str, method: str, path: str, body=None, **headers):
    response = getattr(_client(token), method)(
        path, json.dumps(body) if body is not None else None, content_type="application/json", **headers
    )
    data = response.json() if response.content and response["Content-Type"].startswith("application/json") else None
    return response.status_code, data


def _assert_error_shape(result):
    status, body = result
    if status >= 400:
        assert body is not None and body["detail"] and body["code"] and isinstance(body["fields"], dict), result


@pytest.fixture
def hr_token(db):
    return Token.objects.create(user=hr_manager()).key


def test_two_deletes_of_one_membership_one_204_one_404(hr_token):
    team = TeamFactory()
    for i in range(REPETITIONS):
        cache.clear()
        membership = team_services.membership_add(
            user=UserFactory(username=f"dd{i}"), team=team, is_lead=bool(i % 2), acting_user=None
        )
        path = f"/api/v1/memberships/{membership.pk}/"
        results = race(lambda p=path: _call(hr_token, "delete", p), lambda p=path: _call(hr_token, "delete", p))
        assert all(kind == "ok" for kind, _value in results), results
        statuses = sorted(value[0] for _kind, value in results)
        assert statuses == [204, 404], results
        for _kind, value in results:
            _assert_error_shape(value)
        assert not Membership.objects.filter(pk=membership.pk).exists()
    record("concurrent repetitions", REPETITIONS)


def test_delete_and_patch_of_one_membership_never_500(hr_token):
    team = TeamFactory()
    for i in range(REPETITIONS):
        cache.clear()
        membership = team_services.membership_add(user=UserFactory(username=f"dp{i}"), team=team, acting_user=None)
        path = f"/api/v1/memberships/{membership.pk}/"
        deleted, patched = race(
            lambda p=path: _call(hr_token, "delete", p),
            lambda p=path: _call(hr_token, "patch", p, {"is_lead": True}),
        )
        assert deleted[0] == "ok" and patched[0] == "ok", (deleted, patched)
        assert deleted[1][0] == 204, deleted
        assert patched[1][0] in (200, 404), patched
        _assert_error_shape(patched[1])
        assert not Membership.objects.filter(pk=membership.pk).exists()
        # a lead's permission never outlives the membership that granted it
        assert not membership.user.has_perm("teams.lead_team", team)
    record("concurrent repetitions", REPETITIONS)


def test_two_removals_of_one_project_group_member_one_204_one_404(hr_token):
    team = TeamFactory()
    group = team_services.project_group_create(name="Squad", acting_user=None)
    for i in range(REPETITIONS):
        cache.clear()
        user = UserFactory(username=f"pg{i}")
        team_services.project_group_member_add(group=group, user=user, home_team=team, acting_user=None)
        path = f"/api/v1/project-groups/{group.pk}/members/{user.pk}/"
        results = race(lambda p=path: _call(hr_token, "delete", p), lambda p=path: _call(hr_token, "delete", p))
        assert all(kind == "ok" for kind, _value in results), results
        assert sorted(value[0] for _kind, value in results) == [204, 404], results
        for _kind, value in results:
            _assert_error_shape(value)
        assert not ProjectGroupMember.objects.filter(group=group, user=user).exists()
    record("concurrent repetitions", REPETITIONS)


def test_removing_a_core_duty_while_a_role_starts_serving_it_never_500(hr_token):
    team = TeamFactory()
    keep = TeamDutyFactory(team=team, position=1, text="Keep the lights on")
    role = role_with_duties("Existing duty", team=team)
    outcomes = {"role won": 0, "removal won": 0}
    for i in range(REPETITIONS):
        cache.clear()
        doomed = TeamDutyFactory(team=team, position=2, text=f"Doomed {i}")
        role.refresh_from_db()
        duties = [{"text": "Existing duty"}, {"text": f"Serves the doomed one {i}", "serves": doomed.pk}]
        role_put = (
            "put",
            f"/api/v1/roles/{role.pk}/duties/",
            {"duties": duties},
        )
        core_put = (
            "put",
            f"/api/v1/teams/{team.pk}/core-duties/",
            {"core_duties": [{"id": keep.pk, "text": keep.text}]},
        )
        put, removal = race(
            lambda r=role_put, v=role.version: _call(hr_token, *r, HTTP_IF_MATCH=f'"{v}"'),
            lambda c=core_put: _call(hr_token, *c),
        )
        assert put[0] == "ok" and removal[0] == "ok", (put, removal)
        _assert_error_shape(put[1])
        _assert_error_shape(removal[1])
        if put[1][0] == 200:
            assert removal[1][0] == 409 and removal[1][1]["code"] == "core_duty_in_use", (put, removal)
            assert TeamDuty.objects.filter(pk=doomed.pk).exists()
            outcomes["role won"] += 1
            # undo for the next round: stop serving it, then remove it
            role.refresh_from_db()
            _call(
                hr_token,
                "put",
                f"/api/v1/roles/{role.pk}/duties/",
                {"duties": [{"text": "Existing duty"}]},
                HTTP_IF_MATCH=f'"{role.version}"',
            )
            assert _call(hr_token, *core_put)[0] == 200
        else:
            assert removal[1][0] == 200, (put, removal)
            assert put[1][0] == 400 and put[1][1]["code"] == "invalid", (put, removal)  # serves a vanished duty
            outcomes["removal won"] += 1
        assert not TeamDuty.objects.filter(pk=doomed.pk).exists() or Duty.objects.filter(serves=doomed).exists()
        assert not Duty.objects.filter(role=role, serves__isnull=False).exclude(serves__team=team).exists()
    assert sum(outcomes.values()) == REPETITIONS
    print("core duty race outcomes:", outcomes)
    record("concurrent repetitions", REPETITIONS)
