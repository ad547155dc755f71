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
