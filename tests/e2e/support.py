"""Helpers for the browser journeys: signing in, screenshots, accessibility basics, and the
script's view of the organisation (the org chart API over real HTTP)."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

try:
    from playwright.sync_api import expect
except ImportError:  # without Playwright the browser fixture skips every journey, saying why
    expect = None

PASSWORD = "pass-for-e2e-journeys"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "e2e"
DOC_SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


# --- signing in ----------------------------------------------------------------------------


def sign_in(page, username: str, *, next_url: str = "/") -> None:
    """Sign in through the portal's login form, as a person would, and land on ``next_url``."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0]) + r"(\?.*)?(#.*)?$"))


def admin_sign_in(page, username: str, *, next_url: str = "/admin/") -> None:
    """Sign in through the admin's own login page."""
    page.goto(f"/admin/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(re.compile(re.escape(next_url.split("?")[0]) + r"(\?.*)?$"))


# --- screenshots ---------------------------------------------------------------------------


def screenshot(page, name: str, *, doc: str | None = None, doc_full_page: bool = True) -> Path:
    """Save the page as test-artifacts/e2e/<name>.png (git-ignored). With
    ``doc`` and E2E_UPDATE_DOCS=1, also refresh docs/screenshots/<doc>.png (committed, shown
    in the README): the same screen at the same window size, so the images stay comparable."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if doc and os.environ.get("E2E_UPDATE_DOCS") == "1":
        DOC_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOC_SCREENSHOTS / f"{doc}.png"), full_page=doc_full_page, animations="disabled")
    return path


# --- accessibility basics ------------------------------------------------------------------

_UNLABELLED_FIELDS_JS = """() => {
  const skip = new Set(["hidden", "submit", "button", "reset", "image"]);
  // A label names its field by its text, or by the name of an icon inside it.
  const iconName = (icon) => ["aria-label", "alt", "title"].map((a) => icon.getAttribute(a) || "").join("").trim();
  const named = (el) => el && ((el.textContent || "").trim()
    || [...el.querySelectorAll("[aria-label], img[alt], [title]")].some(iconName));
  const problems = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (skip.has((el.getAttribute("type") || "").toLowerCase())) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    if ((el.getAttribute("aria-label") || "").trim()) continue;
    const by = (el.getAttribute("aria-labelledby") || "").split(/\\s+/).filter(Boolean);
    if (by.some((id) => named(document.getElementById(id)))) continue;
    if (el.labels && [...el.labels].some(named)) continue;
    problems.push(el.outerHTML.slice(0, 160));
  }
  return problems;
}"""


def accessibility_problems(page) -> list[str]:
    """What a screen reader user would miss on this page: a page title, the <main> landmark,
    the page language, and a label for every visible form field (label[for], a wrapping
    label, aria-label or aria-labelledby)."""
    problems = []
    if not page.title().strip():
        problems.append("the page has no <title>")
    landmarks = page.locator("main, [role=main]").count()
    if landmarks != 1:
        problems.append(f"the page has {landmarks} main landmarks, not one")
    if not (page.locator("html").get_attribute("lang") or "").strip():
        problems.append("<html> has no lang")
    problems += [f"unlabelled field: {html}" for html in page.evaluate(_UNLABELLED_FIELDS_JS)]
    return problems


def assert_accessible(page) -> None:
    problems = accessibility_problems(page)
    assert not problems, f"{page.url}:\n  " + "\n  ".join(problems)


# --- the script's view: the org chart API over HTTP -----------------------------------------


def pull_org_chart(base_url: str, token: str, *, etag: str | None = None) -> tuple[int, dict | None, str | None]:
    """GET /api/v1/org-chart/ as a script does (urllib, token auth): (status, document, ETag)."""
    headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    request = urllib.request.Request(f"{base_url}/api/v1/org-chart/", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response), response.headers["ETag"]
    except urllib.error.HTTPError as error:
        if error.code == 304:
            return 304, None, error.headers.get("ETag")
        raise


def chart_role(document: dict, slug: str) -> dict:
    """The role with this slug anywhere in the org chart document."""
    stack = list(document["teams"])
    while stack:
        team = stack.pop()
        for role in team["roles"]:
            if role["slug"] == slug:
                return role
        stack += team["children"]
    raise AssertionError(f"no role {slug!r} in the org chart")


def duty_texts(role: dict) -> list[str]:
    return [duty["text"] for duty in sorted(role["duties"], key=lambda d: d["position"])]


class OrgChartScript:
    """A reader's script that keeps the org chart: it pulls the document once, then asks again
    with If-None-Match, as docs/api-for-scripts.md tells script authors to."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token = base_url, token
        status, self.document, self.etag = pull_org_chart(base_url, token)
        assert status == 200 and self.etag

    def pull(self) -> dict:
        """The current document: the one it has after a 304, a new one after a 200. (The ETag
        follows the whole change feed, so events that leave the chart as it was, such as a
        review cycle opening, may still give a 200 with the same content.)"""
        status, document, etag = pull_org_chart(self.base_url, self.token, etag=self.etag)
        if status == 200:
            self.document, self.etag = document, etag
        return self.document

    def assert_unchanged(self) -> None:
        status, _document, _etag = pull_org_chart(self.base_url, self.token, etag=self.etag)
        assert status == 304, "the org chart's ETag changed although nothing was saved"

    def pull_change(self) -> dict:
        """The new document after a change: a 200 with a new ETag (and a 304 for that one)."""
        status, document, etag = pull_org_chart(self.base_url, self.token, etag=self.etag)
        assert status == 200, "the script was told nothing changed"
        assert etag != self.etag
        self.document, self.etag = document, etag
        self.assert_unchanged()
        return document

    def role(self, slug: str) -> dict:
        return chart_role(self.document, slug)


# Every journey: a real browser against the live server, which needs committed data. The flush
# after each test empties the tables; serialized_rollback puts back what the migrations made
# (the HR managers and Org readers groups) for the tests that follow.
JOURNEY_MARKS = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
