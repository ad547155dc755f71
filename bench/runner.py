"""``python -m bench``: generate, measure, compare with targets, print a table, write JSON.

Runs against its own PostgreSQL databases (``orgstructure_bench`` and a migrated template),
created and dropped here, with DEBUG off and the production settings (``bench.settings`` adds
only the bench's two routes). Every server it starts, it stops.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
DB, TEMPLATE_DB = "orgstructure_bench", "orgstructure_bench_template"
SIZES = {
    "small": {"teams": 20, "roles": 200, "duties_per_role": 10, "people": 200},
    "medium": {"teams": 200, "roles": 2000, "duties_per_role": 10, "people": 2000},
    "full": {"teams": 2000, "roles": 20000, "duties_per_role": 10, "people": 20000},
}
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "bench.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else",
    "STATIC_MANIFEST": "0",
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_COOKIES": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SITE_URL": "http://127.0.0.1",
    "ALLOW_DEMO_DATA": "1",
    # The throttles stay in the request path (their cache look-ups are part of the cost) but
    # never refuse: a load test is not an abusive client.
    "API_THROTTLE_USER": "1000000000/minute",
    "API_THROTTLE_ANON": "1000000000/minute",
    "LOG_LEVEL": "WARNING",
}


def _db_url(name: str) -> str:
    return f"{PG_URL}/{name}"


@dataclass
class Row:
    size: str
    what: str
    median_ms: float | None = None
    queries: int | None = None
    note: str = ""
    target: str = ""
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.1f} ms"


def print_table(rows: list[Row], out=sys.stdout) -> None:
    headers = ("size", "measurement", "median", "queries", "", "target", "")
    cells = [
        (
            r.size,
            r.what,
            _fmt_ms(r.median_ms),
            "-" if r.queries is None else str(r.queries),
            r.note,
            r.target,
            {True: "met", False: "NOT MET", None: ""}[r.met],
        )
        for r in rows
    ]
    widths = [max(len(str(c[i])) for c in [headers, *cells]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    out.write("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip() + "\n" + line + "\n")
    for c in cells:
        out.write("  ".join(str(v).ljust(w) for v, w in zip(c, widths, strict=True)).rstrip() + "\n")


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(_db_url("postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _drop(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_template() -> float:
    """Migrate once into a template database; each size starts from a copy of it."""
    start = time.perf_counter()
    _drop(DB)
    _drop(TEMPLATE_DB)
    _admin(f'CREATE DATABASE "{TEMPLATE_DB}"')
    env = {**os.environ, **BENCH_ENV, "DATABASE_URL": _db_url(TEMPLATE_DB)}
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def fresh_database() -> None:
    from django.db import connections

    connections.close_all()
    _drop(DB)
    _admin(f'CREATE DATABASE "{DB}" TEMPLATE "{TEMPLATE_DB}"')


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any], runs: int, *, slow_ms: float = 5000) -> tuple[float, int, Any]:
    """(median ms of ``runs`` calls, queries of one call, the last result). The first call
    counts queries and warms caches; the timed calls record nothing. A call slower than
    ``slow_ms`` is not repeated: its own time is the figure."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    reset_queries()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    first = (time.perf_counter() - start) * 1000
    queries = len(captured)  # now: the next request clears the log this counts from
    if first > slow_ms:
        return first, queries, result
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), queries, result


def ok(response, status: int = 200):
    if response.status_code != status:
        raise RuntimeError(
            f"{response.status_code} from {response.request.get('PATH_INFO')}: {response.content[:300]!r}"
        )
    return response


class Server:
    """gunicorn with 2 sync workers on a free loopback port; stopped on exit."""

    def __init__(self, workers: int = 2):
        self.workers = workers
        self.rss_dir = tempfile.mkdtemp(prefix="bench-rss-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        env = {**os.environ, **BENCH_ENV, "BENCH_RSS_DIR": self.rss_dir}
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen(
            [
                gunicorn,
                "-c",
                "bench/gunicorn_conf.py",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "orgstructure.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                if self.get("/healthz")[0] == 200:
                    return self
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited at start")
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.rss_dir, ignore_errors=True)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read(), dict(response.getheaders())
        finally:
            conn.close()

    def timed_get(self, path: str, headers: dict[str, str], runs: int, status: int = 200) -> tuple[float, bytes]:
        times, body = [], b""
        self.get(path, headers)  # warm: imports, connections
        for _ in range(runs):
            start = time.perf_counter()
            code, body, _ = self.get(path, headers)
            times.append((time.perf_counter() - start) * 1000)
            if code != status:
                raise RuntimeError(f"{code} from {path} over HTTP")
        return statistics.median(times), body

    def peak_rss_mb(self) -> float:
        peaks = [int(p.read_text()) for p in Path(self.rss_dir).iterdir()]
        return max(peaks) / 1024 if peaks else 0.0


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, Any]:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {
        "rps": rps,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
    }


# --------------------------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------------------------


def _analysis_route(kind: str) -> str | None:
    """The path of the coverage / overlap page if the app has one (else the selectors are timed)."""
    from django.urls import NoReverseMatch, reverse

    for name in (f"analysis:{kind}", f"analysis:{kind}s"):
        with contextlib.suppress(NoReverseMatch):
            return reverse(name)
    return None


def _analysis_selectors(hr) -> dict[str, Callable[[], Any]]:
    try:
        from roles import analysis
    except ImportError:
        return {}
    from django.core.cache import cache

    def coverage():
        scope = analysis.analysis_team_scope(hr)
        analysis.coverage_summary(user=hr, scope=scope)
        ids = analysis.coverage_team_ids(user=hr, scope=scope, problems_only=True)
        return analysis.coverage_report(user=hr, team_ids=ids[:50])

    def overlap():
        cache.clear()  # cold: the join itself, not the cache
        pairs, _stats = analysis.overlap_pairs(user=hr)
        return analysis.overlap_pairs_resolve(pairs[:50])

    return {"coverage": coverage, "overlap": overlap}


def bench_size(size: str, args, rows: list[Row], profiles: list[tuple[str, Callable[[], Any]]]) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from bench.pg_document import document_sql, pg_document, tree_depth
    from roles.generator import GenerateOptions, org_generate, text_progress
    from roles.models import Role, RoleStatus
    from teams.permissions import HR_MANAGERS_GROUP

    full = size == "full"
    info: dict[str, Any] = {}
    fresh_database()
    start = time.perf_counter()
    report = org_generate(GenerateOptions(seed=args.seed, **SIZES[size]), progress=text_progress())
    info["generate_s"] = round(time.perf_counter() - start, 1)
    info["generated"] = {k: v for k, v in asdict(report).items() if k != "seconds"}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    rows.append(Row(size, "generate_org (bulk)", info["generate_s"] * 1000, target="< 60 s" if full else ""))
    if full:
        rows[-1].met = info["generate_s"] < 60

    hr = get_user_model().objects.create_user("bench-hr", is_staff=True)
    hr.groups.add(Group.objects.get(name=HR_MANAGERS_GROUP))
    token = Token.objects.create(user=hr).key
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    api = Client(**auth)
    pages = Client()
    pages.force_login(hr)
    runs = args.runs

    # The org chart through the test client (the whole view: token, stamp, build, orjson).
    ms, queries, response = timed(lambda: ok(api.get("/api/v1/org-chart/")), runs)
    document = json.loads(response.content)
    app_ms = ms
    rows.append(
        Row(
            size,
            "org chart, test client",
            ms,
            queries,
            f"{len(response.content) / 1e6:.1f} MB",
            "<= 6 queries",
            queries <= 6,
        )
    )
    profiles.append((f"org-chart-{size}", lambda: api.get("/api/v1/org-chart/")))
    etag = response["ETag"]

    ms, queries, _ = timed(lambda: ok(api.get("/api/v1/org-chart/", HTTP_IF_NONE_MATCH=etag), 304), runs * 3)
    rows.append(Row(size, "org chart 304, test client", ms, queries, target="<= 2 queries", met=queries <= 2))

    # The baseline: nested ModelSerializers (at full size once, for the record).
    if size != "full" or args.full_baseline:
        base_runs = 3 if size != "full" else 1
        ms, queries, response = timed(lambda: ok(api.get("/bench/baseline-org-chart/")), base_runs)
        same = json.loads(response.content)["teams"] == document["teams"]
        ratio = ms / app_ms
        row = Row(size, "baseline: nested ModelSerializers", ms, queries, f"app is {ratio:.0f}x faster")
        if size == "medium":
            row.target, row.met = ">= 20x (aim 50x)", ratio >= 20
        row.extra = {"ratio": round(ratio, 1), "same_document": same}
        if not same:
            row.note += " (DIFFERENT DOCUMENT)"
        rows.append(row)

    # The limit: one PostgreSQL query.
    sql = document_sql(tree_depth())
    ms, queries, text = timed(lambda: pg_document(sql), runs)
    same = json.loads(text)["teams"] == document["teams"]
    ratio = app_ms / ms
    row = Row(size, "limit: one PostgreSQL json_agg query", ms, queries, f"app is {ratio:.2f}x it")
    if full:
        row.target, row.met = "app <= 2x", ratio <= 2
    row.extra = {"ratio": round(ratio, 2), "same_document": same}
    if not same:
        row.note += " (DIFFERENT DOCUMENT)"
    rows.append(row)
    del document, text, response

    # Pages and admin (time and queries, compared across sizes by the caller).
    role = Role.objects.filter(status=RoleStatus.ACTIVE).order_by("id").first()
    page_calls: dict[str, Callable[[], Any]] = {
        "page: organisation (/)": lambda: ok(pages.get("/")),
        "admin: team list": lambda: ok(pages.get("/admin/teams/team/")),
        "admin: role list": lambda: ok(pages.get("/admin/roles/role/")),
        "admin: role change page": lambda: ok(pages.get(f"/admin/roles/role/{role.pk}/change/")),
    }
    selectors = _analysis_selectors(hr)
    for kind in ("coverage", "overlap"):
        route = _analysis_route(kind)
        if route and kind == "overlap":
            # Cold: the join is cached until the organisation changes; the time is the join's.
            page_calls[f"analysis: {kind} ({route})"] = lambda route=route: (cache.clear(), ok(pages.get(route)))
        elif route:
            page_calls[f"analysis: {kind} ({route})"] = lambda route=route: ok(pages.get(route))
        elif kind in selectors:
            page_calls[f"analysis: {kind} (selectors)"] = selectors[kind]
    for name, call in page_calls.items():
        try:
            ms, queries, _ = timed(call, 3)
        except Exception as exc:  # a page under construction elsewhere must not stop the run
            rows.append(Row(size, name, note=f"error: {type(exc).__name__}: {str(exc)[:80]}", met=False))
            continue
        budget = 10_000 if "overlap" in name else 2_000 if "coverage" in name else 1_000
        row = Row(size, name, ms, queries, extra={"budget_ms": budget})
        if ms > budget and not full:
            profiles.append((f"{name}-{size}", call))
        if full:
            row.target = f"< {_fmt_ms(budget)}, fixed queries"
            row.met = ms < budget
            if not row.met:
                profiles.append((f"{name}-{size}", call))
        if "overlap" in name:
            _overlap_outcome(hr, row)
        rows.append(row)

    # A duty-list replacement through the API (alternating two orders, so each one changes).
    target_role = Role.objects.filter(status=RoleStatus.ACTIVE).order_by("-id").first()
    lists = [[{"text": d.text, "serves": d.serves_id} for d in target_role.duties.order_by("position")]]
    lists.append(list(reversed(lists[0])))
    state = {"n": 0, "version": target_role.version}

    def replace():
        body = {"duties": lists[(state["n"] + 1) % 2], "reason": "bench"}
        response = api.put(
            f"/api/v1/roles/{target_role.pk}/duties/",
            body,
            content_type="application/json",
            HTTP_IF_MATCH=f'"{state["version"]}"',
        )
        ok(response)
        state["n"] += 1
        state["version"] = response.json()["version"]

    ms, queries, _ = timed(replace, runs * 2)
    rows.append(Row(size, "duty-list replace (PUT), test client", ms, queries))

    # Over HTTP from gunicorn (2 workers): the org chart, its 304, the worker's peak memory.
    headers = {"Authorization": f"Token {token}"}
    with Server() as server:
        ms, body = server.timed_get("/api/v1/org-chart/", headers, runs)
        etag = json.loads(body)["version"]
        del body
        peak = server.peak_rss_mb()
        rows.append(Row(size, "org chart over HTTP (gunicorn)", ms, note=f"worker peak {peak:.0f} MB"))
        if full:
            rows[-1].target, rows[-1].met = "< 2 s, peak < 400 MB", ms < 2000 and peak < 400
        rows[-1].extra = {"worker_peak_mb": round(peak, 1)}
        ms, _ = server.timed_get("/api/v1/org-chart/", {**headers, "If-None-Match": f'"{etag}"'}, runs * 3, 304)
        rows.append(Row(size, "org chart 304 over HTTP", ms, target="< 20 ms", met=ms < 20))

        if full and not args.no_wrk:
            if shutil.which("wrk") is None:
                rows.append(Row(size, "throughput", note="skipped: wrk not installed (apt-get install -y wrk)"))
            else:
                base = f"http://127.0.0.1:{server.port}"
                detail = wrk(f"{base}/api/v1/roles/{role.pk}/", headers, args.wrk_seconds)
                floor = wrk(f"{base}/bench/constant/", {}, args.wrk_seconds)
                ratio = detail["rps"] / floor["rps"]
                rows.append(
                    Row(
                        size,
                        "floor: constant JSON view (wrk)",
                        floor["p50_ms"],
                        note=f"{floor['rps']:.0f} req/s",
                        extra=floor,
                    )
                )
                rows.append(
                    Row(
                        size,
                        "GET /api/v1/roles/{id}/ token (wrk)",
                        detail["p50_ms"],
                        note=f"{detail['rps']:.0f} req/s = {ratio:.2f}x floor",
                        target=">= 0.5x floor",
                        met=ratio >= 0.5 and not detail["non_2xx"],
                        extra={**detail, "ratio": round(ratio, 2)},
                    )
                )
    return info


def _overlap_outcome(hr, row: Row) -> None:
    """Whether the overlap join that was just timed compared every duty, and how many pairs it
    kept: it stops when its work budget runs out and keeps the best ``OVERLAP_MAX_PAIRS``. Runs
    the join once more, untimed, watching ``similar_pairs`` for the budget."""
    from django.core.cache import cache

    from roles import analysis

    seen: dict[str, Any] = {}
    join = analysis.similar_pairs

    def watched(*a, **kw):
        found, stats = join(*a, **kw)
        seen["budget_hit"] = not stats.complete  # before the cap on pairs is applied
        return found, stats

    cache.clear()
    analysis.similar_pairs = watched
    try:
        pairs, stats = analysis.overlap_pairs(user=hr)
    finally:
        analysis.similar_pairs = join
    cap = getattr(analysis, "OVERLAP_MAX_PAIRS", None)
    complete = getattr(stats, "complete", True)
    budget_hit = seen.get("budget_hit", False)
    capped = cap is not None and stats.pairs > cap
    row.extra.update(
        complete=complete,
        budget_hit=budget_hit,
        pairs_found=stats.pairs,
        pairs_kept=len(pairs),
        candidates=stats.candidates,
        duties=stats.items,
    )
    if complete:
        row.note = f"complete, {len(pairs):,} pairs"
    else:
        why = " + ".join(w for w, hit in (("work budget", budget_hit), (f"best {cap:,}", capped)) if hit)
        row.note = f"incomplete ({why}): {len(pairs):,} of {stats.pairs:,} pairs found"


def fixed_query_check(rows: list[Row]) -> None:
    """Pages and lists must run the same number of queries at every size."""
    by_name: dict[str, dict[str, int | None]] = {}
    for row in rows:
        by_name.setdefault(row.what, {})[row.size] = row.queries
    for row in rows:
        if not row.what.startswith(("page:", "admin:", "analysis:")) or row.size != "full":
            continue
        counts = {c for c in by_name[row.what].values() if c is not None}
        if len(by_name[row.what]) > 1 and len(counts) > 1:
            row.met = False
            vary = "queries vary: " + ", ".join(f"{s} {q}" for s, q in by_name[row.what].items())
            row.note = f"{row.note}; {vary}" if row.note else vary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="medium,full", help="Comma-separated: small, medium, full.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per measurement (median).")
    parser.add_argument("--wrk-seconds", type=int, default=10)
    parser.add_argument("--no-wrk", action="store_true", help="Skip the throughput runs.")
    parser.add_argument("--full-baseline", action="store_true", help="Also time the baseline at full size.")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profiles under bench/results/.")
    parser.add_argument("--keep-db", action="store_true", help="Leave orgstructure_bench in place afterwards.")
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = set(sizes) - set(SIZES)
    if unknown:
        parser.error(f"unknown size(s): {', '.join(sorted(unknown))}")

    os.environ.update(BENCH_ENV)
    os.environ["DATABASE_URL"] = _db_url(DB)
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    rows: list[Row] = []
    profiles: list[tuple[str, Callable[[], Any]]] = []
    result: dict[str, Any] = {"sizes": {}, "machine": _machine()}
    print(f"Migrating a template database ({TEMPLATE_DB}) ...", flush=True)
    result["migrate_s"] = round(prepare_template(), 1)
    import django

    django.setup()
    try:
        for size in sizes:
            print(f"--- {size}: {SIZES[size]}", flush=True)
            result["sizes"][size] = bench_size(size, args, rows, profiles)
            if args.profile and profiles:
                _profile(profiles, size)
            profiles.clear()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            _drop(DB)
        _drop(TEMPLATE_DB)
    fixed_query_check(rows)
    result["total_s"] = round(time.perf_counter() - started, 1)
    result["rows"] = [asdict(r) for r in rows]
    print()
    print_table(rows)
    missed = [r for r in rows if r.met is False]
    print(f"\n{len(missed)} target(s) not met; {result['total_s']:.0f} s in all.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"Written to {RESULTS / f'bench-{stamp}.json'} (and latest.json).")
    return 0


def _profile(profiles: list[tuple[str, Callable[[], Any]]], size: str) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("pyinstrument is not installed (pip install -r bench/requirements.txt): no profiles.")
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, call in profiles:
        profiler = Profiler(interval=0.001)
        profiler.start()
        call()
        profiler.stop()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = RESULTS / f"profile-{slug}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"profile: {path}")


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }
