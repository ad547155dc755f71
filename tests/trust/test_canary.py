"""The canary: a draft role nobody but HR and its team's leads may see, swept through every page
and endpoint of the site.

A draft role with a unique title, slug, duty text and revision reason is put into the
organisation with a holder (a person with a unique name), a review and a suggestion (made while
it was active). Then every URL pattern the resolver knows (so a new page or endpoint is swept
without anyone remembering to add it) is requested by each kind of caller, with its path filled
in with the canary's ids and slugs and with search, filter and export parameters. For callers who
may not see the role:

- none of the canary strings appears in any response (a page that echoes the query aside: the
  searches use a part of each string, and a string the URL itself carries is not looked for);
- a URL or filter naming the hidden role (by id or slug) answers exactly as one naming a role
  that does not exist: same status, same body (ids and CSRF tokens aside), for every method.

HR and the leads of the team (and of the team above) must see the canary, so that the sweep
can fail."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from reviews import services as review_services
from reviews.models import RoleReview
from roles import services as role_services
from roles.models import RoleStatus
from teams import services as team_services
from tests.factories import (
    RoleFactory,
    TeamDutyFactory,
    TeamFactory,
    UserFactory,
    hr_manager,
    org_reader,
    role_with_duties,
)
from tests.trust.figures import record

pytestmark = pytest.mark.django_db

TAG = "Q7ZK"
ROLE_TITLE = f"CANARY-ROLE-{TAG}"
ROLE_SLUG = f"canary-role-{TAG.lower()}"
DUTY_MARK = f"CANARY-DUTY-{TAG}"
DUTY_TEXT = f"{DUTY_MARK} ship parcels to customers every day"
REASON = f"CANARY-REASON-{TAG}"
HOLDER_NAME = f"Canaryholder{TAG}"
SECRETS = (ROLE_TITLE, ROLE_SLUG, DUTY_MARK, REASON)
# Searches use a part of each string, so that a page echoing the query is not a false alarm.
SEARCHES = (f"ROLE-{TAG}", f"DUTY-{TAG}", f"REASON-{TAG}", f"role-{TAG.lower()}", HOLDER_NAME, "canary")

# No other object of any table has these ids: a URL with HIDDEN_ID names the draft role and
# nothing else, one with MISSING_ID names nothing at all.
HIDDEN_ID = 7_000_001
MISSING_ID = 7_000_002
MISSING_SLUG = f"canary-gone-{TAG.lower()}"

BLIND = ("anonymous", "other_member", "same_member", "reader", "other_lead")
SEEING = ("hr", "lead", "upper_lead")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SEARCH_PARAMS = ("q", "search")
DETAIL_QUERIES = ("", "?old=1&new=2")
FILTER_PARAMS = ("role", "team", "user", "cycle", "schedule", "parent", "member", "owner")
SLUG_PARAMS = ("role", "team", "team_slug", "root", "focus", "slug", "parent")


def build_canary():
    c = type("Canary", (), {})()
    c.hr = hr_manager("canary-hr")
    c.reader = org_reader("canary-reader")
    c.lead = UserFactory(username="canary-lead")
    c.upper_lead = UserFactory(username="canary-upper-lead")
    c.other_lead = UserFactory(username="canary-other-lead")
    c.other_member = UserFactory(username="canary-other-member")
    c.same_member = UserFactory(username="canary-same-member")
    c.holder = UserFactory(username="canary-holder", first_name="Holly", last_name=HOLDER_NAME)
    c.anonymous = None

    c.company = TeamFactory(name="Canary company", slug="canary-company", position=0)
    c.team = TeamFactory(name="Canary team", slug="canary-team", parent=c.company, position=1)
    c.other = TeamFactory(name="Other team", slug="other-team", parent=c.company, position=2)
    TeamDutyFactory(team=c.team, position=1, text="Get parcels to customers")
    TeamDutyFactory(team=c.other, position=1, text="Ship parcels to customers")

    for user, team, is_lead in (
        (c.upper_lead, c.company, True),
        (c.lead, c.team, True),
        (c.same_member, c.team, False),
        (c.other_lead, c.other, True),
        (c.other_member, c.other, False),
    ):
        team_services.membership_add(user=user, team=team, is_lead=is_lead, acting_user=None)

    c.visible = role_with_duties("Answer the phone", team=c.team, title="Visible role", slug="visible-role")
    c.other_role = role_with_duties(
        "Ship parcels to customers every day", team=c.other, title="Shipper", slug="shipper"
    )
    c.role = RoleFactory(id=HIDDEN_ID, team=c.team, title=ROLE_TITLE, slug=ROLE_SLUG)
    role_services.role_duties_replace(
        role=c.role, duties=[{"text": DUTY_TEXT}], expected_version=0, acting_user=c.hr, reason=REASON, source="api"
    )
    c.role.refresh_from_db()
    c.holder_membership = team_services.membership_add(user=c.holder, team=c.team, role=c.role, acting_user=c.hr)
    # Two memberships: a search for the holder lists both (one hit would jump to the chart).
    team_services.membership_add(user=c.holder, team=c.other, acting_user=c.hr)

    # While it was active: a suggestion from another team, and a review in an open cycle.
    c.suggestion = review_services.suggestion_create(
        role=c.role, kind="add", proposed_text="Wrap parcels", rationale="Because", acting_user=c.other_member
    )
    c.cycle = review_services.review_cycle_create(
        name="Canary cycle", starts_on=dt.date(2026, 3, 1), due_on=dt.date(2026, 3, 31), acting_user=None
    )
    review_services.review_cycle_open(cycle=c.cycle, acting_user=None)
    c.review = RoleReview.objects.get(cycle=c.cycle, role=c.role)

    c.role = role_services.role_update(role=c.role, status=RoleStatus.DRAFT, acting_user=c.hr)
    assert c.role.pk == HIDDEN_ID and c.role.status == RoleStatus.DRAFT
    return c


# --- the URLs to sweep -----------------------------------------------------------------------

_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes():
    """(route as a template with {name} for each parameter, is admin) for every URL pattern."""

    def text(pattern) -> str:
        raw = str(pattern.pattern)
        if raw.startswith("^") or raw.endswith("$") or "(?P<" in raw:
            raw = raw.lstrip("^").rstrip("$").replace("\\.", ".").replace("/?", "/")
            raw = _GROUP.sub(lambda m: "{" + m.group(1) + "}", raw)
            raw = raw.replace("(?:/.*)?", "").replace(".*", "")
        return _CONVERTER.sub(lambda m: "{" + m.group(2) + "}", raw)

    def walk(resolver, prefix=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern, prefix + text(pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + text(pattern)

    return sorted({"/" + route for route in walk(get_resolver())})


def _fill(route: str, c, *, hidden: bool) -> list[str]:
    """The route with its parameters given: every int-like parameter gets the hidden role's id
    (or the missing one), slugs the hidden role's slug (or a missing one); other objects of the
    canary organisation are swept too when ``hidden`` (their pages must not show the role)."""
    names = re.findall(r"{(\w+)}", route)
    if not names:
        return [route]
    role_id = HIDDEN_ID if hidden else MISSING_ID
    role_slug = ROLE_SLUG if hidden else MISSING_SLUG
    fixed = {"app_label": "roles", "format": "json", "url": "", "uidb64": "x", "token": "x"}
    values = {}
    for name in names:
        if name in fixed:
            values[name] = fixed[name]
        elif "slug" in name:
            values[name] = role_slug
        elif name == "number":
            values[name] = "1"
        else:
            values[name] = str(role_id)
    urls = [route.format(**values)]
    if hidden and not route.startswith("/admin/"):
        others = {
            "slug": [c.team.slug, c.company.slug, c.other.slug, c.visible.slug],
            "int": [c.holder.pk, c.holder_membership.pk, c.team.pk, c.suggestion.pk, c.review.pk, c.cycle.pk],
        }
        for name in names:
            if name in fixed or name == "number":
                continue
            for other in others["slug" if "slug" in name else "int"]:
                urls.append(route.format(**{**values, name: str(other)}))
    return urls


def _queries(c) -> list[str]:
    """Queries for a URL without path parameters: exports, paging, filters and searches."""
    queries = ["", "?format=csv", "?page_size=500&status=draft", "?since=0&limit=500", "?old=1&new=2"]
    queries += [f"?threshold=0.4&team={c.other.slug}", f"?threshold=0.4&team={c.team.slug}"]
    queries += [f"?root={c.team.slug}", f"?focus={c.team.slug}", f"?team_slug={c.team.slug}"]
    queries += [f"?user={c.holder.pk}", f"?member={c.holder.pk}"]
    queries += ["?" + "&".join(f"{p}={quote(s)}" for p in SEARCH_PARAMS) for s in SEARCHES]
    return queries


def _hidden_filters() -> list[tuple[str, str]]:
    """Pairs of queries: a filter naming the hidden role (by id, or by slug where a filter may
    take one), and the same naming nothing."""
    pairs = [(f"?{name}={HIDDEN_ID}", f"?{name}={MISSING_ID}") for name in FILTER_PARAMS]
    pairs += [(f"?{name}={ROLE_SLUG}", f"?{name}={MISSING_SLUG}") for name in SLUG_PARAMS]
    return pairs


# --- requests --------------------------------------------------------------------------------


def _client(c, actor: str) -> Client:
    client = Client()
    if actor != "anonymous":
        client.force_login(getattr(c, actor))
    return client


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _request(client, method: str, url: str):
    """One request, rolled back; a server error is an answer too (the test client re-raises)."""
    with transaction.atomic():
        try:
            response = getattr(client, method.lower())(url)
            result = response.status_code, response.get("Location", ""), _body(response)
        except Exception as exc:
            result = 500, "", f"server error: {exc!r}"
        transaction.set_rollback(True)
    return result


_NOISE = (
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'"generated_at": ?"[^"]*"'), '"generated_at"'),
    (re.compile(r'"version": ?"[0-9a-f]{32}"'), '"version"'),
    (re.compile(r'"[A-Za-z0-9]{64}"'), '"<csrf token>"'),  # a masked CSRF token (the API docs' script)
)


def _normalised(answer, *values) -> tuple:
    status, location, body = answer
    for value in values:
        body = body.replace(str(value), "<ID>")
        location = location.replace(str(value), "<ID>").replace(quote(str(value)), "<ID>")
    for pattern, replacement in _NOISE:
        body = pattern.sub(replacement, body)
    return status, location, body


def _leaks(url: str, body: str) -> list[str]:
    lowered, url_lowered = body.lower(), url.lower()
    return [s for s in SECRETS if s.lower() not in url_lowered and s.lower() in lowered]


@pytest.fixture
def canary(db):
    return build_canary()


def _sweep_urls(c) -> list[str]:
    urls = []
    for route in _routes():
        for url in _fill(route, c, hidden=True):
            if route.startswith("/admin/"):
                urls.append(url)
            else:
                urls.extend(url + q for q in (_queries(c) if "{" not in route else DETAIL_QUERIES))
    return urls


def _pairs() -> list[tuple[str, str, str]]:
    """(URL naming the hidden role, the same naming a missing one, method)."""
    pairs = []
    for route in _routes():
        hidden_url = route.format_map(_Named(HIDDEN_ID, ROLE_SLUG))
        missing_url = route.format_map(_Named(MISSING_ID, MISSING_SLUG))
        if hidden_url != missing_url:
            methods = ("GET", "POST") if route.startswith("/admin/") else METHODS
            pairs.extend((hidden_url, missing_url, method) for method in methods)
        elif not route.startswith("/admin/"):
            pairs.extend((route + h, route + m, "GET") for h, m in _hidden_filters())
    return pairs


class _Named(dict):
    def __init__(self, role_id, role_slug):
        super().__init__()
        self.role_id, self.role_slug = role_id, role_slug

    def __missing__(self, name):
        fixed = {"app_label": "roles", "format": "json", "url": "", "uidb64": "x", "token": "x", "number": "1"}
        if name in fixed:
            return fixed[name]
        return self.role_slug if "slug" in name else str(self.role_id)


# Where the canary lives: those who may see it must find it there (the sweep could not fail
# if the canary were invisible to everyone).
MUST_SHOW = (
    f"/api/v1/roles/{HIDDEN_ID}/",
    f"/roles/{HIDDEN_ID}/",
    f"/roles/{HIDDEN_ID}/history/",
    "/api/v1/org-chart/?format=csv",
    "/api/v1/changes/?since=0&limit=500",
    "/org/chart.svg",
)


@pytest.mark.parametrize("actor", BLIND + SEEING)
def test_the_canary_is_named_only_to_hr_and_its_leads(canary, actor):
    c = canary
    client = _client(c, actor)
    urls = _sweep_urls(c)
    failures, seen = [], set()
    for url in urls:
        status, _location, body = _request(client, "GET", url)
        leaked = _leaks(url, body)
        if status >= 500:
            failures.append(f"GET {url}: {status} {body[:200]}")
        elif leaked:
            seen.add(url)
            if actor in BLIND:
                failures.append(f"{actor} sees {leaked} at GET {url}")
    record("canary requests (URLs x callers)", len(urls))
    print(f"canary sweep as {actor}: {len(_routes())} URL patterns, {len(urls)} URLs")
    if actor in SEEING:
        search = [url for url in seen if url.startswith(f"/?q={HOLDER_NAME}")]
        team = [url for url in seen if url.startswith(f"/teams/{c.team.slug}/")]
        memberships = [url for url in seen if url.startswith("/api/v1/memberships/")]
        overlaps = f"/api/v1/analysis/overlaps/?threshold=0.4&team={c.team.slug}"  # the duty overlaps Shipper's
        missing = [url for url in (*MUST_SHOW, overlaps) if url not in seen]
        assert not missing and search and team and memberships, f"{actor} must see the canary at {missing}"
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:80])


@pytest.mark.parametrize("actor", BLIND)
def test_a_hidden_role_answers_exactly_as_a_missing_one(canary, actor):
    c = canary
    client = _client(c, actor)
    pairs = _pairs()
    failures = []
    for hidden_url, missing_url, method in pairs:
        hidden = _normalised(_request(client, method, hidden_url), HIDDEN_ID, ROLE_SLUG)
        missing = _normalised(_request(client, method, missing_url), MISSING_ID, MISSING_SLUG)
        if hidden != missing:
            failures.append(
                f"{method} {hidden_url} answers {hidden[0]} {hidden[2][:160]!r}, "
                f"but {missing_url} answers {missing[0]} {missing[2][:160]!r}"
            )
    record("canary hidden/missing request pairs", len(pairs))
    print(f"hidden vs missing as {actor}: {len(pairs)} pairs of requests")
    assert not failures, f"{len(failures)} of {len(pairs)} pairs differ:\n" + "\n".join(failures[:80])


def test_the_hidden_missing_comparison_can_fail(canary):
    # given HR, who may see the draft: its id and a missing one answer differently
    client = _client(canary, "hr")
    assert _request(client, "GET", f"/api/v1/roles/{HIDDEN_ID}/")[0] == 200
    assert _request(client, "GET", f"/api/v1/roles/{MISSING_ID}/")[0] == 404
