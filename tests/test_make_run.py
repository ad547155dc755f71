"""`make run` on a fresh copy of the project: migrates SQLite, loads the seed organisation and
the demo accounts, and serves pages in both languages."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(opener, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, headers=headers or {})
    with opener.open(request, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_the_seed_organisation_in_both_languages(tmp_path):
    copy = tmp_path / "orgstructure"
    shutil.copytree(
        ROOT, copy, ignore=shutil.ignore_patterns(".venv", ".git", "var", "staticfiles", "*.pyc", "test-artifacts")
    )
    venv = Path(sys.prefix)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "STATIC_MANIFEST"}}
    (venv / ".installed").touch(exist_ok=True)  # the suite's own environment already has everything
    server = subprocess.Popen(
        ["make", "run", f"VENV={venv}", f"PORT={port}"],
        cwd=copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        deadline = time.monotonic() + 180
        while True:
            try:
                status, body = fetch(opener, f"{base}/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"make run did not serve: {server.stdout.read() if server.poll() is not None else ''}")
                time.sleep(0.5)
        assert status == 200 and '"ok"' in body
        assert (copy / "var" / "orgstructure.sqlite3").exists()

        status, body = fetch(opener, f"{base}/accounts/login/")
        token = body.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        data = f"username=hr&password=orgstructure-demo&csrfmiddlewaretoken={token}&next=/".encode()
        status, body = fetch(opener, f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/"})
        assert status == 200
        assert "产品团队" in body and "技术开发工程师" in body  # the seed organisation, as loaded by make run
        assert "Organisation" in body

        status, body = fetch(opener, f"{base}/", headers={"Accept-Language": "zh-hans"})
        assert "组织" in body  # the interface in Chinese

        status, body = fetch(opener, f"{base}/admin/roles/role/")
        assert status == 200 and "产品经理" in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate()
    assert "Demo accounts" in output and "http://127.0.0.1" in output
