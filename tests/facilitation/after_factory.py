"""Rows of a finished session, created directly (the live session is another engineer's work).

`make_session(engine)` gives an accompaniment between an asking and an offering community, a
facilitator who is a member, a closed session with an agenda, participants of both communities,
notes on the grid and votes. Returns the ids in a `Made` record.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine

from app.clock import SYSTEM_CLOCK
from app.db import write_session
from app.facilitation import accounts
from app.facilitation.enums import MeetingKind, MeetingStatus, PersonRole, UserRole
from app.models import (
    Accompaniment,
    AgendaStep,
    Community,
    HalfDay,
    Meeting,
    Membership,
    Note,
    Participant,
    Territory,
    Vote,
)

DIMENSIONS = ["dim-cooperation", "dim-transition-ecologique", "dim-posture-accompagnement",
              "dim-ecosysteme-territorial", "dim-participation-citoyenne", "dim-innovation-sociale"]
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@dataclass
class Made:
    """Ids of the rows `make_session` created."""

    accompaniment_id: int
    meeting_id: int
    asking_id: int
    offering_id: int
    facilitator_email: str | None
    participant_ids: list[int] = field(default_factory=list)
    participant_tokens: list[str] = field(default_factory=list)
    note_ids: list[int] = field(default_factory=list)


def participant_token() -> tuple[str, str]:
    """A participant token and its hash (as the joining code stores it)."""
    token = secrets.token_urlsafe(24)
    return token, hashlib.sha256(token.encode()).hexdigest()


def make_session(
    engine: Engine,
    *,
    facilitator: str | None = "anim@example.org",
    notes: int = 12,
    participants: int = 4,
    texts: list[str] | None = None,
    title: str = "Visite apprenante à Ardes",
) -> Made:
    """A closed session with participants of both communities, notes and votes."""
    with write_session(engine) as db:
        territory = Territory(name="Pays d'Ardes", region="Auvergne-Rhône-Alpes")
        db.add(territory)
        db.flush()
        asking = Community(name="Commune d'Ardes", territory_id=territory.id)
        offering = Community(name="Collectif Osons", territory_id=territory.id)
        db.add_all([asking, offering])
        db.flush()
        acc = Accompaniment(title=f"Accompagnement {title}", territory_id=territory.id,
                            asking_community_id=asking.id, offering_community_id=offering.id)
        db.add(acc)
        db.flush()
        email = None
        if facilitator:
            from sqlmodel import select

            from app.models import User

            user = db.exec(select(User).where(User.email == facilitator)).first()
            if user is None:
                user = accounts.create_user(db, SYSTEM_CLOCK, email=facilitator, display_name="Camille",
                                            password="correct horse battery", role=UserRole.FACILITATOR)
            db.add(Membership(accompaniment_id=acc.id or 0, user_id=user.id or 0))
            email = facilitator
        meeting = Meeting(accompaniment_id=acc.id or 0, kind=MeetingKind.LEARNING_VISIT, title=title,
                          place="Ardes", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2),
                          status=MeetingStatus.CLOSED, join_code=secrets.token_hex(4),
                          started_at=START, closed_at=START + timedelta(hours=7))
        db.add(meeting)
        db.flush()
        half = HalfDay(meeting_id=meeting.id or 0, title="Jour 1, matin", key="j1-matin", day=date(2026, 6, 1))
        db.add(half)
        db.flush()
        steps = []
        for position, (name, minutes, actual) in enumerate(
                [("Accueil et tour de table", 30, 40), ("Carte de l'écosystème", 90, 80), ("Bilan à chaud", 30, 35)]):
            begin = START + timedelta(minutes=sum(s.planned_minutes for s in steps))
            step = AgendaStep(meeting_id=meeting.id or 0, half_day_id=half.id, position=position, title=name,
                              planned_minutes=minutes, dimensions=[DIMENSIONS[position]],
                              actual_start=begin, actual_end=begin + timedelta(minutes=actual))
            db.add(step)
            steps.append(step)
        db.flush()
        made = Made(acc.id or 0, meeting.id or 0, asking.id or 0, offering.id or 0, email)
        roles = [PersonRole.ELECTED, PersonRole.VISITOR, PersonRole.INHABITANT, PersonRole.HOST]
        people = []
        for index in range(participants):
            token, digest = participant_token()
            person = Participant(meeting_id=meeting.id or 0, token_hash=digest, name=f"Participant·e {index + 1}",
                                 role=roles[index % len(roles)],
                                 community_id=(asking.id if index % 2 == 0 else offering.id))
            db.add(person)
            people.append(person)
            made.participant_tokens.append(token)
        db.flush()
        made.participant_ids = [p.id or 0 for p in people]
        for index in range(notes):
            text = texts[index % len(texts)] if texts else f"Observation {index + 1} : le lieu partagé compte."
            author = people[index % len(people)].id
            note = Note(meeting_id=meeting.id or 0, client_key=f"k{index}", participant_id=author,
                        step_id=steps[index % len(steps)].id, dimension_id=DIMENSIONS[index % len(DIMENSIONS)],
                        text=text, created_at=START + timedelta(minutes=index))
            db.add(note)
            db.flush()
            made.note_ids.append(note.id or 0)
        for index, note_id in enumerate(made.note_ids[: min(len(made.note_ids), 6)]):
            for person in people[: (index % len(people)) + 1]:
                db.add(Vote(meeting_id=meeting.id or 0, note_id=note_id, participant_id=person.id or 0))
    return made
