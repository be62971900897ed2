"""Running a session live: start it, move through its agenda, drive the timer, reveal, close.

Every function takes a database `Session` (opened by the caller with `write_session`) and a clock,
and changes the `Meeting` row with a conditional UPDATE on its `version` (`update_if_version`),
which also bumps the version behind the live screens' ETag. When a concurrent writer got there
first (another facilitator screen, or simply a participant's note bumping the version), the state
is read again and the intent re-checked: two screens pressing "next" at once advance one step,
because the second finds that the step it saw is no longer the current one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from ..clock import Clock
from ..db import StaleVersion, update_if_version
from ..models import AgendaStep, HalfDay, Meeting
from . import joining, timer
from .enums import MeetingStatus, TimerState
from .errors import DomainError, NotFound

#: How many times a state change is retried when the version moved under it.
RETRIES = 20
TIMER_ACTIONS = ("start", "pause", "resume", "extend", "stop")


def steps(db: Session, meeting_id: int) -> list[AgendaStep]:
    """The agenda's steps in running order (half-day by half-day, then by position)."""
    rows = db.exec(
        select(AgendaStep, HalfDay.position)
        .join(HalfDay, col(AgendaStep.half_day_id) == col(HalfDay.id), isouter=True)
        .where(AgendaStep.meeting_id == meeting_id)
    ).all()
    ordered = sorted(rows, key=lambda row: (row[1] if row[1] is not None else -1, row[0].position,
                                            row[0].id or 0))
    return [row[0] for row in ordered]


def timer_of(meeting: Meeting) -> timer.Timer:
    """The meeting's countdown as a `Timer` value."""
    return timer.Timer(meeting.timer_state, meeting.timer_deadline, meeting.timer_remaining_ms)


def _timer_values(value: timer.Timer) -> dict[str, Any]:
    return {"timer_state": value.state, "timer_deadline": value.deadline,
            "timer_remaining_ms": value.remaining_ms}


def _fresh(db: Session, meeting_id: int) -> Meeting:
    meeting = db.exec(
        select(Meeting).where(Meeting.id == meeting_id).execution_options(populate_existing=True)
    ).first()
    if meeting is None:
        raise NotFound("meeting")
    return meeting


def _change(db: Session, meeting_id: int, decide: Callable[[Meeting], dict[str, Any] | None]) -> Meeting:
    """Apply `decide(meeting)` (the new column values, or None for no change) as a versioned update.

    `decide` sees the freshest row on each attempt and raises `DomainError` to refuse.
    """
    for _attempt in range(RETRIES):
        meeting = _fresh(db, meeting_id)
        values = decide(meeting)
        if values is None:
            return meeting
        try:
            update_if_version(db, Meeting, meeting_id, meeting.version, **values)
        except StaleVersion:
            continue
        return _fresh(db, meeting_id)
    raise DomainError("busy")


def _require_live(meeting: Meeting) -> None:
    if meeting.status is not MeetingStatus.LIVE:
        raise DomainError("session-not-live")


def _enter_step(db: Session, clock: Clock, step: AgendaStep | None) -> dict[str, Any]:
    """Values for the meeting when `step` becomes current (its actual start is kept the first time)."""
    if step is None:
        return {"current_step_id": None, **_timer_values(timer.Timer())}
    if step.actual_start is None:
        db.execute(update(AgendaStep).where(col(AgendaStep.id) == step.id)
                   .values(actual_start=clock.now()))
    return {"current_step_id": step.id, **_timer_values(timer.set_minutes(step.planned_minutes))}


def _leave_step(db: Session, clock: Clock, step_id: int | None) -> None:
    if step_id is not None:
        db.execute(update(AgendaStep).where(col(AgendaStep.id) == step_id).values(actual_end=clock.now()))


def start(db: Session, clock: Clock, meeting_id: int, rng: random.Random | None = None) -> Meeting:
    """Open the session: a fresh join code, status live, the first step current (timer set, stopped).

    Starting a session that is already live changes nothing; a closed session cannot start again.
    """
    agenda = steps(db, meeting_id)

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        if meeting.status is MeetingStatus.LIVE:
            return None
        if meeting.status is MeetingStatus.CLOSED:
            raise DomainError("session-closed")
        values = {"status": MeetingStatus.LIVE, "join_code": joining.new_code(db, rng),
                  "started_at": clock.now(), "closed_at": None}
        first = agenda[0] if agenda else None
        values.update(_enter_step(db, clock, first))
        return values

    return _change(db, meeting_id, decide)


def go_to(db: Session, clock: Clock, meeting_id: int, *, seen_step_id: int | None,
          direction: int = 0, step_id: int | None = None) -> Meeting:
    """Move to the next (`direction=1`) or previous (`-1`) step, or to `step_id`.

    `seen_step_id` is the step the facilitator's screen showed: if it is no longer current (another
    screen moved first), the move is refused with `step-moved` rather than skipping a step.
    The step left gets its actual end, the step entered its actual start (the first time).
    """
    agenda = steps(db, meeting_id)
    ids = [step.id for step in agenda]

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        _require_live(meeting)
        if meeting.current_step_id != seen_step_id:
            raise DomainError("step-moved")
        if step_id is not None:
            if step_id not in ids:
                raise NotFound("step")
            target = ids.index(step_id)
        else:
            here = ids.index(meeting.current_step_id) if meeting.current_step_id in ids else -1
            target = here + direction
            if not 0 <= target < len(agenda):
                raise DomainError("no-such-step")
        if agenda[target].id == meeting.current_step_id:
            return None
        _leave_step(db, clock, meeting.current_step_id)
        # The projection shows the current step's dimensions: the wall changes shape.
        return {**_enter_step(db, clock, agenda[target]), "wall_epoch": meeting.wall_epoch + 1}

    return _change(db, meeting_id, decide)


def timer_action(db: Session, clock: Clock, meeting_id: int, action: str, minutes: int = 0) -> Meeting:
    """Start, pause, resume, stop or extend (by `minutes`) the current step's countdown."""
    if action not in TIMER_ACTIONS:
        raise DomainError("unknown-action", action=action)
    if action == "extend" and not 0 < minutes <= timer.MAX_EXTEND_MINUTES:
        raise DomainError("bad-extension", max=timer.MAX_EXTEND_MINUTES)

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        _require_live(meeting)
        now = clock.now()
        current = timer_of(meeting)
        if action == "start":
            new = timer.start(current, now)
        elif action == "pause":
            new = timer.pause(current, now)
        elif action == "resume":
            new = timer.resume(current, now)
        elif action == "stop":
            new = timer.stop(current, now)
        else:
            new = timer.extend(current, minutes, now)
        return None if new == current else _timer_values(new)

    return _change(db, meeting_id, decide)


def reveal(db: Session, clock: Clock, meeting_id: int, dimension_id: str, shown: bool = True, *,
           dimensions: Collection[str]) -> Meeting:
    """Reveal a grid dimension's notes to every participant (or hide them again); `dimensions` are
    the grid's (any other id is `DomainError('bad-dimension')`)."""
    if dimension_id not in dimensions:
        raise DomainError("bad-dimension")

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        _require_live(meeting)
        revealed = list(meeting.revealed_dimensions)
        if shown == (dimension_id in revealed):
            return None
        revealed = [*revealed, dimension_id] if shown else [d for d in revealed if d != dimension_id]
        return {"revealed_dimensions": revealed, "wall_epoch": meeting.wall_epoch + 1}

    return _change(db, meeting_id, decide)


def settings(db: Session, clock: Clock, meeting_id: int, *, votes_per_participant: int | None = None,
             votes_revealed: bool | None = None, notes_hidden: bool | None = None) -> Meeting:
    """Change the vote limit, whether vote counts are shown, whether notes start hidden."""
    if votes_per_participant is not None and not 0 <= votes_per_participant <= 50:
        raise DomainError("bad-vote-limit", max=50)

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        if meeting.status is MeetingStatus.CLOSED:
            raise DomainError("session-closed")
        values: dict[str, Any] = {}
        if votes_per_participant is not None and votes_per_participant != meeting.votes_per_participant:
            values["votes_per_participant"] = votes_per_participant
        if votes_revealed is not None and votes_revealed != meeting.votes_revealed:
            values["votes_revealed"] = votes_revealed
        if notes_hidden is not None and notes_hidden != meeting.notes_hidden:
            values["notes_hidden"] = notes_hidden
        if not values:
            return None
        return {**values, "wall_epoch": meeting.wall_epoch + 1}

    return _change(db, meeting_id, decide)


def show_posture(db: Session, clock: Clock, meeting_id: int, *, candidates: Sequence[str],
                 chosen: str | None = None, rng: random.Random | None = None) -> Meeting:
    """Show a posture card to the room: `chosen`, or one drawn at random among `candidates`.

    Drawing again avoids the card already shown when there is another one. `chosen=""` hides it.
    """
    if chosen is not None and chosen != "" and chosen not in candidates:
        raise NotFound("posture")
    if chosen is None and not candidates:
        raise DomainError("no-posture")

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        _require_live(meeting)
        if chosen is not None:
            value = chosen or None
        else:
            pool = [c for c in candidates if c != meeting.shown_posture_id] or list(candidates)
            value = (rng or random.SystemRandom()).choice(pool)
        return None if value == meeting.shown_posture_id else {"shown_posture_id": value}

    return _change(db, meeting_id, decide)


def close(db: Session, clock: Clock, meeting_id: int) -> Meeting:
    """Close the session: the join code stops working, the timer stops, the current step ends."""

    def decide(meeting: Meeting) -> dict[str, Any] | None:
        if meeting.status is MeetingStatus.CLOSED:
            return None
        _leave_step(db, clock, meeting.current_step_id)
        stopped = timer.stop(timer_of(meeting), clock.now())
        # A new wall epoch: every screen takes the whole wall again, without its vote buttons.
        return {"status": MeetingStatus.CLOSED, "closed_at": clock.now(), "wall_epoch": meeting.wall_epoch + 1,
                **_timer_values(stopped)}

    return _change(db, meeting_id, decide)


@dataclass(frozen=True)
class Clockface:
    """What a screen needs to show the countdown: state, deadline or time left, and the server's now."""

    state: TimerState
    deadline_ms: int | None  # epoch milliseconds, while running
    remaining_ms: int  # at `now_ms`
    now_ms: int

    @property
    def minutes_left(self) -> int:
        """Whole minutes left, rounded up (what a page without JavaScript shows)."""
        return max(0, -(-self.remaining_ms // 60_000))


def clockface(meeting: Meeting, clock: Clock) -> Clockface:
    """The countdown as a screen gets it."""
    now = clock.now()
    value = timer_of(meeting)
    deadline = value.deadline if value.state is TimerState.RUNNING else None
    return Clockface(value.state, int(deadline.timestamp() * 1000) if deadline else None,
                     timer.remaining(value, now), int(now.timestamp() * 1000))
