"""Each pytest-xdist worker gets databases of its own.

`pytest -n 2` runs two worker processes side by side. Tests empty and migrate the PostgreSQL test
database and flush the Redis test database, so each worker works on its own copies, derived from
the variables `.ci/run` sets:

- PostgreSQL: `…/test` becomes `…/test_gw0`, `…/test_gw1`… (created on the server when missing);
- Redis: database number n becomes n + i for worker i, or n - i when n + i passes the last
  database (15): `…/15` gives 15 and 14, `…/5` gives 5 and 6.

The root conftest calls `isolate_worker()` before any test module reads the variables, so every
module (and every subprocess a test starts) sees the worker's own URLs. Without xdist nothing changes.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import normalise_url

DATABASE_VARIABLE = "MALLETTE_TEST_DATABASE_URL"
REDIS_VARIABLE = "MALLETTE_TEST_REDIS_URL"
REDIS_DATABASES = 16  # Redis' default number of databases (0 to 15)


def worker_index() -> int | None:
    """The xdist worker's number (gw3 → 3), or None outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else None


def worker_database_url(url: str, index: int) -> str:
    """The PostgreSQL URL of worker `index`: the database name with `_gw<index>` appended."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_gw{index}").render_as_string(hide_password=False)


def worker_redis_url(url: str, index: int) -> str:
    """The Redis URL of worker `index`: another database number on the same server."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"{REDIS_VARIABLE}={url}: the path must be a database number")
    number = int(path or 0)
    moved = number + index if number + index < REDIS_DATABASES else number - index
    if not 0 <= moved < REDIS_DATABASES:
        raise ValueError(f"{REDIS_VARIABLE}={url}: no Redis database left for worker {index}")
    return urlunsplit(parts._replace(path=f"/{moved}"))


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database of `url` when the server does not have it yet."""
    target = make_url(normalise_url(url))
    name = target.database
    assert name, url
    server = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        server.dispose()


def isolate_worker() -> None:
    """Point this xdist worker's test variables at its own PostgreSQL and Redis databases."""
    index = worker_index()
    if index is None:
        return
    database = os.environ.get(DATABASE_VARIABLE)
    if database:
        own = worker_database_url(database, index)
        ensure_database(own)
        os.environ[DATABASE_VARIABLE] = own
    redis = os.environ.get(REDIS_VARIABLE)
    if redis:
        os.environ[REDIS_VARIABLE] = worker_redis_url(redis, index)
