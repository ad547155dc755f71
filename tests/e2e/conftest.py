"""Browser journeys (issue 8): Playwright for Python drives Debian's Chromium (never a
downloaded browser) against pytest-django's live server.

One browser per test process (xdist worker); each person in a journey gets a fresh browser
context, i.e. their own cookies, like their own machine. Every test fails if a page answered
with a 5xx or raised a JavaScript error, and leaves a screenshot of each open page under
test-artifacts/e2e/failures/ when it fails.

Locally the journeys skip, saying why, when Chromium or Playwright is missing; .ci/run
installs Chromium (apt-get install chromium fonts-noto-cjk) and Playwright comes with
requirements-dev.txt.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connections

from orgstructure.tokens import api_token_issue
from roles.models import Role
from roles.org_template import org_template_load
from teams.models import Team
from teams.services import membership_add
from tests.e2e.support import ARTIFACTS, PASSWORD
from tests.factories import UserFactory, hr_manager, org_reader

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures know whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser journeys need Chromium at {CHROMIUM}: `apt-get install chromium fonts-noto-cjk` "
            "(or point E2E_CHROMIUM at another Chromium)"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="browser journeys need Playwright: `pip install -r requirements-dev.txt`"
    )
    # Playwright's sync API leaves an asyncio loop marked as running in this thread between its
    # calls. Django then refuses the (synchronous, single-threaded) ORM calls the tests make
    # between browser steps, and looks up database connections in per-context storage, where
    # it would open new ones: without the test database's serialized contents (so the flush
    # after a test could not restore the migrations' groups) and, on SQLite, outside the
    # connection the live server shares. Allow the calls, and keep the same connections.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    test_connections = {alias: connections[alias] for alias in connections}
    playwright = sync_api.sync_playwright().start()
    for alias, connection in test_connections.items():
        connections[alias] = connection
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    sync_api.expect.set_options(timeout=10_000)  # a busy two-core CI machine is slow to repaint
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def open_page(browser, live_server, request, settings):
    """``open_page()``: a page in a new browser context (a person at their own machine),
    English in a 1280×800 window unless ``locale`` or ``viewport`` say otherwise. Checks
    afterwards that no response was a 5xx, no page raised a JavaScript error and the
    Content-Security-Policy blocked nothing."""
    # Plain HTTP on the live server: no HTTPS redirect, cookies without the Secure flag.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    assert not settings.SECURE_SSL_REDIRECT, "run the journeys with SECURE_SSL_REDIRECT=0 (pyproject's pytest env)"
    problems: list[str] = []
    contexts = []

    def watch(page):
        page.on("pageerror", lambda error: problems.append(f"JavaScript error on {page.url}: {error}"))
        # The Content-Security-Policy allows no inline script or style: whatever it blocks is
        # reported on the console, and is a defect (a script or style that did not run).
        page.on(
            "console",
            lambda message: (
                problems.append(f"blocked by the Content Security Policy on {page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def open_new(*, locale: str = "en-GB", viewport: dict | None = None):
        context = browser.new_context(base_url=live_server.url, locale=locale, viewport=viewport or VIEWPORT)
        context.set_default_timeout(15_000)
        context.on("page", watch)
        context.on(
            "response",
            lambda response: (
                problems.append(f"{response.status} on {response.request.method} {response.url}")
                if response.status >= 500
                else None
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield open_new

    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / "failures"
        folder.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for c, context in enumerate(contexts):
            for p, page in enumerate(context.pages):
                with contextlib.suppress(Exception):  # a crashed page has no picture; the failure says why
                    page.screenshot(path=str(folder / f"{stem}-{c}-{p}.png"), full_page=True)
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def page(open_page):
    """One person's page; ask ``open_page`` for more people."""
    return open_page()


@pytest.fixture
def org(db):
    """The seed organisation (English) and the journeys' people: HR (Hana Reyes), the product
    team's lead, a member of the technology team, and a script account (an org reader) with
    an API token. Everyone's password is ``support.PASSWORD``."""
    org_template_load(key="ecommerce", lang="en")
    teams = {team.slug: team for team in Team.objects.all()}
    product_manager = Role.objects.get(team=teams["product"], slug="product-manager")
    developer = Role.objects.get(team=teams["technology"], slug="software-development-engineer")
    hr = hr_manager("hr", first_name="Hana", last_name="Reyes", password=PASSWORD)
    lead = UserFactory(username="lead-product", first_name="Lin", last_name="Li", password=PASSWORD)
    member = UserFactory(username="member-technology", first_name="Mei", last_name="Wang", password=PASSWORD)
    reader = org_reader("report-script", password=PASSWORD)
    membership_add(user=lead, team=teams["product"], is_lead=True, acting_user=None)
    membership_add(user=member, team=teams["technology"], role=developer, acting_user=None)
    return SimpleNamespace(
        teams=teams,
        product_manager=product_manager,
        developer=developer,
        hr=hr,
        lead=lead,
        member=member,
        reader=reader,
        token=api_token_issue(user=reader, acting_user=None).key,
    )
