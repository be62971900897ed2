"""Helpers shared by the web tests."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlite_template import sqlite_copy

from app import create_app

WEB_CONTENT = Path(__file__).parent / "content"
REAL_CONTENT = Path(__file__).parents[2] / "kit_content"
BASE_URL = "http://mallette.test"
HTMX = {"HX-Request": "true"}


def make_app(tmp_path: Path, **config: object) -> Flask:
    """An app on the test kit with a SQLite database (a copy of the session's template, unless
    `tmp_path` already holds one) and a build folder."""
    content = Path(str(config.get("CONTENT_DIR", WEB_CONTENT)))
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "DATABASE_URL": config.get("DATABASE_URL") or sqlite_copy(tmp_path / "web.sqlite3", content),
        "CONTENT_DIR": str(WEB_CONTENT),
        "BUILD_DIR": str(tmp_path / "builds"),
        "BASE_URL": BASE_URL,
        "PREBUILD_DEFAULT_KIT": False,
    }
    settings.update(config)
    return create_app(settings)


def close_app(app: Flask) -> None:
    """Close the app's database."""
    app.extensions["mallette"].engine.dispose()


def csrf_token(client: FlaskClient, path: str = "/telecharger") -> str:
    """The CSRF token a page gives (meta tag), for POST requests."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert match, "no CSRF meta tag"
    return match.group(1)
