"""The application factory, configuration and commands."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import text
from sqlite_template import sqlite_copy

from app import create_app, get_state
from app.config import PROJECT_ROOT
from app.kit.index import indexed_hash


def test_config_from_test_config_and_environment(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MALLETTE_BASE_URL", "https://mallette.example")
    url = sqlite_copy(tmp_path / "a.sqlite3", PROJECT_ROOT / "kit_content")
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    assert app.config["BASE_URL"] == "https://mallette.example"
    assert app.testing
    # Without SECRET_KEY, one is created in the instance folder and reused.
    key_file = Path(app.instance_path) / "secret_key"
    assert len(app.config["SECRET_KEY"]) == 64 and key_file.read_text().strip() == app.config["SECRET_KEY"]
    other = create_app({"TESTING": True, "DATABASE_URL": url})
    assert other.config["SECRET_KEY"] == app.config["SECRET_KEY"]
    get_state(app).engine.dispose()
    get_state(other).engine.dispose()


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


def test_index_command(runner, app: Flask) -> None:  # type: ignore[no-untyped-def]
    state = get_state(app)
    with state.engine.begin() as connection:  # the index is lost
        connection.execute(text("DELETE FROM item"))
        connection.execute(text("DELETE FROM content_state"))
    result = runner.invoke(args=["index"])
    assert result.exit_code == 0, result.output
    assert f"{len(state.kit)} éléments indexés" in result.output
    with state.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM item")).scalar() == len(state.kit)
    assert indexed_hash(state.engine) == state.kit.content_hash


def test_index_command_fails_on_content_errors(tmp_path: Path) -> None:
    import shutil

    content = tmp_path / "kit"
    shutil.copytree(PROJECT_ROOT / "kit_content", content)
    fiche = next((content / "fiches").glob("*.md"))
    fiche.write_text("---\ntitre: [\n---\n", encoding="utf-8")
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "CONTENT_DIR": str(content),
                      "DATABASE_URL": sqlite_copy(tmp_path / "e.sqlite3")})
    try:
        result = app.test_cli_runner().invoke(args=["index"])
        assert result.exit_code == 1
        assert fiche.name in result.output
    finally:
        get_state(app).engine.dispose()
