"""Hostile requests, one table-driven test per attack class.

CSRF (missing, forged, another session's), oversized bodies, invalid UTF-8, NUL and bidi
characters (the same answers on SQLite and PostgreSQL), join-code guessing (rate limits that hold
across workers sharing Redis), and SSRF or local-file reads through PDF rendering.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sec_world import World, engine_of, live_world, route_urls
from sqlmodel import select

from app import create_app
from app.config import PROJECT_ROOT
from app.db import read_session
from app.facilitation.joining import ALPHABET, CODE_LENGTH
from app.models import Meeting, Note, Participant
from app.printing.fetcher import FetchRefused, PrintURLFetcher

CSRF_MESSAGE = "Le formulaire a expiré"


def _rows(app: Flask) -> list[tuple[object, ...]]:
    with read_session(engine_of(app)) as db:
        notes = [(n.id, n.text, n.version, n.deleted_at) for n in db.exec(select(Note)).all()]
        meetings = [(m.id, m.status, m.version, m.notes_hidden, m.timer_state) for m in db.exec(select(Meeting)).all()]
        people = [(p.id, p.name) for p in db.exec(select(Participant)).all()]
    return [*notes, *meetings, *people]


# -- CSRF -----------------------------------------------------------------------------------------


def test_every_post_route_refuses_missing_forged_and_foreign_csrf_tokens(app: Flask) -> None:
    world = live_world(app)
    other = live_world(app, email="autre@example.org", title="Séance B")
    foreign = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                        other.facilitator.get(f"/seances/{other.plan.meeting_id}/animer").get_data(as_text=True))
    assert foreign
    before = _rows(app)
    posts = route_urls(app, world.values, "POST")
    assert len(posts) >= 25
    failures = []
    for endpoint, url in posts:
        for label, token in (("missing", None), ("forged", "IjEyMzQ1Njc4OTAi.ZZZZZZ.forged"),
                             ("another session's", foreign.group(1))):
            data = {"text": "Pirate", "name": "Pirate"} | ({"csrf_token": token} if token else {})
            for client in (world.facilitator, world.phone):
                response = client.post(url, data=data)
                if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
                    failures.append(f"{endpoint} {url} ({label}): HTTP {response.status_code}")
    assert failures == []
    assert _rows(app) == before


# -- oversized bodies and invalid UTF-8 --------------------------------------------------------------


def _phone_form(world: World) -> dict[str, str]:
    html = world.phone.get(f"/p/{world.plan.meeting_uuid}").get_data(as_text=True)
    key = re.search(r'name="key"[^>]*value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert key and csrf
    return {"key": key.group(1), "csrf_token": csrf.group(1), "dimension": "dim-cooperation"}


def test_oversized_and_overlong_input_is_a_readable_4xx(app: Flask) -> None:
    world = live_world(app)
    before = _rows(app)
    form = _phone_form(world)
    url = f"/p/{world.plan.meeting_uuid}/notes"
    cases = [
        ("body over MAX_CONTENT_LENGTH", {**form, "text": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)}, 413),
        ("note far too long", {**form, "text": "mot " * 5000}, 422),
    ]
    for label, data, status in cases:
        response = world.phone.post(url, data=data)
        assert response.status_code == status, label
        assert "<html" in response.get_data(as_text=True).lower() or status == 422, label
    join = world.app.test_client().post(f"/rejoindre/{world.code}", data={"name": "x" * 5000})
    assert join.status_code in (400, 422)
    assert _rows(app) == before


INVALID_UTF8 = [
    pytest.param("GET", "/recherche?q=%ff%fe", None, id="query"),
    pytest.param("GET", "/r/%ff%fe", None, id="path"),
    pytest.param("GET", "/p/%ff", None, id="participant-path"),
    pytest.param("POST", "/connexion", b"email=%ff%fe@x.org&password=\xff\xfe", id="form-body"),
    pytest.param("POST", "/rejoindre", b"code=\xc3\x28\xa0\xa1", id="join-body"),
]


@pytest.mark.parametrize(("method", "path", "body"), INVALID_UTF8)
def test_invalid_utf8_is_never_a_500(app: Flask, method: str, path: str, body: bytes | None) -> None:
    client = app.test_client()
    response = client.open(path, method=method, data=body,
                           content_type="application/x-www-form-urlencoded" if body else None)
    assert 400 <= response.status_code < 500 or response.status_code == 200


# -- NUL and bidi: the same on SQLite and PostgreSQL ----------------------------------------------------


@pytest.fixture
def both_app(indexed_database_url: Callable[[Path], str], tmp_path: Path) -> Iterator[Flask]:
    """The app on SQLite, then on PostgreSQL when configured (real kit content)."""
    application = create_app({"TESTING": True, "SECRET_KEY": "test",
                              "DATABASE_URL": indexed_database_url(PROJECT_ROOT / "kit_content"),
                              "BUILD_DIR": str(tmp_path / "builds"), "BASE_URL": "http://mallette.test",
                              "PREBUILD_DEFAULT_KIT": False})
    yield application
    application.extensions["mallette"].engine.dispose()


TYPED = [
    pytest.param("name", "Ali\x00ce", 400, id="nul-in-name"),
    pytest.param("name", "Ali\x1bce", 400, id="escape-in-name"),
    pytest.param("text", "Une note\x00cachée", 400, id="nul-in-note"),
    pytest.param("text", "Une note\x07", 400, id="bell-in-note"),
    pytest.param("name", "\u202eecilA", 303, id="bidi-in-name"),
    pytest.param("text", "note \u2067isolée\u2069 et \u200f", 303, id="bidi-in-note"),
]
#: Names lose invisible characters (joining.clean_name).
STORED = {"\u202eecilA": "ecilA"}


def test_nul_and_bidi_get_the_same_answer_on_every_database(both_app: Flask) -> None:
    world = live_world(both_app)
    answers = []
    for case in TYPED:
        field, value, status = case.values
        before = _rows(both_app)
        if field == "name":
            phone = both_app.test_client()
            page = phone.get(f"/rejoindre/{world.code}").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            assert token
            response = phone.post(f"/rejoindre/{world.code}", data={"csrf_token": token.group(1), "name": value,
                                                                    "role": "habitant", "community": ""})
        else:
            response = world.phone.post(f"/p/{world.plan.meeting_uuid}/notes",
                                        data={**_phone_form(world), "text": value})
        answers.append((case.id, response.status_code))
        if response.status_code == 400:
            assert "Caractère de contrôle" in response.get_data(as_text=True), case.id
            assert _rows(both_app) == before, case.id
        elif response.status_code == 303:  # stored, the same way on both databases
            with read_session(engine_of(both_app)) as db:
                if field == "name":
                    stored = db.exec(select(Participant).where(Participant.name == STORED.get(value, value))).first()
                    assert stored is not None, case.id
                else:
                    texts = [n.text for n in db.exec(select(Note)).all()]
                    assert any("isolée" in t for t in texts), texts
    assert answers == [(case.id, case.values[2]) for case in TYPED]
    assert world.facilitator.get(f"/seances/{world.plan.meeting_id}/animer").status_code == 200


# -- join-code guessing ---------------------------------------------------------------------------------


def _wrong_codes(n: int, real: str) -> Iterator[str]:
    for index in range(n):
        code = "".join(ALPHABET[(index * 7 + k) % len(ALPHABET)] for k in range(CODE_LENGTH))
        if code != real:
            yield code


def test_join_codes_are_hard_to_guess_and_guessing_is_throttled(app: Flask) -> None:
    assert len(ALPHABET) ** CODE_LENGTH >= 2**39  # about 8.5e11 codes for a few open sessions
    world = live_world(app)
    guesser = app.test_client()
    statuses = [guesser.get(f"/rejoindre/{code}").status_code for code in _wrong_codes(70, world.code)]
    assert set(statuses[:50]) <= {404, 410} and statuses[-1] == 429
    # Once throttled, even the right code is refused to this client; other people still join.
    assert guesser.get(f"/rejoindre/{world.code}").status_code == 429
    assert app.test_client().get(f"/rejoindre/{world.code}", environ_base={"REMOTE_ADDR": "10.0.0.9"}
                                 ).status_code == 200


REDIS_URL = os.environ.get("MALLETTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")


def _redis_or_skip() -> None:
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5)
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379 (the limits then live in one process)")


def test_join_throttling_holds_across_workers_sharing_redis(tmp_path: Path) -> None:
    _redis_or_skip()
    from sqlite_template import sqlite_copy

    url = sqlite_copy(tmp_path / "shared.sqlite3", PROJECT_ROOT / "kit_content")
    workers = [create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "REDIS_URL": REDIS_URL,
                           "BUILD_DIR": str(tmp_path / "builds"), "PREBUILD_DEFAULT_KIT": False})
               for _ in range(2)]
    try:
        world = live_world(workers[0])
        clients = [w.test_client() for w in workers]
        statuses = [clients[i % 2].get(f"/rejoindre/{code}").status_code
                    for i, code in enumerate(_wrong_codes(70, world.code))]
        assert statuses[-1] == 429 and statuses.count(429) >= 5  # 60 failures in all, not 60 per worker
    finally:
        for worker in workers:
            worker.extensions["mallette"].engine.dispose()



def _join_with(url: str, limits: str, codes: list[str], answers: Any) -> None:
    """A web worker of its own (a forked process): try `codes`, put the statuses in `answers`."""
    worker = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "RATELIMIT_STORAGE_URI": limits,
                         "BUILD_DIR": "/nonexistent", "PREBUILD_DEFAULT_KIT": False})
    client = worker.test_client()
    answers.put([client.get(f"/rejoindre/{code}").status_code for code in codes])


def test_join_throttling_holds_across_worker_processes_without_redis(tmp_path: Path) -> None:
    """Without Redis, the limits live in a SQLite file beside the database that every worker
    process shares: 70 wrong codes from one address over two workers meet the 60 a minute."""
    from sqlite_template import sqlite_copy

    from app.web.limit_storage import storage_uri

    url = sqlite_copy(tmp_path / "shared.sqlite3", PROJECT_ROOT / "kit_content")
    served = create_app({"SECRET_KEY": "test", "DATABASE_URL": url, "BUILD_DIR": str(tmp_path / "builds"),
                         "PREBUILD_DEFAULT_KIT": False})  # as `mallette serve` makes it
    limits = served.config["RATELIMIT_STORAGE_URI"]
    assert limits == storage_uri(tmp_path / "shared.limits.sqlite3")
    try:
        world = live_world(served)
    finally:
        served.extensions["mallette"].engine.dispose()
    codes = list(_wrong_codes(70, world.code))
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    workers = [context.Process(target=_join_with, args=(url, limits, codes[i::2], answers)) for i in range(2)]
    for worker in workers:
        worker.start()
    statuses = [status for _ in workers for status in answers.get(timeout=120)]
    for worker in workers:
        worker.join(timeout=30)
    assert len(statuses) == 70 and set(statuses) == {404, 429}
    # 60 failures in all, not 60 per worker (which would refuse none); a failure is counted once
    # answered, so two workers checking at the same moment may each let one more through.
    assert 8 <= statuses.count(429) <= 10

# -- SSRF and local files through PDF rendering ---------------------------------------------------------


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Counting.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def loopback_server() -> Iterator[str]:
    """An HTTP server on an ephemeral loopback port that counts the requests it gets."""
    _Counting.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pdf_rendering_fetches_nothing_outside_the_print_assets(loopback_server: str, tmp_path: Path) -> None:
    from weasyprint import HTML

    print_dir = PROJECT_ROOT / "print"
    secret = tmp_path / "secret_key"
    secret.write_text("SECRET", encoding="utf-8")
    hostile = [
        f"{loopback_server}/img", f"file://{secret}", "file:///etc/passwd", f"file://{print_dir}/../app/config.py",
        "file://localhost/etc/hostname", "file://evil.example/share/x", f"{loopback_server}/import.css",
        "https://evil.example/x.css", "ftp://127.0.0.1/x", "gopher://127.0.0.1:6379/_FLUSHALL",
    ]
    fetcher = PrintURLFetcher(print_dir)
    for url in hostile:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    html = "".join([
        f'<img src="{hostile[0]}"><img src="{hostile[1]}">',
        f'<link rel="attachment" href="{hostile[2]}"><link rel="stylesheet" href="{hostile[6]}">',
        f'<style>@import url("{hostile[7]}"); p {{ background: url("{hostile[3]}") }}</style>',
        f'<a rel="attachment" href="{hostile[1]}">pièce jointe</a><object data="{hostile[0]}"></object>',
        f'<p style="list-style-image: url({hostile[4]})">texte</p>',
    ])
    document = HTML(string=html, base_url=print_dir.as_uri() + "/", url_fetcher=fetcher).render()
    pdf = document.write_pdf()
    assert _Counting.hits == []
    assert b"SECRET" not in pdf and b"root:" not in pdf
    assert b"/EmbeddedFile" not in pdf and b"/FileAttachment" not in pdf
    assert set(fetcher.requested) == set(fetcher.refused)  # everything it was asked for, it refused
