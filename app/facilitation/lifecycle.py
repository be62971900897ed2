"""The lifecycle of an accompaniment: call → chosen → preparation → visit → after visit → capitalised.

The allowed moves are one table (`TRANSITIONS`): one stage forward, or one stage back to correct a
mistake or hold a second visit; a capitalised accompaniment is finished. Each move is a conditional
UPDATE on the accompaniment's `version` (two facilitators clicking at once: one wins, the other is
told the page was stale) and is recorded as a `StageChange`, dated and attributed.
"""

from __future__ import annotations

from sqlmodel import Session, select

from ..clock import Clock
from ..db import StaleVersion, update_if_version
from ..models import Accompaniment, StageChange, User
from .enums import Stage
from .errors import DomainError

ORDER: tuple[Stage, ...] = (
    Stage.CALL, Stage.CHOSEN, Stage.PREPARATION, Stage.VISIT, Stage.AFTER_VISIT, Stage.CAPITALISED,
)

#: stage -> the stages it may move to (forward first).
TRANSITIONS: dict[Stage, tuple[Stage, ...]] = {
    Stage.CALL: (Stage.CHOSEN,),
    Stage.CHOSEN: (Stage.PREPARATION, Stage.CALL),
    Stage.PREPARATION: (Stage.VISIT, Stage.CHOSEN),
    Stage.VISIT: (Stage.AFTER_VISIT, Stage.PREPARATION),
    Stage.AFTER_VISIT: (Stage.CAPITALISED, Stage.VISIT),
    Stage.CAPITALISED: (),
}

#: Stages from which on both communities must be known (the pair is formed during preparation).
NEEDS_PAIR: frozenset[Stage] = frozenset({Stage.PREPARATION, Stage.VISIT, Stage.AFTER_VISIT, Stage.CAPITALISED})


def allowed(source: Stage, target: Stage) -> bool:
    """Whether the table allows moving from `source` to `target`."""
    return target in TRANSITIONS[source]


def next_stages(accompaniment: Accompaniment) -> tuple[Stage, ...]:
    """Where this accompaniment may go from its current stage."""
    return TRANSITIONS[accompaniment.stage]


def transition(
    session: Session, clock: Clock, accompaniment: Accompaniment, target: Stage, *,
    by: User | None, version: int, comment: str = "",
) -> StageChange:
    """Move the accompaniment to `target`, as seen at `version`; record who did it and when.

    Refusals (`DomainError`): `stage-refused` (not in the table), `stage-needs-pair` (no offering
    or asking community yet for a stage that needs both), `stale` (changed since it was read).
    """
    source = accompaniment.stage
    if not allowed(source, target):
        raise DomainError("stage-refused", source=source.value, target=target.value)
    if target in NEEDS_PAIR and (accompaniment.asking_community_id is None
                                 or accompaniment.offering_community_id is None):
        raise DomainError("stage-needs-pair")
    assert accompaniment.id is not None
    try:
        new_version = update_if_version(session, Accompaniment, accompaniment.id, version, stage=target)
    except StaleVersion as error:
        raise DomainError("stale") from error
    change = StageChange(accompaniment_id=accompaniment.id, from_stage=source, to_stage=target,
                         at=clock.now(), by_user_id=by.id if by else None, comment=comment.strip()[:500])
    session.add(change)
    session.flush()
    session.refresh(accompaniment)
    assert accompaniment.version == new_version
    return change


def history(session: Session, accompaniment_id: int) -> list[StageChange]:
    """The accompaniment's stage changes, oldest first."""
    return list(session.exec(
        select(StageChange).where(StageChange.accompaniment_id == accompaniment_id)
        .order_by(StageChange.at, StageChange.id)  # type: ignore[arg-type]
    ).all())
