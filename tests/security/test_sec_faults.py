"""Fault drills: the database gone for a few seconds, a disk that refuses writes.

- PostgreSQL unreachable (a loopback TCP relay in front of it is cut, then restored): pages
  answer a readable 503 with Retry-After while it is down, writes say nothing was saved, and the
  same app serves again once it is back, without a restart.
- SQLite on a read-only disk: a note is refused with a clear "nothing was saved" 503, no partial
  row is left, and writes work again when the disk does.
"""

from __future__ import annotations

import contextlib
import re
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from french_ui import fr
from sec_world import engine_of, live_world
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from app import create_app
from app.config import PROJECT_ROOT
from app.db import read_session
from app.models import Note


class Relay:
    """A TCP relay on 127.0.0.1 (ephemeral port) to a target, that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._server: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        """Listen (on the same port as before, when restarting) and relay every connection."""
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.port = server.getsockname()[1]
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _address = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    end.close()

    def cut(self) -> None:
        """Stop listening and break every open connection (the server is gone)."""
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            self._server.close()
            self._server = None
        with self._lock:
            for end in self._open:
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    end.close()
            self._open.clear()


@pytest.fixture
def relayed_app(indexed_database_url: Callable[[Path], str], tmp_path: Path) -> Iterator[tuple[Flask, Relay]]:
    """The app on PostgreSQL through a relay that the test can cut."""
    database_url = indexed_database_url(PROJECT_ROOT / "kit_content")
    if database_url.startswith("sqlite"):
        pytest.skip("a database server outage needs a server: see the read-only disk drill for SQLite")
    url = make_url(database_url)
    relay = Relay((url.host or "127.0.0.1", url.port or 5432))
    relay.start()
    application = create_app({"TESTING": True, "SECRET_KEY": "test", "PREBUILD_DEFAULT_KIT": False,
                              "DATABASE_URL": url.set(port=relay.port).render_as_string(hide_password=False),
                              "BUILD_DIR": str(tmp_path / "builds")})
    yield application, relay
    relay.cut()
    application.extensions["mallette"].engine.dispose()


def _note_form(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    html = world.phone.get(f"/p/{world.plan.meeting_uuid}").get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert key and csrf
    return {"key": key.group(1), "csrf_token": csrf.group(1), "dimension": "dim-cooperation"}


def _notes(app: Flask) -> int:
    with read_session(engine_of(app)) as db:
        return db.exec(select(func.count()).select_from(Note)).one()


def test_database_outage_is_a_readable_503_then_recovers(relayed_app: tuple[Flask, Relay]) -> None:
    app, relay = relayed_app
    world = live_world(app)
    form = _note_form(world)
    assert world.phone.get(f"/p/{world.plan.meeting_uuid}").status_code == 200

    relay.cut()
    page = world.phone.get(f"/p/{world.plan.meeting_uuid}")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert fr("La base de données ne répond pas") in page.get_data(as_text=True)
    post = world.phone.post(f"/p/{world.plan.meeting_uuid}/notes", data={**form, "text": "Pendant la coupure"})
    assert post.status_code == 503
    assert fr("a été enregistré : la base de données ne répond pas") in post.get_data(as_text=True)
    assert app.test_client().get("/recherche?q=coop").status_code == 503

    relay.start()  # back after a few seconds: no restart of the app
    assert world.phone.get(f"/p/{world.plan.meeting_uuid}").status_code == 200
    again = world.phone.post(f"/p/{world.plan.meeting_uuid}/notes", data={**form, "text": "Pendant la coupure"})
    assert again.status_code == 303
    assert _notes(app) == 2  # the note from before and the one sent again, once


def test_read_only_disk_says_not_saved_and_leaves_no_partial_row(app: Flask) -> None:
    world = live_world(app)
    state = app.extensions["mallette"]
    writable = state.engine
    before = _notes(app)
    path = make_url(str(writable.url)).database
    read_only = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                                                          check_same_thread=False))
    form = _note_form(world)
    state.engine = read_only
    try:
        refused = world.phone.post(f"/p/{world.plan.meeting_uuid}/notes", data={**form, "text": "Disque plein"})
    finally:
        state.engine = writable
        read_only.dispose()
    assert refused.status_code == 503
    assert fr("a été enregistré : le disque du serveur est plein ou en lecture seule") in refused.get_data(
        as_text=True)
    assert _notes(app) == before
    saved = world.phone.post(f"/p/{world.plan.meeting_uuid}/notes", data={**form, "text": "Disque plein"})
    assert saved.status_code == 303 and _notes(app) == before + 1
