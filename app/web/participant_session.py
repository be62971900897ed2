"""Which participant this phone is, from its session cookie.

Participants have no account. Joining a session stores a random token in the signed Flask session
cookie, keyed by the session's uuid (`session["participants"] = {meeting_uuid: token}`); only its
hash is in the database. A phone that slept, reloads, or scans the join code again is the same
participant, and one phone can take part in several sessions.

Use `current_participant(meeting)` in any view that serves a participant (notes, votes, impression
notes): it returns the detached `Participant` row of this phone for that meeting, or None.
"""

from __future__ import annotations

from flask import session

from ..db import read_session, write_session
from ..facilitation import joining
from ..models import Meeting, Participant
from .context import clock, engine

COOKIE_KEY = "participants"
#: At most this many sessions are remembered per phone (the oldest is forgotten first).
MAX_REMEMBERED = 20


def participant_token(meeting: Meeting) -> str | None:
    """The token this phone holds for `meeting`, if any."""
    tokens = session.get(COOKIE_KEY)
    if not isinstance(tokens, dict):
        return None
    token = tokens.get(meeting.uuid)
    return token if isinstance(token, str) else None


def current_participant(meeting: Meeting, *, touch: bool = True) -> Participant | None:
    """The participant this phone is in `meeting` (a detached row), or None.

    With `touch`, the participant's `last_seen_at` is refreshed (at most every 30 s) so the console
    knows who is present.
    """
    token = participant_token(meeting)
    if token is None or meeting.id is None:
        return None
    with read_session(engine()) as db:
        participant = joining.participant_for_token(db, meeting.id, token)
        if participant is None:
            return None
        db.expunge(participant)
    if touch and (clock().now() - participant.last_seen_at).total_seconds() >= joining.TOUCH_EVERY:
        with write_session(engine()) as db:
            joining.touch(db, clock(), participant)
    return participant


def remember_participant(meeting: Meeting, token: str) -> None:
    """Keep the participant token of `meeting` in this phone's session cookie."""
    tokens = session.get(COOKIE_KEY)
    tokens = dict(tokens) if isinstance(tokens, dict) else {}
    tokens.pop(meeting.uuid, None)
    tokens[meeting.uuid] = token
    while len(tokens) > MAX_REMEMBERED:
        tokens.pop(next(iter(tokens)))
    session[COOKIE_KEY] = tokens
    session.permanent = True  # survives closing the browser (PERMANENT_SESSION_LIFETIME)


def forget_participant(meeting: Meeting) -> None:
    """Drop this phone's token for `meeting` (leaving the session)."""
    tokens = session.get(COOKIE_KEY)
    if isinstance(tokens, dict) and meeting.uuid in tokens:
        tokens = dict(tokens)
        tokens.pop(meeting.uuid)
        session[COOKIE_KEY] = tokens
