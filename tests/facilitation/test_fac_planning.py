"""Planning a session: from a template or an activity sheet, then moving, retiming, removing steps."""

from __future__ import annotations

import pytest
from fac_world import build
from sqlalchemy.engine import Engine

from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import planning
from app.facilitation.enums import MeetingKind
from app.facilitation.errors import DomainError
from app.kit import Kit
from app.models import Accompaniment, Meeting

TEMPLATE = planning.Template(
    id="protocole-test", title="Test", kind=MeetingKind.LEARNING_VISIT,
    half_days=(
        planning.TemplateHalfDay("j1-matin", "Jour 1, matin", 60, (
            planning.TemplateStep("Accueil", 20, activity_id="activite-x", address="activite-x.accueil",
                                  dimensions=("dim-cooperation",)),
            planning.TemplateStep("Récit", 30),
        )),
        planning.TemplateHalfDay("j1-apres-midi", "Jour 1, après-midi", 90, (
            planning.TemplateStep("Terrain", 60),
        )),
    ),
)


def _titles(engine: Engine, meeting_id: int) -> list[list[str]]:
    with read_session(engine) as db:
        return [[s.title for s in plan.steps] for plan in planning.agenda(db, meeting_id)]


def _plan(engine: Engine) -> tuple[int, FrozenClock]:
    clock = FrozenClock()
    world = build(engine, clock)
    from datetime import date

    with write_session(engine) as db:
        accompaniment = db.get(Accompaniment, world.accompaniment_id)
        assert accompaniment is not None
        meeting = planning.create_meeting(db, clock, accompaniment, kind=MeetingKind.LEARNING_VISIT,
                                          title="Visite", place="Ardes", starts_on=date(2026, 6, 2),
                                          ends_on=date(2026, 6, 3), template=TEMPLATE)
        assert meeting.id is not None
        return meeting.id, clock


def _step(db, meeting_id: int, title: str):  # type: ignore[no-untyped-def]
    return next(s for p in planning.agenda(db, meeting_id) for s in p.steps if s.title == title)


def test_a_session_planned_from_a_template_has_its_half_days_and_steps(engine: Engine) -> None:
    meeting_id, _clock = _plan(engine)
    with read_session(engine) as db:
        plans = planning.agenda(db, meeting_id)
        assert [(p.half_day.key, p.available, p.total, p.overrun) for p in plans if p.half_day] == [
            ("j1-matin", 60, 50, 0), ("j1-apres-midi", 90, 60, 0)]
        first = plans[0].steps[0]
        assert (first.activity_step_id, first.dimensions, first.planned_minutes) == (
            "activite-x.accueil", ["dim-cooperation"], 20)
        assert [o[1:] for o in plans[0].offsets()] == [(0, 20), (20, 50)]
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None and meeting.template_id == "protocole-test"


def test_moving_steps_within_and_across_half_days(engine: Engine) -> None:
    meeting_id, _clock = _plan(engine)
    moves = [("Récit", "up", [["Récit", "Accueil"], ["Terrain"]]),
             ("Accueil", "down", [["Récit"], ["Accueil", "Terrain"]]),   # crosses into the afternoon
             ("Terrain", "down", [["Récit"], ["Accueil", "Terrain"]]),   # last place: nothing moves
             ("Accueil", "up", [["Récit", "Accueil"], ["Terrain"]]),     # back to the morning's end
             ("Récit", "up", [["Récit", "Accueil"], ["Terrain"]])]       # first place: nothing moves
    for title, direction, expected in moves:
        with write_session(engine) as db:
            meeting = db.get(Meeting, meeting_id)
            planning.move_step(db, meeting, _step(db, meeting_id, title), direction)  # type: ignore[arg-type]
        assert _titles(engine, meeting_id) == expected, (title, direction)
    with read_session(engine) as db:
        positions = [[s.position for s in p.steps] for p in planning.agenda(db, meeting_id)]
    assert positions == [[0, 1], [0]]


def test_retiming_shows_the_overrun_and_edits_bump_the_version(engine: Engine) -> None:
    meeting_id, _clock = _plan(engine)
    with write_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        before = meeting.version
        planning.retime_step(db, meeting, _step(db, meeting_id, "Récit"), 55)
        assert meeting.version == before + 1
        with pytest.raises(DomainError) as wrong:
            planning.retime_step(db, meeting, _step(db, meeting_id, "Récit"), 0)
        assert wrong.value.code == "minutes-range"
    with read_session(engine) as db:
        morning = planning.agenda(db, meeting_id)[0]
    assert (morning.total, morning.overrun) == (75, 15)


def test_add_remove_and_attach_dimensions_and_postures(engine: Engine, kit: Kit) -> None:
    meeting_id, _clock = _plan(engine)
    dims = [i.id for i in kit.by_type("dimension")]
    postures = [i.id for i in kit.by_type("posture")]
    with write_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        assert meeting is not None
        afternoon = planning.agenda(db, meeting_id)[1].half_day
        assert afternoon is not None
        added = planning.add_step(db, meeting, afternoon, title="Bilan à chaud", minutes=25)
        planning.edit_step(db, meeting, added, title="Bilan à chaud", minutes=30, instructions="Tour de table",
                           dimensions=[dims[0]], postures=[postures[0]], known_dimensions=dims,
                           known_postures=postures)
        with pytest.raises(DomainError) as unknown:
            planning.edit_step(db, meeting, added, title="x", minutes=5, instructions="", dimensions=["dim-nope"],
                               postures=[], known_dimensions=dims, known_postures=postures)
        assert unknown.value.code == "link-unknown"
        planning.remove_step(db, meeting, _step(db, meeting_id, "Accueil"))
    assert _titles(engine, meeting_id) == [["Récit"], ["Terrain", "Bilan à chaud"]]
    with read_session(engine) as db:
        step = _step(db, meeting_id, "Bilan à chaud")
        assert (step.dimensions, step.postures, step.planned_minutes, step.position) == (
            [dims[0]], [postures[0]], 30, 1)
        assert _step(db, meeting_id, "Récit").position == 0


def test_a_step_of_another_session_is_not_found(engine: Engine) -> None:
    meeting_id, clock = _plan(engine)
    with write_session(engine) as db:
        meeting = db.get(Meeting, meeting_id)
        accompaniment = db.get(Accompaniment, meeting.accompaniment_id)  # type: ignore[union-attr]
        other = planning.create_meeting(db, clock, accompaniment, kind=MeetingKind.STEERING_MEETING,  # type: ignore[arg-type]
                                        title="Comité")
        step = _step(db, meeting_id, "Accueil")
        with pytest.raises(DomainError) as missing:
            planning.get_step(db, other, step.id)  # type: ignore[arg-type]
        assert missing.value.code == "not-found"
        assert planning.agenda(db, other.id)[0].steps == []  # type: ignore[arg-type]


def test_an_activity_sheet_is_a_one_half_day_template(kit: Kit) -> None:
    template = planning.template_from_activity(kit, "activite-j1-matin-ecosysteme")
    (half_day,) = template.half_days
    activity = kit.get("activite-j1-matin-ecosysteme")
    assert activity is not None
    assert [s.title for s in half_day.steps] == [e.titre for e in activity.get("etapes")]
    assert half_day.minutes == 210 and sum(s.minutes for s in half_day.steps) == 210
    assert all(s.activity_id == activity.id for s in half_day.steps)
    with pytest.raises(DomainError):
        planning.template_from_activity(kit, "fiche-innovation-sociale")


def test_the_learning_visit_protocol_of_the_kit_becomes_four_half_days(kit: Kit) -> None:
    template = planning.template_from_protocol(kit, "protocole-visite-apprenante")
    assert template.kind == MeetingKind.LEARNING_VISIT
    assert [h.key for h in template.half_days] == ["j1-matin", "j1-apres-midi", "j2-matin", "j2-apres-midi"]
    morning = template.half_days[0]
    activity = kit.get("activite-j1-matin-ecosysteme")
    assert activity is not None
    first = morning.steps[0]
    assert first.address == "activite-j1-matin-ecosysteme.accueil" and first.activity_id == activity.id
    assert (first.title, first.minutes) == (activity.steps[0].titre, activity.steps[0].minutes)
    assert first.dimensions == tuple(activity.dimensions)
    lunch = morning.steps[-1]
    assert (lunch.title, lunch.minutes, lunch.address) == ("Déjeuner", 60, None)
    assert morning.minutes == 270
    with pytest.raises(DomainError) as missing:
        planning.resolve_step(kit, "activite-j1-matin-ecosysteme.nulle-part")
    assert missing.value.code == "template-step-missing"
    with pytest.raises(DomainError):
        planning.template_from_protocol(kit, "activite-j1-matin-ecosysteme")
