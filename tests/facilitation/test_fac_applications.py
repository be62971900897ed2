"""Applications to the call: stored once per key, every problem reported, chosen into an accompaniment."""

from __future__ import annotations

import pytest
from fac_world import build
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from app.clock import FrozenClock
from app.db import alembic_config, read_session, write_session
from app.facilitation import accompaniments, applications, lifecycle
from app.facilitation.enums import PersonRole, Stage
from app.facilitation.errors import DomainError
from app.models import CallApplication, Community, User

GOOD = applications.Answers(
    applicant_name="Dominique", applicant_role="Élue à la vie associative", organisation="Mairie de Test",
    email="elue@example.org", territory_name="Pays de Test", region="Occitanie",
    demand="Nous voulons faire vivre une épicerie solidaire avec les habitant·es.",
    diagnosis={code: {"level": "oui", "comment": ""} for code in applications.DIAGNOSIS},
)


def test_a_retried_submission_lands_once(engine: Engine) -> None:
    clock = FrozenClock()
    key = applications.new_idempotency_key()
    with write_session(engine) as db:
        first, inserted = applications.submit(db, clock, key, GOOD)
        reference = first.reference
    with write_session(engine) as db:
        again, inserted_again = applications.submit(db, clock, key, GOOD)
        again_reference = again.reference
    assert (inserted, inserted_again) == (True, False)
    assert again_reference == reference and reference.startswith("AMI-")
    with read_session(engine) as db:
        assert db.execute(select(func.count()).select_from(CallApplication)).scalar() == 1


def test_every_problem_is_reported_and_nothing_stored(engine: Engine) -> None:
    bad = applications.Answers(applicant_name="", applicant_role="x" * 200, organisation="", email="pas-une-adresse",
                               territory_name="T", region="", demand="court",
                               diagnosis={"elus": {"level": "peut-être"}})
    with write_session(engine) as db, pytest.raises(DomainError) as refused:
        applications.submit(db, FrozenClock(), applications.new_idempotency_key(), bad)
    assert refused.value.params["problems"] == {
        "applicant_name": "required", "applicant_role": "too-long", "email": "email-invalid", "demand": "too-short",
        "diag_elus": "required", "diag_initiatives": "required", "diag_communaute": "required",
        "diag_besoin": "required"}
    with read_session(engine) as db:
        assert db.execute(select(func.count()).select_from(CallApplication)).scalar() == 0


def test_choosing_an_application_makes_a_chosen_accompaniment_once(engine: Engine) -> None:
    clock = FrozenClock()
    world = build(engine, clock)
    with write_session(engine) as db:
        application, _ = applications.submit(db, clock, applications.new_idempotency_key(), GOOD)
        coordinator = db.get(User, world.coordinator.id)
        assert coordinator is not None
        accompaniment = applications.choose(db, clock, application, coordinator)
        assert accompaniment.stage == Stage.CHOSEN
        assert [h.to_stage for h in lifecycle.history(db, accompaniment.id)] == [Stage.CALL, Stage.CHOSEN]  # type: ignore[arg-type]
        asking = db.get(Community, accompaniment.asking_community_id)
        assert asking is not None and asking.name == "Mairie de Test"
        assert accompaniment.territory_id == world_territory(db, "Pays de Test")  # the same territory, reused
        with pytest.raises(DomainError) as twice:
            applications.choose(db, clock, application, coordinator)
        assert twice.value.code == "application-already-chosen"
        assert application.status == "chosen" and application.accompaniment_id == accompaniment.id


def world_territory(db, name: str) -> int:  # type: ignore[no-untyped-def]
    from app.models import Territory

    (territory,) = [t for t in db.exec(select(Territory)).scalars().all() if t.name == name]
    return territory.id


def test_people_and_members(engine: Engine) -> None:
    clock = FrozenClock()
    world = build(engine, clock)
    with write_session(engine) as db:
        from app.models import Accompaniment

        accompaniment = db.get(Accompaniment, world.accompaniment_id)
        assert accompaniment is not None
        accompaniments.add_person(db, clock, accompaniment, name="Hôte·sse 1", role=PersonRole.HOST,
                                  community_id=world.offering_id)
        accompaniments.add_person(db, clock, accompaniment, name="Visiteur·se 1", role=PersonRole.VISITOR)
        with pytest.raises(DomainError):
            accompaniments.add_person(db, clock, accompaniment, name="X", role=PersonRole.HOST, community_id=999)
        assert accompaniments.add_member(db, clock, world.accompaniment_id, world.outsider) is True
        assert accompaniments.add_member(db, clock, world.accompaniment_id, world.outsider) is False
        assert [u.email for u in accompaniments.members(db, world.accompaniment_id)] == [
            "anim@example.org", "autre@example.org"]
        assert [p.role for p in accompaniments.people(db, world.accompaniment_id)] == [PersonRole.VISITOR,
                                                                                        PersonRole.HOST]


def test_the_migration_goes_down_to_the_previous_head_and_up_again(engine: Engine) -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert "call_application" not in inspect(engine).get_table_names()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    assert "call_application" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM call_application")).scalar() == 0


def test_the_schema_matches_the_models(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert [d for d in diff if "call_application" in repr(d) or "agenda_pdf" in repr(d)] == []


def test_the_demo_is_created_once_and_removed_entirely(engine: Engine, kit) -> None:  # type: ignore[no-untyped-def]
    from app.facilitation import demo
    from app.models import Accompaniment, HalfDay, Meeting, Person, Territory

    clock = FrozenClock()
    with write_session(engine) as db:
        first = demo.create_demo(db, clock, kit)
    with write_session(engine) as db:
        second = demo.create_demo(db, clock, kit)
    assert (first.created, second.created, first.accompaniment_id) == (True, False, second.accompaniment_id)
    with read_session(engine) as db:
        accompaniment = db.get(Accompaniment, first.accompaniment_id)
        assert accompaniment is not None and accompaniment.is_demo and accompaniment.stage == Stage.PREPARATION
        names = sorted(c.structure_id for c in db.exec(select(Community)).scalars().all())  # type: ignore[call-overload]
        assert names == ["structure-ardes", "structure-pes21"]
        people = db.exec(select(Person)).scalars().all()  # type: ignore[call-overload]
        assert {p.role for p in people} >= {PersonRole.VISITOR, PersonRole.HOST} and all(
            any(ch.isdigit() for ch in p.name) for p in people)  # pseudonyms, nobody invented by name
        assert db.execute(select(func.count()).select_from(HalfDay)).scalar() == 4
    with write_session(engine) as db:
        assert demo.remove_demo(db) == 1
    with read_session(engine) as db:
        for model in (Accompaniment, Meeting, Community, Territory, User):
            assert db.execute(select(func.count()).select_from(model)).scalar() == 0, model
