"""Writers to a SQLite file take turns (app.db.WriterQueue) instead of failing or sleeping in SQLite's busy handler."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from app.config import PROJECT_ROOT
from app.db import make_engine, write_session

# Each writer holds the write lock a few milliseconds, far longer than SQLite's busy timeout is set
# to here (1 ms): a writer left to SQLite's busy handler fails with "database is locked".
WRITER = """
import sys, time
from sqlalchemy import event, text
from app.db import make_engine, write_session
engine = make_engine(sys.argv[1])
event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=1"))
for number in range(int(sys.argv[3])):
    with write_session(engine) as db:
        db.execute(text("INSERT INTO log (writer, number) VALUES (:w, :n)"), {"w": sys.argv[2], "n": number})
        time.sleep(0.002)
"""


def _database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'writers.sqlite3'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE log (writer TEXT, number INTEGER)"))
    engine.dispose()
    return url


def _short_busy_timeout(engine: Any) -> None:
    event.listen(engine, "connect", lambda conn, _record: conn.execute("PRAGMA busy_timeout=1"))


def test_threads_of_a_process_take_turns(tmp_path: Path) -> None:
    engine = make_engine(_database(tmp_path))
    _short_busy_timeout(engine)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for number in range(15):
                with write_session(engine) as db:
                    db.execute(text("INSERT INTO log (writer, number) VALUES (:w, :n)"), {"w": name, "n": number})
                    time.sleep(0.002)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM log")).scalar() == 6 * 15
    engine.dispose()


def test_processes_take_turns(tmp_path: Path) -> None:
    url = _database(tmp_path)
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, url, f"p{i}", "40"], cwd=PROJECT_ROOT,
                                stderr=subprocess.PIPE, text=True) for i in range(2)]
    results = [writer.communicate(timeout=60) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], [err[-500:] for _, err in results]
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = dict(connection.execute(text("SELECT writer, count(*) FROM log GROUP BY writer")).all())
    engine.dispose()
    assert counts == {"p0": 40, "p1": 40}


def test_a_nested_write_in_the_same_thread_does_not_wait_for_itself(tmp_path: Path) -> None:
    engine = make_engine(_database(tmp_path))
    with write_session(engine) as outer:
        outer.execute(text("INSERT INTO log (writer, number) VALUES ('outer', 1)"))
        from app.db import writer_queue

        queue = writer_queue(engine)
        assert queue is not None
        with queue.turn():  # re-entrant: the turn is already this thread's
            pass
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM log")).scalar() == 1
    engine.dispose()


def test_the_wal_is_checkpointed_after_the_writers_turn(tmp_path: Path, monkeypatch: Any) -> None:
    """Every CHECKPOINT_EVERY commits, the committing process checkpoints the WAL once the writers'
    turn is free (SQLite's own checkpoint, with its fsync, used to run inside a writer's turn)."""
    import fcntl

    from app import db as app_db

    monkeypatch.setattr(app_db, "CHECKPOINT_EVERY", 5)
    url = _database(tmp_path)
    engine = make_engine(url)
    queue = app_db.writer_queue(engine)
    assert queue is not None
    seen: list[tuple[str, bool]] = []

    def turn_free() -> bool:
        probe = open(queue.path, "a")  # noqa: SIM115 (a second open file: flock sees the queue's lock)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(probe, fcntl.LOCK_UN)
            return True
        except BlockingIOError:
            return False
        finally:
            probe.close()

    def trace(conn: Any, _record: Any) -> None:
        conn.set_trace_callback(lambda sql: seen.append((sql, turn_free())) if "wal_checkpoint" in sql else None)

    event.listen(engine, "connect", trace)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == app_db.AUTOCHECKPOINT_PAGES
    for number in range(12):
        with write_session(engine) as db:
            db.execute(text("INSERT INTO log (writer, number) VALUES ('a', :n)"), {"n": number})
    assert seen == [("PRAGMA wal_checkpoint(PASSIVE)", True)] * 2
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM log")).scalar() == 12
    engine.dispose()
