"""Getting a token (endpoint, command), token and session auth, throttling."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

TOKEN_URL = "/api/v1/auth/token/"


def test_a_person_gets_their_token_with_username_and_password(db, anon):
    user = UserFactory(username="script", first_name="Sync", last_name="Bot")

    response = anon.post(TOKEN_URL, {"username": "script", "password": "pass-for-tests-1"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "token": Token.objects.get(user=user).key,
        "user": {"id": user.pk, "username": "script", "name": "Sync Bot"},
    }
    again = anon.post(TOKEN_URL, {"username": "script", "password": "pass-for-tests-1"}, format="json")
    assert again.json()["token"] == body["token"]
    # and it works
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert client.get("/api/v1/roles/").status_code == 200


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "script", "password": "wrong"},
        {"username": "nobody", "password": "pass-for-tests-1"},
        {"username": "script"},
        {},
        {"username": ["a"], "password": {"b": 1}},
    ],
)
def test_bad_credentials_are_400_and_issue_nothing(db, anon, payload):
    UserFactory(username="script")

    response = anon.post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Token.objects.exists()


def test_an_inactive_account_gets_no_token_and_its_token_stops_working(db, anon, client_for):
    user = UserFactory(username="gone")
    client = client_for(user)
    user.is_active = False
    user.save()

    assert anon.post(TOKEN_URL, {"username": "gone", "password": "pass-for-tests-1"}, format="json").status_code == 400
    response = client.get("/api/v1/roles/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"


def test_a_wrong_token_is_401_json(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")

    response = client.get("/api/v1/org-chart/")

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "code", "fields"}


def test_the_token_endpoint_is_throttled(db, anon, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "3/minute"},
    }
    UserFactory(username="script")

    statuses = [anon.post(TOKEN_URL, {"username": "script", "password": "x"}, format="json") for _ in range(4)]

    assert [r.status_code for r in statuses] == [400, 400, 400, 429]
    assert statuses[-1].json()["code"] == "throttled"
    assert "Retry-After" in statuses[-1]


def test_the_token_endpoint_accepts_only_post(db, anon):
    response = anon.get(TOKEN_URL)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_issue_token_command(db, capsys):
    user = UserFactory(username="sync")

    call_command("issue_token", "sync")
    key = capsys.readouterr().out.strip()
    call_command("issue_token", "sync")
    same = capsys.readouterr().out.strip()
    call_command("issue_token", "sync", "--rotate")
    rotated = capsys.readouterr().out.strip()

    assert key == same != rotated
    assert Token.objects.get(user=user).key == rotated
    with pytest.raises(CommandError, match="No user"):
        call_command("issue_token", "nobody")


def test_session_auth_needs_csrf_for_writes(seed_org, hr):
    from roles.models import Role

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(hr)
    role = Role.objects.get(slug="product-manager")

    assert client.get(f"/api/v1/roles/{role.pk}/").status_code == 200
    response = client.patch(f"/api/v1/roles/{role.pk}/", {"title": "X"}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Role.objects.get(pk=role.pk).title == "Product manager"


def test_an_org_reader_reads_everything_and_writes_nothing(seed_org, reader_client):
    from roles.models import Role

    role = Role.objects.get(slug="product-manager")
    for url in (
        "/api/v1/",
        "/api/v1/org-chart/",
        "/api/v1/roles/",
        f"/api/v1/roles/{role.pk}/revisions/",
        "/api/v1/changes/",
    ):
        assert reader_client.get(url).status_code == 200, url

    response = reader_client.put(
        f"/api/v1/roles/{role.pk}/duties/", {"duties": [{"text": "X"}]}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert Role.objects.get(pk=role.pk).version == 1


@pytest.mark.parametrize(
    "url", ["/api/v1/", "/api/v1/org-chart/", "/api/v1/roles/", "/api/v1/changes/", "/api/schema/"]
)
def test_everything_but_the_token_endpoint_needs_authentication(db, anon, url):
    response = anon.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
