"""The overlap index: pairs of duties (role duties and team core duties) that do the same thing.

Stored, not computed per request. ``OverlapItem`` holds every duty with its text as indexed,
``OverlapTerm`` its features (an inverted index), ``OverlapPair`` every pair that scores at
least ``MIN_OVERLAP_THRESHOLD`` (the lowest threshold the pages offer: any threshold is then a
filter) with the activities both texts share.

Kept current in the transaction of every change to a duty text:

- ``role_duties_replace`` calls ``overlap_index_role``: that role's duties are indexed again and
  compared with everything (candidates from the inverted index, see ``_candidates``);
- ``team_core_duties_replace`` calls the updater that ``roles`` registers with ``teams``
  (``teams.services.on_core_duties_replaced``; teams does not import roles);
- a change to the equivalent terms indexes again every duty whose text contains one of them.

``overlap_rebuild`` builds the whole index from scratch (``manage.py rebuild_overlaps``) with a
set-similarity join; the tests check that after any edits the incremental index equals a rebuild.
Retired roles and archived teams stay indexed and are filtered out when read, so retiring or
archiving changes no pair.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from math import ceil, floor

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from orgstructure.authz import history_user
from roles.models import (
    Duty,
    EquivalentTerm,
    OverlapDecision,
    OverlapItem,
    OverlapPair,
    OverlapRelation,
    OverlapTerm,
    Role,
    RoleStatus,
)
from roles.textsim import (
    ACTIVITY_MIN,
    DutyProfile,
    Equivalents,
    duty_profile,
    equivalents_from_groups,
    normalise,
    pair_score,
)
from roles.visibility import RoleVisibility
from teams.models import TeamDuty
from teams.permissions import is_hr_manager

# The lowest threshold offered: pairs are stored down to it. On the seed organisation the
# overlaps between teams that a reader sees at once score 0.48-0.63 ("分析用户反馈" ~ "收集用户反馈",
# "促销活动的策划与执行" ~ "市场推广活动的策划与执行"), unrelated pairs (technology and customer
# service) at most 0.43. See tests/analysis/test_overlap.py.
MIN_OVERLAP_THRESHOLD = 0.4
DEFAULT_OVERLAP_THRESHOLD = 0.45
EPS = 1e-9
DEFAULT_RELATIONS = (OverlapRelation.SAME_TEAM, OverlapRelation.CROSS_TEAM)
BATCH = 5000

Progress = Callable[[str, int, int], None]


def _no_progress(step: str, done: int, total: int) -> None:
    pass


def current_equivalents() -> Equivalents:
    return equivalents_from_groups(EquivalentTerm.objects.values_list("term", "equivalent"))


def term_hash(feature: str) -> int:
    """A feature as a positive 63-bit integer (the inverted index stores integers)."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "big") >> 1


# ---------------------------------------------------------------------------------------------
# Items and pairs
# ---------------------------------------------------------------------------------------------


@dataclass
class _Item:
    key: str
    duty_id: int | None
    core_id: int | None
    team_id: int
    role_id: int | None
    serves_id: int | None
    text: str
    profile: DutyProfile
    pk: int | None = None

    def model(self) -> OverlapItem:
        return OverlapItem(
            key=self.key,
            duty_id=self.duty_id,
            core_id=self.core_id,
            team_id=self.team_id,
            role_id=self.role_id,
            serves_id=self.serves_id,
            text=self.text,
        )


def _duty_items(duties: QuerySet, equivalents: Equivalents) -> Iterable[_Item]:
    rows = duties.values_list("id", "text", "role_id", "role__team_id", "serves_id")
    for pk, text, role_id, team_id, serves_id in rows.iterator(chunk_size=BATCH):
        yield _Item(f"d{pk}", pk, None, team_id, role_id, serves_id, text, duty_profile(text, equivalents))


def _core_items(cores: QuerySet, equivalents: Equivalents) -> Iterable[_Item]:
    for pk, text, team_id in cores.values_list("id", "text", "team_id").iterator(chunk_size=BATCH):
        yield _Item(f"c{pk}", None, pk, team_id, None, None, text, duty_profile(text, equivalents))


def _stored_items(items: QuerySet, equivalents: Equivalents) -> list[_Item]:
    rows = items.values_list("id", "key", "duty_id", "core_id", "team_id", "role_id", "serves_id", "text")
    return [
        _Item(key, duty_id, core_id, team_id, role_id, serves_id, text, duty_profile(text, equivalents), pk)
        for pk, key, duty_id, core_id, team_id, role_id, serves_id, text in rows
    ]


def _relation(a: _Item, b: _Item) -> str:
    if a.duty_id and b.core_id and a.serves_id == b.core_id:
        return OverlapRelation.SERVES
    if b.duty_id and a.core_id and b.serves_id == a.core_id:
        return OverlapRelation.SERVES
    if a.role_id is not None and a.role_id == b.role_id:
        return OverlapRelation.SAME_ROLE
    return OverlapRelation.SAME_TEAM if a.team_id == b.team_id else OverlapRelation.CROSS_TEAM


def _first(a: _Item, b: _Item) -> bool:
    """Whether ``a`` is side a: the role duty when one side is a core duty, else the smaller id."""
    if (a.duty_id is None) != (b.duty_id is None):
        return a.duty_id is not None
    return (a.duty_id or a.core_id) < (b.duty_id or b.core_id)


def texts_hash(a_key: str, b_key: str, a_text: str, b_text: str) -> str:
    return hashlib.sha256("\x00".join((a_key, b_key, a_text, b_text)).encode()).hexdigest()


def _pair(x: _Item, y: _Item) -> OverlapPair | None:
    a, b = (x, y) if _first(x, y) else (y, x)
    score, shared = pair_score(a.profile, b.profile)
    if score < MIN_OVERLAP_THRESHOLD - EPS:
        return None
    acts_a, acts_b = a.profile.activities, b.profile.activities
    return OverlapPair(
        item_a_id=a.pk,
        item_b_id=b.pk,
        score=round(score, 4),
        relation=_relation(a, b),
        team_a_id=a.team_id,
        team_b_id=b.team_id,
        role_a_id=a.role_id,
        role_b_id=b.role_id,
        shared=[
            [acts_a[i].start, acts_a[i].end, acts_b[j].start, acts_b[j].end, round(sim, 3)] for i, j, sim in shared
        ],
        texts_hash=texts_hash(a.key, b.key, a.text, b.text),
    )


# ---------------------------------------------------------------------------------------------
# Incremental updates
# ---------------------------------------------------------------------------------------------


FREQUENT = 50  # a feature in more duties than this is looked up only among small enough ones


def _frequencies(terms: set[int]) -> dict[int, int]:
    """How many indexed duties hold each term, counted up to ``FREQUENT + 1`` only (all that
    matters is which side of ``FREQUENT`` a term is on; a common verb's posting list is not
    counted through on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return dict(
            OverlapTerm.objects.filter(term__in=terms).values("term").annotate(n=Count("id")).values_list("term", "n")
        )
    table = OverlapTerm._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT t.term, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} o WHERE o.term = t.term LIMIT %s) s) "  # noqa: S608 - model table name
            "FROM unnest(%s::bigint[]) AS t(term)",
            [FREQUENT + 1, sorted(terms)],
        )
        return dict(cursor.fetchall())


def _candidates(items: Sequence[_Item]) -> dict[str, set[int]]:
    """Ids of the indexed items that may overlap one of ``items`` (a superset, never missing
    one). ``score >= t`` implies whole texts at Dice >= t or a pair of activities at Dice >=
    ``ACTIVITY_MIN``. For each such set F of an item (size n, threshold t), split off its
    frequent features H (``d`` of them): another set of size m reaching t shares at least
    ``t·(n+m)/2`` features with F, so it shares one of the rare ones, or shares only frequent
    ones and then ``m <= 2d/t - n``: the frequent ones are looked up only among duties (or
    activities) that small, which the index holds per feature (``whole_size``,
    ``activity_size``). Both lookups are exact.

    Then a count filter drops the chance meetings (a shared bigram or verb) before any text is
    loaded: for each indexed duty found, the features of F it is known to hold (``hits``) plus
    those of F it may hold unseen (frequent features not looked up for it) bound ``|F ∩ y|``
    from above. A duty with ``whole_size <= 2d/t - n`` had every frequent feature of the whole
    text looked up, so for it the bound is exact. The whole text must then reach
    ``t·(n+m)/2`` shared features, an activity ``t·k/(2-t)`` (the least any activity of
    Dice >= t with a k-feature one shares with it). A pair that reaches a threshold always
    passes, so nothing is lost (``test_index_equals_brute_force_on_random_corpora``)."""
    features = {f for item in items for f in item.profile.features}
    if not features:
        return {}
    hashes = {f: term_hash(f) for f in features}
    frequency = _frequencies(set(hashes.values()))
    frequent_terms = {h for h in hashes.values() if frequency.get(h, 0) > FREQUENT}
    # Per item: its whole set and activities as (terms, frequent terms, threshold, size bound).
    plans: dict[str, list[tuple[frozenset[int], frozenset[int], float, int]]] = {}
    rare_all: set[int] = set()
    small: list[Q] = []
    for item in items:
        sets = [(item.profile.features, MIN_OVERLAP_THRESHOLD, "whole_size")]
        sets += [(a.features, ACTIVITY_MIN, "activity_size") for a in item.profile.activities]
        plan = []
        for feats, t, field_name in sets:
            terms = frozenset(hashes[f] for f in feats)
            frequent = terms & frequent_terms
            rare_all |= terms - frequent
            bound = floor(2 * len(frequent) / t - len(feats) + EPS)
            if frequent and bound >= 1:
                small.append(Q(term__in=frequent, **{f"{field_name}__lte": bound}))
            plan.append((terms, frequent, t, bound))
        plans[item.key] = plan
    condition = Q(term__in=rare_all)
    for q in small:
        condition |= q
    postings: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    rows = OverlapTerm.objects.filter(condition).values_list("term", "item_id", "whole_size", "activity_size")
    for term, item_id, whole_size, activity_size in rows:
        postings[term].append((item_id, whole_size, activity_size))
    result: dict[str, set[int]] = {}
    for key, plan in plans.items():
        whole_terms, _frequent, _t, whole_bound = plan[0]
        # Every indexed duty sharing a looked-up feature with this item: the features it holds.
        held: dict[int, set[int]] = defaultdict(set)
        size: dict[int, int] = {}
        for term in whole_terms:
            for item_id, whole_size, _activity_size in postings.get(term, ()):
                held[item_id].add(term)
                size[item_id] = whole_size
        # The fewest shared features any set of this item needs (a quick test first).
        needed = [ceil(t * len(terms) / (2 - t) - EPS) for terms, _f, t, _b in plan]
        fewest = min(needed)
        whole_frequent = len(plan[0][1])
        found: set[int] = set()
        for item_id, terms_held in held.items():
            m = size[item_id]
            exact = m <= whole_bound  # every frequent feature of the whole text looked up for it
            if len(terms_held) + (0 if exact else whole_frequent) < fewest:
                continue
            for index, (terms, frequent, t, _bound) in enumerate(plan):
                shared = terms & terms_held
                if not shared:
                    continue
                most = len(shared) + (0 if exact else len(frequent - shared))
                least = t * (len(terms) + m) / 2 if index == 0 else needed[index]
                if most >= least - EPS:
                    found.add(item_id)
                    break
        result[key] = found
    return result


def _terms(items: Iterable[_Item]) -> Iterable[tuple[int, int, int, int]]:
    """``(item id, term, whole size, smallest activity size)`` rows of the inverted index."""
    for item in items:
        smallest: dict[str, int] = {}
        for activity in item.profile.activities:
            for f in activity.features:
                smallest[f] = min(smallest.get(f, 999), len(activity.features))
        whole = len(item.profile.features)
        for f in item.profile.features:
            yield item.pk, term_hash(f), whole, smallest.get(f, 999)


# Any constant: the PostgreSQL advisory lock that serialises index updates. Two transactions
# changing overlapping duties at once would each compare with the other's old texts and miss
# their pair; holding this lock until commit makes the second one read the first one's result.
# (The duty-list and core-duty services already hold the change feed's lock, taken before this
# one everywhere, so the order of the two locks never differs.)
_OVERLAP_INDEX_LOCK = 7_200_433


def _lock_index() -> None:
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_OVERLAP_INDEX_LOCK])


def _reindex(*, stale: QuerySet, duties: QuerySet, cores: QuerySet) -> None:
    """Drop the ``stale`` index entries (with their terms and pairs) and index ``duties`` and
    ``cores`` afresh, comparing them with everything indexed."""
    _lock_index()
    equivalents = current_equivalents()
    stale.delete()
    new = [*_duty_items(duties, equivalents), *_core_items(cores, equivalents)]
    if not new:
        return
    created = OverlapItem.objects.bulk_create([i.model() for i in new])
    if any(c.pk is None for c in created):  # backends without RETURNING ids
        ids = dict(OverlapItem.objects.filter(key__in=[i.key for i in new]).values_list("key", "id"))
        for item in new:
            item.pk = ids[item.key]
    else:
        for item, row in zip(new, created, strict=True):
            item.pk = row.pk
    OverlapTerm.objects.bulk_create(
        [OverlapTerm(item_id=i, term=t, whole_size=w, activity_size=a) for i, t, w, a in _terms(new)],
        batch_size=BATCH,
    )
    new_ids = {i.pk for i in new}
    candidates = _candidates(new)
    wanted = set().union(*candidates.values()) - new_ids
    others = {i.pk: i for i in _stored_items(OverlapItem.objects.filter(pk__in=wanted), equivalents)}
    pairs = []
    for index, x in enumerate(new):
        for y in [*new[index + 1 :], *(others[pk] for pk in sorted(candidates.get(x.key, set()) - new_ids))]:
            pair = _pair(x, y)
            if pair is not None:
                pairs.append(pair)
    OverlapPair.objects.bulk_create(pairs, batch_size=BATCH)


def overlap_index_role(role: Role | int) -> None:
    """Index a role's duties again (called by ``role_duties_replace``, in its transaction)."""
    role_id = role if isinstance(role, int) else role.pk
    with transaction.atomic():
        _reindex(
            stale=OverlapItem.objects.filter(role_id=role_id),
            duties=Duty.objects.filter(role_id=role_id),
            cores=TeamDuty.objects.none(),
        )


def overlap_index_team_core(team) -> None:
    """Index a team's core duties again (registered with ``teams.services``)."""
    team_id = team if isinstance(team, int) else team.pk
    with transaction.atomic():
        _reindex(
            stale=OverlapItem.objects.filter(core__isnull=False, team_id=team_id),
            duties=Duty.objects.none(),
            cores=TeamDuty.objects.filter(team_id=team_id),
        )


def _reindex_texts_containing(terms: Iterable[str]) -> None:
    """Index again every duty whose text contains one of ``terms`` (after an equivalence
    changed: their features changed)."""
    terms = {t for t in terms if t}
    if not terms:
        return
    duty_q, core_q, item_q = Q(pk__in=[]), Q(pk__in=[]), Q(pk__in=[])
    for term in terms:
        duty_q |= Q(text__icontains=term)
        core_q |= Q(text__icontains=term)
        item_q |= Q(text__icontains=term)
    duty_ids = set(Duty.objects.filter(duty_q).values_list("id", flat=True))
    core_ids = set(TeamDuty.objects.filter(core_q).values_list("id", flat=True))
    for key in OverlapItem.objects.filter(item_q).values_list("key", flat=True):
        (duty_ids if key[0] == "d" else core_ids).add(int(key[1:]))
    _reindex(
        stale=OverlapItem.objects.filter(Q(duty_id__in=duty_ids) | Q(core_id__in=core_ids)),
        duties=Duty.objects.filter(pk__in=duty_ids),
        cores=TeamDuty.objects.filter(pk__in=core_ids),
    )


# ---------------------------------------------------------------------------------------------
# Rebuild
# ---------------------------------------------------------------------------------------------


@dataclass
class JoinStats:
    items: int = 0
    candidates: int = 0  # distinct pairs that shared an indexed feature and passed the size filter
    pairs: int = 0

    @property
    def all_pairs(self) -> int:
        return self.items * (self.items - 1) // 2


def similar_pairs(
    feature_sets: Sequence[frozenset[str]], threshold: float
) -> tuple[list[tuple[int, int, float]], JoinStats]:
    """All pairs ``(i, j, score)`` (``i < j``) whose Dice similarity is at least ``threshold``.

    A prefix-filtered set-similarity join (AllPairs / PPJoin, Bayardo et al. 2007, Xiao et al.
    2008) instead of comparing every pair. Features are ordered rarest first and sets are
    processed in increasing size. With t the Jaccard threshold equivalent to the Dice one, two
    sets x, y can reach it only if they share ``ceil(t/(1+t)·(|x|+|y|))`` features, so a set
    probes the inverted index with its first ``n - ceil(t·n) + 1`` features and is indexed
    under its first ``n - ceil(2t/(1+t)·n) + 1`` only; a candidate smaller than ``t·n`` is
    skipped (size filter), and one that can no longer reach the required overlap from the
    positions of the shared feature is dropped (positional filter) before it is verified.
    The result is exact (the same pairs as comparing everything; see the tests).
    """
    stats = JoinStats(items=len(feature_sets))
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    jaccard = threshold / (2 - threshold)
    overlap_factor = jaccard / (1 + jaccard)
    frequency: dict[str, int] = defaultdict(int)
    for fs in feature_sets:
        for f in fs:
            frequency[f] += 1
    ordered = [sorted(fs, key=lambda f: (frequency[f], f)) for fs in feature_sets]
    order = sorted((i for i in range(len(ordered)) if ordered[i]), key=lambda i: len(ordered[i]))
    index: dict[str, list[tuple[int, int]]] = defaultdict(list)
    pairs: list[tuple[int, int, float]] = []
    for x in order:
        tokens = ordered[x]
        n = len(tokens)
        probe = n - ceil(jaccard * n - EPS) + 1
        min_size = jaccard * n - EPS
        counts: dict[int, int] = {}
        for i, token in enumerate(tokens[:probe]):
            for y, j in index.get(token, ()):
                count = counts.get(y, 0)
                if count < 0:
                    continue
                ny = len(ordered[y])
                if ny < min_size:
                    continue
                required = ceil(overlap_factor * (n + ny) - EPS)
                if count + 1 + min(n - i - 1, ny - j - 1) >= required:
                    counts[y] = count + 1
                else:
                    counts[y] = -1
        fx = feature_sets[x]
        for y, count in counts.items():
            if count <= 0:
                continue
            stats.candidates += 1
            ny = len(ordered[y])
            shared = len(fx & feature_sets[y])
            if 2 * shared < (threshold - EPS) * (n + ny):
                continue
            pairs.append((x, y, 2 * shared / (n + ny)) if x < y else (y, x, 2 * shared / (n + ny)))
        for i, token in enumerate(tokens[: n - ceil(2 * overlap_factor * n - EPS) + 1]):
            index[token].append((x, i))
    stats.pairs = len(pairs)
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs, stats


@dataclass
class RebuildReport:
    items: int = 0
    candidates: int = 0
    pairs: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _copy_rows(model, columns: Sequence[str], rows: Iterable[Sequence], progress: Progress, step: str, total: int):
    """Insert many rows: PostgreSQL's COPY when available, else ``bulk_create``."""
    done = 0
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        buffer = io.StringIO()
        count = 0

        def flush():
            nonlocal buffer, count, done
            buffer.seek(0)
            with connection.cursor() as cursor:
                cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
            done += count
            progress(step, done, total)
            buffer, count = io.StringIO(), 0

        for row in rows:
            buffer.write("\t".join(_copy_value(v) for v in row) + "\n")
            count += 1
            if count >= 100_000:
                flush()
        if count:
            flush()
        return
    batch = []
    for row in rows:
        batch.append(model(**dict(zip(columns, row, strict=True))))
        if len(batch) >= BATCH:
            model.objects.bulk_create(batch)
            done += len(batch)
            progress(step, done, total)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        progress(step, done + len(batch), total)


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return str(value)


@transaction.atomic
def overlap_rebuild(*, progress: Progress = _no_progress) -> RebuildReport:
    """Build the whole overlap index from scratch (``manage.py rebuild_overlaps``)."""
    import json
    import time

    report = RebuildReport()
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[step] = round(now - clock, 2)
        clock = now

    _lock_index()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            tables = ", ".join(m._meta.db_table for m in (OverlapPair, OverlapTerm, OverlapItem))
            # TRUNCATE refuses to run while the transaction has pending foreign-key checks
            # (Django's are deferred): run them now, truncate, then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {tables}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        OverlapPair.objects.all().delete()
        OverlapTerm.objects.all().delete()
        OverlapItem.objects.all().delete()
    equivalents = current_equivalents()
    items = [
        *_duty_items(Duty.objects.order_by("id"), equivalents),
        *_core_items(TeamDuty.objects.order_by("id"), equivalents),
    ]
    report.items = len(items)
    progress("texts", len(items), len(items))
    lap("texts")

    start = (OverlapItem.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    if connection.vendor == "postgresql":
        for number, item in enumerate(items):
            item.pk = start + number
        columns = ["id", "key", "duty_id", "core_id", "team_id", "role_id", "serves_id", "text"]
        rows = ((i.pk, i.key, i.duty_id, i.core_id, i.team_id, i.role_id, i.serves_id, i.text) for i in items)
        _copy_rows(OverlapItem, columns, rows, progress, "index entries", len(items))
        with connection.cursor() as cursor:
            table = OverlapItem._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"  # noqa: S608 - model table name
            )
    else:
        for offset in range(0, len(items), BATCH):
            chunk = items[offset : offset + BATCH]
            created = OverlapItem.objects.bulk_create([i.model() for i in chunk])
            for item, row in zip(chunk, created, strict=True):
                item.pk = row.pk
            progress("index entries", offset + len(chunk), len(items))
    total_terms = sum(len(i.profile.features) for i in items)
    columns = ["item_id", "term", "whole_size", "activity_size"]
    _copy_rows(OverlapTerm, columns, _terms(items), progress, "terms", total_terms)
    lap("index")

    # Candidates: whole texts alike, or one activity alike (see ``pair_score``).
    found: set[tuple[int, int]] = set()
    whole, _stats = similar_pairs([i.profile.features for i in items], MIN_OVERLAP_THRESHOLD)
    found.update((i, j) for i, j, _score in whole)
    progress("candidates", 1, 2)
    owner: list[int] = []
    clauses: list[frozenset[str]] = []
    for index, item in enumerate(items):
        for activity in item.profile.activities:
            owner.append(index)
            clauses.append(activity.features)
    alike, _stats = similar_pairs(clauses, ACTIVITY_MIN)
    for i, j, _score in alike:
        x, y = owner[i], owner[j]
        if x != y:
            found.add((min(x, y), max(x, y)))
    progress("candidates", 2, 2)
    report.candidates = len(found)
    lap("candidates")

    pairs = []
    for x, y in sorted(found):
        pair = _pair(items[x], items[y])
        if pair is not None:
            pairs.append(pair)
    report.pairs = len(pairs)
    columns = [
        "item_a_id",
        "item_b_id",
        "score",
        "relation",
        "team_a_id",
        "team_b_id",
        "role_a_id",
        "role_b_id",
        "shared",
        "texts_hash",
    ]
    if connection.vendor == "postgresql":
        rows = (
            (
                p.item_a_id,
                p.item_b_id,
                p.score,
                p.relation,
                p.team_a_id,
                p.team_b_id,
                p.role_a_id,
                p.role_b_id,
                json.dumps(p.shared),
                p.texts_hash,
            )
            for p in pairs
        )
        _copy_rows(OverlapPair, columns, rows, progress, "pairs", len(pairs))
    else:
        OverlapPair.objects.bulk_create(pairs, batch_size=BATCH)
        progress("pairs", len(pairs), len(pairs))
    lap("pairs")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (OverlapItem, OverlapTerm, OverlapPair):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    return report


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


class Decided:
    UNDECIDED = "no"
    INTENDED = "yes"
    ALL = "all"
    CHOICES = (UNDECIDED, INTENDED, ALL)


def clamp_threshold(value) -> float:
    """A threshold from user input: a number in [MIN_OVERLAP_THRESHOLD, 1], two decimals."""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        return DEFAULT_OVERLAP_THRESHOLD
    if threshold != threshold:  # NaN
        return DEFAULT_OVERLAP_THRESHOLD
    return round(min(1.0, max(MIN_OVERLAP_THRESHOLD, threshold)), 2)


def overlap_pairs(
    *,
    user,
    threshold: float = DEFAULT_OVERLAP_THRESHOLD,
    scope: set[int] | None = None,
    relations: Iterable[str] | None = DEFAULT_RELATIONS,
    decided: str = Decided.UNDECIDED,
) -> QuerySet:
    """The stored pairs ``user`` may see, best first (a lazy queryset; one query per page and
    one to count): at or above ``threshold``, with at least one side in ``scope`` (``None``:
    everywhere), of the given relations (``None``: all), without retired roles, archived teams
    and draft roles the user may not see; by default only pairs nobody marked as intended."""
    threshold = clamp_threshold(threshold)
    visible = RoleVisibility.for_user(user).filter(Role.objects.exclude(status=RoleStatus.RETIRED))
    qs = OverlapPair.objects.filter(
        Q(role_a__isnull=True) | Q(role_a__in=visible),
        Q(role_b__isnull=True) | Q(role_b__in=visible),
        score__gte=threshold - EPS,
        team_a__archived=False,
        team_b__archived=False,
    )
    if relations is not None:
        qs = qs.filter(relation__in=list(relations))
    if scope is not None:
        qs = qs.filter(Q(team_a__in=scope) | Q(team_b__in=scope))
    intended = Exists(OverlapDecision.objects.filter(texts_hash=OuterRef("texts_hash")))
    if decided == Decided.UNDECIDED:
        qs = qs.filter(~intended)
    elif decided == Decided.INTENDED:
        qs = qs.filter(intended)
    return qs.select_related("item_a", "item_b", "team_a", "team_b", "role_a", "role_b").order_by("-score", "id")


@dataclass
class PairView:
    """One pair as pages and the API show it."""

    pair: OverlapPair
    decision: OverlapDecision | None = None

    @property
    def score(self) -> float:
        return self.pair.score

    @property
    def relation(self) -> str:
        return self.pair.relation

    def segments(self, side: str) -> list[tuple[str, bool]]:
        """The side's text cut into ``(text, highlighted)`` parts: shared activities highlighted."""
        item = getattr(self.pair, f"item_{side}")
        text = item.text
        offset = 0 if side == "a" else 2
        spans = sorted({(s[offset], s[offset + 1]) for s in self.pair.shared})
        parts, at = [], 0
        for start, end in spans:
            start = max(start, at)
            if start >= end:
                continue
            if start > at:
                parts.append((text[at:start], False))
            parts.append((text[start:end], True))
            at = end
        if at < len(text):
            parts.append((text[at:], False))
        return parts

    @property
    def a_segments(self):
        return self.segments("a")

    @property
    def b_segments(self):
        return self.segments("b")

    def shared_activities(self) -> list[dict]:
        a, b = self.pair.item_a.text, self.pair.item_b.text
        return [
            {"a": a[s[0] : s[1]], "b": b[s[2] : s[3]], "score": s[4], "a_span": s[0:2], "b_span": s[2:4]}
            for s in self.pair.shared
        ]


def overlap_views(pairs: Sequence[OverlapPair]) -> list[PairView]:
    """Wrap one page of pairs with their decisions (one query)."""
    hashes = {p.texts_hash for p in pairs}
    decisions = {
        d.texts_hash: d for d in OverlapDecision.objects.filter(texts_hash__in=hashes).select_related("decided_by")
    }
    return [PairView(pair=p, decision=decisions.get(p.texts_hash)) for p in pairs]


def overlap_counts(*, user, threshold: float = DEFAULT_OVERLAP_THRESHOLD) -> dict[str, int]:
    """Undecided pairs per relation (one grouped query), for the dashboard."""
    qs = overlap_pairs(user=user, threshold=threshold, relations=None).select_related(None).order_by()
    counts = dict(qs.values("relation").annotate(n=Count("id")).values_list("relation", "n"))
    return {r: counts.get(r, 0) for r in OverlapRelation.values}


# ---------------------------------------------------------------------------------------------
# Services: decisions and equivalent terms
# ---------------------------------------------------------------------------------------------


def _require_hr(acting_user) -> None:
    if acting_user is not None and not is_hr_manager(acting_user):
        raise PermissionDenied(_("Only HR managers decide about overlaps."))


@transaction.atomic
def overlap_decision_mark(*, pair: OverlapPair, note: str, acting_user) -> OverlapDecision:
    """Mark a pair as an intended (deliberately shared) responsibility. Holds until either text
    changes."""
    _require_hr(acting_user)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("Keep the note under 2,000 characters.")}, code="too_long")
    a, b = pair.item_a, pair.item_b
    decision, _created = OverlapDecision.objects.select_for_update().update_or_create(
        a_key=a.key,
        b_key=b.key,
        defaults={
            "texts_hash": pair.texts_hash,
            "a_text": a.text,
            "b_text": b.text,
            "note": note,
            "decided_by": acting_user,
        },
    )
    return decision


@transaction.atomic
def overlap_decision_clear(*, pair: OverlapPair, acting_user) -> None:
    """Take back an "intended" mark: the pair is listed again."""
    _require_hr(acting_user)
    OverlapDecision.objects.filter(a_key=pair.item_a.key, b_key=pair.item_b.key).delete()


def _group_terms(term: str) -> set[str]:
    """Every term equivalent to ``term`` as the table stands now (with itself)."""
    term = normalise(term).strip()
    found = {term}
    rows = list(EquivalentTerm.objects.values_list("term", "equivalent"))
    changed = True
    while changed:
        changed = False
        for a, b in rows:
            a, b = normalise(a).strip(), normalise(b).strip()
            if (a in found) != (b in found):
                found |= {a, b}
                changed = True
    return found


def _clean_term(value, field_name: str) -> str:
    value = " ".join(str(value or "").split())
    if not value:
        raise ValidationError({field_name: _("Enter a term.")}, code="required")
    if len(value) > 50:
        raise ValidationError({field_name: _("A term has at most 50 characters.")}, code="too_long")
    return value


@transaction.atomic
def equivalent_term_create(*, term: str, equivalent: str, acting_user) -> EquivalentTerm:
    """Treat two terms as the same word in the overlap analysis, from now on: every duty that
    contains one of them is indexed again in this transaction."""
    _require_hr(acting_user)
    term, equivalent = _clean_term(term, "term"), _clean_term(equivalent, "equivalent")
    if normalise(term) == normalise(equivalent):
        raise ValidationError({"equivalent": _("A term is always equivalent to itself.")}, code="invalid")
    if EquivalentTerm.objects.filter(
        Q(term__iexact=term, equivalent__iexact=equivalent) | Q(term__iexact=equivalent, equivalent__iexact=term)
    ).exists():
        raise ValidationError(_("These two terms are already equivalent."), code="unique")
    before = _group_terms(term) | _group_terms(equivalent)
    entry = EquivalentTerm(term=term, equivalent=equivalent)
    entry.full_clean()
    history_user(entry, acting_user).save()
    _reindex_texts_containing(before | _group_terms(term))
    return entry


@transaction.atomic
def equivalent_term_update(*, entry: EquivalentTerm, term: str, equivalent: str, acting_user) -> EquivalentTerm:
    _require_hr(acting_user)
    term, equivalent = _clean_term(term, "term"), _clean_term(equivalent, "equivalent")
    if normalise(term) == normalise(equivalent):
        raise ValidationError({"equivalent": _("A term is always equivalent to itself.")}, code="invalid")
    entry = EquivalentTerm.objects.select_for_update().get(pk=entry.pk)
    before = _group_terms(entry.term) | _group_terms(entry.equivalent) | _group_terms(term) | _group_terms(equivalent)
    entry.term, entry.equivalent = term, equivalent
    entry.full_clean()
    history_user(entry, acting_user).save()
    _reindex_texts_containing(before | _group_terms(term))
    return entry


@transaction.atomic
def equivalent_term_delete(*, entry: EquivalentTerm, acting_user) -> None:
    _require_hr(acting_user)
    before = _group_terms(entry.term)
    entry = EquivalentTerm.objects.select_for_update().filter(pk=entry.pk).first()
    if entry is None:
        return
    history_user(entry, acting_user).delete()
    _reindex_texts_containing(before)
