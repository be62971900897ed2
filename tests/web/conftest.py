"""Web fixtures: the app on a small, stable test kit (tests/web/content)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from webtools import REAL_CONTENT, close_app, make_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app on the test kit (overrides the project-wide fixture for tests/web)."""
    application = make_app(tmp_path)
    yield application
    close_app(application)


@pytest.fixture
def real_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on the real kit content."""
    application = make_app(tmp_path / "real", CONTENT_DIR=str(REAL_CONTENT))
    yield application
    close_app(application)


@pytest.fixture
def real_client(real_app: Flask) -> FlaskClient:
    """A test client on the real kit content."""
    return real_app.test_client()
