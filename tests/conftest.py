"""Shared fixtures: the flaskr trio (`app`, `client`, `runner`) plus databases and the real kit.

Database tests run on SQLite always, and also on PostgreSQL when MALLETTE_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import Engine

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


@pytest.fixture(params=DB_PARAMS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL: a SQLite file, or the reset PostgreSQL test database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    assert PG_URL is not None
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on a fresh database."""
    eng = make_engine(database_url)
    upgrade(eng)
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
            "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
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
