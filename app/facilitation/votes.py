"""Dot votes: each participant has the number of votes the facilitator set, enforced on the server.

A participant's votes are counted and written while holding a lock on their own row (SELECT … FOR
UPDATE on PostgreSQL; on SQLite the BEGIN IMMEDIATE of `write_session` already serialises writers),
so taps sent at once from one phone, or from two tabs, can never go past the limit. Voting twice
for the same note is a no-op (unique note + participant).
"""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from ..clock import Clock
from ..db import insert_once
from ..models import Meeting, Note, Participant, Vote, new_uuid
from .enums import MeetingStatus
from .errors import DomainError, NotFound
from .notes import bump, participant_viewer, visible_to


def _lock(db: Session, participant: Participant) -> None:
    db.execute(select(col(Participant.id)).where(col(Participant.id) == participant.id).with_for_update())


def used(db: Session, participant_id: int) -> int:
    """Votes the participant has on notes that still stand (a Core query: every poll asks)."""
    return int(db.connection().execute(
        select(func.count()).select_from(Vote).join(Note, col(Note.id) == col(Vote.note_id))
        .where(col(Vote.participant_id) == participant_id, col(Note.deleted_at).is_(None))
    ).scalar_one())


def ballot(db: Session, participant_id: int) -> tuple[set[int], int]:
    """The notes the participant voted for, and how many of those votes still stand (on notes
    not deleted): `notes.my_votes` and `used` in one Core query, for a phone's page (its poll
    reads the same within `phone_state`'s single statement)."""
    voted: set[int] = set()
    standing = 0
    for note_id, deleted_at in db.connection().execute(
            select(col(Vote.note_id), col(Note.deleted_at)).join(Note, col(Note.id) == col(Vote.note_id))
            .where(col(Vote.participant_id) == participant_id)):
        voted.add(int(note_id))
        standing += deleted_at is None
    return voted, standing


def _note_for(db: Session, meeting: Meeting, participant: Participant, note_id: int) -> Note:
    note = db.exec(select(Note).where(  # type: ignore[call-overload]
        col(Note.id) == note_id, col(Note.meeting_id) == meeting.id,
        visible_to(meeting, participant_viewer(participant)))).scalars().first()
    if note is None:
        raise NotFound("note")
    return note


def vote(db: Session, clock: Clock, meeting: Meeting, participant: Participant, note_id: int) -> bool:
    """Give one vote to a note the participant can see; True if it was new.

    Refuses `session-not-live`, `vote-limit` (all votes used) and `NotFound` (a note they cannot see).
    """
    if meeting.status is not MeetingStatus.LIVE:
        raise DomainError("session-not-live")
    _lock(db, participant)
    note = _note_for(db, meeting, participant, note_id)
    already = db.execute(select(col(Vote.id)).where(col(Vote.note_id) == note.id,
                                                    col(Vote.participant_id) == participant.id)).first()
    if already is not None:
        return False
    if used(db, participant.id or 0) >= meeting.votes_per_participant:
        raise DomainError("vote-limit", limit=meeting.votes_per_participant)
    inserted = insert_once(db, Vote, {"uuid": new_uuid(), "meeting_id": meeting.id, "note_id": note.id,
                                      "participant_id": participant.id, "created_at": clock.now()},
                           conflict=["note_id", "participant_id"])
    if inserted:
        _touch_note(db, meeting, note)
    return inserted


def unvote(db: Session, clock: Clock, meeting: Meeting, participant: Participant, note_id: int) -> bool:
    """Take back one's vote on a note; True if there was one."""
    if meeting.status is not MeetingStatus.LIVE:
        raise DomainError("session-not-live")
    _lock(db, participant)
    result = db.execute(delete(Vote).where(col(Vote.note_id) == note_id,
                                           col(Vote.participant_id) == participant.id,
                                           col(Vote.meeting_id) == meeting.id))
    if getattr(result, "rowcount", 0):
        note = db.get(Note, note_id)
        if note is not None:
            _touch_note(db, meeting, note)
        return True
    return False


def _touch_note(db: Session, meeting: Meeting, note: Note) -> None:
    target_id = note.merged_into_id or note.id
    version = bump(db, meeting.id or 0)
    db.execute(update(Note).where(col(Note.id) == target_id).values(changed_version=version))
