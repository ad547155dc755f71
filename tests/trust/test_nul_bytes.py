"""A NUL character anywhere in a request's URL or form data is refused with a 400 before any view
runs (PostgreSQL refuses NUL in text, so it would otherwise be a 500 wherever it reached a
query): an HTML page for the site, the JSON error shape for the API."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.trust.figures import record
from tests.trust.world import build_world

pytestmark = pytest.mark.django_db

PAGES = [
    "/?q=%00",
    "/?root=%00",
    "/?focus=%00",
    "/org/chart.svg?root=%00",
    "/analysis/coverage/?team=%00",
    "/analysis/overlaps/?team=%00",
    "/dashboard/?team=%00",
    "/roles/?q=%00",
    "/roles/?team=%00",
    "/reviews/?cycle=%00",
    "/admin/teams/team/?q=%00",
    "/admin/roles/role/?q=a%00b",
    "/?%00=x",
    "/teams/a%00b/",
    "/accounts/login/?next=%00",
]
API = [
    "/api/v1/teams/?search=%00",
    "/api/v1/roles/?team_slug=%00",
    "/api/v1/org-chart/?root=%00",
    "/api/v1/teams/a%00/",
]


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("url", PAGES)
def test_nul_in_a_page_url_is_a_400_page(world, url):
    client = Client()
    client.force_login(world.hr)
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html")
    assert "NUL" in response.content.decode()
    record("bad inputs")


@pytest.mark.parametrize("url", API)
def test_nul_in_an_api_url_is_a_json_400(world, url):
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=world.hr).key}")
    response = client.get(url)
    assert response.status_code == 400, (url, response.status_code)
    body = response.json()
    assert body["code"] == "invalid" and "NUL" in body["detail"] and body["fields"] == {}
    record("bad inputs")


def test_nul_in_posted_form_data_is_a_400_and_changes_nothing(world):
    from tests.trust.world import db_fingerprint

    client = Client()
    client.force_login(world.member)
    hr = Client()
    hr.force_login(world.hr)
    before = db_fingerprint()
    response = client.post(
        f"/roles/{world.pm.pk}/", {"kind": "add", "proposed_text": "Fine", "rationale": "Because\x00"}
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    response = hr.post("/admin/teams/team/add/", {"name": "Team\x00", "kind": "other"})
    assert response.status_code == 400
    assert db_fingerprint() == before
    record("bad inputs", 2)


def test_nul_in_the_token_endpoints_form_is_a_json_400(world):
    response = Client().post("/api/v1/auth/token/", {"username": "hr\x00", "password": "x"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    record("bad inputs")
