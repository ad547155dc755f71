"""Schemathesis against our own OpenAPI schema, in process (WSGI, no network).

Every operation of the schema gets ``MAX_EXAMPLES`` generated requests (valid and invalid ones),
from several callers' tokens (HR most often, so that writes reach the services), with path ids
that mostly name real objects of the trust world. Five checks must hold for every response:
no server error, a documented status code, a body that matches the documented schema, invalid
data rejected, and authentication enforced. Generation is derandomized (a fixed seed), so a run
is repeatable in CI; the number of requests is printed at the end of the suite.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.trust.figures import record
from tests.trust.world import build_world

MAX_EXAMPLES = 100
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Who sends each request, in turn: HR managers most often (their writes reach the services),
# and every other kind of caller regularly.
CALLERS = ("hr", "member", "hr", "lead", "superuser", "hr", "reader", "other_lead", "hr", "staff")

raw_schema = SchemaGenerator().get_schema(request=None, public=True)
schema = schemathesis.openapi.from_dict(raw_schema)
schema.app = get_wsgi_application()
schema.location = "/api/schema/"

_state = {"world": None, "callers": itertools.cycle(CALLERS)}


@schema.auth(refresh_interval=None)
class Tokens:
    """An explicit token for every request, so that ``ignored_auth`` also sends it without one
    and with a wrong one and expects a refusal."""

    def get(self, case, ctx):
        if _state["world"] is None:  # examples drawn at collection time, before any database
            return "collection-time-placeholder"
        return _state["world"].tokens[next(_state["callers"])]

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Token {data}"}


def _ids(w) -> dict[str, list[int]]:
    """Real ids for each path parameter, by the collection it belongs to."""
    return {
        "teams": [w.product.pk, w.operations.pk, w.design.pk, w.old_team.pk],
        "core-duties": [d.pk for d in w.product_core + w.ops_core],
        "memberships": [w.member_membership.pk, w.other_member_membership.pk, w.lead_membership.pk],
        "project-groups": [w.group.pk, w.archived_group.pk],
        "people": [w.member.pk, w.lead.pk, w.inactive.pk],
        "roles": [w.pm.pk, w.ops_role.pk, w.draft.pk, w.ops_draft.pk, w.retired.pk, w.analyst.pk],
        "review-schedules": [w.schedule.pk],
        "review-cycles": [w.draft_cycle.pk, w.open_cycle.pk, w.closed_cycle.pk, w.cancelled_cycle.pk],
        "role-reviews": [w.pending.pk, w.submitted.pk, w.sent_back.pk, w.approved.pk, w.ops_review.pk],
        "suggestions": [w.open_suggestion.pk, w.lead_suggestion.pk, w.ops_suggestion.pk, w.accepted.pk],
        "user_id": [w.member.pk, w.lead.pk],
        "number": [1, 2],
    }


def _real_path_ids(case, w) -> None:
    """Three requests in four name real objects; the fourth keeps the generated (random) ids."""
    params = case.path_parameters
    if not params or (case.meta is not None and case.meta.is_negative_at(ParameterLocation.PATH)):
        return
    digest = hash(case.path) + sum(hash(str(v)) for v in params.values())
    if digest % 4 == 0:
        return
    collection = case.path.removeprefix("/api/v1/").split("/")[0]
    ids = _ids(w)
    for name in params:
        pool = ids["roles"] if name == "role_pk" else ids.get(name) or ids.get(collection)
        if pool:
            params[name] = pool[digest % len(pool)]


@pytest.fixture
def trust_world(db, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]  # schemathesis' WSGI client
    w = build_world()
    _state["world"] = w
    cache.clear()
    # As Django's test client does: the WSGI app must not close the test's connection (and its
    # transaction) at the end of each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield w
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_operation(case, trust_world):
    _real_path_ids(case, trust_world)
    cache.clear()  # throttle counts: the fuzzer is one client sending many requests
    case.call_and_validate(checks=CHECKS)
    record("fuzzed requests")


def test_every_operation_of_the_schema_is_fuzzed():
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {(op.method.upper(), op.path) for op in operations}
    documented = {
        (method.upper(), path)
        for path, item in raw_schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert paths == documented
    record("fuzzed operations", len(paths))
