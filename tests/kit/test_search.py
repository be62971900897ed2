"""Index and full-text search, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.kit import load_kit
from app.kit.index import index_kit, indexed_hash, resolve_alias, stored_ids
from app.kit.search import facet_values, query_words, search

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "search_content"


@pytest.fixture
def indexed(engine: Engine) -> Engine:
    result = load_kit(SAMPLE)
    assert result.errors == []
    index_kit(engine, result.kit)
    return engine


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in hits]


def test_index_stores_items_in_display_order_and_hash(indexed: Engine) -> None:
    kit = load_kit(SAMPLE).kit
    assert stored_ids(indexed) == [item.id for item in kit]
    assert indexed_hash(indexed) == kit.content_hash
    assert resolve_alias(indexed, "ancienne-cooperation") == "notion-cooperation"


def test_reindex_replaces_everything(indexed: Engine, tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(SAMPLE, root)
    (root / "notions" / "notion-tiers-lieu.md").unlink()
    kit = load_kit(root).kit
    index_kit(indexed, kit)
    assert "notion-tiers-lieu" not in stored_ids(indexed)
    assert search(indexed, "tiers") == []


def test_search_ignores_accents_and_case(indexed: Engine) -> None:
    assert "notion-cooperation" in ids(search(indexed, "COOPERATION"))
    assert "notion-cooperation" in ids(search(indexed, "coopération"))
    assert "notion-ecosysteme" in ids(search(indexed, "écosystème"))
    assert "notion-ecosysteme" in ids(search(indexed, "ecosysteme"))


def test_title_matches_rank_first(indexed: Engine) -> None:
    hits = search(indexed, "coopération")
    flags = [h.title_match for h in hits]
    # Items whose title matches come before items that only mention the word in their text.
    assert flags == sorted(flags, reverse=True)
    assert {h.id for h in hits if h.title_match} == {"notion-cooperation", "dim-cooperation"}
    assert {h.id for h in hits if not h.title_match} == {"notion-ecosysteme", "activite-carte"}


def test_prefix_search_as_you_type(indexed: Engine) -> None:
    assert "notion-ecosysteme" in ids(search(indexed, "écosys"))


def test_filters_by_type_tag_and_dimension(indexed: Engine) -> None:
    assert ids(search(indexed, "", type="activite")) == ["activite-carte"]
    assert set(ids(search(indexed, "", tag="territoire"))) == {"notion-cooperation", "notion-ecosysteme"}
    assert ids(search(indexed, "", dimension="dim-cooperation")) == ["activite-carte", "dim-cooperation"]
    assert ids(search(indexed, "coopération", type="notion")) == ["notion-cooperation", "notion-ecosysteme"]
    assert search(indexed, "coopération", type="fiche") == []


def test_hostile_queries_are_plain_words(indexed: Engine) -> None:
    for query in ['"', "NEAR(", "a OR b", "*", "' OR 1=1 --", "title:x", "&|!:*", "-x", "x" * 5000]:
        search(indexed, query)  # must not raise
    assert query_words('coop" OR tiers*') == ["coop", "or", "tiers"]


def test_facets(indexed: Engine) -> None:
    tags = dict(facet_values(indexed, "tag"))
    assert tags["territoire"] == 2


def test_concurrent_workers_index_once(engine: Engine) -> None:
    """Workers starting together: the first indexes, the others find the version already there."""
    import threading

    kit = load_kit(SAMPLE).kit
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            counts.append(index_kit(engine, kit, force=False))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert counts == [len(kit)] * 4
    assert stored_ids(engine) == [item.id for item in kit]


def test_titles_starting_with_the_query_come_first(indexed: Engine) -> None:
    assert search(indexed, "cooperation")[0].id == "notion-cooperation"
    assert search(indexed, "formes")[0].id == "dim-cooperation"
