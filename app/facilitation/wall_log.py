"""A process-local copy of each live wall's notes, kept in step with the database by version.

With 150 phones polling every two seconds while the room posts, every poll asked the database for
the same few hundred rows and built the same objects again. Here each web worker keeps, per
session, the current state of every note and the list of changes in version order. A poll first
brings the copy up to the session's version with one small query (the rows changed since the
copy's version, shared by every poll of the worker), then picks what changed since the screen's
version from memory.

Why the copy is exact: a change bumps `Meeting.version` and stamps its note with that version in
one transaction that holds the session row's lock until commit (see `notes`), so once a version V
is read, every note stamped with a version up to V is committed, and the rows with
`old < changed_version <= V` are exactly the changes in between. A copy newer than the session row
a request read is normal (another thread of the worker synced after that read): the notes it holds
changed beyond the row's version are served in their newer state, and sent again on the next poll.

A session whose wall epoch grew (a reveal, moderation, a deletion) is read again from scratch. A
database restored under a running server needs the server restarted, as its screens do. Copies
belong to one engine (one database) and die with it; at most `MAX_SESSIONS` per engine are kept.

Visibility is decided here the way `notes.visible_to` decides it in SQL; the facilitator's console,
which also needs authors and merged texts, reads the database as before.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from ..models import Meeting, Note

MAX_SESSIONS = 32

_COLUMNS = (col(Note.id), col(Note.uuid), col(Note.dimension_id), col(Note.question_id), col(Note.text),
            col(Note.participant_id), col(Note.hidden), col(Note.created_version), col(Note.changed_version),
            col(Note.deleted_at).is_not(None) | col(Note.merged_into_id).is_not(None))


@dataclass(slots=True)
class LoggedNote:
    """A note's current state as the wall needs it."""

    id: int
    uuid: str
    dimension_id: str
    question_id: str | None
    text: str
    participant_id: int | None
    hidden: bool
    created_version: int
    changed_version: int
    gone: bool  # deleted, or merged into another note
    shared: Any = None  # the WallNote every viewer without a personal view of it gets (built once)


@dataclass
class SessionLog:
    """One session's notes: their current state and the changes in version order."""

    meeting_id: int
    epoch: int
    version: int = 0
    notes: dict[int, LoggedNote] = field(default_factory=dict)
    change_versions: list[int] = field(default_factory=list)  # ascending
    change_ids: list[int] = field(default_factory=list)  # the note of each change
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sync(self, db: Session, version: int) -> None:
        """Bring the copy up to `version` (the session's version as just read); call with `lock` held."""
        if version <= self.version:
            return
        rows: Sequence[Any] = db.connection().execute(
            select(*_COLUMNS).where(col(Note.meeting_id) == self.meeting_id, col(Note.changed_version) > self.version,
                                    col(Note.changed_version) <= version)
            .order_by(col(Note.changed_version), col(Note.id))).all()
        notes = self.notes
        for note_id, uuid, dimension_id, question_id, text, author, hidden, created, changed, gone in rows:
            notes[note_id] = LoggedNote(note_id, uuid, dimension_id, question_id, text, author, bool(hidden),
                                        created, changed, bool(gone))
            self.change_versions.append(changed)
            self.change_ids.append(note_id)
        self.version = version

    def changed_since(self, since: int | None, version: int) -> list[LoggedNote]:
        """Notes that existed at `version` and changed after `since` (all of them without `since`),
        in posting order. A note changed again after `version` comes in its newer state."""
        with self.lock:
            return self._changed_since(since, version)

    def _changed_since(self, since: int | None, version: int) -> list[LoggedNote]:
        notes = self.notes
        if since is None:
            found = [n for n in notes.values() if n.created_version <= version]
        else:
            start = bisect_right(self.change_versions, since)
            found = []
            picked: set[int] = set()
            for note_id in self.change_ids[start:]:
                if note_id in picked:
                    continue
                note = notes[note_id]
                if note.changed_version > since and note.created_version <= version:
                    picked.add(note_id)
                    found.append(note)
        found.sort(key=lambda n: (n.created_version, n.id))
        return found


_logs: weakref.WeakKeyDictionary[Any, OrderedDict[int, SessionLog]] = weakref.WeakKeyDictionary()
_logs_lock = threading.Lock()


def session_log(db: Session, meeting: Meeting) -> SessionLog | None:
    """This worker's copy of the session's notes, brought up to `meeting.version`; None if the
    session's engine cannot be told apart (then read the database)."""
    bind = db.get_bind()
    engine = getattr(bind, "engine", bind)
    meeting_id = meeting.id or 0
    with _logs_lock:
        try:
            per_engine = _logs.setdefault(engine, OrderedDict())
        except TypeError:
            return None
        log = per_engine.get(meeting_id)
        if log is None or log.epoch < meeting.wall_epoch:
            log = per_engine[meeting_id] = SessionLog(meeting_id, meeting.wall_epoch)
        per_engine.move_to_end(meeting_id)
        while len(per_engine) > MAX_SESSIONS:
            per_engine.popitem(last=False)
    with log.lock:
        log.sync(db, meeting.version)
    return log

