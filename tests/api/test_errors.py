"""Every 4xx under /api/ has the JSON error shape; bad input never gives a 500."""

import json

import pytest

from roles.models import Role

SHAPE = {"detail", "code", "fields"}


@pytest.mark.parametrize(
    "url", ["/api/v1/nothing/", "/api/v1/roles/abc/", "/api/v2/", "/api", "/api/v1/roles/99999999999999999999999/"]
)
def test_unknown_api_urls_are_json_404(db, member_client, url):
    response = member_client.get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == SHAPE and response.json()["code"] == "not_found"


def test_a_missing_trailing_slash_is_pointed_out(db, member_client):
    response = member_client.get("/api/v1/roles")

    assert response.status_code == 404
    assert "/api/v1/roles/" in response.json()["detail"]


def test_unknown_role_id_is_404(db, member_client):
    assert member_client.get("/api/v1/roles/987654/").json()["code"] == "not_found"


def test_406_415_and_malformed_json(seed_org, hr_client):
    role = Role.objects.get(slug="product-manager")
    url = f"/api/v1/roles/{role.pk}/duties/"

    not_acceptable = hr_client.get("/api/v1/roles/", HTTP_ACCEPT="application/xml")
    unsupported = hr_client.put(url, "<duties/>", content_type="application/xml", HTTP_IF_MATCH='"1"')
    malformed = hr_client.put(url, '{"duties": [', content_type="application/json", HTTP_IF_MATCH='"1"')
    nan = hr_client.put(url, '{"duties": NaN}', content_type="application/json", HTTP_IF_MATCH='"1"')
    deep = hr_client.put(url, "[" * 100_000 + "]" * 100_000, content_type="application/json", HTTP_IF_MATCH='"1"')
    bad_utf8 = hr_client.put(url, b'{"duties": "\xff"}', content_type="application/json", HTTP_IF_MATCH='"1"')

    assert (not_acceptable.status_code, not_acceptable.json()["code"]) == (406, "not_acceptable")
    assert (unsupported.status_code, unsupported.json()["code"]) == (415, "unsupported_media_type")
    for response in (malformed, nan, deep, bad_utf8):
        assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert Role.objects.get(pk=role.pk).version == 1


def test_a_huge_body_is_413(seed_org, hr_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    role = Role.objects.get(slug="product-manager")
    body = json.dumps({"duties": [{"text": "x" * 400} for _ in range(50)]})

    response = hr_client.put(
        f"/api/v1/roles/{role.pk}/duties/", body, content_type="application/json", HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Role.objects.get(pk=role.pk).version == 1


@pytest.mark.parametrize(
    "url", ["/api/v1/roles/?search=a%00b", "/api/v1/roles/?team_slug=%00", "/api/v1/org-chart/?root=%00"]
)
def test_nul_characters_in_query_parameters_are_400(db, member_client, url):
    response = member_client.get(url)

    assert response.status_code == 400
    assert set(response.json()) == SHAPE


def test_the_api_root_lists_the_endpoints(db, member_client):
    body = member_client.get("/api/v1/").json()

    for key in ("org-chart", "changes", "auth-token", "role", "schema", "docs"):
        assert body[key].startswith("http://testserver/")
