"""One cache, one reload: two web workers (two app instances on one database) both serve the new
content once `mallette index` has indexed it, pages, search and JSON export alike; on SQLite and
PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from app import create_app, get_state

WEB_CONTENT = Path(__file__).parent / "web" / "content"
POSTURE = "postures/posture-effet-miroir.md"


def _app(database_url: str, content: Path, tmp_path: Path, **extra: Any) -> Flask:
    config: dict[str, Any] = {
        "TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": database_url, "CONTENT_DIR": str(content),
        "BUILD_DIR": str(tmp_path / "builds"), "BASE_URL": "http://mallette.test", "PREBUILD_DEFAULT_KIT": False,
        "CONTENT_CHECK_SECONDS": 0,
    }
    config.update(extra)
    return create_app(config)


def test_two_workers_serve_new_content_after_index(database_url: str, tmp_path: Path) -> None:
    content = tmp_path / "kit"
    shutil.copytree(WEB_CONTENT, content)
    workers = [_app(database_url, content, tmp_path), _app(database_url, content, tmp_path)]
    try:
        clients = [worker.test_client() for worker in workers]
        for client in clients:  # fill each worker's cache: pages, search, export
            assert "L&#39;effet miroir" in client.get("/r/posture-effet-miroir").get_data(as_text=True)
            assert "L&#39;effet miroir" in client.get("/postures").get_data(as_text=True)
            assert "Kaléidoscope" not in client.get("/recherche?q=kaleidoscope").get_data(as_text=True)
        old_hash = get_state(workers[0]).kit.content_hash

        path = content / POSTURE
        path.write_text(path.read_text(encoding="utf-8").replace("L'effet miroir", "Le kaléidoscope"),
                        encoding="utf-8")
        indexer = _app(database_url, content, tmp_path, AUTO_INDEX=False)  # the `mallette index` process
        result = indexer.test_cli_runner().invoke(args=["index"])
        assert result.exit_code == 0, result.output
        get_state(indexer).engine.dispose()

        for worker, client in zip(workers, clients, strict=True):
            page = client.get("/r/posture-effet-miroir").get_data(as_text=True)
            assert "Le kaléidoscope" in page and "L&#39;effet miroir" not in page
            assert "Le kaléidoscope" in client.get("/postures").get_data(as_text=True)
            assert "Le kaléidoscope" in client.get("/recherche?q=kaleidoscope").get_data(as_text=True)
            exported = client.get("/commun/kit.json").get_json()
            assert any(item["titre"] == "Le kaléidoscope" for item in exported["items"])
            assert get_state(worker).kit.content_hash != old_hash
    finally:
        for worker in workers:
            get_state(worker).engine.dispose()


def test_a_worker_looks_again_only_after_its_interval(tmp_path: Path) -> None:
    from sqlite_template import sqlite_copy

    content = tmp_path / "kit"
    shutil.copytree(WEB_CONTENT, content)
    url = sqlite_copy(tmp_path / "ttl.sqlite3")
    worker = _app(url, content, tmp_path, CONTENT_CHECK_SECONDS=3600)
    try:
        client = worker.test_client()
        assert client.get("/r/posture-effet-miroir").status_code == 200
        state = get_state(worker)
        assert len(state.cache) > 0
        path = content / POSTURE
        path.write_text(path.read_text(encoding="utf-8").replace("L'effet miroir", "Le kaléidoscope"),
                        encoding="utf-8")
        indexer = _app(url, content, tmp_path, AUTO_INDEX=False)
        assert indexer.test_cli_runner().invoke(args=["index"]).exit_code == 0
        get_state(indexer).engine.dispose()
        # Within the interval the worker does not look (one query per interval, not per request)...
        assert "L&#39;effet miroir" in client.get("/r/posture-effet-miroir").get_data(as_text=True)
        # ...and once it is over, it reloads and empties its cache.
        state.check_every = 0
        state._next_check = 0
        assert "Le kaléidoscope" in client.get("/r/posture-effet-miroir").get_data(as_text=True)
        assert state.cache.generation == 1
    finally:
        get_state(worker).engine.dispose()
