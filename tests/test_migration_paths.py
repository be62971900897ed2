"""Migrations run on SQLite and PostgreSQL from an empty database and from every earlier revision.

Each path ends at the single head with the same tables, columns and indexes as a fresh database,
so an installation upgraded step by step is the same as a new one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app.db import alembic_config, is_sqlite, make_engine, serialise

Schema = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
PG_URL = os.environ.get("MALLETTE_TEST_DATABASE_URL")


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent"))
    engine.dispose()


def _upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        bind = engine.execution_options(sqlite_immediate=True) if is_sqlite(engine) else engine
        with bind.begin() as connection:
            serialise(connection, "mallette-migrations")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _schema(url: str) -> tuple[str | None, Schema]:
    engine = make_engine(url)
    try:
        schema: Schema = {}
        with engine.connect() as connection:
            if is_sqlite(engine):
                inspector = inspect(connection)
                for table in inspector.get_table_names():
                    columns = tuple(sorted(c["name"] for c in inspector.get_columns(table)))
                    indexes = tuple(sorted(str(i["name"]) for i in inspector.get_indexes(table)))
                    schema[table] = (columns, indexes)
            else:  # one catalogue query each: reflection table by table is slow on PostgreSQL
                columns_of: dict[str, list[str]] = {}
                for table, column in connection.execute(text(
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = 'public'")):
                    columns_of.setdefault(table, []).append(column)
                indexes_of: dict[str, list[str]] = {}
                for table, index in connection.execute(text(
                        "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public'")):
                    indexes_of.setdefault(table, []).append(index)
                schema = {t: (tuple(sorted(c)), tuple(sorted(indexes_of.get(t, [])))) for t, c in columns_of.items()}
            version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return version, schema
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A function that gives an empty database URL each time it is called."""
    counter = [0]

    def make() -> str:
        counter[0] += 1
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / f'm{counter[0]}.sqlite3'}"
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        return PG_URL

    yield make
    if request.param == "postgresql":  # leave the shared test database at the head for other tests
        assert PG_URL is not None
        _reset_postgres(PG_URL)
        _upgrade(PG_URL, "head")


def test_every_revision_upgrades_to_the_same_head(fresh_url) -> None:  # type: ignore[no-untyped-def]
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = script.get_heads()
    assert len(heads) == 1, f"several heads: {heads}"
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]  # oldest first
    assert len(revisions) >= 2

    url = fresh_url()
    _upgrade(url, "head")
    version, reference = _schema(url)
    assert version == heads[0] and "alembic_version" in reference

    for earlier in revisions[:-1]:
        url = fresh_url()
        _upgrade(url, earlier)
        assert _schema(url)[0] == earlier
        _upgrade(url, "head")
        version, schema = _schema(url)
        assert version == heads[0], earlier
        assert schema == reference, f"upgrading from {earlier} gives another schema"
