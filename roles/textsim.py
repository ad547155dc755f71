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
