"""Every page carries the security headers: a Content-Security-Policy that allows no inline
script (and no inline style, eval or plugins), ``Referrer-Policy: same-origin``, and, for a
signed-in person, ``Cache-Control: private, no-store`` (what they may see is not kept by a shared
cache or on disk after sign-out). The pages themselves contain no inline script, event-handler
attribute or style attribute that the policy would block. Static files are cacheable for ever.

The test crawls the site as a superuser from ``/`` and ``/admin/``, following the links it
finds (``MAX_PAGES``), and checks every HTML page."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests.trust.figures import record
from tests.trust.world import build_world

pytestmark = pytest.mark.django_db

MAX_PAGES = 150
SKIP = ("/accounts/logout/", "/i18n/", "/static/", "/api/schema/", "/org/chart.svg")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
HREF = re.compile(r"""href=["']([^"'#]+)""")


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def _crawl(client: Client, starts: list[str]) -> dict[str, object]:
    seen: dict[str, object] = {}
    queue = deque(starts)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            target = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith(SKIP) or target in seen:
                continue
            if parts.query and "/admin/" in parts.path:  # the changelists' filter and sort links
                continue
            queue.append(target)
    return seen


def test_every_page_has_a_csp_without_inline_script_no_store_and_a_referrer_policy(settings):
    w = build_world()
    client = Client()
    client.force_login(w.superuser)
    pages = _crawl(client, ["/", "/admin/", "/api/docs/", f"/admin/roles/rolerevision/?role__id__exact={w.pm.pk}"])
    html = {url: r for url, r in pages.items() if r.status_code == 200 and r["Content-Type"].startswith("text/html")}
    assert len(html) >= 40, sorted(html)  # the crawl reached the site, the admin and the docs
    for required in ("/", "/admin/", "/api/docs/", "/analysis/coverage/", "/admin/teams/team/"):
        assert required in html, required
    failures = []
    for url, response in pages.items():
        policy = response.get("Content-Security-Policy", "")
        directives = _directives(policy)
        script = directives.get("script-src", directives.get("default-src", []))
        if not policy or "'unsafe-inline'" in script or "'unsafe-eval'" in script or "'self'" not in script:
            failures.append(f"{url}: script policy {policy!r}")
        if directives.get("object-src") != ["'none'"] or directives.get("frame-ancestors") != ["'none'"]:
            failures.append(f"{url}: policy {policy!r}")
        if response.get("Referrer-Policy") != "same-origin":
            failures.append(f"{url}: Referrer-Policy {response.get('Referrer-Policy')!r}")
        cache_control = response.get("Cache-Control", "")
        # (the org chart API chooses "private, no-cache" itself: scripts revalidate by ETag)
        no_store = "no-store" in cache_control or (url.startswith("/api/v1/") and "no-cache" in cache_control)
        if "private" not in cache_control or not no_store:
            failures.append(f"{url}: Cache-Control {cache_control!r}")
        if url in html:
            body = response.content.decode()
            for name, pattern in (("inline script", INLINE_SCRIPT), ("event handler", EVENT_HANDLER)):
                if pattern.search(body):
                    failures.append(f"{url}: {name}: {pattern.search(body).group(0)[:120]}")
            if "'unsafe-inline'" not in directives.get("style-src", []):
                for name, pattern in (("style attribute", STYLE_ATTRIBUTE), ("style element", STYLE_ELEMENT)):
                    if pattern.search(body):
                        failures.append(f"{url}: {name}: {pattern.search(body).group(0)[:120]}")
        record("pages checked for headers")
    assert not failures, "\n".join(failures)


def test_signed_out_pages_have_the_policy_and_static_files_stay_cacheable(settings):
    anonymous = Client()
    for url in ("/accounts/login/", "/", "/admin/login/"):
        response = anonymous.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        assert response["Referrer-Policy"] == "same-origin", url
    w = build_world()
    signed_in = Client()
    signed_in.force_login(w.hr)
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client()
    response.force_login(w.hr)
    response = response.get("/static/js/orgchart.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_the_org_chart_api_keeps_its_revalidation_policy():
    w = build_world()
    client = Client(HTTP_AUTHORIZATION=f"Token {w.tokens['hr']}")
    response = client.get("/api/v1/org-chart/")
    assert response["Cache-Control"] == "private, no-cache"
    assert response["ETag"]
