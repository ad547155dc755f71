"""On a separate, seeded PostgreSQL database (never the test database): every migration reverses
to zero and applies again, and ``make backup`` / ``make restore`` give back the identical org
chart document."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import psycopg2
import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.postgres
ROOT = Path(settings.BASE_DIR)
SEED = ["load_org_template ecommerce --lang en", "create_demo_accounts", "load_review_demo"]
ORG_CHART = """
import json
from django.contrib.auth import get_user_model
from roles.org_chart import org_chart_build, org_chart_stamp
hr = get_user_model().objects.get(username="hr")
stamp = org_chart_stamp(hr)
teams = org_chart_build(stamp=stamp)
print(json.dumps({"version": stamp.version(None, None, "json"), "teams": teams}, sort_keys=True))
"""


@pytest.fixture
def scratch_database(db):
    """A database of its own on the test server, dropped afterwards."""
    params = connection.settings_dict
    name = f"orgstructure_scratch_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = psycopg2.connect(
        dbname="postgres", user=params["USER"], host=params["HOST"], port=params["PORT"], password=params["PASSWORD"]
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = dj_database_url.parse(os.environ["DATABASE_URL"])
    auth = url["USER"] + (f":{url['PASSWORD']}" if url.get("PASSWORD") else "")
    yield f"postgres://{auth}@{url['HOST']}:{url['PORT'] or 5432}/{name}"
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def run(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "1", "ALLOW_DEMO_DATA": "1"}
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


def manage(database_url: str, command: str) -> str:
    return run(database_url, sys.executable, "manage.py", *command.split()).stdout


def seeded(database_url: str) -> None:
    manage(database_url, "migrate --no-input -v 0")
    for command in SEED:
        manage(database_url, command)


def test_all_migrations_reverse_to_zero_and_apply_again_on_a_seeded_database(scratch_database):
    seeded(scratch_database)
    for app in ("reviews", "roles", "teams", "orgstructure"):
        manage(scratch_database, f"migrate {app} zero --no-input -v 0")
    plan = manage(scratch_database, "showmigrations teams roles reviews orgstructure")
    assert "[X]" not in plan, plan
    manage(scratch_database, "migrate --no-input -v 0")
    plan = manage(scratch_database, "showmigrations")
    assert "[ ]" not in plan, plan
    # and the groups come back with what they are meant to hold: readers see no one's reviews
    check = (
        "from django.contrib.auth.models import Group;"
        "r = set(Group.objects.get(name='Org readers').permissions.values_list('codename', flat=True));"
        "h = set(Group.objects.get(name='HR managers').permissions.values_list('codename', flat=True));"
        "print('view_team' in r, 'change_team' in r, 'view_rolereview' in r, 'view_suggestion' in r,"
        " 'decide_suggestion' in h, 'change_role' in h)"
    )
    result = run(scratch_database, sys.executable, "manage.py", "shell", "-v", "0", "-c", check).stdout
    assert result.split() == ["True", "False", "False", "False", "True", "True"]
    manage(scratch_database, "load_org_template ecommerce --lang en")  # the seed loads again


@pytest.mark.skipif(shutil.which("make") is None or shutil.which("pg_dump") is None, reason="needs make and pg_dump")
def test_backup_and_restore_round_trip_gives_the_identical_org_chart(scratch_database, tmp_path):
    seeded(scratch_database)
    before = run(scratch_database, sys.executable, "manage.py", "shell", "-c", ORG_CHART).stdout
    dump = tmp_path / "org.dump"
    run(scratch_database, "make", "--no-print-directory", "backup", f"BACKUP={dump}")
    assert dump.stat().st_size > 0

    # the database is damaged after the backup...
    damage = "from roles.models import Duty; Duty.objects.all().delete()"
    run(scratch_database, sys.executable, "manage.py", "shell", "-c", damage)
    assert run(scratch_database, sys.executable, "manage.py", "shell", "-c", ORG_CHART).stdout != before

    # ...and the restore brings back exactly what was backed up
    run(scratch_database, "make", "--no-print-directory", "restore", f"BACKUP={dump}")
    after = run(scratch_database, sys.executable, "manage.py", "shell", "-c", ORG_CHART).stdout
    assert after == before
