"""Database set-up: SQLite pragmas, immediate write transactions, migrations on both backends."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from app.db import is_sqlite, make_engine, normalise_url, write_session
from app.models import ContentState


def test_migrations_create_every_table(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert {"item", "item_facet", "item_alias", "content_state", "kit_build", "item_search"} <= tables
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM item")).scalar() == 0


def test_migrations_from_scratch_reach_the_head(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic.script import ScriptDirectory

    from app.db import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    upgrade(engine)  # a second run changes nothing
    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
    engine.dispose()


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_write_session_takes_the_write_lock_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """With BEGIN IMMEDIATE, a second writer waits for the first instead of failing mid-transaction."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    from app.db import upgrade

    upgrade(engine)
    statements: list[str] = []

    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    inside = threading.Event()
    release = threading.Event()

    def first_writer() -> None:
        with write_session(engine) as session:
            session.add(ContentState(key="a", content_hash="1"))
            session.flush()
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=first_writer)
    thread.start()
    assert inside.wait(5)
    done = threading.Event()

    def second_writer() -> None:
        with write_session(engine) as session:
            session.add(ContentState(key="b", content_hash="2"))
        done.set()

    other = threading.Thread(target=second_writer)
    other.start()
    assert not done.wait(0.3)  # blocked behind the first writer's lock
    release.set()
    thread.join(5)
    other.join(5)
    assert done.is_set()
    assert "BEGIN IMMEDIATE" in statements
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM content_state")).scalar() == 2
    engine.dispose()


def test_write_session_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(ContentState(key="x", content_hash="1"))
        session.flush()
        raise RuntimeError("boom")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM content_state")).scalar() == 0


def test_url_normalisation() -> None:
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_backend_detection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    sqlite = make_engine(f"sqlite:///{tmp_path / 'b.sqlite3'}")
    postgres = make_engine("postgresql://nobody@127.0.0.1:1/none")  # never connected
    assert is_sqlite(sqlite) is True
    assert is_sqlite(postgres) is False
    assert postgres.dialect.driver == "psycopg"
    sqlite.dispose()
    postgres.dispose()


def test_connections_are_pinged_only_after_sitting_idle_on_postgresql(engine: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: a connection in steady use goes out without a ping (one round trip less per
    request); one idle longer than `PING_AFTER_IDLE_S` is pinged, and replaced when the server
    dropped it. SQLite (a file, no server to lose the connection) is never pinged, idle or not."""
    from sqlalchemy.pool import NullPool
    from sqlmodel import create_engine

    import app.db as db_module

    pings: list[int] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda dbapi: pings.append(1) or real_ping(dbapi))
    if is_sqlite(engine):
        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
        for _ in range(2):
            with engine.connect() as connection:
                assert connection.execute(text("SELECT 1")).scalar() == 1
        assert pings == []
        return
    backend = text("SELECT pg_backend_pid()")
    with engine.connect() as connection:
        first = connection.execute(backend).scalar()
    with engine.connect() as connection:
        assert connection.execute(backend).scalar() == first
    assert pings == []  # used a moment ago: handed out as it is
    # The server drops the pooled connection while it sits unused (a restart, an idle timeout).
    other = create_engine(engine.url.render_as_string(hide_password=False), poolclass=NullPool)
    with other.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    other.dispose()
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)  # it has now been idle "long enough"
    with engine.connect() as connection:
        replaced = connection.execute(backend).scalar()
    assert pings == [1] and replaced != first  # pinged, found dead, replaced before use


def test_latest_reads_run_outside_a_transaction_on_postgresql(engine: Engine) -> None:
    """`read_session(latest=True)` (a phone's hot reads): autocommit on PostgreSQL, so no BEGIN or
    ROLLBACK round trips; SQLite keeps its transactions. Both read what was committed."""
    from app.db import read_session

    with write_session(engine) as db:
        db.add(ContentState(key="latest", content_hash="h-latest", item_count=3))
    with read_session(engine, latest=True) as db:
        assert db.get(ContentState, "latest").content_hash == "h-latest"  # type: ignore[union-attr]
        dbapi = db.connection().connection.dbapi_connection
        if is_sqlite(engine):
            assert dbapi.in_transaction  # type: ignore[union-attr]
        else:
            assert dbapi.autocommit is True and dbapi.info.transaction_status == 0  # type: ignore[union-attr]  # idle
    with read_session(engine) as db:  # the default keeps one snapshot for the whole session
        db.get(ContentState, "latest")
        dbapi = db.connection().connection.dbapi_connection
        assert dbapi.in_transaction if is_sqlite(engine) else not dbapi.autocommit  # type: ignore[union-attr]
