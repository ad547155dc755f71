"""The authorization matrix: for every URL pattern of ``orgstructure.urls`` (API, pages, admin),
every method, every caller and every object variant, the outcome we expect.

``matrix(w)`` returns ``{key: [Case, ...]}`` where the key is the pattern's name (or its route
when it has none): ``url_keys()`` walks the URL resolver, and a pattern without an entry here
fails the test, so that no endpoint is added without saying who may use it.

An expectation is a status code (or a tuple of acceptable ones), ``LOGIN`` / ``ADMIN_LOGIN``
(a redirect to the sign-in page), and whether the request may change the database. Every
case that may not change it is checked against a fingerprint of every domain table.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver

from roles.models import RoleRevision
from tests.trust.world import ACTORS, PASSWORD

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
LOGIN = "login"  # 302 to /accounts/login/
ADMIN_LOGIN = "admin_login"  # 302 to /admin/login/
ANY_DENIAL = (302, 401, 403, 404, 405)
SIGNED_OUT = ("anonymous", "inactive")
HR = ("hr", "superuser")
NON_STAFF = ("anonymous", "inactive", "member", "lead", "other_lead", "reader")


@dataclass(frozen=True)
class Expect:
    status: int | str | tuple
    writes: bool = False

    def accepts(self, code: int, location: str) -> bool:
        if self.status == LOGIN:
            return code == 302 and location.startswith("/accounts/login/")
        if self.status == ADMIN_LOGIN:
            return code == 302 and location.startswith("/admin/login/")
        if isinstance(self.status, tuple):
            return code in self.status
        return code == self.status


@dataclass
class Case:
    key: str
    method: str
    path: str
    variant: str
    actor: str
    expect: Expect
    data: Any = None
    headers: dict = field(default_factory=dict)
    api: bool = True
    json_body: bool = True

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}, {self.variant}] as {self.actor}"


# --- walking the URL resolver ----------------------------------------------------------------


def url_keys() -> list[str]:
    """Every URL pattern: its namespaced name, or its full route if it has no name."""

    def walk(resolver, prefix="", namespace=""):
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}{pattern.namespace}:"
                yield from walk(pattern, route, ns)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}{pattern.name}" if pattern.name else f"route:{route}"

    return sorted(set(walk(get_resolver())))


# --- expectations --------------------------------------------------------------------------


def per_actor(default: Expect, **overrides: Expect) -> dict[str, Expect]:
    return {actor: overrides.get(actor, default) for actor in ACTORS}


def api_read(ok: int = 200, *, visible: Iterable[str] | None = None) -> dict[str, Expect]:
    """Signed-in callers read (``visible``: only those; the others get 404)."""
    result = {}
    for actor in ACTORS:
        if actor in SIGNED_OUT:
            result[actor] = Expect(401)
        elif visible is None or actor in visible:
            result[actor] = Expect(ok)
        else:
            result[actor] = Expect(404)
    return result


def api_write(
    ok: int | tuple = 200,
    *,
    allowed: Iterable[str] = HR,
    visible: Iterable[str] | None = None,
    denied: int = 403,
) -> dict[str, Expect]:
    """``allowed`` callers succeed (the database may change); visible others get ``denied``,
    invisible ones 404, signed-out callers 401 — and those change nothing."""
    allowed = set(allowed)
    result = {}
    for actor in ACTORS:
        if actor in SIGNED_OUT:
            result[actor] = Expect(401)
        elif visible is not None and actor not in visible:
            result[actor] = Expect(404)
        elif actor in allowed:
            succeeds = ok if isinstance(ok, int) else ok[0]
            result[actor] = Expect(ok, writes=200 <= succeeds < 300)
        else:
            result[actor] = Expect(denied)
    return result


def api_not_allowed() -> dict[str, Expect]:
    """A method the endpoint does not have: 405, or the caller's refusal when that comes first."""
    return per_actor(Expect((403, 404, 405)), anonymous=Expect(401), inactive=Expect(401))


def page(ok: int | tuple = 200, *, visible: Iterable[str] | None = None, denied: int = 404) -> dict[str, Expect]:
    result = {}
    for actor in ACTORS:
        if actor in SIGNED_OUT:
            result[actor] = Expect(LOGIN)
        elif visible is None or actor in visible:
            result[actor] = Expect(ok)
        else:
            result[actor] = Expect(denied)
    return result


def page_write(
    ok: int = 302, *, allowed: Iterable[str], visible: Iterable[str] | None = None, denied: int = 403, refused=None
) -> dict[str, Expect]:
    """``refused``: the allowed callers' status when the state forbids the action (a page shown
    again with a message, which changes nothing)."""
    result = {}
    for actor in ACTORS:
        if actor in SIGNED_OUT:
            result[actor] = Expect(LOGIN)
        elif visible is not None and actor not in visible:
            result[actor] = Expect(404)
        elif actor in allowed:
            result[actor] = Expect(refused) if refused else Expect(ok, writes=True)
        else:
            result[actor] = Expect(denied)
    return result


def everyone(status, *, writes: bool = False) -> dict[str, Expect]:
    return per_actor(Expect(status, writes=writes))


# The default for a method an endpoint does not list: refused, never a server error, nothing
# changed. (Which refusal depends on the layer: 401, 302 to sign in, 403 or 405.)
DEFAULT = per_actor(Expect((*ANY_DENIAL, 200)))


# --- the matrix ----------------------------------------------------------------------------


class Builder:
    def __init__(self, w):
        self.w = w
        self.cases: dict[str, list[Case]] = {}

    def add(
        self,
        key: str,
        url: Callable[[Any], str] | str,
        methods: dict[str, Any],
        *,
        variants: dict[str, Any] | None = None,
        api: bool = True,
    ) -> None:
        """``methods[m]`` is ``(expectations, data, headers)`` or ``expectations``, or a function of
        the variant's object returning one of those."""
        assert key not in self.cases, f"{key} is in the matrix twice"
        variants = variants or {"-": None}
        cases = []
        for variant, obj in variants.items():
            path = url(obj) if callable(url) else url
            for method in METHODS:
                spec = methods.get(method, DEFAULT)
                if callable(spec):
                    spec = spec(obj)
                expectations, data, headers = spec if isinstance(spec, tuple) else (spec, None, {})
                for actor in ACTORS:
                    cases.append(
                        Case(key, method, path, variant, actor, expectations[actor], data, dict(headers), api=api)
                    )
        self.cases[key] = cases


def _if_match(role) -> dict:
    return {"HTTP_IF_MATCH": f'"{role.version}"'}


def _role_visibility(w) -> dict[str, tuple[str, ...]]:
    everybody = ("member", "lead", "other_lead", "reader", "staff", "hr", "superuser")
    return {
        "own": everybody,
        "other": everybody,
        "retired": everybody,
        "draft": ("lead", "hr", "superuser"),
        "ops_draft": ("other_lead", "hr", "superuser"),
    }


def matrix(w) -> dict[str, list[Case]]:
    b = Builder(w)
    signed_in = ("member", "lead", "other_lead", "reader", "staff", "hr", "superuser")

    # --- API: infrastructure ---
    b.add("api:root", "/api/v1/", {"GET": api_read()})
    b.add(
        "api:auth-token",
        "/api/v1/auth/token/",
        {
            "POST": lambda _o: {
                actor: (
                    Expect(400) if actor in SIGNED_OUT else Expect(200, writes=True)  # the token may be created
                )
                for actor in ACTORS
            },
        },
    )
    b.add("api:changes", "/api/v1/changes/", {"GET": api_read()})
    b.add("api:org-chart", "/api/v1/org-chart/", {"GET": api_read()})
    b.add("schema", "/api/schema/", {"GET": api_read()})
    # Duty analysis is for HR managers and team leads.
    analysis = api_write(200, allowed=("lead", "other_lead", "hr", "superuser"))
    b.add("api:analysis-coverage", "/api/v1/analysis/coverage/", {"GET": analysis, "POST": api_not_allowed()})
    b.add("api:analysis-overlaps", "/api/v1/analysis/overlaps/", {"GET": analysis, "POST": api_not_allowed()})

    # --- API: teams ---
    b.add(
        "api:team-list",
        "/api/v1/teams/",
        {"GET": api_read(), "POST": (api_write(201), {"name": "New team", "parent": w.product.pk}, {})},
    )
    teams = {"own": w.product, "other": w.operations}
    b.add(
        "api:team-detail",
        lambda t: f"/api/v1/teams/{t.pk}/",
        {"GET": api_read(), "PATCH": (api_write(), {"description": "Changed"}, {}), "PUT": api_not_allowed()},
        variants=teams,
    )
    b.add(
        "api:team-archive",
        lambda t: f"/api/v1/teams/{t.pk}/archive/",
        {"POST": lambda t: api_write(200 if t == w.design else 400)},
        variants={"leaf": w.design, "with_roles": w.product},
    )
    b.add(
        "api:team-unarchive",
        lambda t: f"/api/v1/teams/{t.pk}/unarchive/",
        {"POST": api_write()},
        variants={"archived": w.old_team},
    )
    core = [{"id": d.pk, "text": d.text} for d in w.product_core] + [{"text": "Write release notes"}]
    b.add(
        "api:team-core-duties",
        lambda t: f"/api/v1/teams/{t.pk}/core-duties/",
        {"GET": api_read(), "PUT": (api_write(), {"core_duties": core}, {})},
        variants={"own": w.product},
    )
    b.add("api:core-duty-list", "/api/v1/core-duties/", {"GET": api_read(), "POST": api_not_allowed()})
    b.add(
        "api:core-duty-detail",
        lambda d: f"/api/v1/core-duties/{d.pk}/",
        {"GET": api_read(), "PUT": api_not_allowed(), "PATCH": api_not_allowed(), "DELETE": api_not_allowed()},
        variants={"own": w.product_core[0], "other": w.ops_core[0]},
    )
    b.add(
        "api:membership-list",
        "/api/v1/memberships/",
        {"GET": api_read(), "POST": (api_write(201), {"user": w.reader.pk, "team": w.product.pk}, {})},
    )
    b.add(
        "api:membership-detail",
        lambda m: f"/api/v1/memberships/{m.pk}/",
        {
            "GET": api_read(),
            "PATCH": (api_write(), {"is_lead": True}, {}),
            "DELETE": api_write(204),
            "PUT": api_not_allowed(),
        },
        variants={"own": w.member_membership, "other": w.other_member_membership},
    )
    b.add(
        "api:project-group-list",
        "/api/v1/project-groups/",
        {"GET": api_read(), "POST": (api_write(201), {"name": "New group"}, {})},
    )
    groups = {"active": w.group, "archived": w.archived_group}
    b.add(
        "api:project-group-detail",
        lambda g: f"/api/v1/project-groups/{g.pk}/",
        {"GET": api_read(), "PATCH": (api_write(), {"purpose": "Changed"}, {}), "DELETE": api_not_allowed()},
        variants=groups,
    )
    b.add(
        "api:project-group-archive",
        lambda g: f"/api/v1/project-groups/{g.pk}/archive/",
        {"POST": api_write()},
        variants=groups,
    )
    b.add(
        "api:project-group-unarchive",
        lambda g: f"/api/v1/project-groups/{g.pk}/unarchive/",
        {"POST": api_write()},
        variants=groups,
    )
    b.add(
        "api:project-group-members",
        lambda g: f"/api/v1/project-groups/{g.pk}/members/",
        {
            "POST": lambda g: (
                api_write(201 if g == w.group else 400),
                {"user": w.lead.pk, "home_team": w.product.pk},
                {},
            )
        },
        variants=groups,
    )
    b.add(
        "api:project-group-remove-member",
        lambda g: f"/api/v1/project-groups/{g.pk}/members/{w.member.pk}/",
        {"DELETE": api_write(204)},
        variants={"active": w.group},
    )
    b.add("api:person-list", "/api/v1/people/", {"GET": api_read()})
    b.add(
        "api:person-detail",
        lambda u: f"/api/v1/people/{u.pk}/",
        {"GET": lambda u: api_read(visible=() if u == w.inactive else None), "PATCH": api_not_allowed()},
        variants={"member": w.member, "inactive": w.inactive},
    )

    # --- API: roles ---
    roles = {"own": w.pm, "other": w.ops_role, "draft": w.draft, "ops_draft": w.ops_draft, "retired": w.retired}
    seen_by = _role_visibility(w)
    variant_of = {role.pk: name for name, role in roles.items()}

    def role_visible(role):
        return seen_by[variant_of[role.pk]]

    b.add(
        "api:role-list",
        "/api/v1/roles/",
        {"GET": api_read(), "POST": (api_write(201), {"team": w.product.pk, "title": "New role"}, {})},
    )
    b.add(
        "api:role-detail",
        lambda r: f"/api/v1/roles/{r.pk}/",
        {
            "GET": lambda r: api_read(visible=role_visible(r)),
            "PATCH": lambda r: (api_write(visible=role_visible(r)), {"purpose": "Changed"}, {}),
            "PUT": lambda r: api_not_allowed(),
            "DELETE": lambda r: api_not_allowed(),
        },
        variants=roles,
    )
    b.add(
        "api:role-duties",
        lambda r: f"/api/v1/roles/{r.pk}/duties/",
        {
            "PUT": lambda r: (
                api_write(409 if r == w.retired else 200, visible=role_visible(r)),
                {"duties": [{"text": "First"}, {"text": "Second"}], "reason": "matrix"},
                _if_match(r),
            )
        },
        variants=roles,
    )
    b.add(
        "api:role-revision-list",
        lambda r: f"/api/v1/roles/{r.pk}/revisions/",
        {"GET": lambda r: api_read(visible=role_visible(r))},
        variants=roles,
    )
    b.add(
        "api:role-revision-detail",
        lambda r: f"/api/v1/roles/{r.pk}/revisions/1/",
        {"GET": lambda r: api_read(visible=role_visible(r))},
        variants=roles,
    )
    b.add(
        "api:role-revision-restore",
        lambda r: f"/api/v1/roles/{r.pk}/revisions/1/restore/",
        {
            "POST": lambda r: (
                api_write(409 if r == w.retired else 200, visible=role_visible(r)),
                {"reason": "matrix"},
                _if_match(r),
            )
        },
        variants=roles,
    )

    # --- API: reviews ---
    b.add(
        "api:review-schedule-list",
        "/api/v1/review-schedules/",
        {"GET": api_read(), "POST": (api_write(201), {"name": "Yearly", "starts_on": "2031-01-01"}, {})},
    )
    b.add(
        "api:review-schedule-detail",
        lambda s: f"/api/v1/review-schedules/{s.pk}/",
        {
            "GET": api_read(visible=("reader", "hr", "superuser")),
            "PATCH": (api_write(visible=("reader", "hr", "superuser")), {"name": "Renamed"}, {}),
            "DELETE": api_not_allowed(),
        },
        variants={"schedule": w.schedule},
    )
    cycles = {"draft": w.draft_cycle, "open": w.open_cycle, "closed": w.closed_cycle, "cancelled": w.cancelled_cycle}
    cycle_state = {c.pk: name for name, c in cycles.items()}

    def cycle_visible(c):
        return ("reader", "hr", "superuser") if c == w.draft_cycle else None

    def cycle_action(ok_states, data=None):
        return lambda c: (
            api_write(200 if cycle_state[c.pk] in ok_states else 409, visible=cycle_visible(c)),
            data or {},
            {},
        )

    b.add(
        "api:review-cycle-list",
        "/api/v1/review-cycles/",
        {
            "GET": api_read(),
            "POST": (api_write(201), {"name": "Q9", "starts_on": "2027-01-01", "due_on": "2027-01-31"}, {}),
        },
    )
    b.add(
        "api:review-cycle-detail",
        lambda c: f"/api/v1/review-cycles/{c.pk}/",
        {
            "GET": lambda c: api_read(visible=cycle_visible(c)),
            "PATCH": cycle_action(("draft", "open"), {"name": "Renamed"}),
            "DELETE": lambda c: api_not_allowed(),
        },
        variants=cycles,
    )
    b.add(
        "api:review-cycle-open",
        lambda c: f"/api/v1/review-cycles/{c.pk}/open/",
        {"POST": cycle_action(("draft",))},
        variants=cycles,
    )
    b.add(
        "api:review-cycle-close",
        lambda c: f"/api/v1/review-cycles/{c.pk}/close/",
        {"POST": cycle_action(("open",), {"force": True})},
        variants=cycles,
    )
    b.add(
        "api:review-cycle-cancel",
        lambda c: f"/api/v1/review-cycles/{c.pk}/cancel/",
        {"POST": cycle_action(("draft", "open"))},
        variants=cycles,
    )

    reviews = {
        "pending": w.pending,
        "submitted": w.submitted,
        "sent_back": w.sent_back,
        "approved": w.approved,
        "not_reviewed": w.not_reviewed,
        "other_team": w.ops_review,
    }
    review_state = {r.pk: name for name, r in reviews.items()}

    def review_visible(r):
        reviewer = "other_lead" if r == w.ops_review else "lead"
        return (reviewer, "hr", "superuser")  # reviews are work in progress: not for readers

    def review_action(ok_states, *, allowed, data):
        def spec(r):
            state = review_state[r.pk]
            ok = 200 if state in ok_states else 409
            who = allowed(r)
            return api_write(ok, allowed=who, visible=review_visible(r)), data, {}

        return spec

    b.add("api:role-review-list", "/api/v1/role-reviews/", {"GET": api_read()})
    b.add(
        "api:role-review-detail",
        lambda r: f"/api/v1/role-reviews/{r.pk}/",
        {"GET": lambda r: api_read(visible=review_visible(r))},
        variants=reviews,
    )
    b.add(
        "api:role-review-submit",
        lambda r: f"/api/v1/role-reviews/{r.pk}/submit/",
        {
            "POST": review_action(
                ("pending", "sent_back", "other_team"),
                allowed=lambda r: ("other_lead" if r == w.ops_review else "lead", "hr", "superuser"),
                data={"outcome": "keep", "comment": "Fine"},
            )
        },
        variants=reviews,
    )
    b.add(
        "api:role-review-approve",
        lambda r: f"/api/v1/role-reviews/{r.pk}/approve/",
        {"POST": review_action(("submitted",), allowed=lambda r: HR, data={})},
        variants=reviews,
    )
    b.add(
        "api:role-review-request-changes",
        lambda r: f"/api/v1/role-reviews/{r.pk}/request-changes/",
        {"POST": review_action(("submitted",), allowed=lambda r: HR, data={"note": "Again"})},
        variants=reviews,
    )

    suggestions = {
        "open": w.open_suggestion,
        "accepted": w.accepted,
        "rejected": w.rejected,
        "withdrawn": w.withdrawn,
        "by_lead": w.lead_suggestion,
        "other_team": w.ops_suggestion,
    }
    suggestion_state = {s.pk: name for name, s in suggestions.items()}

    def suggestion_visible(s):
        # the author, the leads of the role's team, HR; not readers (work in progress)
        if s == w.ops_suggestion:
            return ("other_lead", "hr", "superuser")
        if s == w.lead_suggestion:
            return ("lead", "hr", "superuser")
        return ("member", "lead", "hr", "superuser")

    def suggestion_author(s):
        return {w.ops_suggestion.pk: "othermember", w.lead_suggestion.pk: "lead"}.get(s.pk, "member")

    def suggestion_action(*, allowed, data):
        def spec(s):
            ok = 200 if suggestion_state[s.pk] in ("open", "by_lead", "other_team") else 409
            return api_write(ok, allowed=allowed(s), visible=suggestion_visible(s)), data, {}

        return spec

    b.add(
        "api:suggestion-list",
        "/api/v1/suggestions/",
        {
            "GET": api_read(),
            "POST": (
                api_write(201, allowed=("member", "lead", "other_lead", "hr", "superuser")),
                {"role": w.pm.pk, "kind": "add", "proposed_text": "Be kind", "rationale": "Kindness"},
                {},
            ),
        },
    )
    b.add(
        "api:suggestion-detail",
        lambda s: f"/api/v1/suggestions/{s.pk}/",
        {"GET": lambda s: api_read(visible=suggestion_visible(s))},
        variants=suggestions,
    )
    b.add(
        "api:suggestion-accept",
        lambda s: f"/api/v1/suggestions/{s.pk}/accept/",
        {"POST": suggestion_action(allowed=lambda s: HR, data={})},
        variants=suggestions,
    )
    b.add(
        "api:suggestion-reject",
        lambda s: f"/api/v1/suggestions/{s.pk}/reject/",
        {"POST": suggestion_action(allowed=lambda s: HR, data={"note": "No"})},
        variants=suggestions,
    )
    b.add(
        "api:suggestion-withdraw",
        lambda s: f"/api/v1/suggestions/{s.pk}/withdraw/",
        {"POST": suggestion_action(allowed=lambda s: (suggestion_author(s),), data={})},
        variants=suggestions,
    )
    b.add("route:^api(?:/.*)?$", "/api/v2/nothing/", {m: everyone(404) for m in METHODS})

    # --- pages ---
    b.add("home", "/", {"GET": everyone(200), "POST": everyone(405)}, api=False)
    b.add("healthz", "/healthz", {"GET": everyone(200), "POST": everyone(405)}, api=False)
    b.add("swagger-ui", "/api/docs/", {"GET": page()}, api=False)
    b.add(
        "set_language",
        "/i18n/setlang/",
        {"POST": (everyone(302), {"language": "zh-hans", "next": "/"}, {})},
        api=False,
    )
    b.add(
        "login",
        "/accounts/login/",
        {
            "GET": everyone(200),
            "POST": lambda _o: {
                # the body is each caller's own username and password (see login_body)
                actor: Expect(200) if actor in SIGNED_OUT else Expect(302, writes=True)
                for actor in ACTORS
            },
        },
        api=False,
    )
    b.add("logout", "/accounts/logout/", {"GET": everyone(405), "POST": everyone((200, 302))}, api=False)
    b.add(
        "password_change",
        "/accounts/password_change/",
        {
            "GET": page(),
            "POST": (
                page_write(allowed=signed_in),
                {"old_password": PASSWORD, "new_password1": "An0ther-long-pass", "new_password2": "An0ther-long-pass"},
                {},
            ),
        },
        api=False,
    )
    b.add("password_change_done", "/accounts/password_change/done/", {"GET": page()}, api=False)
    b.add(
        "password_reset",
        "/accounts/password_reset/",
        {"GET": everyone(200), "POST": (everyone(302), {"email": "member@example.com"}, {})},
        api=False,
    )
    b.add("password_reset_done", "/accounts/password_reset/done/", {"GET": everyone(200)}, api=False)
    b.add(
        "password_reset_confirm",
        "/accounts/reset/MQ/bad-token/",
        {"GET": everyone(200), "POST": (everyone(200), {"new_password1": "x", "new_password2": "x"}, {})},
        api=False,
    )
    b.add("password_reset_complete", "/accounts/reset/done/", {"GET": everyone(200)}, api=False)

    b.add("roles:list", "/roles/", {"GET": page()}, api=False)
    suggest_body = {"kind": "add", "proposed_text": "Be kind", "rationale": "Kindness"}
    suggesters = ("member", "lead", "other_lead", "hr", "superuser")
    b.add(
        "roles:detail",
        lambda r: f"/roles/{r.pk}/",
        {
            "GET": lambda r: page(visible=role_visible(r)),
            "POST": lambda r: (
                page_write(
                    allowed=suggesters,
                    visible=role_visible(r),
                    # suggestions are for active roles: the page says so, nothing is stored
                    refused=200 if r.status != "active" else None,
                ),
                suggest_body,
                {},
            ),
        },
        variants=roles,
        api=False,
    )
    b.add(
        "role_history:history",
        lambda r: f"/roles/{r.pk}/history/",
        {"GET": lambda r: page(visible=role_visible(r)), "POST": lambda r: page(405)},
        variants=roles,
        api=False,
    )
    team_pages = {"own": w.product, "other": w.operations, "archived": w.old_team}

    def team_visible(t):
        return HR if t.archived else None  # archived teams are HR's business

    b.add(
        "teams:detail",
        lambda t: f"/teams/{t.slug}/",
        {"GET": lambda t: page(visible=team_visible(t)), "POST": lambda t: page(405)},
        variants=team_pages,
        api=False,
    )
    b.add(
        "teams:subtree",
        lambda t: f"/org/teams/{t.slug}/subtree/",
        {"GET": lambda t: page(visible=team_visible(t)), "POST": lambda t: page(405)},
        variants=team_pages,
        api=False,
    )
    b.add("teams:chart-svg", "/org/chart.svg", {"GET": page(), "POST": page(405)}, api=False)
    # Duty analysis: HR managers and team leads; the dashboard: HR managers.
    analysts = ("lead", "other_lead", "hr", "superuser")
    b.add("analysis:coverage", "/analysis/coverage/", {"GET": page(visible=analysts, denied=403)}, api=False)
    b.add("analysis:overlaps", "/analysis/overlaps/", {"GET": page(visible=analysts, denied=403)}, api=False)
    b.add("analysis:dashboard", "/dashboard/", {"GET": page(visible=HR, denied=403)}, api=False)
    b.add("reviews:my_reviews", "/reviews/", {"GET": page()}, api=False)
    b.add("reviews:my_suggestions", "/suggestions/", {"GET": page()}, api=False)

    def review_page_submit(r):
        state = review_state[r.pk]
        reviewer = "other_lead" if r == w.ops_review else "lead"
        may = state in ("pending", "sent_back", "other_team")
        body = {
            "action": "submit",
            "outcome": "keep",
            "comment": "Fine",
            "expected_version": str(r.role.version),
            "duties-TOTAL_FORMS": "0",
            "duties-INITIAL_FORMS": "0",
            "duties-MIN_NUM_FORMS": "0",
            "duties-MAX_NUM_FORMS": "50",
        }
        allowed = (reviewer, "hr", "superuser") if may else ()
        return page_write(allowed=allowed, visible=review_visible(r)), body, {}

    b.add(
        "reviews:review",
        lambda r: f"/reviews/{r.pk}/",
        {"GET": lambda r: page(visible=review_visible(r)), "POST": review_page_submit},
        variants=reviews,
        api=False,
    )

    def suggestion_page_withdraw(s):
        may = suggestion_state[s.pk] in ("open", "by_lead", "other_team")
        allowed = (suggestion_author(s),) if may else ()
        return page_write(allowed=allowed, visible=suggestion_visible(s)), {"action": "withdraw"}, {}

    b.add(
        "reviews:suggestion",
        lambda s: f"/suggestions/{s.pk}/",
        {"GET": lambda s: page(visible=suggestion_visible(s)), "POST": suggestion_page_withdraw},
        variants=suggestions,
        api=False,
    )
    b.add("reviews:cycles", "/cycles/", {"GET": page(visible=HR, denied=403)}, api=False)
    b.add(
        "reviews:cycle",
        lambda c: f"/cycles/{c.pk}/",
        {
            "GET": page(visible=HR, denied=403),
            "POST": lambda c: (
                page_write(allowed=HR, refused=None if c == w.draft_cycle else 200),
                {"action": "open"},
                {},
            ),
        },
        variants=cycles,
        api=False,
    )

    _admin(b, w)
    return b.cases


# --- the admin -----------------------------------------------------------------------------

# What HR managers and superusers may do in each model's admin: v(iew), a(dd), c(hange),
# d(elete). Nothing that keeps history can be deleted: it is archived, retired, deactivated
# or cancelled instead. Memberships are removed through their service, which keeps their history.
ADMIN_RIGHTS = {
    "auth.group": ("", "vacd"),
    "auth.user": ("vac", "vac"),  # people are deactivated, not deleted
    # token keys are never listed; tokens are issued (shown once) and revoked by superusers only
    "orgstructure.apitoken": ("", "vad"),
    "teams.team": ("vac", "vac"),
    "teams.membership": ("vacd", "vacd"),
    "teams.projectgroup": ("vac", "vac"),
    "roles.role": ("vac", "vac"),
    "roles.rolerevision": ("v", "v"),
    "reviews.reviewschedule": ("vac", "vac"),
    "reviews.reviewcycle": ("vac", "vac"),
    "reviews.rolereview": ("v", "v"),
    "reviews.suggestion": ("v", "v"),
}


def admin_expect(hr_ok, su_ok, *, staff=403, hr_writes=False, su_writes=False) -> dict[str, Expect]:
    result = {actor: Expect(ADMIN_LOGIN) for actor in NON_STAFF}
    result["staff"] = Expect(staff)
    result["hr"] = Expect(hr_ok, writes=hr_writes)
    result["superuser"] = Expect(su_ok, writes=su_writes)
    return result


def _admin_objects(w) -> dict[str, Any]:
    from django.contrib.auth.models import Group

    from orgstructure.models import ApiToken

    return {
        "auth.group": Group.objects.get(name="Org readers"),
        "auth.user": w.member,
        "orgstructure.apitoken": ApiToken.objects.get(user=w.member),
        "teams.team": w.product,
        "teams.membership": w.member_membership,
        "teams.projectgroup": w.group,
        "roles.role": w.pm,
        "roles.rolerevision": RoleRevision.objects.get(role=w.pm, number=1),
        "reviews.reviewschedule": w.schedule,
        "reviews.reviewcycle": w.open_cycle,
        "reviews.rolereview": w.pending,
        "reviews.suggestion": w.open_suggestion,
    }


def _admin(b: Builder, w) -> None:
    b.add("admin:index", "/admin/", {"GET": admin_expect(200, 200, staff=200)}, api=False)
    b.add(
        "admin:login",
        "/admin/login/",
        {
            "GET": per_actor(Expect(200), staff=Expect(302), hr=Expect(302), superuser=Expect(302)),
            "POST": lambda _o: per_actor(
                Expect(200),
                staff=Expect(302, writes=True),
                hr=Expect(302, writes=True),
                superuser=Expect(302, writes=True),
            ),
        },
        api=False,
    )
    b.add("admin:logout", "/admin/logout/", {"GET": everyone((302, 405)), "POST": everyone((200, 302))}, api=False)
    b.add("admin:password_change", "/admin/password_change/", {"GET": admin_expect(200, 200, staff=200)}, api=False)
    b.add(
        "admin:password_change_done",
        "/admin/password_change/done/",
        {"GET": admin_expect(200, 200, staff=200)},
        api=False,
    )
    b.add("admin:jsi18n", "/admin/jsi18n/", {"GET": admin_expect(200, 200, staff=200)}, api=False)
    b.add(
        "admin:autocomplete",
        "/admin/autocomplete/?app_label=teams&model_name=membership&field_name=user&term=mem",
        {"GET": admin_expect(200, 200)},
        api=False,
    )
    from django.contrib.contenttypes.models import ContentType

    team_type = ContentType.objects.get_for_model(type(w.product))
    b.add(
        "admin:view_on_site",
        f"/admin/r/{team_type.pk}/{w.product.pk}/",
        {"GET": admin_expect(404, 404, staff=404)},
        api=False,
    )
    b.add("admin:app_list", "/admin/teams/", {"GET": admin_expect(200, 200, staff=404)}, api=False)
    b.add("route:admin/(?P<url>.*)$", "/admin/nothing/here/", {"GET": admin_expect(404, 404, staff=404)}, api=False)

    objects = _admin_objects(w)
    registered = {model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()}
    for label, model_admin in registered.items():
        assert label in ADMIN_RIGHTS, f"admin for {label} is not in ADMIN_RIGHTS: who may use it?"
        hr_rights, su_rights = ADMIN_RIGHTS[label]
        app, model = label.split(".")
        obj = objects[label]
        base = f"/admin/{app}/{model}/"
        pk = obj.pk

        def code(rights, letter, ok=200):
            return ok if letter in rights else 403

        def view_code(rights):
            return 200 if ("v" in rights or "c" in rights) else 403

        b.add(
            f"admin:{app}_{model}_changelist",
            base,
            {
                "GET": admin_expect(view_code(hr_rights), view_code(su_rights)),
                # the bulk delete: only where deleting is allowed does anything change
                "POST": (
                    admin_expect(
                        (200, 302) if "d" in hr_rights else (200, 302, 403),
                        (200, 302) if "d" in su_rights else (200, 302, 403),
                        hr_writes="d" in hr_rights,
                        su_writes="d" in su_rights,
                    ),
                    {"action": "delete_selected", "_selected_action": [str(pk)], "post": "yes"},
                    {},
                ),
            },
            api=False,
        )
        add_post = (admin_expect((200, 403), (200, 403)), {}, {})  # an empty form: errors, nothing saved
        if label in CRAFTED_ADD:
            add_post = CRAFTED_ADD[label](w)
        b.add(
            f"admin:{app}_{model}_add",
            f"{base}add/",
            {"GET": admin_expect(code(hr_rights, "a"), code(su_rights, "a")), "POST": add_post},
            api=False,
        )
        if label == "auth.user":
            _user_change(b, w)
        else:
            b.add(
                f"admin:{app}_{model}_change",
                f"{base}{pk}/change/",
                {
                    "GET": admin_expect(view_code(hr_rights), view_code(su_rights)),
                    # an empty form: errors and nothing saved, or (memberships: every field may be
                    # empty) a save that changes nothing the user sees
                    "POST": (
                        admin_expect((200, 302, 403), (200, 302, 403), hr_writes=True, su_writes=True)
                        if label == "teams.membership"
                        else admin_expect((200, 403), (200, 403)),
                        {},
                        {},
                    ),
                },
                api=False,
            )
        b.add(
            f"admin:{app}_{model}_delete",
            f"{base}{pk}/delete/",
            {
                "GET": admin_expect(code(hr_rights, "d"), code(su_rights, "d")),
                "POST": (
                    admin_expect(
                        code(hr_rights, "d", 302),
                        code(su_rights, "d", 302),
                        hr_writes="d" in hr_rights,
                        su_writes="d" in su_rights,
                    ),
                    {"post": "yes"},
                    {},
                ),
            },
            api=False,
        )
        b.add(
            f"admin:{app}_{model}_history",
            f"{base}{pk}/history/",
            {"GET": admin_expect(view_code(hr_rights), view_code(su_rights))},
            api=False,
        )
        b.add(
            f"route:admin/{app}/{model}/<path:object_id>/",
            f"{base}{pk}/",
            {"GET": admin_expect(302, 302, staff=302)},
            api=False,
        )
        if hasattr(model_admin, "history_form_view"):
            history = getattr(type(obj), "history", None)
            version = history.filter(id=pk).order_by("history_id").first().history_id if history else 1
            b.add(
                f"admin:{app}_{model}_simple_history",
                f"{base}{pk}/history/{version}/",
                {
                    "GET": admin_expect(view_code(hr_rights), 200)
                    if history
                    else admin_expect(404, 404, staff=404),  # nothing to show
                    # django-simple-history's "revert" would save around the services: refused
                    "POST": (
                        admin_expect(403, 403) if history else admin_expect(404, 404, staff=404),
                        {"name": "x"},
                        {},
                    ),
                },
                api=False,
            )
    revision = objects["roles.rolerevision"]
    b.add(
        "admin:roles_rolerevision_restore",
        f"/admin/roles/rolerevision/{revision.pk}/restore/",
        {
            "GET": admin_expect(405, 405, staff=(403, 405)),
            "POST": (
                {**admin_expect(302, 302), "hr": Expect(302, True), "superuser": Expect(302, True)},
                {"expected_version": str(w.pm.version), "reason": "matrix"},
                {},
            ),
        },
        api=False,
    )
    # HR sets the passwords of people with fewer rights (and their own), never a peer's or a
    # superuser's; the crafted POST is a valid new password.
    password = "An0ther-long-pass-2026"
    body = {"password1": password, "password2": password, "usable_password": "true"}
    may_set = {"member": True, "self": True, "other_hr": False, "superuser": False}
    b.add(
        "admin:auth_user_password_change",
        lambda u: f"/admin/auth/user/{u.pk}/password/",
        {
            "GET": lambda u: admin_expect(200 if may_set[_variant_of(w, u)] else 403, 200),
            "POST": lambda u: (
                admin_expect(
                    302 if may_set[_variant_of(w, u)] else 403,
                    302,
                    hr_writes=may_set[_variant_of(w, u)],
                    su_writes=True,
                ),
                body,
                {},
            ),
        },
        variants=_user_variants(w),
        api=False,
    )


def _user_variants(w) -> dict[str, Any]:
    return {"member": w.member, "self": w.hr, "other_hr": w.other_hr, "superuser": w.superuser}


def _variant_of(w, user) -> str:
    return next(name for name, obj in _user_variants(w).items() if obj.pk == user.pk)


ESCALATION_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


def _user_change(b: Builder, w) -> None:
    """The user change form, posted with every privileged field ticked: HR is refused (on their
    own account too) and nothing changes; a superuser may."""
    from django.contrib.auth.models import Group, Permission

    def body(user):
        return {
            "username": user.username,
            "first_name": "Escalated",
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [str(Group.objects.get(name="HR managers").pk)],
            "user_permissions": [str(pk) for pk in Permission.objects.values_list("pk", flat=True)],
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        }

    b.add(
        "admin:auth_user_change",
        lambda u: f"/admin/auth/user/{u.pk}/change/",
        {
            "GET": admin_expect(200, 200),
            "POST": lambda u: (admin_expect(403, (200, 302), su_writes=True), body(u), {}),
        },
        variants=_user_variants(w),
        api=False,
    )


def _token_add(w):
    """A superuser issues a token in the admin; nobody else can."""
    return admin_expect(403, (200, 302), su_writes=True), {"user": str(w.reader.pk)}, {}


def _user_add(w):
    """A crafted add form with privileges: refused for HR, nothing saved."""
    body = {
        "username": "crafted",
        "usable_password": "true",
        "password1": "An0ther-long-pass-2026",
        "password2": "An0ther-long-pass-2026",
        "is_superuser": "on",
        "is_staff": "on",
    }
    return admin_expect(403, (200, 302), su_writes=True), body, {}


CRAFTED_ADD = {"orgstructure.apitoken": _token_add, "auth.user": _user_add}


def login_body(case: Case, w) -> Any:
    """Sign-in forms get the caller's own username and password (a wrong one when anonymous)."""
    if case.key in ("login", "admin:login", "api:auth-token") and case.method == "POST":
        user = getattr(w, case.actor) if case.actor != "anonymous" else w.member
        password = PASSWORD if case.actor != "anonymous" else "wrong-password"
        return {"username": user.get_username(), "password": password}
    return case.data


def encode(case: Case, data: Any) -> tuple[Any, str | None]:
    if data is None:
        return None, None
    if case.api and case.method != "GET":
        return json.dumps(data), "application/json"
    return data, None
