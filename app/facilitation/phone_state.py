"""What a phone's poll reads about itself, in one statement.

Every phone of a busy room polls every couple of seconds. Before the wall, a poll needs the session,
the phone's participant (by its token), the current agenda step and the participant's ballot (the
notes they voted for, and how many of those votes still stand). Asked one by one, that is four
round trips to the database; here it is one: the session joined to the participant, the step
joined on the session's current step, and the ballot as two correlated subqueries.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, bindparam, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import Session

from ..db import from_row
from ..models import AgendaStep, Meeting, Note, Participant, Vote
from .joining import hash_token


@dataclass(frozen=True)
class PhoneState:
    """A session, one of its participants, its current step and that participant's ballot (all detached)."""

    meeting: Meeting
    participant: Participant
    step: AgendaStep | None
    voted: frozenset[int]
    standing_votes: int


def _columns(model: Any) -> list[str]:
    return [column.name for column in model.__table__.columns]


@cache
def _query() -> Any:
    meeting, participant, step = (Meeting.__table__, Participant.__table__,  # type: ignore[attr-defined]
                                  AgendaStep.__table__)  # type: ignore[attr-defined]
    vote, note = Vote.__table__, Note.__table__  # type: ignore[attr-defined]
    voted = (sa_select(func.aggregate_strings(cast(vote.c.note_id, String), ","))
             .where(vote.c.participant_id == participant.c.id).scalar_subquery())
    standing = (sa_select(func.count()).select_from(vote.join(note, note.c.id == vote.c.note_id))
                .where(vote.c.participant_id == participant.c.id, note.c.deleted_at.is_(None))
                .scalar_subquery())
    return (sa_select(meeting, participant, step, voted.label("voted"), cast(standing, Integer).label("standing"))
            .select_from(meeting.join(participant, participant.c.meeting_id == meeting.c.id)
                         .outerjoin(step, step.c.id == meeting.c.current_step_id))
            .where(meeting.c.uuid == bindparam("meeting"), participant.c.token_hash == bindparam("token")))


def phone_state(db: Session, meeting_uuid: str, token: str | None) -> PhoneState | None:
    """The state a phone's poll starts from, or None when the session or the token's participant is missing."""
    if not token or len(token) > 100:
        return None
    row = db.connection().execute(_query(), {"meeting": meeting_uuid, "token": hash_token(token)}).first()
    if row is None:
        return None
    values = tuple(row)
    names = (_columns(Meeting), _columns(Participant), _columns(AgendaStep))
    parts: list[tuple[Any, ...]] = []
    start = 0
    for columns in names:
        parts.append(values[start:start + len(columns)])
        start += len(columns)
    voted_text, standing = values[start], values[start + 1]
    step_values = parts[2]
    step = None if step_values[0] is None else from_row(AgendaStep, zip(names[2], step_values, strict=True))
    return PhoneState(
        meeting=from_row(Meeting, zip(names[0], parts[0], strict=True)),
        participant=from_row(Participant, zip(names[1], parts[1], strict=True)),
        step=step,
        voted=frozenset(int(part) for part in (voted_text or "").split(",") if part),
        standing_votes=int(standing or 0),
    )
