"""Who may do what, on every URL of the site: see ``tests/trust/matrix.py`` for the table.

Each case is one request by one caller; it runs in a savepoint that is rolled back, so every
case starts from the same organisation. A request the table does not allow to write is checked
against a fingerprint of every domain table (rows, history, change events, permissions)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from rest_framework.test import APIClient

from tests.trust.figures import record
from tests.trust.matrix import encode, login_body, matrix, url_keys
from tests.trust.world import ACTORS, OPS_SECRET, SECRET, build_world, db_fingerprint, db_rows

pytestmark = pytest.mark.django_db
KEYS = url_keys()
CHUNKS = 12


@pytest.fixture
def world(db):
    return build_world()


def _clients(w):
    api, pages = {}, {}
    for actor in ACTORS:
        api[actor] = APIClient()
        pages[actor] = Client()
        if actor != "anonymous":
            api[actor].credentials(HTTP_AUTHORIZATION=f"Token {w.tokens[actor]}")
            pages[actor].force_login(getattr(w, actor))
    return api, pages


def _send(client, case, w):
    data, content_type = encode(case, login_body(case, w))
    call = getattr(client, case.method.lower())
    kwargs = dict(case.headers)
    if case.method == "GET":
        return call(case.path, **kwargs)
    if content_type:
        kwargs["content_type"] = content_type
    if data is None and not case.api:
        data = {} if case.method == "POST" else ""
    return call(case.path, data, **kwargs)


class WriteSpy:
    """Notes every statement that writes (sessions aside): a request that sent none cannot have
    changed anything, so the full fingerprint is only needed after one that did."""

    def __init__(self):
        self.writes = 0

    def __call__(self, execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE") and "django_session" not in sql:
            self.writes += 1
        return execute(sql, params, many, context)


def run_cases(cases, w) -> list[str]:
    api, pages = _clients(w)
    before, rows_before = db_fingerprint(), db_rows()
    failures = []
    for case in cases:
        client = (api if case.api else pages)[case.actor]
        cookies = client.cookies
        client.cookies = type(cookies)(cookies)  # sign-outs and sign-ins stay inside this case
        cache.clear()  # throttle counts
        spy = WriteSpy()
        with transaction.atomic(), connection.execute_wrapper(spy):
            try:
                response = _send(client, case, w)
            except Exception as exc:  # a server error: the test client re-raises it
                failures.append(f"{case}: server error {exc!r}")
                transaction.set_rollback(True)
                client.cookies = cookies
                continue
            status, location = response.status_code, response.get("Location", "")
            if not case.expect.accepts(status, location):
                body = response.content[:300].decode(errors="replace") if status != 302 else location
                failures.append(f"{case}: expected {case.expect.status}, got {status} {body}")
            elif not case.expect.writes and spy.writes and db_fingerprint() != before:
                rows = db_rows()
                changed = sorted(label for label in rows if rows[label] != rows_before.get(label))
                failures.append(f"{case}: answered {status} but changed the database: {changed}")
            transaction.set_rollback(True)
        client.cookies = cookies
    return failures


def test_every_url_pattern_is_in_the_matrix(world):
    table = matrix(world)
    missing = sorted(set(KEYS) - set(table))
    stale = sorted(set(table) - set(KEYS))
    assert not missing, f"URL patterns without an entry in tests/trust/matrix.py (who may use them?): {missing}"
    assert not stale, f"entries in tests/trust/matrix.py for URL patterns that no longer exist: {stale}"
    total = sum(len(cases) for cases in table.values())
    record("authorization matrix cases", total)
    print(f"authorization matrix: {len(table)} URL patterns, {total} cases")


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_matrix(world, chunk):
    table = matrix(world)
    keys = [key for key in KEYS if key in table][chunk::CHUNKS]
    cases = [case for key in keys for case in table[key]]
    failures = run_cases(cases, world)
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures[:60])


# --- nothing invisible leaks through lists, filters, search, ordering or documents -----------

FORBIDDEN = {"member": (SECRET, OPS_SECRET), "lead": (OPS_SECRET,), "other_lead": (SECRET,)}
# "Canary" (not the whole secret) so that a page or a "next" link echoing the query is no leak
QUERIES = ["", "?page_size=500", "?ordering=-id", "?search=Canary", "?format=csv", "?status=draft", "?state=draft"]


def test_lists_filters_search_and_documents_never_reveal_invisible_objects(world):
    # given every page and API read a caller may open (from the matrix), with list queries
    table = matrix(world)
    api, pages = _clients(world)
    reads = {
        (case.path, case.api, case.actor)
        for cases in table.values()
        for case in cases
        if case.method == "GET" and case.actor in FORBIDDEN and case.expect.status == 200
    }
    extra = [
        f"/api/v1/roles/?team={world.product.pk}",
        f"/api/v1/roles/?team={world.operations.pk}&status=draft",
        f"/api/v1/suggestions/?role={world.ops_role.pk}",
        f"/api/v1/role-reviews/?cycle={world.open_cycle.pk}",
        "/api/v1/changes/?since=0&page_size=500",
        "/api/v1/org-chart/?root=operations",
    ]
    leaks, checked = [], 0
    for path, is_api, actor in sorted(reads) + [(p, True, a) for p in extra for a in FORBIDDEN]:
        for secret in FORBIDDEN[actor]:
            suffixes = QUERIES if "?" not in path and is_api else [""]
            for query in suffixes:
                url = path + query
                response = (api if is_api else pages)[actor].get(url)
                checked += 1
                assert response.status_code < 500, url
                if secret.encode() in response.content or secret.lower().encode() in response.content:
                    leaks.append(f"{actor} sees {secret} at {url}")
    record("visibility probes", checked)
    assert not leaks, "\n".join(leaks)


# --- server-owned fields in a body are refused or ignored -----------------------------------


def test_server_owned_fields_in_a_body_are_refused_or_ignored(world):
    from reviews.models import ReviewCycle, RoleReview, Suggestion
    from roles.models import Role
    from teams.models import Membership, Team

    w = world
    api, _pages = _clients(w)
    hr, member, lead = api["hr"], api["member"], api["lead"]

    def send(client, method, path, body, **headers):
        return getattr(client, method)(path, body, format="json", **headers)

    # a role's version, team and duties change only through their own paths
    before = Role.objects.values().get(pk=w.pm.pk)
    response = send(hr, "patch", f"/api/v1/roles/{w.pm.pk}/", {"version": 99, "team": w.operations.pk})
    assert response.status_code == 400 and Role.objects.values().get(pk=w.pm.pk) == before
    response = send(
        hr,
        "put",
        f"/api/v1/roles/{w.pm.pk}/duties/",
        {"duties": [{"text": "Only one"}], "version": 99},
        HTTP_IF_MATCH=f'"{w.pm.version}"',
    )
    assert response.status_code in (200, 400), response.content
    w.pm.refresh_from_db()
    assert w.pm.version in (before["version"], before["version"] + 1) and w.pm.team_id == w.product.pk

    # a team is archived only through archive/unarchive
    response = send(hr, "patch", f"/api/v1/teams/{w.product.pk}/", {"archived": True, "id": 999})
    assert response.status_code == 400 and not Team.objects.get(pk=w.product.pk).archived

    # a membership's person and team are fixed
    response = send(hr, "patch", f"/api/v1/memberships/{w.member_membership.pk}/", {"user": w.hr.pk, "team": 1})
    m = Membership.objects.get(pk=w.member_membership.pk)
    assert response.status_code in (200, 400) and (m.user_id, m.team_id) == (w.member.pk, w.product.pk)

    # a suggestion's state, author, decision and base version are the server's
    body = {
        "role": w.pm.pk,
        "kind": "add",
        "proposed_text": "Answer the phone",
        "rationale": "Customers call",
        "state": "accepted",
        "author": w.hr.pk,
        "decided_by": w.hr.pk,
        "base_version": 0,
        "applied_revision": 1,
        "cycle": w.closed_cycle.pk,
    }
    response = send(member, "post", "/api/v1/suggestions/", body)
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        s = Suggestion.objects.get(pk=response.json()["id"])
        assert (s.state, s.author_id, s.decided_by_id, s.applied_revision_id) == ("open", w.member.pk, None, None)
        assert s.base_version == Role.objects.get(pk=w.pm.pk).version and s.cycle_id != w.closed_cycle.pk

    # a review's state, reviewer and decision are the server's
    body = {"outcome": "keep", "state": "approved", "reviewer": w.member.pk, "decided_by": w.lead.pk}
    response = send(lead, "post", f"/api/v1/role-reviews/{w.pending.pk}/submit/", body)
    assert response.status_code in (200, 400), response.content
    r = RoleReview.objects.get(pk=w.pending.pk)
    assert r.state in ("pending", "submitted") and r.reviewer_id == w.lead.pk and r.decided_by_id is None

    # a cycle's state and creator are the server's
    body = {"name": "Q7", "starts_on": "2027-01-01", "due_on": "2027-01-31", "state": "open", "created_by": 1}
    response = send(hr, "post", "/api/v1/review-cycles/", body)
    assert response.status_code in (201, 400), response.content
    if response.status_code == 201:
        c = ReviewCycle.objects.get(pk=response.json()["id"])
        assert (c.state, c.created_by_id, c.opened_at) == ("draft", w.hr.pk, None)
    response = send(hr, "patch", f"/api/v1/review-cycles/{w.draft_cycle.pk}/", {"state": "closed"})
    assert ReviewCycle.objects.get(pk=w.draft_cycle.pk).state == "draft"
