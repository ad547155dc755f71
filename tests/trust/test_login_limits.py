"""Password guessing is really throttled: the client address is the connection's unless proxies
are configured (a made-up X-Forwarded-For escapes nothing), throttle counts live in a cache all
workers share (Redis, or the database), failed sign-ins lock out per account and per address on
every way in (site, admin, token endpoint), and password-reset mails are limited."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils.functional import Promise
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from tests.factories import UserFactory, hr_manager
from tests.trust.figures import record
from tests.trust.test_deploy import _env, _free_port

ROOT = Path(django_settings.BASE_DIR)
PYTHON = sys.executable
TOKEN_URL = "/api/v1/auth/token/"
PASSWORD = "pass-for-tests-1"
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/3")


def redis_or_skip() -> str:
    """The Redis the cache tests use; unreachable, they skip (locally) or fail (in CI)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_TEST_URL} is unreachable in CI: {exc}")
        pytest.skip(f"Redis at {REDIS_TEST_URL} is unreachable ({exc}); .ci/run starts one")
    return REDIS_TEST_URL


def random_address() -> str:
    return ".".join(str(random.randint(1, 254)) for _ in range(4))


@pytest.fixture
def token_rate(settings):
    """The token endpoint at its production rate (the suite's settings make it huge)."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "token": "10/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api_settings.reload()
    cache.clear()
    yield
    cache.clear()
    api_settings.reload()


# --- the client address --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_made_up_forwarded_for_header_does_not_escape_the_token_throttle(token_rate):
    client = APIClient()
    statuses = [
        client.post(
            TOKEN_URL, {"username": f"u{i}", "password": "guess"}, format="json", HTTP_X_FORWARDED_FOR=random_address()
        ).status_code
        for i in range(12)
    ]
    assert statuses == [400] * 10 + [429, 429]


@pytest.mark.django_db
def test_with_one_trusted_proxy_the_address_it_saw_counts(token_rate, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    client = APIClient()

    def post(chain):
        body = {"username": "nobody", "password": "guess"}
        return client.post(TOKEN_URL, body, format="json", HTTP_X_FORWARDED_FOR=chain).status_code

    # the client may prepend anything; the proxy appends the address it saw
    statuses = [post(f"{random_address()}, 203.0.113.7") for _ in range(11)]
    assert statuses == [400] * 10 + [429]
    assert post("203.0.113.8") == 400  # another client behind the same proxy


def test_the_client_address_rule():
    from django.test import RequestFactory

    from orgstructure.client_address import client_address

    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 2.2.2.2", REMOTE_ADDR="10.0.0.1")
    assert client_address(request, num_proxies=0) == "10.0.0.1"
    assert client_address(request, num_proxies=1) == "2.2.2.2"
    assert client_address(request, num_proxies=2) == "1.1.1.1"
    assert client_address(request, num_proxies=5) == "1.1.1.1"
    assert client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1"), num_proxies=1) == "10.0.0.1"


# --- the shared cache ----------------------------------------------------------------------


def _settings_in_subprocess(expr: str, **env) -> str:
    code = f"import django; django.setup(); from django.conf import settings as s; print({expr})"
    environment = _env(DJANGO_SETTINGS_MODULE="orgstructure.settings", **env)
    result = subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_caches_are_shared_and_the_demo_keeps_its_own():
    backend = "s.CACHES['default']['BACKEND']"
    assert _settings_in_subprocess(backend, REDIS_URL="redis://cache:6379/0", CACHE_BACKEND=None) == (
        "django.core.cache.backends.redis.RedisCache"
    )
    assert _settings_in_subprocess(backend, REDIS_URL=None, CACHE_BACKEND=None) == (
        "django.core.cache.backends.db.DatabaseCache"
    )
    assert _settings_in_subprocess(backend, DEBUG="1", REDIS_URL=None, CACHE_BACKEND=None) == (
        "django.core.cache.backends.locmem.LocMemCache"
    )
    assert _settings_in_subprocess("s.REST_FRAMEWORK['NUM_PROXIES']", NUM_PROXIES=None) == "0"
    assert _settings_in_subprocess("s.REST_FRAMEWORK['NUM_PROXIES']", NUM_PROXIES="2") == "2"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # as every transactional test
def test_migrate_creates_the_database_cache_table():
    from django.core.cache.backends.db import DatabaseCache
    from django.db import connection

    assert "orgstructure_cache" in connection.introspection.table_names()
    db_cache = DatabaseCache("orgstructure_cache", {})
    db_cache.set("k", "v", 30)
    assert db_cache.get("k") == "v"
    db_cache.clear()


def _wait_for(url: str, server) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not serve:\n" + (server.stdout.read() if server.stdout else ""))
            time.sleep(0.3)


def test_two_gunicorn_workers_share_one_throttle_and_spoofing_does_not_help(tmp_path):
    # given gunicorn with two workers, the production rate and one Redis for both
    redis_url = redis_or_skip()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = _env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=redis_url,
        CACHE_BACKEND=None,
        NUM_PROXIES=None,
        API_THROTTLE_TOKEN="10/minute",
        AXES_ENABLED="0",  # this test is about the throttle; the lockout is tested below
        SECURE_SSL_REDIRECT="0",
        STATIC_MANIFEST="0",
    )
    migrate = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    port = _free_port()
    log_format = "%(p)s %(s)s"
    server = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("gunicorn")),
            "orgstructure.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--access-logformat",
            log_format,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    log_lines: list[str] = []
    reader = threading.Thread(target=lambda: log_lines.extend(iter(server.stdout.readline, "")), daemon=True)

    def served_by() -> dict[str, list[str]]:
        by_worker: dict[str, list[str]] = {}
        for line in list(log_lines):
            match = re.fullmatch(r"<?(\d+)>? (\d{3})", line.strip())
            if match:
                by_worker.setdefault(match[1], []).append(match[2])
        return by_worker

    def refusing_workers() -> list[str]:
        return [pid for pid, codes in served_by().items() if "429" in codes]

    try:
        _wait_for(f"{base}/healthz", server)
        reader.start()

        def guess(i: int) -> int:
            request = urllib.request.Request(
                f"{base}{TOKEN_URL}",
                data=b'{"username": "hr", "password": "guess-%d"}' % i,
                headers={"Content-Type": "application/json", "X-Forwarded-For": random_address()},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        # when one client guesses ten times, a new made-up X-Forwarded-For each time
        statuses = [guess(i) for i in range(10)]
        # and then keeps guessing in bursts of parallel requests (a sync worker takes one at a time,
        # so a burst reaches both; the kernel may hand every sequential request to the same one)
        # until both workers have answered
        with ThreadPoolExecutor(max_workers=6) as pool:
            for burst in range(20):
                statuses += list(pool.map(guess, range(10 + burst * 6, 16 + burst * 6)))
                deadline = time.monotonic() + 2
                while len(refusing_workers()) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
                if len(refusing_workers()) == 2 and len(statuses) >= 40:
                    break
    finally:
        server.terminate()
        server.communicate(timeout=20)
        reader.join(timeout=5)
    # then exactly ten guesses were answered, whichever worker took them, and both workers said 429
    assert statuses.count(400) == 10 and statuses[:10] == [400] * 10, statuses
    assert set(statuses[10:]) == {429}, statuses
    workers = refusing_workers()
    assert len(workers) == 2, f"one worker served everything: {served_by()}"
    record("token guesses sent to 2 gunicorn workers (spoofed X-Forwarded-For)", len(statuses))
    record("token guesses answered by them (limit 10/minute)", statuses.count(400))


# --- failed sign-ins lock out (django-axes) -------------------------------------------------


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_the_lockout_message_is_translatable():
    from orgstructure.signin import LOCKOUT_MESSAGE

    assert isinstance(LOCKOUT_MESSAGE, Promise)  # gettext_lazy: translated where it is shown


def _sign_in(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_failed_sign_ins_lock_the_account_then_even_the_right_password_is_refused(lockout, url):
    hr_manager("hr")
    client = Client()
    for i in range(lockout - 1):
        response = _sign_in(client, url, "hr", f"wrong-{i}")
        assert response.status_code == 200
    assert _sign_in(client, url, "hr", "wrong-again").status_code == 429  # the failure that locks
    # from another address too: the account is locked, not only this address
    response = _sign_in(Client(REMOTE_ADDR="198.51.100.20"), url, "hr", PASSWORD)

    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many failed sign-in attempts" in html
    assert 'name="password"' in html  # the sign-in form, with the message on it
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.django_db
def test_failed_sign_ins_lock_the_address_whatever_the_username(lockout):
    UserFactory(username="member")
    client = Client()
    for i in range(lockout):
        _sign_in(client, "/accounts/login/", f"someone-{i}", "guess", HTTP_X_FORWARDED_FOR=random_address())
    response = _sign_in(client, "/accounts/login/", "member", PASSWORD, HTTP_X_FORWARDED_FOR=random_address())
    assert response.status_code == 429
    # another address still signs in
    assert _sign_in(Client(REMOTE_ADDR="198.51.100.21"), "/accounts/login/", "member", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_token_endpoint_counts_failures_and_locks_out(lockout):
    UserFactory(username="script")
    client = APIClient()
    for i in range(lockout - 1):
        response = client.post(TOKEN_URL, {"username": "script", "password": f"wrong-{i}"}, format="json")
        assert response.status_code == 400
    assert client.post(TOKEN_URL, {"username": "script", "password": "again"}, format="json").status_code == 429
    response = APIClient(REMOTE_ADDR="198.51.100.22").post(
        TOKEN_URL, {"username": "script", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out" and "Too many failed sign-in attempts" in body["detail"]


# --- password-reset mail --------------------------------------------------------------------


@pytest.mark.django_db
def test_password_reset_mails_are_limited(settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = "3/hour"
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = "4/hour"
    cache.clear()
    UserFactory(username="member", email="member@example.com")
    client = Client()
    statuses = [client.post("/accounts/password_reset/", {"email": "member@example.com"}).status_code for _ in range(6)]
    # every request looks the same to the sender (no hint whether a mail went out)
    assert statuses == [302] * 6
    assert len(mail.outbox) == 3
    # a guesser spraying addresses from one client is limited too
    mail.outbox.clear()
    sprayer = Client(REMOTE_ADDR="198.51.100.30")
    for i in range(6):
        UserFactory(username=f"p{i}", email=f"p{i}@example.com")
        assert sprayer.post("/accounts/password_reset/", {"email": f"p{i}@example.com"}).status_code == 302
    assert len(mail.outbox) == 4
    cache.clear()
