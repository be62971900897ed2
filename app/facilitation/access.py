"""Who may see and change what: every object route asks here before touching an object.

A coordinator sees every accompaniment; a facilitator only those they are a member of. An object
the user may not see is reported as `NotFound`, exactly like one that does not exist, so ids
cannot be probed (no IDOR). Sessions, steps, participants and notes are reached through their
accompaniment.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from ..models import Accompaniment, Meeting, Membership, User
from .enums import UserRole
from .errors import NotFound


def is_coordinator(user: User | None) -> bool:
    """True for an active coordinator account."""
    return user is not None and user.active and user.role == UserRole.COORDINATOR


def can_see(session: Session, user: User | None, accompaniment_id: int) -> bool:
    """Whether `user` may see (and work on) this accompaniment."""
    if user is None or not user.active or user.id is None:
        return False
    if is_coordinator(user):
        return True
    return session.get(Membership, (accompaniment_id, user.id)) is not None


def visible_accompaniments(user: User) -> Any:
    """A SELECT of the accompaniments `user` may see, newest first."""
    statement = select(Accompaniment)
    if not is_coordinator(user):
        statement = statement.join(Membership, Membership.accompaniment_id == Accompaniment.id).where(  # type: ignore[arg-type]
            Membership.user_id == user.id
        )
    return statement.order_by(Accompaniment.created_at.desc(), Accompaniment.id.desc())  # type: ignore[attr-defined,union-attr]


def get_accompaniment(session: Session, user: User | None, accompaniment_id: int) -> Accompaniment:
    """The accompaniment, if it exists and `user` may see it; otherwise `NotFound`."""
    accompaniment = session.get(Accompaniment, accompaniment_id)
    if accompaniment is None or not can_see(session, user, accompaniment_id):
        raise NotFound("accompaniment")
    return accompaniment


def get_meeting(session: Session, user: User | None, meeting_id: int) -> Meeting:
    """The session (meeting), if it exists and `user` may see its accompaniment; otherwise `NotFound`."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not can_see(session, user, meeting.accompaniment_id):
        raise NotFound("meeting")
    return meeting
