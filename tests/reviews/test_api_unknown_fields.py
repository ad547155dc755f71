"""The reviews API refuses fields it does not take, as every other resource does: a script that
sends ``state``, ``author`` or ``decided_by`` (or a typo) gets a 400 naming the field, and
nothing changes, instead of a success that silently ignored them."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from tests.trust.world import build_world, db_fingerprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def _client(w, actor):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {w.tokens[actor]}")
    return client


def cases(w):
    """(actor, method, path, a valid body, the field added to it)"""
    duties = [{"id": d.id, "text": d.text} for d in w.pm.duties.order_by("position")] + [{"text": "Brand new"}]
    return [
        ("hr", "post", "/api/v1/review-schedules/", {"name": "Q", "starts_on": "2027-01-01"}, "state"),
        ("hr", "patch", "/api/v1/review-schedules/{schedule}/", {"name": "Q2"}, "created_at"),
        (
            "hr",
            "post",
            "/api/v1/review-cycles/",
            {"name": "C", "starts_on": "2027-01-01", "due_on": "2027-01-31"},
            "state",
        ),
        ("hr", "patch", f"/api/v1/review-cycles/{w.draft_cycle.pk}/", {"name": "C2"}, "state"),
        ("hr", "post", f"/api/v1/review-cycles/{w.draft_cycle.pk}/open/", {}, "state"),
        ("hr", "post", f"/api/v1/review-cycles/{w.open_cycle.pk}/close/", {"force": True}, "state"),
        ("hr", "post", f"/api/v1/review-cycles/{w.draft_cycle.pk}/cancel/", {}, "state"),
        (
            "lead",
            "post",
            f"/api/v1/role-reviews/{w.pending.pk}/submit/",
            {"outcome": "revise", "duties": duties, "expected_version": w.pm.version},
            "state",
        ),
        (
            "lead",
            "post",
            f"/api/v1/role-reviews/{w.pending.pk}/submit/",
            {"outcome": "revise", "duties": [{**duties[0], "colour": "red"}], "expected_version": w.pm.version},
            None,  # an unknown key inside a proposed duty
        ),
        ("hr", "post", f"/api/v1/role-reviews/{w.submitted.pk}/approve/", {"note": "ok"}, "decided_by"),
        ("hr", "post", f"/api/v1/role-reviews/{w.submitted.pk}/request-changes/", {"note": "more"}, "outcome"),
        (
            "member",
            "post",
            "/api/v1/suggestions/",
            {"role": w.pm.pk, "kind": "add", "proposed_text": "New duty", "rationale": "Because"},
            "author",
        ),
        (
            "member",
            "post",
            "/api/v1/suggestions/",
            {"role": w.pm.pk, "kind": "add", "proposed_text": "Another", "rationale": "B"},
            "state",
        ),
        ("hr", "post", f"/api/v1/suggestions/{w.open_suggestion.pk}/accept/", {"note": "ok"}, "decided_by"),
        ("hr", "post", f"/api/v1/suggestions/{w.open_suggestion.pk}/reject/", {"note": "no"}, "state"),
        ("member", "post", f"/api/v1/suggestions/{w.open_suggestion.pk}/withdraw/", {}, "state"),
    ]


def test_every_reviews_write_refuses_unknown_and_server_owned_fields(world):
    w = world
    from reviews.models import ReviewSchedule

    schedule = ReviewSchedule.objects.get()
    before = db_fingerprint()
    failures = []
    for actor, method, path, body, field in cases(w):
        cache.clear()
        path = path.replace("{schedule}", str(schedule.pk))
        sent = {**body, field: "closed"} if field else body
        with transaction.atomic():
            response = getattr(_client(w, actor), method)(path, json.dumps(sent), content_type="application/json")
            where = f"{method.upper()} {path} +{field}: {response.status_code} {response.content[:300]!r}"
            error = response.json()
            named = (field or "duties") in error.get("fields", {})
            if response.status_code != 400:
                failures.append(f"not refused: {where}")
            elif not (error["detail"] and error["code"] == "invalid" and named):
                failures.append(f"does not name the field: {where}")
            elif db_fingerprint() != before:
                failures.append(f"changed something: {where}")
            transaction.set_rollback(True)
        # and the same body without the field is accepted (the case tests the field, nothing else)
        if field:
            with transaction.atomic():
                response = getattr(_client(w, actor), method)(path, json.dumps(body), content_type="application/json")
                if response.status_code >= 400:
                    failures.append(f"the valid body is refused too: {where} -> {response.content[:300]!r}")
                transaction.set_rollback(True)
    assert not failures, "\n".join(failures)
