"""Territories, communities, accompaniments, their facilitators (memberships) and people.

An accompaniment pairs an *asking* community with an *offering* one, in a territory. It starts at
the call stage (`lifecycle`); the offering community may be chosen later. Authorisation is the
caller's business (`access`): these functions assume the caller may act on the accompaniment,
except where they say otherwise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import Session, select

from ..clock import Clock
from ..db import StaleVersion, update_if_version
from ..models import Accompaniment, Community, Meeting, Membership, Person, StageChange, Territory, User
from .enums import PersonRole, Stage, UserRole
from .errors import DomainError

MAX_NAME = 120
MAX_TITLE = 200


def clean(text: str | None, maximum: int, code: str = "name-length", *, required: bool = True) -> str:
    """Text in NFC with collapsed spaces; `DomainError(code)` when empty (if required) or too long."""
    value = " ".join(unicodedata.normalize("NFC", text or "").split())
    if (required and not value) or len(value) > maximum:
        raise DomainError(code, maximum=maximum)
    return value


def find_or_create_territory(session: Session, clock: Clock, name: str, region: str = "", *,
                             is_demo: bool = False) -> Territory:
    """The territory with this name (case-insensitive), created if new."""
    name = clean(name, MAX_NAME, "territory-length")
    for territory in session.exec(select(Territory).where(Territory.is_demo == is_demo)).all():
        if territory.name.casefold() == name.casefold():
            return territory
    territory = Territory(name=name, region=clean(region, MAX_NAME, "region-length", required=False),
                          is_demo=is_demo, created_at=clock.now())
    session.add(territory)
    session.flush()
    return territory


def create_community(session: Session, clock: Clock, name: str, *, territory: Territory | None = None,
                     structure_id: str | None = None, description: str = "", is_demo: bool = False) -> Community:
    """A new community, optionally the kit structure it is (e.g. `structure-ardes`)."""
    community = Community(
        name=clean(name, 160, "community-length"), territory_id=territory.id if territory else None,
        structure_id=(structure_id or None), description=description.strip()[:4000], is_demo=is_demo,
        created_at=clock.now(),
    )
    session.add(community)
    session.flush()
    return community


def create_accompaniment(
    session: Session, clock: Clock, *, by: User | None, title: str, territory: Territory,
    asking: Community, offering: Community | None = None, summary: str = "", is_demo: bool = False,
) -> Accompaniment:
    """A new accompaniment at the call stage (its creation is the first `StageChange`).

    A facilitator who creates one becomes its member (so they can see it).
    """
    if offering is not None and offering.id == asking.id:
        raise DomainError("same-community")
    now = clock.now()
    accompaniment = Accompaniment(
        title=clean(title, MAX_TITLE, "title-length"), territory_id=territory.id, asking_community_id=asking.id,
        offering_community_id=offering.id if offering else None, summary=summary.strip()[:4000],
        is_demo=is_demo, created_by_id=by.id if by else None, created_at=now, stage=Stage.CALL,
    )
    session.add(accompaniment)
    session.flush()
    assert accompaniment.id is not None
    session.add(StageChange(accompaniment_id=accompaniment.id, from_stage=None, to_stage=Stage.CALL, at=now,
                            by_user_id=by.id if by else None))
    if by is not None and by.id is not None and by.role != UserRole.COORDINATOR:
        session.add(Membership(accompaniment_id=accompaniment.id, user_id=by.id, added_at=now))
    session.flush()
    return accompaniment


def pair(session: Session, clock: Clock, accompaniment: Accompaniment, offering: Community, *,
         version: int) -> None:
    """Set the offering community (conditional on `version`; `stale` if changed meanwhile)."""
    if offering.id == accompaniment.asking_community_id:
        raise DomainError("same-community")
    assert accompaniment.id is not None
    try:
        update_if_version(session, Accompaniment, accompaniment.id, version, offering_community_id=offering.id)
    except StaleVersion as error:
        raise DomainError("stale") from error
    session.refresh(accompaniment)


# -- facilitators ---------------------------------------------------------------------------------


def members(session: Session, accompaniment_id: int) -> list[User]:
    """The facilitators who are members of the accompaniment, by name."""
    return list(session.exec(
        select(User).join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(Membership.accompaniment_id == accompaniment_id).order_by(User.display_name)
    ).all())


def add_member(session: Session, clock: Clock, accompaniment_id: int, user: User) -> bool:
    """Give a facilitator access; False if they already had it."""
    assert user.id is not None
    if session.get(Membership, (accompaniment_id, user.id)) is not None:
        return False
    session.add(Membership(accompaniment_id=accompaniment_id, user_id=user.id, added_at=clock.now()))
    session.flush()
    return True


def remove_member(session: Session, accompaniment_id: int, user_id: int) -> None:
    """Take a facilitator's access away."""
    row = session.get(Membership, (accompaniment_id, user_id))
    if row is not None:
        session.delete(row)
        session.flush()


# -- people ---------------------------------------------------------------------------------------


def add_person(session: Session, clock: Clock, accompaniment: Accompaniment, *, name: str, role: PersonRole,
               community_id: int | None = None) -> Person:
    """Someone taking part, by name or pseudonym, with a role and (optionally) one of the two communities."""
    if community_id is not None and community_id not in (accompaniment.asking_community_id,
                                                         accompaniment.offering_community_id):
        raise DomainError("community-not-in-accompaniment")
    assert accompaniment.id is not None
    person = Person(accompaniment_id=accompaniment.id, name=clean(name, MAX_NAME), role=PersonRole(role),
                    community_id=community_id, created_at=clock.now())
    session.add(person)
    session.flush()
    return person


def people(session: Session, accompaniment_id: int) -> list[Person]:
    """The accompaniment's people, by role then name."""
    rows = session.exec(select(Person).where(Person.accompaniment_id == accompaniment_id)).all()
    order = {role: n for n, role in enumerate(PersonRole)}
    return sorted(rows, key=lambda p: (order[p.role], p.name.casefold(), p.id or 0))


def remove_person(session: Session, accompaniment_id: int, person_id: int) -> None:
    """Remove a person of this accompaniment (`not-found` for another accompaniment's)."""
    person = session.get(Person, person_id)
    if person is None or person.accompaniment_id != accompaniment_id:
        raise DomainError("not-found", what="person")
    session.delete(person)
    session.flush()


# -- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """An accompaniment with what its page shows."""

    accompaniment: Accompaniment
    territory: Territory | None
    asking: Community | None
    offering: Community | None
    meetings: list[Meeting]
    people: list[Person]
    members: list[User]
    history: list[StageChange]


def overview(session: Session, accompaniment: Accompaniment) -> Overview:
    """Everything the accompaniment's page shows."""
    from .lifecycle import history

    assert accompaniment.id is not None
    meetings = list(session.exec(
        select(Meeting).where(Meeting.accompaniment_id == accompaniment.id)
        .order_by(Meeting.starts_on, Meeting.id)  # type: ignore[arg-type]
    ).all())
    return Overview(
        accompaniment=accompaniment,
        territory=session.get(Territory, accompaniment.territory_id) if accompaniment.territory_id else None,
        asking=session.get(Community, accompaniment.asking_community_id) if accompaniment.asking_community_id else None,
        offering=(session.get(Community, accompaniment.offering_community_id)
                  if accompaniment.offering_community_id else None),
        meetings=meetings, people=people(session, accompaniment.id), members=members(session, accompaniment.id),
        history=history(session, accompaniment.id),
    )


def communities(session: Session, accompaniment: Accompaniment) -> list[Community]:
    """The accompaniment's communities (asking first)."""
    found = []
    for community_id in (accompaniment.asking_community_id, accompaniment.offering_community_id):
        if community_id is not None:
            community = session.get(Community, community_id)
            if community is not None:
                found.append(community)
    return found
