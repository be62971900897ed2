"""The application factory, configuration and commands."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from app import create_app, get_state
from app.kit.index import indexed_hash


def test_config_from_test_config_and_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MALLETTE_BASE_URL", "https://mallette.example")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}"})
    assert app.config["BASE_URL"] == "https://mallette.example"
    assert app.testing
    # Without SECRET_KEY, one is created in the instance folder and reused.
    assert app.config["SECRET_KEY"]
    get_state(app).engine.dispose()


def test_app_start_indexes_the_content(app: Flask) -> None:
    state = get_state(app)
    assert len(state.kit) > 0
    assert indexed_hash(state.engine) == state.kit.content_hash


def test_home_lists_loaded_items(client, app: Flask) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    first = next(iter(get_state(app).kit))
    assert first.title in page or first.title.replace("'", "&#39;") in page


def test_index_command(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner.invoke(args=["index"])
    assert "éléments indexés" in result.output
