"""The unit-of-work helpers of app/db.py, on SQLite and PostgreSQL: upsert, insert-once, versions, enums."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from app.clock import FrozenClock
from app.db import StaleVersion, bump_version, insert_once, read_session, update_if_version, upsert, write_session
from app.facilitation.enums import Stage
from app.models import Accompaniment, ContentState, Meeting, Note, Territory


def _meeting(engine: Engine) -> int:
    with write_session(engine) as db:
        accompaniment = Accompaniment(title="Essai")
        db.add(accompaniment)
        db.flush()
        assert accompaniment.id is not None
        meeting = Meeting(accompaniment_id=accompaniment.id, kind="visite-apprenante", title="Visite")
        db.add(meeting)
        db.flush()
        assert meeting.id is not None
        return meeting.id


def test_upsert_inserts_then_updates_only_the_given_fields(engine: Engine) -> None:
    with write_session(engine) as db:
        upsert(db, ContentState, {"key": "k", "content_hash": "a", "item_count": 1}, conflict=["key"])
    with write_session(engine) as db:
        upsert(db, ContentState, {"key": "k", "content_hash": "b", "item_count": 2}, conflict=["key"],
               update_fields=["content_hash"])
    with read_session(engine) as db:
        rows = db.exec(select(ContentState)).all()
    assert [(r.key, r.content_hash, r.item_count) for r in rows] == [("k", "b", 1)]


def test_insert_once_is_idempotent_on_the_unique_key(engine: Engine) -> None:
    meeting_id = _meeting(engine)
    values = {"uuid": "n-1", "meeting_id": meeting_id, "client_key": "abc", "dimension_id": "dim-cooperation",
              "text": "Une note", "version": 1, "hidden": False,
              "created_at": FrozenClock().now(), "updated_at": FrozenClock().now()}
    with write_session(engine) as db:
        first = insert_once(db, Note, values, conflict=["meeting_id", "client_key"])
    with write_session(engine) as db:
        second = insert_once(db, Note, {**values, "uuid": "n-2", "text": "Renvoyée"},
                             conflict=["meeting_id", "client_key"])
    with read_session(engine) as db:
        notes = db.exec(select(Note)).all()
    assert (first, second) == (True, False)
    assert [n.text for n in notes] == ["Une note"]


def test_update_if_version_refuses_a_stale_writer(engine: Engine) -> None:
    meeting_id = _meeting(engine)
    with write_session(engine) as db:
        assert update_if_version(db, Meeting, meeting_id, 1, title="Première") == 2
    with pytest.raises(StaleVersion), write_session(engine) as db:
        update_if_version(db, Meeting, meeting_id, 1, title="Périmée")
    with read_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        assert (meeting.title, meeting.version) == ("Première", 2)


def test_bump_version_counts_every_change(engine: Engine) -> None:
    meeting_id = _meeting(engine)
    with write_session(engine) as db:
        assert bump_version(db, Meeting, meeting_id) == 2
        assert bump_version(db, Meeting, meeting_id) == 3


def test_enums_are_stored_as_their_values_and_read_back_as_members(engine: Engine) -> None:
    with write_session(engine) as db:
        db.add(Accompaniment(title="A", stage=Stage.AFTER_VISIT))
    with engine.connect() as connection:
        raw = connection.execute(text("SELECT stage FROM accompaniment")).scalar_one()
    with read_session(engine) as db:
        accompaniment = db.exec(select(Accompaniment)).one()
    assert raw == "apres-visite"
    assert accompaniment.stage is Stage.AFTER_VISIT


def test_datetimes_come_back_aware_in_utc(engine: Engine) -> None:
    moment = FrozenClock().now()
    with write_session(engine) as db:
        db.add(Territory(name="Couserans", created_at=moment))
    with read_session(engine) as db:
        territory = db.exec(select(Territory)).one()
    assert territory.created_at == moment
    assert territory.created_at.utcoffset() is not None
