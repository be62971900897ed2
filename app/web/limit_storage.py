"""A `limits` storage in a SQLite file: rate-limit counters every web worker of one machine shares.

Flask-Limiter keeps its counters in process memory unless given a shared storage; `mallette serve`
runs several gunicorn workers, so on a laptop without Redis each worker counted apart and every
limit was multiplied by the number of workers. This storage (scheme `mallette+sqlite`, fixed
windows) keeps them in one small SQLite file beside the database, in WAL mode: one statement per
hit, atomic across processes. Hosted, `REDIS_URL` takes its place.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

from limits.storage import Storage

from ..config import beside_database

#: The URI scheme: `mallette+sqlite:///absolute/path/limits.sqlite3`.
SCHEME = "mallette+sqlite"
#: Every this many hits in a process, counters whose window has ended are deleted.
PURGE_EVERY = 500


def storage_uri(path: Path) -> str:
    """The storage URI of the counters file `path`."""
    return f"{SCHEME}://{Path(path).resolve()}"


def default_limits_file(database_url: str, instance: Path) -> Path:
    """Beside a SQLite database (`x.sqlite3` -> `x.limits.sqlite3`), else in the instance folder."""
    return beside_database(database_url, instance, "limits")


class SQLiteLimitStorage(Storage):
    """Fixed-window counters in a SQLite file (a connection per process and thread)."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = Path(uri.removeprefix(f"{SCHEME}://"))
        self._local = threading.local()
        self._hits = 0
        self._create()

    def _create(self) -> None:
        """Make the file, in WAL mode, and its table, once: workers starting together wait for
        each other (switching to WAL may answer "busy" without waiting for the lock)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                with closing(sqlite3.connect(self.path, timeout=5, isolation_level=None)) as connection:
                    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute("CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                                       "hits INTEGER NOT NULL, ends REAL NOT NULL)")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def base_exceptions(self) -> type[Exception]:
        """What a failing storage raises (Flask-Limiter may then let the request through)."""
        return sqlite3.Error

    def _db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None or getattr(self._local, "pid", None) != os.getpid():  # none, or the parent's
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA synchronous=NORMAL")
            self._local.connection, self._local.pid = connection, os.getpid()
        return connection

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count `amount` more hits on `key`, starting a window of `expiry` seconds if none is open."""
        now = time.time()
        db = self._db()
        (hits,) = db.execute(
            "INSERT INTO counters (key, hits, ends) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
            "hits = CASE WHEN ends <= ? THEN excluded.hits ELSE hits + excluded.hits END, "
            "ends = CASE WHEN ends <= ? THEN excluded.ends ELSE ends END RETURNING hits",
            (key, amount, now + expiry, now, now),
        ).fetchone()
        self._hits += 1
        if self._hits % PURGE_EVERY == 0:
            db.execute("DELETE FROM counters WHERE ends <= ?", (now,))
        return int(hits)

    def get(self, key: str) -> int:
        """The hits on `key` in its open window (0 when none is open)."""
        row = self._db().execute("SELECT hits FROM counters WHERE key = ? AND ends > ?", (key, time.time())).fetchone()
        return int(row[0]) if row else 0

    def get_expiry(self, key: str) -> float:
        """When the open window of `key` ends (now when none is open)."""
        now = time.time()
        row = self._db().execute("SELECT ends FROM counters WHERE key = ? AND ends > ?", (key, now)).fetchone()
        return float(row[0]) if row else now

    def check(self) -> bool:
        """Whether the file answers."""
        try:
            self._db().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; how many there were."""
        return self._db().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        """Forget the counter of `key`."""
        self._db().execute("DELETE FROM counters WHERE key = ?", (key,))
