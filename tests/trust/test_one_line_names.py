"""Names and titles are one line of visible text: a line break or a tab (which would break CSV
rows, mail subjects and log lines) and a name made only of invisible characters (zero-width
spaces, a byte-order mark, Hangul fillers) are refused with a 400 that names the field, and
change nothing. Duplicate checks (duty texts) ignore zero-width characters, so "Own the
roadmap" and "Own\u200bthe roadmap" are the same duty."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from tests.trust.figures import record
from tests.trust.world import build_world, db_fingerprint

pytestmark = pytest.mark.django_db

NOT_ONE_LINE = [
    ("line feed", "Two\nlines"),
    ("carriage return", "Two\rlines"),
    ("tab", "Tab\tbed"),
    ("zero-width space only", "\u200b"),
    ("zero-width characters only", " \u200b\u200c\u200d\u2060\ufeff "),
    ("soft hyphen only", "\u00ad"),
    ("Hangul filler only", "\u3164"),
    ("braille blank only", "\u2800"),
]
FINE = [("zero-width joiner inside an emoji", "Team 👩\u200d💻"), ("right-to-left", "مراجعة \u202eevil")]


@pytest.fixture
def world(db):
    return build_world()


def _api(w):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {w.tokens['hr']}")
    return client


def name_paths(w):
    """(label, method, path, body(value), field) for every API write that takes a name."""
    return [
        ("team name", "post", "/api/v1/teams/", lambda v: {"name": v, "parent": w.product.pk}, "name"),
        ("team rename", "patch", f"/api/v1/teams/{w.design.pk}/", lambda v: {"name": v}, "name"),
        ("role title", "post", "/api/v1/roles/", lambda v: {"team": w.product.pk, "title": v}, "title"),
        ("role retitle", "patch", f"/api/v1/roles/{w.analyst.pk}/", lambda v: {"title": v}, "title"),
        ("group name", "post", "/api/v1/project-groups/", lambda v: {"name": v}, "name"),
        ("group rename", "patch", f"/api/v1/project-groups/{w.group.pk}/", lambda v: {"name": v}, "name"),
        (
            "cycle name",
            "post",
            "/api/v1/review-cycles/",
            lambda v: {"name": v, "starts_on": "2027-01-01", "due_on": "2027-01-31"},
            "name",
        ),
        (
            "schedule name",
            "post",
            "/api/v1/review-schedules/",
            lambda v: {"name": v, "starts_on": "2027-01-01", "every_months": 3},
            "name",
        ),
    ]


def test_names_and_titles_are_one_line_of_visible_text(world):
    w = world
    before = db_fingerprint()
    failures = []
    for label, method, path, body, field in name_paths(w):
        for value_label, value in NOT_ONE_LINE + FINE:
            cache.clear()
            with transaction.atomic():
                response = getattr(_api(w), method)(path, json.dumps(body(value)), content_type="application/json")
                where = f"{label} = {value_label}: {response.status_code} {response.content[:200]!r}"
                if (value_label, value) in FINE:
                    if response.status_code not in (200, 201):
                        failures.append(f"refused: {where}")
                elif response.status_code != 400:
                    failures.append(f"not a 400: {where}")
                elif field not in response.json()["fields"] or not response.json()["detail"]:
                    failures.append(f"does not name the field: {where}")
                elif db_fingerprint() != before:
                    failures.append(f"refused but changed something: {where}")
                transaction.set_rollback(True)
            record("bad inputs")
    assert not failures, "\n".join(failures)


def test_the_admin_refuses_a_multi_line_team_name(world):
    from django.test import Client

    client = Client()
    client.force_login(world.hr)
    before = db_fingerprint()
    response = client.post("/admin/teams/team/add/", {"name": "Two\nlines", "kind": "other", "position": 1})
    assert response.status_code == 200  # the form again
    assert "one line" in response.content.decode()
    assert db_fingerprint() == before
    record("bad inputs")


def _put_duties(w, texts):
    keep = [{"id": d.id, "text": d.text} for d in w.pm.duties.order_by("position")]
    return _api(w).put(
        f"/api/v1/roles/{w.pm.pk}/duties/",
        json.dumps({"duties": [*keep, *({"text": t} for t in texts)]}),
        content_type="application/json",
        HTTP_IF_MATCH=f'"{w.pm.version}"',
    )


@pytest.mark.parametrize(
    "texts",
    [
        ["\u200b"],  # invisible only
        ["Ship on time", "Ship\u200b on time"],  # the same duty twice
        ["Ship on time", "\ufeffship on\u200b time"],
        ["Write the\u200b PRD"],  # repeats an existing duty
    ],
)
def test_duty_lists_refuse_invisible_texts_and_duplicates_hidden_by_zero_width_characters(world, texts):
    before = db_fingerprint()
    cache.clear()
    response = _put_duties(world, texts)
    assert response.status_code == 400, response.content
    assert response.json()["fields"]["duties"]
    assert db_fingerprint() == before
    record("bad inputs")


def test_core_duties_refuse_duplicates_hidden_by_zero_width_characters(world):
    w = world
    before = db_fingerprint()
    cache.clear()
    items = [{"id": d.pk, "text": d.text} for d in w.product_core] + [{"text": "Own the\u200b roadmap"}]
    response = _api(w).put(
        f"/api/v1/teams/{w.product.pk}/core-duties/",
        json.dumps({"core_duties": items}),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert db_fingerprint() == before
    record("bad inputs")


def test_a_suggestion_to_add_an_existing_duty_hidden_by_zero_width_characters_is_refused(world):
    w = world
    before = db_fingerprint()
    cache.clear()
    body = {"role": w.pm.pk, "kind": "add", "proposed_text": "Write\u200b the PRD", "rationale": "Because"}
    response = _api(w).post("/api/v1/suggestions/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "proposed_text" in response.json()["fields"]
    assert db_fingerprint() == before
    record("bad inputs")


def test_a_multi_line_duty_text_is_stored_as_one_line(world):
    cache.clear()
    response = _put_duties(world, ["Plan the\nquarterly\r\n review"])
    assert response.status_code == 200, response.content
    assert "Plan the quarterly review" in [d["text"] for d in response.json()["duties"]]
