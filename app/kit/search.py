"""Full-text search over the indexed kit, accent- and case-insensitive, title matches first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from ..db import is_sqlite, read_session
from .loader import sort_key
from .tags import tag_key

MAX_QUERY_LENGTH = 200
MAX_WORDS = 12


@dataclass(frozen=True)
class SearchHit:
    """One search result."""

    id: str
    type: str
    title: str
    summary: str
    title_match: bool
    rank: float


def query_words(query: str) -> list[str]:
    """The words of a query, lowered and without accents; punctuation and operators dropped."""
    return re.findall(r"\w+", sort_key(query[:MAX_QUERY_LENGTH]))[:MAX_WORDS]


@lru_cache(maxsize=4096)
def _folded_title(title: str) -> tuple[str, tuple[str, ...]]:
    """A title's sort key and its folded words: the kit's titles are few and asked for at every search."""
    folded = sort_key(title)
    return folded, tuple(re.findall(r"\w+", folded))


def _title_match(title: str, words: list[str]) -> bool:
    title_words = _folded_title(title)[1]
    return all(any(t.startswith(w) for t in title_words) for w in words)


def search(
    engine: Engine,
    query: str = "",
    *,
    type: str | None = None,  # noqa: A002 - the public API reads best with `type`
    tag: str | None = None,
    dimension: str | None = None,
    limit: int | None = 50,
) -> list[SearchHit]:
    """Search items; with an empty query, list the items matching the filters in display order.

    `limit=None` returns every hit (the web search pages through them and says the true count).
    """
    words = query_words(query)
    filters: list[str] = []
    params: dict[str, Any] = {"limit": max(1, limit) if limit is not None else 1_000_000}
    if type:
        filters.append("i.type = :type")
        params["type"] = type
    for kind, value in (("tag", tag_key(tag) if tag else None), ("dimension", dimension)):
        if value:
            filters.append(
                f"EXISTS (SELECT 1 FROM item_facet f WHERE f.item_id = i.id "
                f"AND f.kind = '{kind}' AND f.value = :{kind})"
            )
            params[kind] = value
    where = " AND ".join(filters)

    with read_session(engine) as session:
        if not words:
            sql = "SELECT i.id, i.type, i.title, i.summary, 0.0 FROM item i"
            sql += f" WHERE {where}" if where else ""
            sql += " ORDER BY i.position LIMIT :limit"
            rows = session.execute(text(sql), params).all()
            return [SearchHit(r[0], r[1], r[2], r[3], False, 0.0) for r in rows]

        if is_sqlite(engine):
            params["q"] = " ".join(f'"{w}"*' for w in words)
            sql = (
                "SELECT i.id, i.type, i.title, i.summary, bm25(item_search, 0.0, 10.0, 4.0, 1.0) AS rank "
                "FROM item_search JOIN item i ON i.id = item_search.item_id "
                "WHERE item_search MATCH :q"
            )
        else:
            params["q"] = " & ".join(f"{w}:*" for w in words)
            sql = (
                "SELECT i.id, i.type, i.title, i.summary, "
                "-ts_rank('{0.1, 0.4, 0.7, 1.0}', s.document, to_tsquery('fr_unaccent', :q)) AS rank "
                "FROM item_search s JOIN item i ON i.id = s.item_id "
                "WHERE s.document @@ to_tsquery('fr_unaccent', :q)"
            )
        sql += f" AND {where}" if where else ""
        rows = session.execute(text(sql), params).all()

    hits = [SearchHit(r[0], r[1], r[2], r[3], _title_match(r[2], words), float(r[4])) for r in rows]
    # Title matches first; among them, titles that start with the query ("Coopération territoriale"
    # before "PTCE — Pôle territorial de coopération économique" for "coopération").
    hits.sort(key=lambda h: (not h.title_match, not _folded_title(h.title)[0].startswith(words[0]), h.rank,
                             _folded_title(h.title)[0]))
    return hits[: params["limit"]]


def facet_values(engine: Engine, kind: str) -> list[tuple[str, int]]:
    """Distinct values of a facet (`tag` or `dimension`) with their item counts."""
    with read_session(engine) as session:
        rows = session.execute(
            text("SELECT value, COUNT(*) FROM item_facet WHERE kind = :kind GROUP BY value ORDER BY value"),
            {"kind": kind},
        ).all()
    return [(r[0], int(r[1])) for r in rows]
