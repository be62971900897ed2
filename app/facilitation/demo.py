"""Demo data: a clearly labelled demo accompaniment between two real structures of the kit.

`create_demo` is idempotent (a second run finds what the first made); `remove_demo` deletes every
demo row. People are shown by their role and a numbered pseudonym: nobody is invented by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from ..clock import Clock
from ..models import Accompaniment, Community, Meeting, Territory, User
from . import accompaniments, accounts, lifecycle, planning
from .enums import MeetingKind, PersonRole, Stage, UserRole
from .errors import DomainError

DEMO_EMAIL = "demo-animation@mallette.invalid"
DEMO_PASSWORD = "demo-mallette"  # a local demo account, member of the demo accompaniment only
ASKING_STRUCTURE = "structure-pes21"
OFFERING_STRUCTURE = "structure-ardes"
PROTOCOL = "protocole-visite-apprenante"
FALLBACK_ACTIVITY = "activite-j1-matin-ecosysteme"
PEOPLE = (
    (PersonRole.VISITOR, "Visiteur·se 1", "asking"), (PersonRole.VISITOR, "Visiteur·se 2", "asking"),
    (PersonRole.ELECTED, "Élu·e 1", "asking"), (PersonRole.INHABITANT, "Habitant·e 1", "asking"),
    (PersonRole.HOST, "Accueil 1", "offering"), (PersonRole.HOST, "Accueil 2", "offering"),
    (PersonRole.FUNDER, "Financeur 1", None), (PersonRole.RESEARCHER, "Chercheur·se 1", None),
)


@dataclass(frozen=True)
class DemoResult:
    """What the demo command prints."""

    email: str
    password: str
    accompaniment_id: int
    created: bool


def _structure_title(kit: Any, structure_id: str) -> str:
    item = kit.get(structure_id)
    if item is None:
        raise DomainError("template-unknown", template=structure_id)
    return str(item.title)


def create_demo(session: Session, clock: Clock, kit: Any) -> DemoResult:
    """Create the demo accompaniment, its people, a planned learning visit and the demo account (once)."""
    user = session.exec(select(User).where(User.email == DEMO_EMAIL)).first()
    if user is None:
        user = accounts.create_user(session, clock, email=DEMO_EMAIL, display_name="Animation démo",
                                    password=DEMO_PASSWORD, role=UserRole.FACILITATOR)
    existing = session.exec(select(Accompaniment).where(Accompaniment.is_demo == True)).first()  # noqa: E712
    if existing is not None and existing.id is not None:
        accompaniments.add_member(session, clock, existing.id, user)
        return DemoResult(DEMO_EMAIL, DEMO_PASSWORD, existing.id, created=False)
    asking_name = _structure_title(kit, ASKING_STRUCTURE)
    offering_name = _structure_title(kit, OFFERING_STRUCTURE)
    territory = accompaniments.find_or_create_territory(session, clock, "Territoire de démonstration", is_demo=True)
    asking = accompaniments.create_community(session, clock, asking_name, territory=territory,
                                             structure_id=ASKING_STRUCTURE, is_demo=True)
    offering = accompaniments.create_community(session, clock, offering_name, structure_id=OFFERING_STRUCTURE,
                                               is_demo=True)
    accompaniment = accompaniments.create_accompaniment(
        session, clock, by=None, title=f"Démo : {asking_name} accompagnée par {offering_name}", territory=territory,
        asking=asking, offering=offering, is_demo=True,
        summary="Accompagnement de démonstration, pour découvrir la mallette : rien n'y est réel.")
    assert accompaniment.id is not None
    for stage in (Stage.CHOSEN, Stage.PREPARATION):
        lifecycle.transition(session, clock, accompaniment, stage, by=None, version=accompaniment.version,
                             comment="démo")
    sides = {"asking": asking.id, "offering": offering.id, None: None}
    for role, pseudonym, side in PEOPLE:
        accompaniments.add_person(session, clock, accompaniment, name=pseudonym, role=role,
                                  community_id=sides[side])
    accompaniments.add_member(session, clock, accompaniment.id, user)
    if kit.get(PROTOCOL) is not None:
        template = planning.template_from_protocol(kit, PROTOCOL)
    else:
        template = planning.template_from_activity(kit, FALLBACK_ACTIVITY)
    start = (clock.now() + timedelta(days=30)).date()
    planning.create_meeting(session, clock, accompaniment, kind=template.kind or MeetingKind.LEARNING_VISIT,
                            title="Démo : visite apprenante", place=offering_name, starts_on=start,
                            ends_on=start + timedelta(days=1), template=template)
    return DemoResult(DEMO_EMAIL, DEMO_PASSWORD, accompaniment.id, created=True)


def remove_demo(session: Session) -> int:
    """Delete every demo row and the demo account; the number of demo accompaniments removed."""
    demo_ids = [a.id for a in session.exec(select(Accompaniment).where(Accompaniment.is_demo == True)).all()]  # noqa: E712
    if demo_ids:
        session.execute(delete(Meeting).where(Meeting.accompaniment_id.in_(demo_ids)))  # type: ignore[attr-defined]
        session.execute(delete(Accompaniment).where(Accompaniment.id.in_(demo_ids)))  # type: ignore[union-attr]
    session.execute(delete(Community).where(Community.is_demo == True))  # type: ignore[arg-type]  # noqa: E712
    session.execute(delete(Territory).where(Territory.is_demo == True))  # type: ignore[arg-type]  # noqa: E712
    session.execute(delete(User).where(User.email == DEMO_EMAIL))  # type: ignore[arg-type]
    return len(demo_ids)
