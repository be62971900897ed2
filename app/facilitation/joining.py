"""Joining a live session without an account: join codes and participant tokens.

A join code is 8 symbols from an alphabet without the characters people confuse when reading
aloud or typing on a phone (no 0/O, 1/I/L): 31 symbols, about 39.6 bits, shown as `ABCD-EFGH`.
Guessing one under the join rate limit is hopeless. A code works while its session is live and
expires when it closes.

A participant gets a random token (only its SHA-256 is stored); the phone keeps it in its session
cookie, so a phone that went to sleep, or that scans the code again, is the same participant.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import from_row
from ..models import Accompaniment, Meeting, Participant
from .enums import MeetingStatus, PersonRole
from .errors import DomainError

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
NAME_MAX = 80
#: A participant's `last_seen_at` is written at most this often (seconds), not on every poll.
TOUCH_EVERY = 30


def new_code(db: Session, rng: random.Random | None = None) -> str:
    """A join code no other session uses."""
    chooser = rng or secrets.SystemRandom()
    for _attempt in range(20):
        code = "".join(chooser.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if db.exec(select(Meeting.id).where(Meeting.join_code == code)).first() is None:
            return code
    raise DomainError("busy")  # pragma: no cover - 31**8 codes


def normalise_code(typed: str) -> str | None:
    """The code as stored (upper case, separators dropped), or None if it cannot be one."""
    text = "".join(ch for ch in typed.upper() if ch not in " -._\u00a0\t")
    if len(text) != CODE_LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def display_code(code: str) -> str:
    """`ABCDEFGH` as `ABCD-EFGH`, to read aloud and type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def meeting_for_code(db: Session, typed: str) -> Meeting:
    """The live session a typed or scanned code opens.

    Raises `code-invalid` (not a possible code), `code-unknown` (no session has it) or
    `code-expired` (its session is closed).
    """
    code = normalise_code(typed)
    if code is None:
        raise DomainError("code-invalid")
    meeting = db.exec(select(Meeting).where(Meeting.join_code == code)).first()
    if meeting is None:
        raise DomainError("code-unknown")
    if meeting.status is not MeetingStatus.LIVE:
        raise DomainError("code-expired")
    return meeting


def hash_token(token: str) -> str:
    """What the database keeps of a participant token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class JoinForm:
    """What a participant gives when joining (already parsed from the form)."""

    name: str
    role: str
    community_id: int | None


def communities_of(db: Session, meeting: Meeting) -> list[int]:
    """Ids of the communities a participant of this session may say they come from."""
    accompaniment = db.get(Accompaniment, meeting.accompaniment_id)
    if accompaniment is None:
        return []
    return [cid for cid in (accompaniment.asking_community_id, accompaniment.offering_community_id)
            if cid is not None]


def clean_name(raw: str) -> str:
    """A name or pseudonym without control characters or surrounding space."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", raw)
                   if unicodedata.category(ch)[0] != "C")
    return " ".join(text.split())


def join(db: Session, clock: Clock, meeting: Meeting, form: JoinForm) -> tuple[Participant, str]:
    """Add a participant to a live session; returns the row and the token for their cookie.

    Refuses `name-missing`, `name-too-long`, `bad-role`, `bad-community` and `code-expired`.
    """
    from ..db import bump_version

    if meeting.status is not MeetingStatus.LIVE:
        raise DomainError("code-expired")
    name = clean_name(form.name)
    if not name:
        raise DomainError("name-missing")
    if len(name) > NAME_MAX:
        raise DomainError("name-too-long", max=NAME_MAX)
    try:
        role = PersonRole(form.role)
    except ValueError:
        raise DomainError("bad-role") from None
    if form.community_id is not None and form.community_id not in communities_of(db, meeting):
        raise DomainError("bad-community")
    token = secrets.token_urlsafe(32)
    now = clock.now()
    participant = Participant(meeting_id=meeting.id or 0, token_hash=hash_token(token), name=name,
                              role=role, community_id=form.community_id, joined_at=now, last_seen_at=now)
    db.add(participant)
    db.flush()
    bump_version(db, Meeting, meeting.id)  # the console's list of who is present changed
    return participant, token


def participant_for_token(db: Session, meeting_id: int, token: str | None) -> Participant | None:
    """The participant of this session whose token this is, or None."""
    if not token or len(token) > 100:
        return None
    return db.exec(select(Participant).where(Participant.token_hash == hash_token(token),
                                             Participant.meeting_id == meeting_id)).first()


@cache
def _session_and_participant_query() -> Any:
    meeting, participant = Meeting.__table__, Participant.__table__  # type: ignore[attr-defined]
    return (sa_select(meeting, participant).join(participant, participant.c.meeting_id == meeting.c.id)
            .where(meeting.c.uuid == bindparam("meeting"), participant.c.token_hash == bindparam("token")))


def session_and_participant(db: Session, meeting_uuid: str, token: str | None) -> tuple[Meeting, Participant] | None:
    """The session with this uuid and its participant holding `token`, in one query; None if either is missing.

    The rows come back detached. This is the first step of every request a phone makes while the
    room is busy (posting, polling), so it runs one prebuilt Core statement instead of an ORM query.
    """
    if not token or len(token) > 100:
        return None
    row = db.connection().execute(_session_and_participant_query(),
                                  {"meeting": meeting_uuid, "token": hash_token(token)}).first()
    if row is None:
        return None
    values = tuple(row)
    meeting_columns = [column.name for column in Meeting.__table__.columns]  # type: ignore[attr-defined]
    participant_columns = [column.name for column in Participant.__table__.columns]  # type: ignore[attr-defined]
    split = len(meeting_columns)
    return (from_row(Meeting, zip(meeting_columns, values[:split], strict=True)),
            from_row(Participant, zip(participant_columns, values[split:], strict=True)))


def touch(db: Session, clock: Clock, participant: Participant) -> bool:
    """Record that the participant's phone is here (at most every `TOUCH_EVERY` s); True if written."""
    now = clock.now()
    if (now - participant.last_seen_at).total_seconds() < TOUCH_EVERY:
        return False
    db.execute(update(Participant).where(col(Participant.id) == participant.id).values(last_seen_at=now))
    return True
