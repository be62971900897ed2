"""Database engine and sessions: SQLite (WAL, busy timeout, BEGIN IMMEDIATE writes) or PostgreSQL."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import String, event, text, types, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm.attributes import manager_of_class
from sqlmodel import Session, SQLModel, create_engine

from .config import PROJECT_ROOT

try:
    import fcntl
except ImportError:  # Windows: the threads of a process still queue, processes fall back on SQLite's busy wait
    fcntl = None  # type: ignore[assignment]

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
BUSY_TIMEOUT_MS = 10_000
#: SQLite: a process checkpoints the WAL after this many of its `write_session` commits, outside the
#: writers' turn (see `WriterQueue.committed`); SQLite's own checkpoint is only the backstop.
CHECKPOINT_EVERY = 200
#: SQLite's automatic checkpoint (pages), for writes that do not go through `write_session`.
AUTOCHECKPOINT_PAGES = 10_000
#: PostgreSQL: a pooled connection left unused this long (seconds) is pinged before it is handed out.
PING_AFTER_IDLE_S = 10.0


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for PostgreSQL URLs given without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """Create the engine; on SQLite set the pragmas and take control of transactions."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=5, max_overflow=5)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it sat unused for `PING_AFTER_IDLE_S`.

    SQLAlchemy's `pool_pre_ping` pings at every checkout: one more round trip to the server per
    request (a phone's post made three, now two). A connection in steady use has just answered;
    one that sat idle (a quiet night, a server restarted meanwhile) is pinged with the dialect's
    own ping, and a dead one is replaced before the request sees it (`DisconnectionError` makes
    the pool connect again). A server restarted under load fails the requests then in flight
    with a 503 (`web.unavailable`); SQLAlchemy then drops the pool's older connections.
    """
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure of the ping: the connection cannot be trusted
            raise DisconnectionError(str(error)) from error
        if not alive:
            raise DisconnectionError("the connection did not answer its ping")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions are disabled).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite checkpoints in the transaction that crosses 1,000 pages of WAL, with an fsync,
        # while that writer still holds the writers' turn: each of those commits took 20 ms and
        # more, and the room's posts queued behind it. `write_session` checkpoints after its turn.
        cursor.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def read_session(engine: Engine, *, latest: bool = False) -> Iterator[Session]:
    """A session for reads.

    `latest`: for the short reads of a busy room's hot paths (a phone's poll, a note post), where
    each statement may see the latest commits: on PostgreSQL the session then runs in autocommit,
    without the BEGIN and ROLLBACK round trips of a transaction. Reads that must see one snapshot
    across statements (exports, reports) leave it off.
    """
    bind = with_options(engine, isolation_level="AUTOCOMMIT") if latest and not is_sqlite(engine) else engine
    with Session(bind) as session:
        yield session


def with_options(engine: Engine, **options: Any) -> Engine:
    """`engine.execution_options(**options)`, made once per engine and options (it costs ~40 µs,
    paid on every post before): kept on the engine itself, so it goes when the engine goes."""
    made: dict[tuple[tuple[str, Any], ...], Engine] = engine.__dict__.setdefault("_mallette_options", {})
    key = tuple(sorted(options.items()))
    found = made.get(key)
    if found is None:
        found = made[key] = engine.execution_options(**options)
    return found


class WriterQueue:
    """Writers to one SQLite file wait their turn in a queue instead of in SQLite's busy handler.

    SQLite lets one writer in at a time; the others sleep and retry with growing pauses (up to
    100 ms each), so under a burst of posts a writer can sleep long after the lock was freed. Here
    the threads of a process queue on a lock, and processes on an exclusive `flock` of a file next
    to the database, which the kernel hands to the next waiter as soon as it is released. The
    transaction still takes SQLite's own lock (BEGIN IMMEDIATE): the queue only orders the writers
    that go through `write_session`; anything else is still arbitrated by SQLite's busy timeout.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".writers")
        self._lock = threading.RLock()
        self._local = threading.local()
        self._fd: int | None = None
        self._pid = 0
        self._commits = 0
        self._checkpointing = threading.Lock()

    def _file(self) -> int | None:
        if fcntl is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the turn of this database's writers (re-entrant within a thread)."""
        with self._lock:
            depth = getattr(self._local, "depth", 0)
            fd = self._file() if depth == 0 else None
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)


    def committed(self, engine: Engine) -> bool:
        """Count a commit made in turn; every `CHECKPOINT_EVERY`, checkpoint the WAL (PASSIVE: it
        waits for no reader or writer) now that the turn is free. True if this call checkpointed."""
        self._commits += 1
        if self._commits < CHECKPOINT_EVERY or not self._checkpointing.acquire(blocking=False):
            return False
        try:
            self._commits = 0
            raw = engine.raw_connection()  # (no BEGIN: a checkpoint runs outside a transaction)
            try:
                raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").close()
            finally:
                raw.close()
            return True
        finally:
            self._checkpointing.release()


_writer_queues: dict[str, WriterQueue] = {}
_writer_queues_lock = threading.Lock()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue of writers of this engine's SQLite file (None for PostgreSQL or an in-memory database)."""
    database = engine.url.database if is_sqlite(engine) else None
    if not database or database == ":memory:":
        return None
    queue = _writer_queues.get(database)
    if queue is None:
        with _writer_queues_lock:
            path = Path(database).resolve()  # one queue per file, however its name is spelt
            queue = next((q for q in _writer_queues.values() if q.database == path), None) or WriterQueue(path)
            _writer_queues[database] = queue
    return queue


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock at once (BEGIN IMMEDIATE on SQLite).

    Commits on success, rolls back on error. On a SQLite file, writers take turns (`WriterQueue`).
    """
    queue = writer_queue(engine)
    bind = with_options(engine, sqlite_immediate=True) if is_sqlite(engine) else engine
    with queue.turn() if queue is not None else nullcontext(), Session(bind) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    if queue is not None:
        queue.committed(engine)


def alembic_config(url: str) -> AlembicConfig:
    """Alembic configuration pointing at `migrations/` and the given database."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def serialise(connection: Connection, name: str) -> None:
    """Hold a database-wide lock named `name` until the transaction ends.

    On PostgreSQL this is a transaction-level advisory lock, so that several gunicorn workers that
    start together migrate or index one after the other. On SQLite, transactions opened with
    `sqlite_immediate=True` already hold the single write lock, so nothing more is needed.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


def upgrade(engine: Engine) -> None:
    """Bring the schema to the latest migration (one process at a time)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    bind = engine.execution_options(sqlite_immediate=True) if is_sqlite(engine) else engine
    with bind.begin() as connection:
        serialise(connection, "mallette-migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# -- column types ----------------------------------------------------------------------------------
# Datetimes: SQLModel maps `datetime` fields to its UTC-aware type (aware values in, UTC out, on
# SQLite and PostgreSQL alike), so models simply annotate `datetime` and use `clock.now()`.

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound=SQLModel)


class StrEnumType(types.TypeDecorator[E], Generic[E]):
    """A `StrEnum` stored as its plain string value (a VARCHAR, no native ENUM to migrate).

    Reading an unknown value raises: the database only ever holds values the code wrote.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int = 24) -> None:
        super().__init__(length=length)
        self.enum = enum
        self.length = length

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        """Check the value belongs to the enum and store its string."""
        if value is None:
            return None
        return str(self.enum(value).value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        """Give back the enum member."""
        return None if value is None else self.enum(value)

    def __repr__(self) -> str:
        return f"sa.String(length={self.length})"  # as migrations should spell it


# -- writes: upsert, insert-once, versioned updates -------------------------------------------------


class StaleVersion(Exception):
    """A conditional update found the row changed (or gone) since it was read."""


def _insert(session: Session, model: type[SQLModel]) -> Any:
    table = model.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not supported on {dialect}")


def upsert(
    session: Session,
    model: type[SQLModel],
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str],
    update_fields: Sequence[str] | None = None,
) -> None:
    """Insert a row, or update it when a row with the same `conflict` columns exists.

    `update_fields` (default: every given column not in `conflict`) are overwritten on conflict.
    One statement on SQLite and PostgreSQL (`INSERT … ON CONFLICT … DO UPDATE`), so concurrent
    writers never fail on the unique constraint.
    """
    statement = _insert(session, model).values(**values)
    fields = update_fields if update_fields is not None else [k for k in values if k not in conflict]
    if fields:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict), set_={name: statement.excluded[name] for name in fields}
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    session.execute(statement)


def insert_once(
    session: Session, model: type[SQLModel], values: Mapping[str, Any], *, conflict: Sequence[str]
) -> bool:
    """Insert a row unless one with the same `conflict` columns exists; True if this call inserted it.

    The idempotent write behind retried requests: a client-generated key in a unique column makes
    a second delivery of the same request a no-op instead of a duplicate.
    """
    table = model.__table__  # type: ignore[attr-defined]
    key = next(iter(table.primary_key.columns))
    statement = (
        _insert(session, model).values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict))
        .returning(key)  # a row comes back only when this statement inserted it
    )
    return session.execute(statement).first() is not None


def update_if_version(
    session: Session, model: type[SQLModel], row_id: Any, version: int, **values: Any
) -> int:
    """Update one row only if its `version` is still `version`, bumping it; return the new version.

    Raises `StaleVersion` when another writer got there first (or the row is gone). This is the
    conditional-UPDATE pattern of the kit-build claim, for every state change of the engine.
    """
    table: Any = model
    result = session.execute(
        update(table)
        .where(table.id == row_id, table.version == version)
        .values(version=version + 1, **values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleVersion(f"{model.__name__} {row_id} is no longer at version {version}")
    return version + 1


def from_row(model: type[M], values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> M:
    """An instance of a table model holding `values` (column name → value), as a row read from the database.

    Unlike `model(**values)`, it does not run SQLModel's constructor, which sets each field through
    the ORM's change events (about 50 µs for a session row against 2 µs): for the hot paths that read
    a row with a Core query and hand it on. The instance is not attached to any session.
    """
    instance = manager_of_class(model).new_instance()
    instance.__dict__.update(values)
    return cast(M, instance)


def bump_version(session: Session, model: type[SQLModel], row_id: Any) -> int:
    """Increment a row's `version` unconditionally and return the new value.

    Used for per-object change counters (e.g. a live session's version behind its ETag): the UPDATE
    takes the row lock, so concurrent bumps serialise and none is lost.
    """
    table: Any = model
    result = session.execute(
        update(table).where(table.id == row_id).values(version=table.version + 1).returning(table.version)
    )
    return int(result.scalar_one())
