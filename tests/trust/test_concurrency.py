"""Races on PostgreSQL: threads with their own connections, released together by a barrier,
``REPETITIONS`` times each. Whatever the interleaving, one change wins, the other is told (412
or the admin's conflict error), and nothing is lost or doubled.

(Accept vs. accept and accept vs. closing the cycle are in tests/reviews/test_concurrency.py.)"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orgstructure.exceptions import StaleVersionError
from orgstructure.models import ChangeEvent
from reviews import services as review_services
from reviews.models import ReviewCycle
from roles.models import RoleRevision
from roles.services import role_duties_replace
from tests.factories import TeamFactory, hr_manager, role_with_duties
from tests.racing import race
from tests.trust.figures import record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
REPETITIONS = 100


def duties_of(role):
    return list(role.duties.order_by("position").values_list("text", flat=True))


def test_two_editors_replacing_the_same_duty_list_one_wins_the_other_is_told(db):
    hr = hr_manager()
    role = role_with_duties("First", "Second", team=TeamFactory())
    token = Token.objects.create(user=hr).key

    def api_put(texts, version):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = json.dumps({"duties": [{"text": t} for t in texts], "reason": "race"})
        return client.put(
            f"/api/v1/roles/{role.pk}/duties/", body, content_type="application/json", HTTP_IF_MATCH=f'"{version}"'
        ).status_code

    def admin_save(texts, version):  # what the admin's save calls; a stale one becomes a form error
        return role_duties_replace(
            role=role, duties=[{"text": t} for t in texts], expected_version=version, acting_user=hr, source="admin"
        )

    for i in range(REPETITIONS):
        cache.clear()  # throttle counts
        role.refresh_from_db()
        version, revisions = role.version, RoleRevision.objects.filter(role=role).count()
        mine, theirs = [f"API {i}", "Second"], [f"Admin {i}", "Third"]
        api, admin = race(lambda m=mine, v=version: api_put(m, v), lambda t=theirs, v=version: admin_save(t, v))

        role.refresh_from_db()
        assert role.version == version + 1, (api, admin)
        assert RoleRevision.objects.filter(role=role).count() == revisions + 1
        if api == ("ok", 200):
            assert admin[0] == "error" and isinstance(admin[1], StaleVersionError), admin
            assert duties_of(role) == mine
        else:
            assert api == ("ok", 412) and admin[0] == "ok", (api, admin)
            assert duties_of(role) == theirs
        latest = RoleRevision.objects.filter(role=role).latest("number")
        assert [d["text"] for d in latest.duties] == duties_of(role)  # the revision is what was stored
    assert ChangeEvent.objects.filter(action="role.duties_replaced", role=role).count() == REPETITIONS + 1
    record("concurrent repetitions", REPETITIONS)


def test_two_api_editors_with_the_same_version_one_gets_412(db):
    hr = hr_manager()
    role = role_with_duties("First", team=TeamFactory())
    token = Token.objects.create(user=hr).key

    def put(text, version):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        body = json.dumps({"duties": [{"text": text}]})
        return client.put(
            f"/api/v1/roles/{role.pk}/duties/", body, content_type="application/json", HTTP_IF_MATCH=f'"{version}"'
        ).status_code

    for i in range(REPETITIONS):
        cache.clear()  # throttle counts
        role.refresh_from_db()
        version = role.version
        results = race(lambda i=i, v=version: put(f"One {i}", v), lambda i=i, v=version: put(f"Two {i}", v))
        assert sorted(status for _kind, status in results) == [200, 412], results
        role.refresh_from_db()
        assert role.version == version + 1 and duties_of(role)[0] in (f"One {i}", f"Two {i}")
    assert RoleRevision.objects.filter(role=role).count() == REPETITIONS + 1
    record("concurrent repetitions", REPETITIONS)


def test_two_schedule_runs_at_once_open_each_cycle_once(db):
    hr = hr_manager()
    role_with_duties("Duty", team=TeamFactory())
    today = dt.date(2026, 4, 1)
    for i in range(REPETITIONS):
        schedule = review_services.review_schedule_create(
            name=f"Quarterly {i}", starts_on=today, every_months=3, acting_user=hr
        )
        results = race(
            lambda: review_services.review_schedules_run(today=today, acting_user=None),
            lambda: review_services.review_schedules_run(today=today, acting_user=None),
        )
        assert [kind for kind, _value in results] == ["ok", "ok"], results
        opened = sum(len(value) for _kind, value in results)
        assert opened == 1, results
        assert ReviewCycle.objects.filter(schedule=schedule).count() == 1
        schedule.refresh_from_db()
        assert schedule.next_run_on == dt.date(2026, 7, 1)
    assert ChangeEvent.objects.filter(action="review_cycle.opened").count() == REPETITIONS
    record("concurrent repetitions", REPETITIONS)


def test_two_crossing_team_moves_never_make_a_cycle(db):
    """A under B's child and B under A's child, at once: one move wins, the other is refused
    as a cycle (it sees the winner's move), and the tree stays a tree."""
    from django.core.exceptions import ValidationError

    from teams.models import Team
    from teams.selectors import TeamTree
    from teams.services import team_move

    hr = hr_manager()
    a, b = TeamFactory(slug="a"), TeamFactory(slug="b")
    a_child, b_child = TeamFactory(slug="a-child", parent=a), TeamFactory(slug="b-child", parent=b)
    outcomes = {"a_moved": 0, "b_moved": 0}
    for _i in range(REPETITIONS):
        Team.objects.filter(pk__in=[a.pk, b.pk]).update(parent=None)
        results = race(
            lambda: team_move(team=a, new_parent=b_child, acting_user=hr),
            lambda: team_move(team=b, new_parent=a_child, acting_user=hr),
        )
        kinds = sorted(kind for kind, _value in results)
        assert kinds == ["error", "ok"], results
        error = next(value for kind, value in results if kind == "error")
        assert isinstance(error, ValidationError) and "sub-teams" in error.message_dict["parent"][0], error
        assert TeamTree.load().cycles() == []
        parents = dict(Team.objects.filter(pk__in=[a.pk, b.pk]).values_list("pk", "parent_id"))
        assert (parents[a.pk], parents[b.pk]) in ((b_child.pk, None), (None, a_child.pk)), parents
        outcomes["a_moved" if parents[a.pk] else "b_moved"] += 1
    assert sum(outcomes.values()) == REPETITIONS
    record("concurrent repetitions", REPETITIONS)
