"""Hosted-mode load test: gunicorn workers on PostgreSQL and Redis, two live sessions at once.

300 participants (150 per session) join by code, post 20 notes each, vote, and keep polling
their live view; each session's console and projection poll too. Everything runs on 127.0.0.1
(gunicorn on an OS-chosen or given port, the load generator in one asyncio process) and is bounded
in time. At the end the database is checked: every acknowledged note stored exactly once, every
accepted vote stored. It prints one line per endpoint, then the summary line:

    participants=… requests=… stored=… lost=… duplicated=… http_5xx=… p50_ms=… p95_ms=… p99_ms=…
    worker_peak_mib=…

    .venv/bin/python bench/load.py [--participants 300] [--notes 20] [--workers 4]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test_h8] [--redis-url redis://127.0.0.1:6379/8]

The PostgreSQL database given is emptied first; the Redis database is flushed. Target on a 2-core
machine: 0 lost, 0 duplicated, 0 5xx, p95 <= 200 ms. HTTP plumbing (raw keep-alive sockets,
joining, posting, polling) is shared with bench/live.py.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import live  # noqa: E402 - the project root must be on the path first

P95_TARGET_MS = 200.0
_IDS = re.compile(r"/[0-9a-f]{8}-[0-9a-f-]{27}|/\d+")
_CODE = re.compile(r"/rejoindre/[A-Z0-9]+")
#: (endpoint, status, milliseconds) of every request the load generator made.
RECORDS: list[tuple[str, int, float]] = []


class TimedConnection(live.Connection):
    """bench/live.py's connection, recording each request's endpoint, status and time."""

    async def request(self, method: str, path: str, body: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, dict[bytes, bytes], bytes]:
        """Send the request; record it (connection failures count as status 0)."""
        began = time.perf_counter()
        endpoint = f"{method} " + _CODE.sub("/rejoindre/<code>", _IDS.sub(
            lambda m: "/<uuid>" if "-" in m.group(0) else "/<id>", path.split("?", 1)[0]))
        try:
            answer = await super().request(method, path, body, headers)
        except (ConnectionError, asyncio.IncompleteReadError):
            RECORDS.append((endpoint, 0, (time.perf_counter() - began) * 1000))
            raise
        RECORDS.append((endpoint, answer[0], (time.perf_counter() - began) * 1000))
        return answer


live.Connection = TimedConnection  # type: ignore[misc]


def prepare(database_url: str, work: Path, base: str, sessions: int) -> list[tuple[int, str, str]]:
    """Migrate, index, one facilitator and `sessions` started live sessions: [(id, uuid, code)]."""
    from app.clock import SYSTEM_CLOCK
    from app.db import write_session
    from app.facilitation import accounts
    from app.facilitation import live as live_domain
    from app.facilitation.enums import MeetingKind, UserRole
    from app.models import Accompaniment, AgendaStep, Meeting, Membership

    os.environ.update(MALLETTE_BENCH_DIR=str(work), MALLETTE_BENCH_DB=database_url, MALLETTE_BENCH_BASE=base)
    app = live.bench_app()
    engine = app.extensions["mallette"].engine
    made = []
    with write_session(engine) as db:
        user = accounts.create_user(db, SYSTEM_CLOCK, email=live.EMAIL, display_name="Bench",
                                    password=live.PASSWORD, role=UserRole.FACILITATOR)
        ids = []
        for number in range(sessions):
            accompaniment = Accompaniment(title=f"Bench {number + 1}")
            db.add(accompaniment)
            db.flush()
            db.add(Membership(accompaniment_id=accompaniment.id or 0, user_id=user.id or 0))
            meeting = Meeting(accompaniment_id=accompaniment.id or 0, kind=MeetingKind.LEARNING_VISIT,
                              title=f"Visite apprenante {number + 1} (bench)", notes_hidden=False,
                              votes_per_participant=3)
            db.add(meeting)
            db.flush()
            db.add(AgendaStep(meeting_id=meeting.id or 0, title="Le territoire se raconte", planned_minutes=45,
                              dimensions=["dim-cooperation"]))
            ids.append(meeting.id or 0)
    for meeting_id in ids:
        with write_session(engine) as db:
            started = live_domain.start(db, SYSTEM_CLOCK, meeting_id)
            made.append((meeting_id, started.uuid, started.join_code or ""))
    engine.dispose()
    return made


def note_ids(database_url: str, meeting_id: int) -> list[int]:
    """The ids of a session's notes."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id FROM note WHERE meeting_id = :m"), {"m": meeting_id}).scalars()
        found = [int(r) for r in rows]
    engine.dispose()
    return found


def count_votes(database_url: str) -> int:
    """Votes stored in all."""
    from sqlalchemy import text

    from app.db import make_engine

    engine = make_engine(database_url)
    with engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM vote")).scalar()
    engine.dispose()
    return int(total or 0)


async def vote(phone: live.Phone, port: int, choices: list[int], accepted: list[int]) -> None:
    """Vote for up to three notes of the phone's session (the server refuses a fourth)."""
    conn = live.Connection(port, phone.cookies)
    for note_id in choices:
        status, _h, _b = await conn.request("POST", phone.page + "/votes", {"csrf_token": phone.csrf,
                                                                             "note": str(note_id)},
                                            {"HX-Request": "true"})
        if status in (200, 303):
            accepted.append(note_id)
    conn.close()


async def run(port: int, made: list[tuple[int, str, str]], args: argparse.Namespace,
              url: str) -> tuple[list[live.Results], list[int]]:
    """Both sessions at once: join, post and poll; then votes."""
    share = args.participants // len(made)
    limit = args.notes * args.pace * 3 + 90
    loads = [live.run_load(port, meeting_id, code, share, args.notes, args.pace, args.poll, limit)
             for meeting_id, _uuid, code in made]
    finished = await asyncio.gather(*loads)
    results = [r for r, _posting, _screens in finished]
    accepted: list[int] = []
    for meeting_id, _uuid, code in made:
        notes = note_ids(url, meeting_id)
        phones = []
        for start in range(0, share, 25):
            phones += await asyncio.gather(*(live.join(port, code, i) for i in range(start, min(share, start + 25))))
        await asyncio.gather(*(vote(p, port, random.sample(notes, min(4, len(notes))), accepted) for p in phones))
    return results, accepted


def worker_peak_mib(master: int) -> float:
    """The highest peak resident size (VmHWM) among the gunicorn workers of `master`."""
    peak = 0
    children = Path(f"/proc/{master}/task/{master}/children")
    for pid in children.read_text().split() if children.exists() else []:
        status = Path(f"/proc/{pid}/status")
        for line in status.read_text().splitlines() if status.exists() else []:
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]))
    return peak / 1024


def main() -> None:
    """Run the hosted set-up under load; print per-endpoint lines and the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--notes", type=int, default=20)
    parser.add_argument("--pace", type=float, default=1.0, help="seconds between a participant's notes")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between a screen's polls")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=5850)
    parser.add_argument("--pg-url", default=os.environ.get("MALLETTE_BENCH_PG_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/test_h8"))
    parser.add_argument("--redis-url", default=os.environ.get("MALLETTE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"))
    args = parser.parse_args()
    for target in (args.pg_url, args.redis_url):
        if "127.0.0.1" not in target and "localhost" not in target:
            raise SystemExit(f"loopback only: {target}")

    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    live.reset_postgres(args.pg_url)
    port = live.free_port(args.port)
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="mallette-bench-load-") as folder:
        work = Path(folder)
        made = prepare(args.pg_url, work, base, args.sessions)
        env = {**os.environ, "MALLETTE_BENCH_DIR": str(work), "MALLETTE_BENCH_DB": args.pg_url,
               "MALLETTE_BENCH_BASE": base, "REDIS_URL": args.redis_url}
        command = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "--bind", f"127.0.0.1:{port}",
                   "--workers", str(args.workers),
                   "--worker-class", "gthread", "--threads", str(args.threads), "--keep-alive", "30",
                   "--backlog", "2048", "--preload", "--log-level", "warning", "bench.live:bench_app()"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            live.wait_ready(port)
            results, accepted = asyncio.run(run(port, made, args, args.pg_url))
            peak = worker_peak_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=60)
        stored = duplicated = 0
        for meeting_id, _uuid, _code in made:
            count, dupes = live.count_notes(args.pg_url, meeting_id)
            stored, duplicated = stored + count, duplicated + dupes
        votes = count_votes(args.pg_url)
    acked = sum(len(r.acked) for r in results)
    lost = max(0, acked - stored) + max(0, len(accepted) - votes)
    by_endpoint: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for endpoint, status, ms in RECORDS:
        by_endpoint[endpoint].append((status, ms))
    for endpoint, rows in sorted(by_endpoint.items()):
        times = [ms for _s, ms in rows]
        statuses: dict[int, int] = defaultdict(int)
        for status, _ms in rows:
            statuses[status] += 1
        print(f"endpoint={endpoint!r} requests={len(rows)} p50_ms={live.pct(times, 0.5):.0f} "
              f"p95_ms={live.pct(times, 0.95):.0f} p99_ms={live.pct(times, 0.99):.0f} "
              f"statuses={dict(sorted(statuses.items()))}")
    times = [ms for _e, _s, ms in RECORDS]
    http_5xx = sum(1 for _e, status, _ms in RECORDS if status >= 500 or status == 0)
    print(f"# votes accepted={len(accepted)} stored={votes}; notes acknowledged={acked}; "
          f"{os.cpu_count()} CPUs shared with the load generator, load average {os.getloadavg()[0]:.1f}; "
          f"target: 0 lost, 0 duplicated, 0 5xx, p95 <= {P95_TARGET_MS:g} ms")
    print(f"participants={args.participants} requests={len(RECORDS)} stored={stored} lost={lost} "
          f"duplicated={duplicated} http_5xx={http_5xx} p50_ms={live.pct(times, 0.5):.0f} "
          f"p95_ms={live.pct(times, 0.95):.0f} p99_ms={live.pct(times, 0.99):.0f} worker_peak_mib={peak:.0f}")


if __name__ == "__main__":
    main()
