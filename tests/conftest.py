"""Shared fixtures: the flaskr trio (`app`, `client`, `runner`) plus databases and the real kit.

Database tests run on SQLite always, and also on PostgreSQL when MALLETTE_TEST_DATABASE_URL is set.
Schemas are migrated once per session: SQLite databases are copies of a migrated template file
(`sqlite_template`), the PostgreSQL test database is migrated once and emptied between tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlite_template import sqlite_copy

from app import create_app
from app.config import PROJECT_ROOT
from app.db import make_engine, upgrade
from app.kit import Kit, load_kit

CONTENT_DIR = PROJECT_ROOT / "kit_content"
FIXTURES = Path(__file__).parent / "fixtures"
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


def _empty_postgres(url: str) -> None:
    """Migrate the PostgreSQL test database once per session, then empty its tables for each test."""
    if url not in _pg_migrated:
        _reset_postgres(url)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        _pg_migrated.append(url)
        return
    engine = make_engine(url)
    upgrade(engine)  # a no-op at the head
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    if tables:
        with engine.begin() as connection:
            names = ", ".join(f'"{t}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


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
