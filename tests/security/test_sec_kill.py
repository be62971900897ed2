"""Fault drill: a gunicorn web worker killed with SIGKILL while phones are posting notes.

A real gunicorn (2 workers, loopback, SQLite) serves a live session; four phones post notes as
fast as they can, each retrying with the same idempotency key when a connection breaks. Once
some notes are acknowledged, one worker gets SIGKILL mid-stream; gunicorn starts another. At the
end every acknowledged note is in the database exactly once and SQLite's integrity check is ok.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT))
from bench import live  # noqa: E402 - the project root is on the path just above


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


async def _drill(port: int, code: str, master: int) -> tuple[live.Results, int, int]:
    phones = await asyncio.gather(*(live.join(port, code, i) for i in range(4)))
    results = live.Results()
    killed: list[int] = []
    acked_at_kill: list[int] = []

    async def killer() -> None:
        while len(results.acked) < 8:
            await asyncio.sleep(0.02)
        victim = _workers(master)[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)
        acked_at_kill.append(len(results.acked))

    await asyncio.wait_for(asyncio.gather(killer(), *(live.poster(p, port, 8, 0.02, results) for p in phones)),
                           timeout=240)
    return results, killed[0], acked_at_kill[0]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to find gunicorn's workers")
def test_acknowledged_notes_survive_a_killed_worker(tmp_path: Path) -> None:
    port = live.free_port(0)  # one the OS picks, not a fixed one that a parallel run may hold
    from sqlite_template import sqlite_copy

    url = sqlite_copy(tmp_path / "drill.sqlite3", PROJECT_ROOT / "kit_content")  # migrated and indexed
    meeting_id, _uuid, code = live.prepare(url, tmp_path, f"http://127.0.0.1:{port}")
    env = {**os.environ, "MALLETTE_BENCH_DIR": str(tmp_path), "MALLETTE_BENCH_DB": url,
           "MALLETTE_BENCH_BASE": f"http://127.0.0.1:{port}"}
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class",
         "gthread", "--threads", "4", "--preload", "--log-level", "error", "bench.live:bench_app()"],
        cwd=PROJECT_ROOT, env=env)
    try:
        live.wait_ready(port)
        # In a thread of its own: a browser test earlier in the run may leave Playwright's event loop
        # running in this one, and asyncio.run refuses to nest.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            results, victim, acked_at_kill = pool.submit(asyncio.run, _drill(port, code, server.pid)).result()
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert victim not in _workers(server.pid)
    assert len(results.acked) > acked_at_kill  # posting went on after the kill
    connection = sqlite3.connect(tmp_path / "drill.sqlite3")
    try:
        texts = [row[0] for row in connection.execute("SELECT text FROM note WHERE meeting_id = ?", (meeting_id,))]
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        connection.close()
    stored = {tuple(int(x) for x in t.split()[1].split("-")) for t in texts}
    assert len(texts) == len(set(texts))  # no note twice
    assert results.acked <= stored  # every acknowledged note is there
