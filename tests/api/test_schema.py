"""The OpenAPI schema validates (as CI checks it) and Swagger UI is served without a CDN."""

from django.core.management import call_command


def test_the_schema_validates_without_warnings(db, tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    text = target.read_text()
    for path in (
        "/api/v1/org-chart/",
        "/api/v1/roles/{id}/duties/",
        "/api/v1/roles/{role_pk}/revisions/{number}/restore/",
        "/api/v1/changes/",
        "/api/v1/auth/token/",
    ):
        assert f"{path}:" in text
    assert "text/csv" in text
    assert "'412':" in text and "'428':" in text


def test_the_schema_is_for_signed_in_callers(db, member_client, anon):
    assert anon.get("/api/schema/").status_code == 401
    response = member_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/org-chart/" in response.json()["paths"]


def test_swagger_ui_is_served_from_our_own_static_files(db, client, member):
    assert client.get("/api/docs/").status_code == 302  # to the sign-in page

    client.force_login(member)
    html = client.get("/api/docs/").content.decode()

    assert "swagger-ui" in html
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn" not in html.lower() and "unpkg" not in html.lower()
