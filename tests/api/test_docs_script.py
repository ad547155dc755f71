"""The code in the README's "API for scripts" section runs as written, over real HTTP, against this app."""

import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connections
from rest_framework.authtoken.models import Token

from roles.models import Role

README = Path(__file__).resolve().parents[2] / "README.md"


def script_section() -> str:
    text = README.read_text(encoding="utf-8")
    return text.split("\n## API for scripts\n", 1)[1].split("\n## ", 1)[0]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serving():
    """The app on a local port, in a thread that shares this test's database connection (and so
    sees the data of the test's transaction, on SQLite and PostgreSQL alike). The test waits for
    the script, so the connection is never used by two threads at once."""
    conn = connections["default"]
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    conn.inc_thread_sharing()
    httpd = make_server("127.0.0.1", 0, WSGIHandler(), server_class=WSGIServer, handler_class=_QuietHandler)

    def run():
        connections["default"] = conn
        httpd.serve_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/api/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
        conn.dec_thread_sharing()
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_the_documented_script_works(seed_org, hr, settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    blocks = re.findall(r"```python\n(.*?)```", script_section(), flags=re.S)
    assert len(blocks) == 4
    assert len([line for line in blocks[0].splitlines() if line.strip()]) <= 12  # "a ten-line script"
    token = Token.objects.create(user=hr)
    role = Role.objects.get(slug="product-manager")

    with serving() as api:
        result = subprocess.run(
            [sys.executable, "-c", "\n".join(blocks)],
            env={**os.environ, "ORG_API": api, "ORG_TOKEN": token.key},
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == "Product team — Product manager"
    assert out[4] == "Technology team — Software development engineer"
    assert out[5] == "not modified"
    assert out[6] == "saved as version 2"
    assert out[-1].endswith("role.duties_replaced Product manager")
    role.refresh_from_db()
    assert role.version == 2
    assert role.duties.order_by("-position").first().text == "Writes the monthly product report."
    assert role.revisions.get(number=2).source == "api"
