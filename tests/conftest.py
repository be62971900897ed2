"""Shared fixtures: the flaskr trio (`app`, `client`, `runner`) plus databases and the real kit.

Database tests run on SQLite always, and also on PostgreSQL when MALLETTE_TEST_DATABASE_URL is set.
Schemas are migrated once per session: SQLite databases are copies of a migrated template file
(`sqlite_template`), the PostgreSQL test database is migrated once and emptied between tests.
"""

from __future__ import annotations

import functools
import graphlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import compiled_templates
import loaded_kits
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlite_template import sqlite_copy
from worker_env import isolate_worker

from app import create_app
from app.config import PROJECT_ROOT
from app.db import make_engine, normalise_url, upgrade
from app.kit import Kit, load_kit
from app.state import sync_content

CONTENT_DIR = PROJECT_ROOT / "kit_content"
FIXTURES = Path(__file__).parent / "fixtures"
isolate_worker()  # under xdist: this worker's own PostgreSQL and Redis, before test modules read them
loaded_kits.install()  # apps made on an unchanged content folder share its parsed kit
compiled_templates.install()  # and the apps share their compiled templates
PG_URL = os.environ.get("MALLETTE_TEST_DATABASE_URL")

DB_PARAMS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent"))
    engine.dispose()


_pg_migrated: list[str] = []


@functools.cache
def _head_revision() -> str:
    """The single head of the migrations."""
    from alembic.script import ScriptDirectory

    from app.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


_emptying: dict[str, str] = {}


def _tables_and_references(connection: Connection) -> dict[str, set[str]]:
    """Each table of the schema (quoted as in SQL) with the tables whose rows its rows reference."""
    tables: dict[str, set[str]] = {t: set() for (t,) in connection.exec_driver_sql(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")}
    for child, parent in connection.exec_driver_sql(
            "SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint"
            " WHERE contype = 'f' AND connamespace = 'public'::regnamespace"):
        if child != parent and child in tables:
            tables[child].add(parent)
    return tables


def _emptying_script(connection: Connection) -> str:
    """DELETE statements for every table, referencing tables first (one script per schema head).

    DELETE beats TRUNCATE by far on small tables: TRUNCATE makes new files for each table and its
    indexes, which costs about a second for the whole schema.
    """
    script = _emptying.get(_head_revision())
    if script is not None:
        return script
    references = _tables_and_references(connection)
    try:
        order = list(graphlib.TopologicalSorter(references).static_order())  # referenced tables first
        script = "; ".join(f"DELETE FROM {t}" for t in reversed(order))
    except graphlib.CycleError:  # tables that reference each other: TRUNCATE handles the cycle
        script = f"TRUNCATE {', '.join(references)} CASCADE"
    _emptying[_head_revision()] = script
    return script


def _empty_postgres(url: str) -> None:
    """Migrate the PostgreSQL test database once per session, then empty it for each test.

    Emptying deletes every row and restarts the sequences that were used, so each test starts as on
    a freshly migrated database, in a few milliseconds.
    A test that left the database elsewhere than at the head (the migration paths) gets it rebuilt.
    """
    engine = create_engine(make_url(normalise_url(url)), poolclass=NullPool)
    try:
        if url in _pg_migrated:
            with engine.connect() as connection:
                versioned = connection.execute(text("SELECT to_regclass('public.alembic_version')")).scalar()
                at_head = versioned is not None and connection.execute(text(
                    "SELECT version_num FROM alembic_version")).scalar() == _head_revision()
                connection.rollback()
        else:
            at_head = False
        if not at_head:
            _reset_postgres(url)
            upgrade(engine)
            with engine.connect() as connection:  # a test database: commits need not wait for the disk
                name = connection.dialect.identifier_preparer.quote(str(engine.url.database))
                connection.exec_driver_sql(f"ALTER DATABASE {name} SET synchronous_commit TO off")
                connection.commit()
            _pg_migrated.append(url)
            return
        with engine.begin() as connection:
            connection.exec_driver_sql(_emptying_script(connection))
            connection.exec_driver_sql(
                "SELECT setval(quote_ident(sequencename)::regclass, start_value, false) FROM pg_sequences"
                " WHERE schemaname = 'public' AND last_value IS NOT NULL")
    finally:
        engine.dispose()


@dataclass
class _IndexedRows:
    """The rows that indexing a content folder writes, table by table (binary COPY data)."""

    tables: list[tuple[str, bytes]]
    serials: list[tuple[str, str]]  # (table, column) whose sequence follows the restored ids


_pg_indexed: dict[tuple[str, str], _IndexedRows] = {}


def _indexed_postgres(url: str, content_dir: Path) -> str:
    """The emptied PostgreSQL test database holding the index of `content_dir` (the app's own
    indexing the first time in the session; a copy of the rows it wrote after that)."""
    _empty_postgres(url)
    key = (url, str(Path(content_dir).resolve()))
    engine = make_engine(url)
    try:
        saved = _pg_indexed.get(key)
        if saved is None:
            sync_content(engine, Path(content_dir))
            with engine.connect() as connection:
                references = _tables_and_references(connection)
                order = list(graphlib.TopologicalSorter(references).static_order())  # referenced tables first
                cursor = connection.connection.cursor()
                rows: list[tuple[str, bytes]] = []
                for table in order:
                    with cursor.copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                        data = b"".join(bytes(block) for block in copy)
                    if connection.exec_driver_sql(f"SELECT EXISTS (SELECT 1 FROM {table})").scalar():
                        rows.append((table, data))
                filled = {table for table, _ in rows}
                serials = [(t, c) for t, c in connection.exec_driver_sql(
                    "SELECT quote_ident(table_name), quote_ident(column_name) FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND (column_default LIKE 'nextval(%%' OR is_identity = 'YES')")
                    if t in filled]
                connection.rollback()
            _pg_indexed[key] = _IndexedRows(rows, serials)
            return url
        with engine.begin() as connection:
            cursor = connection.connection.cursor()
            for table, data in saved.tables:
                with cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
            for table, column in saved.serials:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), max({column})) FROM {table}")
        return url
    finally:
        engine.dispose()


@pytest.fixture(params=DB_PARAMS)
def indexed_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Path], str]:
    """`indexed_database_url(content_dir)`: a migrated database holding the index of `content_dir`
    and no other row (a SQLite file, or the emptied PostgreSQL test database), so that an app on
    that content starts without indexing it. Indexing itself is tested on both in test_app_backends."""

    def make(content_dir: Path) -> str:
        if request.param == "sqlite":
            return sqlite_copy(tmp_path / "indexed.sqlite3", content_dir)
        assert PG_URL is not None
        return _indexed_postgres(PG_URL, content_dir)

    return make


# -- parallel runs (pytest-xdist) ---------------------------------------------------------------------
# The tests that use an expensive session-scoped fixture run on one worker, so that it is made once
# per run rather than once per worker: the folder whose conftest defines the fixture is one group.
MADE_ONCE = {"built_kit": "tests/printing/"}  # the one whole-kit build (tests/printing/conftest.py)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a test that uses a fixture of MADE_ONCE from outside that fixture's group."""
    for item in items:
        for fixture, folder in MADE_ONCE.items():
            if fixture in getattr(item, "fixturenames", ()) and not item.nodeid.startswith(folder):
                raise pytest.UsageError(f"{item.nodeid} uses {fixture}: update MADE_ONCE in tests/conftest.py")


def _group(nodeid: str) -> str:
    """The xdist work unit of a test: its MADE_ONCE folder, or the test alone."""
    return next((folder for folder in MADE_ONCE.values() if nodeid.startswith(folder)), nodeid)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist, nothing to schedule
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Schedule test by test, except the groups of MADE_ONCE, each sent whole to one worker.

    (xdist's own `--dist loadgroup` does the same from `xdist_group` marks, but it renames test ids
    in a way that pytest 9 no longer allows.)
    """
    from xdist.scheduler import LoadScopeScheduling

    class MadeOnceScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _group(nodeid)

    return MadeOnceScheduling(config, log)


@pytest.fixture(params=DB_PARAMS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database without rows: a SQLite file, or the emptied PostgreSQL test database."""
    if request.param == "sqlite":
        return sqlite_copy(tmp_path / "test.sqlite3")
    assert PG_URL is not None
    _empty_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def kit() -> Kit:
    """The real kit content, loaded once."""
    return load_kit(CONTENT_DIR).kit


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a SQLite file in a temporary instance folder, with the real content indexed."""
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "DATABASE_URL": sqlite_copy(tmp_path / "app.sqlite3", CONTENT_DIR),
            "BUILD_DIR": str(tmp_path / "builds"),
            "BASE_URL": "http://mallette.test",
        }
    )
    yield application
    application.extensions["mallette"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def runner_plain():  # type: ignore[no-untyped-def]
    """Invoke the `mallette` command group without creating an app (for app-free commands)."""
    from click.testing import CliRunner

    from app.cli import cli

    def invoke(args: list[str]):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    return invoke


# -- facilitation: accounts -------------------------------------------------------------------------
from factools import TEST_PASSWORD, sign_in  # noqa: E402


@pytest.fixture
def make_user(app: Flask):  # type: ignore[no-untyped-def]
    """Create an account: `make_user("anim@example.org", role="coordinator")` returns the detached User."""
    from factools import create_user

    def create(email: str = "anim@example.org", *, role: str = "facilitator", name: str = "Camille"):  # type: ignore[no-untyped-def]
        return create_user(app, email, role=role, name=name)

    return create


@pytest.fixture
def login():  # type: ignore[no-untyped-def]
    """`login(client, email)`: sign in a test client through /connexion; asserts it worked."""

    def do(client: FlaskClient, email: str, password: str = TEST_PASSWORD) -> None:
        response = sign_in(client, email, password)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]

    return do
