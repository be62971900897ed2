"""Typo tolerance from the kit's own vocabulary, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.kit import load_kit
from app.kit.index import index_kit
from app.kit.search import query_words
from app.kit.suggest import suggest, vocabulary

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "search_content"


@pytest.fixture
def indexed(engine: Engine) -> tuple[Engine, str]:
    kit = load_kit(SAMPLE).kit
    index_kit(engine, kit)
    return engine, kit.content_hash


def test_vocabulary_keeps_the_written_form_and_counts() -> None:
    vocab = vocabulary(["La Coopération, la coopération et la cooperation", "un tiers-lieu", "12 345"])
    assert vocab["cooperation"] == ("coopération", 3)
    assert vocab["tiers"] == ("tiers", 1) and vocab["lieu"] == ("lieu", 1)
    assert "la" not in vocab and "345" not in vocab  # too short, numbers


@pytest.mark.parametrize("typed", ["cooperaton", "coperation", "COOPERATOIN", "coopératin"])
def test_a_misspelt_word_gets_the_kits_word(indexed: tuple[Engine, str], typed: str) -> None:
    engine, version = indexed
    suggestion = suggest(engine, query_words(typed), version)
    assert suggestion is not None
    assert suggestion.words == ("cooperation",)
    assert suggestion.label == "coopération"


def test_known_words_and_prefixes_are_left_alone(indexed: tuple[Engine, str]) -> None:
    engine, version = indexed
    assert suggest(engine, ["cooperation"], version) is None
    assert suggest(engine, ["coop"], version) is None  # the start of a word: search as you type
    assert suggest(engine, ["zzzqqqxx"], version) is None  # nothing close


def test_only_the_misspelt_word_is_replaced(indexed: tuple[Engine, str]) -> None:
    engine, version = indexed
    suggestion = suggest(engine, ["tiers", "cooperaton"], version)
    assert suggestion is not None and suggestion.words == ("tiers", "cooperation")


def test_postgresql_uses_trigrams_when_available(indexed: tuple[Engine, str]) -> None:
    engine, _version = indexed
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first()
        assert connection.execute(text("SELECT count(*) FROM search_term WHERE term % 'cooperaton'")).scalar()
