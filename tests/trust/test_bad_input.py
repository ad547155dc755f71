"""Hostile and odd values on every write path, API and forms: each is refused with a clear 4xx
(or a form error) and changes nothing, or — for text that is merely unusual (HTML, emoji,
right-to-left, CJK) — is stored as text and shown escaped on every page.

Each case runs in a savepoint that is rolled back, from the same trust world."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.trust.figures import record
from tests.trust.world import build_world, db_fingerprint

pytestmark = pytest.mark.django_db

REFUSE = "refuse"
ACCEPT = "accept"
SCRIPT = "<script>alert('x')</script><b>bold</b>"

# (label, value, what a duty-like text field must do with it)
TEXTS = [
    ("empty", "", REFUSE),
    ("whitespace only", " \t\n  ", REFUSE),
    ("over-long", "x" * 5001, REFUSE),
    ("NUL", "a\x00b", REFUSE),
    ("control characters", "bell\x07 escape\x1b[31m", REFUSE),
    ("not text", 12345, REFUSE),
    ("a list", ["a"], REFUSE),
    ("null", None, REFUSE),
    ("HTML and script", SCRIPT, ACCEPT),
    ("emoji", "Ship it 🚀 with care 👍", ACCEPT),
    ("right-to-left", "مراجعة المهام \u202eevil", ACCEPT),
    ("CJK", "负责产品规划与需求管理", ACCEPT),
]
# Names and titles: one line of text too (control characters have no place in a name).
NAMES = [(label, value, expected) for label, value, expected in TEXTS]


@pytest.fixture
def world(db):
    return build_world()


def _api(w, actor="hr"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {w.tokens[actor]}")
    return client


def write_paths(w):
    """(label, method, path, body(value), headers, actor) for every API write that takes text."""
    pm_if = {"HTTP_IF_MATCH": f'"{w.pm.version}"'}
    keep = [{"id": d.id, "text": d.text} for d in w.pm.duties.order_by("position")]
    return [
        ("duty text", "put", f"/api/v1/roles/{w.pm.pk}/duties/", lambda v: {"duties": [*keep, {"text": v}]}, pm_if),
        (
            "core duty text",
            "put",
            f"/api/v1/teams/{w.product.pk}/core-duties/",
            lambda v: {"core_duties": [{"id": d.pk, "text": d.text} for d in w.product_core] + [{"text": v}]},
            {},
        ),
        ("team name", "post", "/api/v1/teams/", lambda v: {"name": v, "parent": w.product.pk}, {}),
        ("team rename", "patch", f"/api/v1/teams/{w.design.pk}/", lambda v: {"name": v}, {}),
        ("role title", "post", "/api/v1/roles/", lambda v: {"team": w.product.pk, "title": v}, {}),
        ("role retitle", "patch", f"/api/v1/roles/{w.analyst.pk}/", lambda v: {"title": v}, {}),
        ("group name", "post", "/api/v1/project-groups/", lambda v: {"name": v}, {}),
        (
            "cycle name",
            "post",
            "/api/v1/review-cycles/",
            lambda v: {"name": v, "starts_on": "2027-01-01", "due_on": "2027-01-31"},
            {},
        ),
        (
            "suggested text",
            "post",
            "/api/v1/suggestions/",
            lambda v: {"role": w.pm.pk, "kind": "add", "proposed_text": v, "rationale": "Because"},
            {},
        ),
        (
            "reviewed duty text",
            "post",
            f"/api/v1/role-reviews/{w.pending.pk}/submit/",
            lambda v: {"outcome": "revise", "duties": [*keep, {"text": v}], "expected_version": w.pm.version},
            {},
        ),
    ]


def _run(w, method, path, body, headers, actor="hr"):
    cache.clear()
    client = _api(w, actor)
    return getattr(client, method)(path, json.dumps(body), content_type="application/json", **headers)


def test_hostile_text_on_every_api_write_path(world):
    w = world
    before = db_fingerprint()
    failures, count = [], 0
    for label, method, path, body, headers in write_paths(w):
        for value_label, value, expected in TEXTS:
            if label.startswith(("team", "role", "group", "cycle")) and value_label == "over-long":
                value = "x" * 201  # names are shorter than duties
            count += 1
            with transaction.atomic():
                response = _run(w, method, path, body(value), headers)
                status = response.status_code
                where = f"{label} = {value_label}: {method.upper()} {path} -> {status} {response.content[:200]!r}"
                if status >= 500:
                    failures.append(f"server error: {where}")
                elif expected == REFUSE:
                    error = response.json() if response.get("Content-Type", "").startswith("application/json") else {}
                    if not 400 <= status < 500:
                        failures.append(f"accepted: {where}")
                    elif not (error.get("detail") and error.get("code")):
                        failures.append(f"no clear error: {where}")
                    elif db_fingerprint() != before:
                        failures.append(f"refused but changed something: {where}")
                elif not 200 <= status < 300:
                    failures.append(f"refused ordinary text: {where}")
                elif isinstance(value, str) and value.strip() not in response.content.decode():
                    failures.append(f"not stored as sent: {where}")
                transaction.set_rollback(True)
    record("bad inputs", count)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("label", "body", "status"),
    [
        ("huge list", lambda w: {"duties": [{"text": f"Duty {i}"} for i in range(2000)]}, 400),
        ("duplicate duties", lambda w: {"duties": [{"text": "Same"}, {"text": " same "}]}, 400),
        ("serves another team's duty", lambda w: {"duties": [{"text": "A", "serves": w.ops_core[0].pk}]}, 400),
        ("serves an unknown duty", lambda w: {"duties": [{"text": "A", "serves": 2**31}]}, 400),
        ("serves a huge id", lambda w: {"duties": [{"text": "A", "serves": 2**70}]}, 400),
        ("serves as text", lambda w: {"duties": [{"text": "A", "serves": "one"}]}, 400),
        ("duties not a list", lambda w: {"duties": {"text": "A"}}, 400),
        ("an item not an object", lambda w: {"duties": ["A"]}, 400),
        ("no duties key", lambda w: {"reason": "x"}, 400),
        ("body a list", lambda w: [{"text": "A"}], 400),
        ("deep nesting", lambda w: {"duties": [{"text": "A", "serves": json.loads("[" * 50 + "]" * 50)}]}, 400),
    ],
)
def test_odd_duty_lists_are_refused_and_change_nothing(world, label, body, status):
    w = world
    before = db_fingerprint()
    response = _run(w, "put", f"/api/v1/roles/{w.pm.pk}/duties/", body(w), {"HTTP_IF_MATCH": f'"{w.pm.version}"'})
    assert response.status_code == status, response.content
    assert response.json()["detail"] and response.json()["code"]
    assert db_fingerprint() == before
    record("bad inputs")


@pytest.mark.parametrize(
    ("label", "method", "path", "body", "status"),
    [
        ("move under own descendant", "patch", "/api/v1/teams/{company}/", {"parent": "{design}"}, 400),
        ("move under itself", "patch", "/api/v1/teams/{product}/", {"parent": "{product}"}, 400),
        ("unknown parent", "patch", "/api/v1/teams/{design}/", {"parent": 999999}, 400),
        ("parent as text", "patch", "/api/v1/teams/{design}/", {"parent": "product"}, 400),
        ("unknown team id", "patch", "/api/v1/teams/999999/", {"name": "X"}, 404),
        ("non-numeric id", "patch", "/api/v1/teams/abc/", {"name": "X"}, 404),
        ("negative position", "patch", "/api/v1/teams/{design}/", {"position": -1}, 400),
        ("position as float", "patch", "/api/v1/teams/{design}/", {"position": 1.5}, 400),
        ("unknown kind", "patch", "/api/v1/teams/{design}/", {"kind": "pirates"}, 400),
        ("headcount negative", "patch", "/api/v1/roles/{pm}/", {"headcount": -3}, 400),
        ("headcount huge", "patch", "/api/v1/roles/{pm}/", {"headcount": 2**63}, 400),
        ("unknown status", "patch", "/api/v1/roles/{pm}/", {"status": "deleted"}, 400),
        ("membership of unknown user", "post", "/api/v1/memberships/", {"user": 999999, "team": "{product}"}, 400),
        ("membership twice", "post", "/api/v1/memberships/", {"user": "{member_id}", "team": "{product}"}, 400),
        (
            "cycle due before start",
            "post",
            "/api/v1/review-cycles/",
            {"name": "X", "starts_on": "2027-02-01", "due_on": "2027-01-01"},
            400,
        ),
        (
            "date not a date",
            "post",
            "/api/v1/review-cycles/",
            {"name": "X", "starts_on": "tomorrow", "due_on": "2027-01-01"},
            400,
        ),
        ("open an open cycle", "post", "/api/v1/review-cycles/{open_cycle}/open/", {}, 409),
        ("close a draft cycle", "post", "/api/v1/review-cycles/{draft_cycle}/close/", {}, 409),
        ("cancel a closed cycle", "post", "/api/v1/review-cycles/{closed_cycle}/cancel/", {}, 409),
        ("approve a pending review", "post", "/api/v1/role-reviews/{pending}/approve/", {}, 409),
        ("accept an accepted suggestion", "post", "/api/v1/suggestions/{accepted}/accept/", {}, 409),
        ("reject without a note", "post", "/api/v1/suggestions/{open_suggestion}/reject/", {"note": "  "}, 400),
        (
            "suggest on a retired role",
            "post",
            "/api/v1/suggestions/",
            {"role": "{retired}", "kind": "add", "proposed_text": "A", "rationale": "B"},
            409,
        ),
        (
            "suggest on an unknown duty",
            "post",
            "/api/v1/suggestions/",
            {"role": "{pm}", "kind": "remove", "duty": 999999, "rationale": "B"},
            400,
        ),
        ("restore a revision that does not exist", "post", "/api/v1/roles/{pm}/revisions/99/restore/", {}, 404),
    ],
)
def test_bad_ids_types_moves_and_transitions_are_refused(world, label, method, path, body, status):
    w = world
    ids = {
        "company": w.company.pk,
        "product": w.product.pk,
        "design": w.design.pk,
        "pm": w.pm.pk,
        "retired": w.retired.pk,
        "member_id": w.member.pk,
        "open_cycle": w.open_cycle.pk,
        "draft_cycle": w.draft_cycle.pk,
        "closed_cycle": w.closed_cycle.pk,
        "pending": w.pending.pk,
        "accepted": w.accepted.pk,
        "open_suggestion": w.open_suggestion.pk,
    }

    def fill(value):
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return ids[value[1:-1]]
        return value

    before = db_fingerprint()
    body = {key: fill(value) for key, value in body.items()}
    response = _run(w, method, path.format(**ids), body, {"HTTP_IF_MATCH": f'"{w.pm.version}"'})
    assert response.status_code == status, response.content
    assert response.json()["detail"] and response.json()["code"]
    assert db_fingerprint() == before
    record("bad inputs")


# --- forms ---------------------------------------------------------------------------------


def test_hostile_text_in_the_suggestion_form_and_escaping_on_every_page(world):
    w = world
    client = Client()
    client.force_login(w.member)
    before = db_fingerprint()
    for label, value, expected in TEXTS:
        if not isinstance(value, str):
            continue
        with transaction.atomic():
            response = client.post(
                f"/roles/{w.pm.pk}/", {"kind": "add", "proposed_text": value, "rationale": "Because"}
            )
            record("bad inputs")
            if label == "NUL":  # refused before any view: orgstructure.middleware.NulCharacterGuardMiddleware
                assert response.status_code == 400, (label, response.status_code)
                assert db_fingerprint() == before, label
            elif expected == REFUSE:
                assert response.status_code == 200, (label, response.status_code)  # the form again, with errors
                assert 'class="errorlist' in response.content.decode() or "error" in response.content.decode(), label
                assert db_fingerprint() == before, label
            else:
                assert response.status_code == 302, (label, response.content[:300])
            transaction.set_rollback(True)

    # HTML stored as text is escaped wherever it is shown
    from roles.services import role_duties_replace

    keep = [{"id": d.id, "text": d.text} for d in w.pm.duties.order_by("position")]
    role_duties_replace(role=w.pm, duties=[*keep, {"text": SCRIPT}], expected_version=w.pm.version, acting_user=w.hr)
    hr = Client()
    hr.force_login(w.hr)
    pages = [
        "/",
        "/roles/",
        f"/roles/{w.pm.pk}/",
        f"/roles/{w.pm.pk}/history/",
        f"/teams/{w.product.slug}/",
        "/admin/roles/role/",
        f"/admin/roles/role/{w.pm.pk}/change/",
        "/admin/roles/rolerevision/",
    ]
    for url in pages:
        body = hr.get(url).content.decode()
        assert "<script>alert(" not in body, url
        record("bad inputs")
