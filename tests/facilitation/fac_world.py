"""A small world for facilitation domain tests: users, two communities, an accompaniment."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from app.clock import FrozenClock
from app.db import write_session
from app.facilitation import accompaniments
from app.facilitation.enums import UserRole
from app.models import User


@dataclass
class World:
    """Ids of what `build` created."""

    coordinator: User
    facilitator: User
    outsider: User
    accompaniment_id: int
    asking_id: int
    offering_id: int


def build(engine: Engine, clock: FrozenClock, *, paired: bool = True) -> World:
    """A coordinator, a member facilitator, another facilitator, and one accompaniment."""
    with write_session(engine) as db:
        users = []
        for email, role in (("coord@example.org", UserRole.COORDINATOR), ("anim@example.org", UserRole.FACILITATOR),
                            ("autre@example.org", UserRole.FACILITATOR)):
            user = User(email=email, display_name=email.split("@")[0], password_hash="x", role=role)
            db.add(user)
            users.append(user)
        db.flush()
        territory = accompaniments.find_or_create_territory(db, clock, "Pays de Test", "Occitanie")
        asking = accompaniments.create_community(db, clock, "Collectif demandeur", territory=territory)
        offering = accompaniments.create_community(db, clock, "ARDES", structure_id="structure-ardes")
        accompaniment = accompaniments.create_accompaniment(
            db, clock, by=users[1], title="Pays de Test", territory=territory, asking=asking,
            offering=offering if paired else None)
        for user in users:
            db.expunge(user)
        assert accompaniment.id and asking.id and offering.id
        return World(users[0], users[1], users[2], accompaniment.id, asking.id, offering.id)
