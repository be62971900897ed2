"""Typo tolerance: "did you mean …" from the kit's own vocabulary.

At indexing time every word of the kit (titles, summaries, bodies, fields) is stored folded
(`search_term`), with the way the kit writes it most often. A query word that starts no indexed word
is replaced by the closest one by edit distance (rapidfuzz), ties going to the more frequent word.
On PostgreSQL with `pg_trgm`, trigram similarity picks the candidates in the database; elsewhere the
vocabulary is read once per content version and kept in memory (a few thousand words).
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..db import is_sqlite, read_session
from .loader import sort_key

MIN_WORD = 3
MAX_TERM = 64
_WORD = re.compile(r"\w+")


def vocabulary(texts: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Folded word -> (its most frequent written form in lower case, occurrences), words of 3+ letters."""
    forms: dict[str, Counter[str]] = {}
    for chunk in texts:
        for word in _WORD.findall(chunk):
            if len(word) < MIN_WORD or len(word) > MAX_TERM or word.isdigit():
                continue
            lowered = word.lower()
            forms.setdefault(sort_key(lowered), Counter())[lowered] += 1
    return {term: (counts.most_common(1)[0][0], sum(counts.values())) for term, counts in forms.items()}


def max_distance(word: str) -> int:
    """Edits allowed for a word of this length: 1 up to 5 letters, 2 beyond."""
    return 1 if len(word) <= 5 else 2


@dataclass(frozen=True)
class Suggestion:
    """A corrected query: the words to search (folded) and to show (as the kit writes them)."""

    words: tuple[str, ...]
    label: str


class _Vocabulary:
    """The stored vocabulary of one content version, in memory (SQLite, or PostgreSQL without pg_trgm)."""

    def __init__(self, rows: list[tuple[str, str, int]]) -> None:
        self.terms = sorted(row[0] for row in rows)
        self.labels = {row[0]: (row[1], row[2]) for row in rows}

    def starts_a_word(self, word: str) -> bool:
        index = bisect.bisect_left(self.terms, word)
        return index < len(self.terms) and self.terms[index].startswith(word)

    def candidates(self, word: str) -> list[tuple[str, str, int]]:
        found = process.extract(word, self.terms, scorer=Levenshtein.distance,
                                score_cutoff=max_distance(word), limit=8)
        return [(term, *self.labels[term]) for term, _score, _index in found]


_cache: dict[str, tuple[str, _Vocabulary | None, bool]] = {}
_lock = threading.Lock()


def _source(engine: Engine, version: str) -> tuple[_Vocabulary | None, bool]:
    """The in-memory vocabulary (None when pg_trgm answers in the database), cached per content version."""
    key = str(engine.url)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
    with read_session(engine) as session:
        trigrams = not is_sqlite(engine) and bool(
            session.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first())
        rows = [] if trigrams else [
            (r[0], r[1], int(r[2])) for r in session.execute(text("SELECT term, label, count FROM search_term"))]
    vocab = None if trigrams else _Vocabulary(rows)
    with _lock:
        _cache[key] = (version, vocab, trigrams)
    return vocab, trigrams


def _trigram_candidates(engine: Engine, word: str) -> tuple[bool, list[tuple[str, str, int]]]:
    with read_session(engine) as session:
        known = session.execute(text("SELECT 1 FROM search_term WHERE term LIKE :prefix LIMIT 1"),
                                {"prefix": word.replace("\\", "").replace("%", "").replace("_", "") + "%"}).first()
        if known:
            return True, []
        rows = session.execute(
            text("SELECT term, label, count FROM search_term WHERE term % :w "
                 "ORDER BY similarity(term, :w) DESC LIMIT 20"),
            {"w": word},
        ).all()
    near = [(r[0], r[1], int(r[2])) for r in rows if Levenshtein.distance(word, r[0]) <= max_distance(word)]
    return False, near


def suggest(engine: Engine, words: list[str], version: str) -> Suggestion | None:
    """A corrected query for folded query words, or None when every word is known or has no close word."""
    vocab, trigrams = _source(engine, version)
    corrected: list[str] = []
    shown: list[str] = []
    changed = False
    for word in words:
        if len(word) < MIN_WORD or word.isdigit():
            corrected.append(word)
            shown.append(word)
            continue
        if vocab is not None:
            known = vocab.starts_a_word(word)
            near = [] if known else vocab.candidates(word)
        else:
            known, near = _trigram_candidates(engine, word)
        if known or not near:
            corrected.append(word)
            shown.append(word)
            continue
        term, label, _count = min(near, key=lambda c: (Levenshtein.distance(word, c[0]), -c[2], c[0]))
        corrected.append(term)
        shown.append(label)
        changed = True
    if not changed:
        return None
    return Suggestion(tuple(corrected), " ".join(shown))
