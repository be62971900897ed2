"""Live-session benchmark: N participants post M notes each while every screen polls.

Each participant joins by code (as a phone would), then posts a note every 500 ms ±20 % (htmx
form posts with a fresh idempotency key) while its screen polls `/p/<uuid>/live` every poll
interval; the facilitator's console and the projection poll too. Measured: post latency, poll
latency, and `seen`: from a post being sent to the moment every other participant's screen (and
the projection) has received it. At the end the database is checked: every acknowledged note
stored exactly once. One summary line per backend:

    backend=… participants=… sent=… stored=… lost=… duplicated=… errors=… posts_per_s=… post_p50_ms=…
    post_p95_ms=… seen_p95_ms=… poll_p95_ms=…

    .venv/bin/python bench/live.py [--participants 150] [--notes 20] [--workers 4]
        [--backends sqlite,postgresql] [--pg-url postgresql://postgres@127.0.0.1:5432/test_h6]

The server is gunicorn (`bench.live:bench_app()`, gthread workers) on 127.0.0.1 only; the load
generator is one asyncio process speaking HTTP/1.1 over raw sockets. Targets (2 cores shared with
the load generator): 150 × 20, 0 lost, 0 duplicated, 0 errors, post p95 <= 150 ms, seen p95 <=
2 s + the polling interval. The PostgreSQL database given is emptied first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.machine import cpu_ticks, tree_cpu_seconds, tree_cpu_split, usage_line  # noqa: E402  (the project root is on the path just above)

EMAIL = "bench@example.org"
PASSWORD = "bench password 123"
POST_P95_TARGET_MS = 150.0
NOTE_TEXT = re.compile(rb'<p class="note-text">bench (\d+)-(\d+) ')
POLL_URL = re.compile(rb'hx-get="([^"]+)"')
CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|<meta name="csrf-token" content="([^"]+)"')


def csrf_of(match: re.Match[bytes]) -> str:
    """The CSRF token a page carries (form field or meta tag)."""
    return (match.group(1) or match.group(2)).decode()


def bench_app() -> Any:
    """The app under test (gunicorn factory): the database and folders come from the environment."""
    sys.path.insert(0, str(ROOT))
    from app import create_app

    work = Path(os.environ["MALLETTE_BENCH_DIR"])
    app = create_app({
        "DATABASE_URL": os.environ["MALLETTE_BENCH_DB"],
        "BUILD_DIR": str(work / "builds"),
        "PREBUILD_DEFAULT_KIT": False,
        "SECRET_KEY": "bench-live",
        "BASE_URL": os.environ["MALLETTE_BENCH_BASE"],
    })
    app.extensions["mallette"].engine.dispose()  # gunicorn --preload: workers open their own connections
    return app


def prepare(database_url: str, work: Path, base: str) -> tuple[int, str, str]:
    """Migrate, index, create a facilitator and a live session; returns (meeting id, uuid, join code)."""
    sys.path.insert(0, str(ROOT))
    from app.clock import SYSTEM_CLOCK
    from app.db import write_session
    from app.facilitation import accounts, live
    from app.facilitation.enums import MeetingKind, UserRole
    from app.models import Accompaniment, AgendaStep, Meeting, Membership

    os.environ["MALLETTE_BENCH_DIR"] = str(work)
    os.environ["MALLETTE_BENCH_DB"] = database_url
    os.environ["MALLETTE_BENCH_BASE"] = base
    app = bench_app()
    engine = app.extensions["mallette"].engine
    with write_session(engine) as db:
        user = accounts.create_user(db, SYSTEM_CLOCK, email=EMAIL, display_name="Bench", password=PASSWORD,
                                    role=UserRole.FACILITATOR)
        accompaniment = Accompaniment(title="Bench")
        db.add(accompaniment)
        db.flush()
        db.add(Membership(accompaniment_id=accompaniment.id or 0, user_id=user.id or 0))
        meeting = Meeting(accompaniment_id=accompaniment.id or 0, kind=MeetingKind.LEARNING_VISIT,
                          title="Visite apprenante (bench)", notes_hidden=False)
        db.add(meeting)
        db.flush()
        db.add(AgendaStep(meeting_id=meeting.id or 0, title="Le territoire se raconte", planned_minutes=45,
                          dimensions=["dim-cooperation"]))
        db.flush()
        meeting_id = meeting.id or 0
    with write_session(engine) as db:
        started = live.start(db, SYSTEM_CLOCK, meeting_id)
        live.timer_action(db, SYSTEM_CLOCK, meeting_id, "start")
        result = (meeting_id, started.uuid, started.join_code or "")
    engine.dispose()
    return result


def count_notes(database_url: str, meeting_id: int) -> tuple[int, int]:
    """(notes stored, notes stored more than once) for the bench session."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM note WHERE meeting_id = :m"), {"m": meeting_id}).scalar()
        dupes = connection.execute(text(
            "SELECT count(*) FROM (SELECT text FROM note WHERE meeting_id = :m GROUP BY text HAVING count(*) > 1) d"),
            {"m": meeting_id}).scalar()
    engine.dispose()
    return int(stored or 0), int(dupes or 0)


def reset_postgres(url: str) -> None:
    """Empty the PostgreSQL database (schema dropped and recreated)."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
        connection.execute(text("DROP TEXT SEARCH CONFIGURATION IF EXISTS fr_unaccent"))
    engine.dispose()


# -- HTTP over raw sockets --------------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection with a cookie jar."""

    def __init__(self, port: int, cookies: dict[str, str]) -> None:
        self.port = port
        self.cookies = cookies
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, dict[bytes, bytes], bytes]:
        """Send a request and read the response (status, headers, body); reconnects once if closed."""
        for attempt in range(2):
            if self.writer is None:
                await self._open()
            assert self.reader is not None and self.writer is not None
            payload = urlencode(body).encode() if body is not None else b""
            lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Accept-Language: fr",
                     "Connection: keep-alive"]
            if self.cookies:
                lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            if body is not None:
                lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(payload)}"]
            lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
            try:
                self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                self.close()
                if attempt:
                    raise
                continue
            status = int(head.split(b" ", 2)[1])
            found: dict[bytes, bytes] = {}
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip()
                if name == b"set-cookie":
                    cookie = value.split(b";", 1)[0].decode()
                    key, _, val = cookie.partition("=")
                    self.cookies[key] = val
                elif name == b"content-length":
                    length = int(value)
                found[name] = value
            data = await self.reader.readexactly(length) if length else b""
            if found.get(b"connection", b"").lower() == b"close":
                self.close()
            return status, found, data
        raise ConnectionError("unreachable")


# -- the load ----------------------------------------------------------------------------------------------


@dataclass
class Results:
    """What the clients measured."""

    post_ms: list[float] = field(default_factory=list)
    poll_ms: list[float] = field(default_factory=list)
    sent_at: dict[tuple[int, int], float] = field(default_factory=dict)
    acked: set[tuple[int, int]] = field(default_factory=set)
    seen: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


@dataclass
class Phone:
    """A participant's phone: its cookies, CSRF token and live-poll URL."""

    index: int
    cookies: dict[str, str]
    csrf: str
    poll: str
    page: str


async def join(port: int, code: str, index: int) -> Phone:
    """Join the session as a phone does (QR link, name form), and load the phone page."""
    conn = Connection(port, {})
    status, _h, body = await conn.request("GET", f"/rejoindre/{code}")
    if status != 200:
        raise SystemExit(f"join page answered {status}")
    token = CSRF.search(body)
    assert token
    status, headers, _b = await conn.request("POST", f"/rejoindre/{code}", {
        "csrf_token": csrf_of(token), "name": f"Participant {index}", "role": "habitant", "community": ""})
    if status != 303:
        raise SystemExit(f"joining answered {status}")
    page = headers[b"location"].decode()
    page = page[page.index("/p/"):]
    status, _h, body = await conn.request("GET", page)
    token = CSRF.search(body)
    poll = POLL_URL.search(body)
    assert status == 200 and token and poll
    conn.close()
    return Phone(index, conn.cookies, csrf_of(token), poll.group(1).decode().replace("&amp;", "&"), page)


async def poller(name: str, port: int, cookies: dict[str, str], url: str, interval: float, stop: asyncio.Event,
                 results: Results) -> None:
    """Poll a live URL every `interval` seconds, noting when each note first arrives."""
    conn = Connection(port, dict(cookies))
    await asyncio.sleep(random.random() * interval)
    while not stop.is_set():
        began = time.perf_counter()
        try:
            status, _h, body = await conn.request("GET", url, headers={"HX-Request": "true"})
        except (ConnectionError, asyncio.IncompleteReadError):
            results.error("poll-connection")
            conn.close()
            await asyncio.sleep(interval)
            continue
        now = time.perf_counter()
        results.poll_ms.append((now - began) * 1000)
        if status == 200:
            for match in NOTE_TEXT.finditer(body):
                key = (int(match.group(1)), int(match.group(2)))
                results.seen.setdefault(key, {}).setdefault(name, now)
            found = POLL_URL.search(body)
            if found:
                url = found.group(1).decode().replace("&amp;", "&")
        elif status != 304:
            results.error(f"poll-{status}")
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
    conn.close()


async def poster(phone: Phone, port: int, notes: int, pace: float, results: Results) -> None:
    """Post `notes` notes, one every `pace` s ±20 %, each retried with the same key on failure."""
    conn = Connection(port, phone.cookies)
    path = phone.page + "/notes"
    await asyncio.sleep(random.random() * pace)
    for number in range(notes):
        began = time.perf_counter()
        key = (phone.index, number)
        fields = {"csrf_token": phone.csrf, "key": str(uuid.uuid4()), "dimension": "dim-cooperation",
                  "question": "", "text": f"bench {phone.index}-{number} {uuid.uuid4().hex[:8]}"}
        results.sent_at[key] = began
        for _attempt in range(3):
            try:
                status, _h, _b = await conn.request("POST", path, fields, {"HX-Request": "true"})
            except (ConnectionError, asyncio.IncompleteReadError):
                results.error("post-connection")
                conn.close()
                continue
            if status == 200:
                results.acked.add(key)
                results.post_ms.append((time.perf_counter() - began) * 1000)
                break
            results.error(f"post-{status}")
        await asyncio.sleep(max(0.0, pace * random.uniform(0.8, 1.2) - (time.perf_counter() - began)))
    conn.close()


async def facilitator_cookies(port: int) -> dict[str, str]:
    """Sign the facilitator in; returns the session cookie."""
    conn = Connection(port, {})
    _s, _h, body = await conn.request("GET", "/connexion")
    token = CSRF.search(body)
    assert token
    status, _h, _b = await conn.request("POST", "/connexion", {"csrf_token": csrf_of(token),
                                                                "email": EMAIL, "password": PASSWORD})
    assert status == 303, status
    conn.close()
    return conn.cookies


async def run_load(port: int, meeting_id: int, code: str, participants: int, notes: int, pace: float,
                   interval: float, time_limit: float,
                   on_posting: Any = None) -> tuple[Results, float, list[str]]:
    """Join everybody, then post and poll; returns the results, the posting time and the screens.

    `on_posting`, if given, is called once everybody has joined, just before the posting starts."""
    results = Results()
    phones: list[Phone] = []
    for start in range(0, participants, 25):
        phones += await asyncio.gather(*(join(port, code, i) for i in range(start, min(participants, start + 25))))
    staff = await facilitator_cookies(port)
    stop = asyncio.Event()
    screens = [f"p{phone.index}" for phone in phones] + ["projection", "console"]
    pollers = [asyncio.create_task(poller(f"p{phone.index}", port, phone.cookies, phone.poll, interval, stop,
                                          results)) for phone in phones]
    pollers.append(asyncio.create_task(poller("projection", port, staff, f"/seances/{meeting_id}/projection/live",
                                              interval, stop, results)))
    pollers.append(asyncio.create_task(poller("console", port, staff, f"/seances/{meeting_id}/animer/live",
                                              interval, stop, results)))
    if on_posting is not None:
        on_posting()
    began = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(poster(p, port, notes, pace, results) for p in phones)), time_limit)
    except TimeoutError:
        results.error("time-limit")
    posting = time.perf_counter() - began
    # Let every screen catch up (bounded), then stop polling.
    deadline = time.perf_counter() + max(10.0, 3 * interval)
    while time.perf_counter() < deadline:
        if all(len(results.seen.get(key, {})) >= len(screens) for key in results.acked):
            break
        await asyncio.sleep(0.25)
    stop.set()
    await asyncio.gather(*pollers)
    return results, posting, screens


def pct(values: list[float], q: float) -> float:
    """The q-quantile of values (0 when empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def free_port(preferred: int) -> int:
    """`preferred` if free on loopback, else one the OS picks."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(port: int, timeout: float = 120) -> None:
    """Wait until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /horloge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(16).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("the server did not start")


def one_backend(backend: str, args: argparse.Namespace) -> str:
    """Run the load against one database backend; returns the summary line."""
    port = free_port(args.port)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mallette-bench-live-") as folder:
        work = Path(folder)
        if backend == "sqlite":
            url = f"sqlite:///{work / 'live.sqlite3'}"
        else:
            url = args.pg_url
            reset_postgres(url)
        meeting_id, _meeting_uuid, code = prepare(url, work, base)
        env = {**os.environ, "MALLETTE_BENCH_DIR": str(work), "MALLETTE_BENCH_DB": url, "MALLETTE_BENCH_BASE": base}
        command = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers),
                   "--worker-class", "gthread", "--threads", str(args.threads), "--keep-alive", "30",
                   "--backlog", "2048", "--preload", "--log-level", "warning", "bench.live:bench_app()"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            wait_ready(port)
            limit = args.notes * args.pace * 3 + 60
            cpu_before = tree_cpu_split(server.pid)
            client_before = time.process_time()
            marks: list[float] = []
            ticks: dict[str, int] = {}

            def posting_starts() -> None:
                marks.extend((tree_cpu_seconds(server.pid), time.process_time(), time.perf_counter()))
                ticks.update(cpu_ticks())

            results, posting, screens = asyncio.run(run_load(
                port, meeting_id, code, args.participants, args.notes, args.pace, args.poll, limit,
                on_posting=posting_starts))
            client_cpu = time.process_time() - client_before
            cpu_after = tree_cpu_split(server.pid)
            # From the first post to the end: the steady state, without the joining (full pages).
            posting_cpu = sum(cpu_after) - marks[0] if marks else 0.0
            machine = usage_line(ticks, time.perf_counter() - marks[2],
                                 posting_cpu + time.process_time() - marks[1]) if marks else ""
            server_user, server_sys = cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]
            server_cpu = server_user + server_sys
        finally:
            server.terminate()
            server.wait(timeout=60)
        stored, dupes = count_notes(url, meeting_id)
    sent = args.participants * args.notes
    lost = len(results.acked) - min(stored, len(results.acked))
    seen_ms = []
    unseen = 0
    for key in results.acked:
        viewers = results.seen.get(key, {})
        others = [s for s in screens if s != f"p{key[0]}"]
        if all(s in viewers for s in others):
            seen_ms.append((max(viewers[s] for s in others) - results.sent_at[key]) * 1000)
        else:
            unseen += 1
    line = (f"backend={backend} participants={args.participants} sent={sent} stored={stored} lost={lost} "
            f"duplicated={dupes} errors={results.errors} posts_per_s={len(results.acked) / posting:.0f} "
            f"post_p50_ms={pct(results.post_ms, 0.5):.0f} post_p95_ms={pct(results.post_ms, 0.95):.0f} "
            f"seen_p95_ms={pct(seen_ms, 0.95):.0f} poll_p95_ms={pct(results.poll_ms, 0.95):.0f}")
    requests = max(1, len(results.post_ms) + len(results.poll_ms))
    line += (f"  # server CPU {server_cpu:.1f} s in all ({server_sys:.1f} s of it in the kernel), "
             f"{posting_cpu:.1f} s from the first post on for {len(results.post_ms)} posts and "
             f"{len(results.poll_ms)} polls ({posting_cpu * 1000 / requests:.1f} ms a request); "
             f"load generator CPU {client_cpu:.1f} s "
             f"(joining included) over {posting:.1f} s of posting")
    if unseen or results.error_kinds:
        line += f"; not seen by every screen: {unseen}; errors: {results.error_kinds}"
    return line + ("\n" + machine if machine else "")


def main() -> None:
    """Run the benchmark on each backend and print one line per backend, then the targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=150)
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--pace", type=float, default=0.5, help="seconds between a participant's notes")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between a screen's polls")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=5650)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("MALLETTE_BENCH_PG_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test_h6"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    lines = [one_backend(backend.strip(), args) for backend in args.backends.split(",") if backend.strip()]
    for line in lines:
        print(line)
    print(f"# {os.cpu_count()} CPUs shared with the load generator; load average {os.getloadavg()[0]:.1f}; "
          f"gunicorn gthread {args.workers} workers x {args.threads} threads; poll every {args.poll:g} s; targets: "
          f"0 lost, 0 duplicated, 0 errors, post p95 <= {POST_P95_TARGET_MS:g} ms, "
          f"seen p95 <= {2000 + args.poll * 1000:.0f} ms")


if __name__ == "__main__":
    main()
