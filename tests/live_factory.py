"""A planned session made directly in the database, for live-session tests (no planning pages needed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from app.db import write_session
from app.facilitation.enums import MeetingKind
from app.models import Accompaniment, AgendaStep, Community, HalfDay, Meeting, Membership

DIMENSIONS = ["dim-cooperation", "dim-participation-citoyenne", "dim-innovation-sociale"]
POSTURES = ["posture-accompagnement-horizontal", "posture-clarifier-l-objet-de-la-visite"]


@dataclass(frozen=True)
class PlannedSession:
    """Ids of what `planned_session` created."""

    accompaniment_id: int
    meeting_id: int
    meeting_uuid: str
    step_ids: list[int]
    asking_id: int
    offering_id: int


def planned_session(engine: Engine, *, member_id: int | None = None, title: str = "Visite apprenante à Riom",
                    votes: int = 3, notes_hidden: bool = True) -> PlannedSession:
    """An accompaniment with two communities and a planned learning visit of three steps.

    `member_id` (a user id) is made a member of the accompaniment.
    """
    with write_session(engine) as db:
        asking = Community(name="Collectif des Combrailles")
        offering = Community(name="Pôle ESS du Pays de Riom")
        db.add(asking)
        db.add(offering)
        db.flush()
        accompaniment = Accompaniment(title="Accompagnement Combrailles", asking_community_id=asking.id,
                                      offering_community_id=offering.id)
        db.add(accompaniment)
        db.flush()
        if member_id is not None:
            db.add(Membership(accompaniment_id=accompaniment.id or 0, user_id=member_id))
        meeting = Meeting(accompaniment_id=accompaniment.id or 0, kind=MeetingKind.LEARNING_VISIT, title=title,
                          place="Salle des fêtes", votes_per_participant=votes, notes_hidden=notes_hidden)
        db.add(meeting)
        db.flush()
        morning = HalfDay(meeting_id=meeting.id or 0, position=0, key="j1-matin", title="Jour 1, matin")
        db.add(morning)
        db.flush()
        specs = [
            ("Accueil croisé et attentes", "Chaque communauté se présente et dit ce qu’elle espère apprendre.",
             20, DIMENSIONS[:1], POSTURES),
            ("Le territoire se raconte", "La communauté demandeuse présente son territoire ; questions de la grille.",
             45, DIMENSIONS, POSTURES[1:]),
            ("Retour croisé", "Chacun·e dit ce qu’il ou elle retient.", 15, DIMENSIONS[1:], []),
        ]
        steps = []
        for position, (name, instructions, minutes, dims, postures) in enumerate(specs):
            step = AgendaStep(meeting_id=meeting.id or 0, half_day_id=morning.id, position=position, title=name,
                              instructions=instructions, planned_minutes=minutes, dimensions=list(dims),
                              postures=list(postures))
            db.add(step)
            steps.append(step)
        db.flush()
        return PlannedSession(accompaniment.id or 0, meeting.id or 0, meeting.uuid,
                              [s.id or 0 for s in steps], asking.id or 0, offering.id or 0)
