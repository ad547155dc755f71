"""Text similarity of short duty texts, in Chinese and in English (and mixed).

A duty becomes a set of features:

- runs of CJK characters give character bigrams (Chinese has no spaces between words; a
  two-character window catches most words, "用户", "反馈", "市场", without a dictionary);
  a run of one character gives that character;
- Latin words (lower-cased, a light suffix strip so "analyses"/"analyse" and
  "competitors"/"competitor" meet, stop words dropped) give one feature each;
- digits count as words.

Punctuation never counts: text is NFKC-normalised first, which folds full-width forms
("，", "（", "Ａ") to their ASCII equivalents, and every non-letter/non-digit separates tokens.

The similarity of two duties is the Dice coefficient of their feature sets,
``2·|A∩B| / (|A|+|B|)``: 1.0 for the same features, 0.5 when half of them are shared.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# CJK Unified Ideographs (+ extension A, compatibility ideographs), kana and hangul syllables.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
_TOKEN_RE = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_CJK_RE = re.compile(rf"[{_CJK}]")

# Function words that say nothing about what a duty is (English; the CJK bigrams need none).
_STOP_WORDS_TEXT = """
a an and are as at be by for from has have in into is it its of on or our so such that the their them they this
to with within while who whom which will make makes sure ensure ensures other all any each both up
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_SUFFIXES = ("ing", "ies", "ied", "es", "ed", "s", "e", "y")


def normalise(text: str) -> str:
    """NFKC (full-width → half-width, compatibility forms folded) and case-folded."""
    return unicodedata.normalize("NFKC", text or "").casefold()


@lru_cache(maxsize=131072)
def _stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def features(text: str) -> frozenset[str]:
    """The feature set of one text (see the module docstring)."""
    found: set[str] = set()
    for token in _TOKEN_RE.findall(normalise(text)):
        if _CJK_RE.match(token):
            if len(token) == 1:
                found.add(token)
            else:
                found.update(token[i : i + 2] for i in range(len(token) - 1))
        elif token not in STOP_WORDS:
            found.add(_stem(token))
    return frozenset(found)


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similarity(text_a: str, text_b: str) -> float:
    """Dice coefficient of the two texts' feature sets, 0.0 … 1.0."""
    return dice(features(text_a), features(text_b))


def cjk_share(text: str) -> float:
    """The share of CJK characters among the non-space characters of ``text``."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    return sum(1 for ch in chars if _CJK_RE.match(ch)) / len(chars)


# ---------------------------------------------------------------------------------------------
# Activities: a duty is a short list of clauses ("进行市场调研,分析用户反馈,优化产品功能"). Two
# duties overlap when they share an activity, even when the rest of the texts differ.
# ---------------------------------------------------------------------------------------------

# Clause separators: Chinese and ASCII commas and semicolons, the enumeration comma, full stops
# that end a sentence inside a duty; in English also " and " (a list of verbs shares its object,
# see ``activities``).
_CLAUSE_SEP_RE = re.compile(r"[，,；;、。!！?？]+|\s+and\s+|\s+&\s+", re.IGNORECASE)

# Words that carry no meaning in a duty: "responsible for", "负责", "进行", "确保". Chinese ones
# also cut the bigram runs, so "负责促销活动" gives the same bigrams as "促销活动".
DUTY_STOP_WORDS_ZH = ("负责", "进行", "确保", "保证", "相关", "以及", "各项", "各类", "各种", "提升", "提高", "提供")
DUTY_STOP_WORDS_EN = frozenset(
    [
        "responsible",
        "responsibility",
        "responsibilities",
        "duty",
        "duties",
        "task",
        "tasks",
        "etc",
        "also",
        "provide",
        "provides",
    ]
)
_DUTY_STOP_FEATURES = DUTY_STOP_WORDS_EN | {_stem(w) for w in DUTY_STOP_WORDS_EN}
_ZH_STOP_RE = re.compile("|".join(sorted(map(re.escape, DUTY_STOP_WORDS_ZH), key=len, reverse=True)))

# How much each kind of similarity counts in a pair's score (see ``pair_score``).
ACTIVITY_WEIGHT = 0.5
# A pair of clauses at least this similar is a shared activity; below it, two clauses share no
# more than a verb and a common word ("分析用户行为" ~ "分析用户需求" is 0.6, "Run the X data" ~
# "Run the Y Z data" 0.57) and count for nothing.
ACTIVITY_MIN = 0.6


Equivalents = tuple[tuple[str, str], ...]  # (variant, canonical), normalised, longest variant first


def equivalents_from_groups(groups) -> Equivalents:
    """``[(term, equivalent), ...]`` → the replacements ``duty_features`` applies: every term
    of a connected group becomes the group's smallest term (so the result does not depend on
    the order the pairs were entered in)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in groups:
        a, b = normalise(a).strip(), normalise(b).strip()
        if not a or not b:
            continue
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    pairs = [(term, find(term)) for term in list(parent) if find(term) != term]
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[0])))


def _apply_equivalents(text: str, equivalents: Equivalents) -> str:
    for variant, canonical in equivalents:
        if variant in text:
            if _CJK_RE.search(variant):
                text = text.replace(variant, canonical)
            else:
                text = re.sub(rf"(?<![^\W_]){re.escape(variant)}(?![^\W_])", canonical, text)
    return text


@lru_cache(maxsize=262144)
def duty_features(text: str, equivalents: Equivalents = ()) -> frozenset[str]:
    """The features of one duty text or clause for the overlap analysis: ``features`` with the
    equivalent terms folded together and the duty stop words left out."""
    text = _apply_equivalents(normalise(text), equivalents)
    text = _ZH_STOP_RE.sub(" ", text)
    return features(text) - _DUTY_STOP_FEATURES


@dataclass(frozen=True)
class Activity:
    start: int  # span in the original text
    end: int
    features: frozenset[str]


@dataclass(frozen=True)
class DutyProfile:
    text: str
    features: frozenset[str]  # of the whole text
    activities: tuple[Activity, ...]


def activities(text: str, equivalents: Equivalents = ()) -> tuple[Activity, ...]:
    """The clauses of ``text`` with their spans. A clause with fewer than two features ("Plans"
    in "Plans and runs promotions") is joined to the next one: it shares that one's object."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _CLAUSE_SEP_RE.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    result: list[Activity] = []
    pending: tuple[int, int] | None = None
    for s, e in spans:
        while s < e and not text[s].isalnum():
            s += 1
        while e > s and not text[e - 1].isalnum():
            e -= 1
        if s == e:
            continue
        if pending is not None:
            s = pending[0]
        feats = duty_features(text[s:e], equivalents)
        if not feats:  # only stop words ("负责"): nothing to compare
            continue
        if len(feats) < 2:
            pending = (s, e)
            continue
        pending = None
        result.append(Activity(s, e, feats))
    if pending is not None:
        feats = duty_features(text[pending[0] : pending[1]], equivalents)
        if feats:
            result.append(Activity(pending[0], pending[1], feats))
    return tuple(result)


@lru_cache(maxsize=262144)
def duty_profile(text: str, equivalents: Equivalents = ()) -> DutyProfile:
    acts = activities(text, equivalents)
    whole = frozenset().union(*(a.features for a in acts)) if acts else frozenset()
    return DutyProfile(text=text, features=whole, activities=acts)


def pair_score(a: DutyProfile, b: DutyProfile) -> tuple[float, list[tuple[int, int, float]]]:
    """The overlap score of two duties and their shared activities ``(i, j, similarity)``
    (indexes into ``a.activities`` and ``b.activities``, best first).

    ``score = max(whole, (1 - w)·whole + w·best)`` with ``whole`` the Dice similarity of the
    whole texts, ``best`` that of their most similar pair of activities if it reaches
    ``ACTIVITY_MIN`` (else 0) and ``w`` = ``ACTIVITY_WEIGHT``: one shared activity lifts a pair
    whose other activities differ; texts alike as a whole keep their whole-text score. So a
    pair scores above ``whole`` only with two activities at ``ACTIVITY_MIN`` or more, which is
    what the candidate search relies on."""
    whole = dice(a.features, b.features)
    shared: list[tuple[int, int, float]] = []
    best = 0.0
    for i, x in enumerate(a.activities):
        for j, y in enumerate(b.activities):
            sim = dice(x.features, y.features)
            if sim >= ACTIVITY_MIN - 1e-9:
                best = max(best, sim)
                shared.append((i, j, sim))
    shared.sort(key=lambda s: (-s[2], s[0], s[1]))
    score = max(whole, (1 - ACTIVITY_WEIGHT) * whole + ACTIVITY_WEIGHT * best)
    return score, shared
