"""Rate limits cost nothing where none is declared, and still hold where one is."""

from __future__ import annotations

from typing import Any

import pytest
from factools import form_token
from flask import Flask
from flask.testing import FlaskClient

from app.web.limits import limiter


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The endpoints for which Flask-Limiter resolved the applicable limits."""
    calls: list[str] = []
    original = limiter.limit_manager.resolve_limits

    def spy(app: Flask, endpoint: str | None, *args: Any, **kwargs: Any) -> Any:
        calls.append(endpoint or "")
        return original(app, endpoint, *args, **kwargs)

    monkeypatch.setattr(limiter.limit_manager, "resolve_limits", spy)
    return calls


def test_pages_without_limits_never_consult_the_limiter(client: FlaskClient, resolved: list[str]) -> None:
    for path in ("/", "/r/activite-carte-ecosysteme", "/recherche?q=territoire", "/telecharger"):
        assert client.get(path).status_code == 200, path
    assert resolved == []


def test_declared_limits_still_hold(client: FlaskClient, resolved: list[str]) -> None:
    statuses = []
    for attempt in range(12):
        token = form_token(client, "/connexion")
        response = client.post("/connexion", data={"csrf_token": token, "email": f"nobody{attempt}@example.org",
                                                   "password": "wrong password"})
        statuses.append(response.status_code)
    assert resolved, "the sign-in view checks its own limits"
    assert 429 in statuses and statuses.index(429) == 10, statuses  # 10 per minute per address
