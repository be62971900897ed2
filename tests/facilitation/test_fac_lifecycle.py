"""The accompaniment lifecycle: every allowed and every refused transition, history, stale writers."""

from __future__ import annotations

import itertools

import pytest
from fac_world import build
from sqlalchemy import update
from sqlalchemy.engine import Engine

from app.clock import FrozenClock
from app.db import read_session, write_session
from app.facilitation import lifecycle
from app.facilitation.enums import Stage
from app.facilitation.errors import DomainError
from app.models import Accompaniment

#: The expected table, written out independently of `lifecycle.TRANSITIONS`.
ALLOWED = {
    ("appel", "choisi"), ("choisi", "preparation"), ("choisi", "appel"), ("preparation", "visite"),
    ("preparation", "choisi"), ("visite", "apres-visite"), ("visite", "preparation"),
    ("apres-visite", "capitalise"), ("apres-visite", "visite"),
}


def test_every_transition_is_allowed_or_refused_as_the_table_says(engine: Engine) -> None:
    clock = FrozenClock()
    world = build(engine, clock)
    outcomes = {}
    for source, target in itertools.product(Stage, Stage):
        with write_session(engine) as db:
            db.execute(update(Accompaniment).where(Accompaniment.id == world.accompaniment_id)  # type: ignore[arg-type]
                       .values(stage=source))
            accompaniment = db.get(Accompaniment, world.accompaniment_id)
            assert accompaniment is not None
            try:
                change = lifecycle.transition(db, clock, accompaniment, target, by=world.facilitator,
                                              version=accompaniment.version, comment=" ok ")
            except DomainError as error:
                assert error.code == "stage-refused"
                outcomes[(source.value, target.value)] = False
                assert accompaniment.stage == source
            else:
                outcomes[(source.value, target.value)] = True
                assert (change.from_stage, change.to_stage, change.by_user_id) == (source, target, world.facilitator.id)
                assert change.at == clock.now() and change.comment == "ok"
                assert db.get(Accompaniment, world.accompaniment_id).stage == target  # type: ignore[union-attr]
        clock.advance(60)
    assert {pair for pair, ok in outcomes.items() if ok} == ALLOWED
    assert len(outcomes) == 36
    with read_session(engine) as db:
        history = lifecycle.history(db, world.accompaniment_id)
    # the creation, then one row per allowed move, in order
    assert history[0].from_stage is None and history[0].to_stage == Stage.CALL
    assert [(h.from_stage.value, h.to_stage.value) for h in history[1:] if h.from_stage] == [
        pair for pair in outcomes if outcomes[pair]]


def test_preparation_needs_both_communities(engine: Engine) -> None:
    clock = FrozenClock()
    world = build(engine, clock, paired=False)
    with write_session(engine) as db:
        accompaniment = db.get(Accompaniment, world.accompaniment_id)
        assert accompaniment is not None
        lifecycle.transition(db, clock, accompaniment, Stage.CHOSEN, by=world.coordinator,
                             version=accompaniment.version)
        with pytest.raises(DomainError) as refused:
            lifecycle.transition(db, clock, accompaniment, Stage.PREPARATION, by=world.coordinator,
                                 version=accompaniment.version)
    assert refused.value.code == "stage-needs-pair"


def test_a_stale_version_is_refused_and_nothing_is_recorded(engine: Engine) -> None:
    clock = FrozenClock()
    world = build(engine, clock)
    with write_session(engine) as db:
        accompaniment = db.get(Accompaniment, world.accompaniment_id)
        assert accompaniment is not None
        old = accompaniment.version
        lifecycle.transition(db, clock, accompaniment, Stage.CHOSEN, by=world.facilitator, version=old)
    with write_session(engine) as db:
        accompaniment = db.get(Accompaniment, world.accompaniment_id)
        assert accompaniment is not None
        accompaniment.stage = Stage.CHOSEN
        with pytest.raises(DomainError) as stale:
            lifecycle.transition(db, clock, accompaniment, Stage.PREPARATION, by=world.coordinator, version=old)
    assert stale.value.code == "stale"
    with read_session(engine) as db:
        assert [h.to_stage for h in lifecycle.history(db, world.accompaniment_id)] == [Stage.CALL, Stage.CHOSEN]
        assert db.get(Accompaniment, world.accompaniment_id).stage == Stage.CHOSEN  # type: ignore[union-attr]
