"""Production settings and serving: the deploy check is clean, the app refuses to start without
SECRET_KEY or ALLOWED_HOSTS, cookies are secure, HSTS is on, every session write needs its CSRF
token, throttling answers 429, pages of lists are capped, and gunicorn with DEBUG off serves
/healthz and the collected static files (whitenoise)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.trust.world import PASSWORD, build_world

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "production-like-" + "k" * 50,
    "ALLOWED_HOSTS": "orgstructure.example.com,127.0.0.1",
    "SITE_URL": "https://orgstructure.example.com",
}


def _env(**overrides) -> dict:
    drop = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "SECURE_SSL_REDIRECT",
        "SECURE_COOKIES",
        "STATIC_MANIFEST",
    }
    drop |= {"DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the browser tests for their own process
    base = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("API_THROTTLE")}
    base.update(PRODUCTION)
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def manage(*args, **env):
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=300
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL"])
def test_production_refuses_to_start_without(missing):
    result = manage("check", **{missing: None})
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


@pytest.mark.parametrize("site_url", ["org.example.com", "ftp://org.example.com", "/relative"])
def test_production_refuses_a_site_url_that_is_not_an_absolute_http_address(site_url):
    result = manage("check", SITE_URL=site_url)
    assert result.returncode != 0
    assert "SITE_URL must be" in result.stderr


def test_debug_defaults_site_url_to_the_local_server():
    code = "import django; django.setup(); from django.conf import settings as s; print(s.SITE_URL)"
    env = _env(DJANGO_SETTINGS_MODULE="orgstructure.settings", DEBUG="1", SITE_URL=None)
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "http://127.0.0.1:8000", result.stderr


def test_production_settings_are_secure():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000,"
        " s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_HTTPONLY, s.DEBUG, s.X_FRAME_OPTIONS)"
    )
    env = _env(DJANGO_SETTINGS_MODULE="orgstructure.settings")
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "True", "False", "DENY"]


# --- CSRF on every session write ----------------------------------------------------------


@pytest.mark.django_db
def test_every_session_write_needs_the_csrf_token():
    """Signed in with a session cookie (as a browser is), a write without the CSRF token is
    refused everywhere: portal pages, the admin, and the API through its session auth."""
    w = build_world()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(w.hr)
    writes = [
        ("post", f"/roles/{w.pm.pk}/", {"kind": "add", "proposed_text": "X", "rationale": "Y"}),
        ("post", f"/suggestions/{w.open_suggestion.pk}/", {"action": "accept", "note": ""}),
        ("post", f"/reviews/{w.pending.pk}/", {"action": "submit"}),
        ("post", f"/cycles/{w.draft_cycle.pk}/", {"action": "open"}),
        ("post", "/admin/teams/team/add/", {"name": "X"}),
        ("post", "/admin/teams/team/", {"action": "archive_selected", "_selected_action": [w.design.pk]}),
        ("post", "/accounts/password_change/", {"old_password": PASSWORD}),
        ("post", "/api/v1/teams/", {"name": "X"}),
        ("patch", f"/api/v1/teams/{w.design.pk}/", {"name": "X"}),
        ("put", f"/api/v1/roles/{w.pm.pk}/duties/", {"duties": []}),
        ("post", f"/api/v1/review-cycles/{w.draft_cycle.pk}/open/", {}),
        ("delete", f"/api/v1/memberships/{w.member_membership.pk}/", {}),
    ]
    for method, path, data in writes:
        kwargs = {"content_type": "application/json"} if path.startswith("/api/") else {}
        body = json.dumps(data) if kwargs else data
        response = getattr(browser, method)(path, body, **kwargs)
        assert response.status_code == 403, (method, path, response.status_code)
        assert b"CSRF" in response.content, (method, path)


# --- throttling and page caps -------------------------------------------------------------


@pytest.mark.django_db
def test_password_guessing_on_the_token_endpoint_is_throttled(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "10/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings

    api_settings.reload()
    cache.clear()
    try:
        client = APIClient()
        statuses = [
            client.post("/api/v1/auth/token/", {"username": "hr", "password": f"guess-{i}"}, format="json").status_code
            for i in range(12)
        ]
        assert statuses[:10] == [400] * 10
        assert statuses[10:] == [429, 429]
        body = client.post("/api/v1/auth/token/", {"username": "hr", "password": "x"}, format="json").json()
        assert body["code"] == "throttled" and body["detail"]
    finally:
        cache.clear()
        api_settings.reload()


@pytest.mark.django_db
def test_signed_in_callers_are_throttled_too(settings):
    world = build_world()
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "5/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.settings import api_settings
    from rest_framework.throttling import UserRateThrottle

    original = UserRateThrottle.THROTTLE_RATES  # bound when DRF was imported
    UserRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    cache.clear()
    try:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=world.member).key}")
        statuses = [client.get("/api/v1/teams/").status_code for _ in range(7)]
        assert statuses == [200] * 5 + [429, 429]
    finally:
        cache.clear()
        UserRateThrottle.THROTTLE_RATES = original


@pytest.mark.django_db
def test_pages_of_lists_are_capped():
    world = build_world()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user=world.hr).key}")
    from tests.factories import UserFactory

    UserFactory.create_batch(520)
    body = client.get("/api/v1/people/?page_size=100000").json()
    assert body["count"] > 500 and len(body["results"]) == 500


# --- gunicorn, DEBUG off, whitenoise ------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Host": "orgstructure.example.com", "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_gunicorn_with_debug_off_serves_healthz_and_static_files(tmp_path):
    # given the static files collected into a fresh STATIC_ROOT and a SQLite database
    static_root = tmp_path / "static"
    env = _env(STATIC_ROOT=str(static_root), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    collect = subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0", "--settings", "orgstructure.settings"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    manifest = static_root / "staticfiles.json"
    assert manifest.exists()
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(PYTHON).with_name("gunicorn")), "orgstructure.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, headers, body = _get(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    server.kill()
                    pytest.fail("gunicorn did not serve:\n" + (server.stdout.read() if server.stdout else ""))
                time.sleep(0.3)
        # then /healthz answers, over "HTTPS" (the proxy's header), with HSTS
        assert status == 200 and b'"ok"' in body, (status, body)
        assert "max-age=31536000" in headers.get("Strict-Transport-Security", "")
        # and a hashed static file comes from whitenoise, cacheable for ever
        hashed = json.loads(manifest.read_text())["paths"]["admin/css/base.css"]
        status, headers, body = _get(f"{base}/static/{hashed}")
        assert status == 200 and b"body" in body
        assert "immutable" in headers.get("Cache-Control", "") or "max-age=315360000" in headers.get(
            "Cache-Control", ""
        )
        # and plain HTTP is sent to HTTPS
        request = urllib.request.Request(f"{base}/healthz", headers={"Host": "orgstructure.example.com"})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=10)
            pytest.fail("plain HTTP was served")
        except urllib.error.HTTPError as error:
            assert error.code == 301 and error.headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=20)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
