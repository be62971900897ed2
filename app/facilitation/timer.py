"""The countdown of a step, as pure functions over (state, deadline, remaining, now).

The server keeps the truth: while running, the timer is an absolute deadline; while paused or
stopped, it is the time left in milliseconds. Screens are sent the deadline (or the time left) and
the server's own clock, so a late or reloaded screen shows the same time as every other one. Nothing
here does I/O or reads a clock: callers pass `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .enums import TimerState

#: The longest countdown a step may have (a whole day), and the most one extension may add.
MAX_MS = 24 * 3600 * 1000
MAX_EXTEND_MINUTES = 120


@dataclass(frozen=True)
class Timer:
    """A countdown: `deadline` while running, `remaining_ms` while paused or stopped."""

    state: TimerState = TimerState.STOPPED
    deadline: datetime | None = None
    remaining_ms: int | None = None


def set_minutes(minutes: int) -> Timer:
    """A stopped countdown of `minutes` (a step's planned duration), not yet started."""
    return Timer(TimerState.STOPPED, None, _clamp(max(0, minutes) * 60_000))


def remaining(timer: Timer, now: datetime) -> int:
    """Milliseconds left at `now`; negative once a running countdown has passed its deadline."""
    if timer.state is TimerState.RUNNING and timer.deadline is not None:
        return int((timer.deadline - now) / timedelta(milliseconds=1))
    return timer.remaining_ms or 0


def start(timer: Timer, now: datetime) -> Timer:
    """Run a stopped or paused countdown from the time it has left; a running one is unchanged."""
    if timer.state is TimerState.RUNNING:
        return timer
    left = timer.remaining_ms or 0
    return Timer(TimerState.RUNNING, now + timedelta(milliseconds=left), None)


def pause(timer: Timer, now: datetime) -> Timer:
    """Freeze a running countdown, keeping the time it had left (possibly negative: overtime)."""
    if timer.state is not TimerState.RUNNING:
        return timer
    return Timer(TimerState.PAUSED, None, remaining(timer, now))


def resume(timer: Timer, now: datetime) -> Timer:
    """Run a paused countdown again from where it stopped."""
    if timer.state is not TimerState.PAUSED:
        return timer
    return start(timer, now)


def extend(timer: Timer, minutes: int, now: datetime) -> Timer:
    """Give `minutes` more: the deadline moves, or the time left grows (from zero if overtime)."""
    if not 0 < minutes <= MAX_EXTEND_MINUTES:
        raise ValueError(f"an extension is 1 to {MAX_EXTEND_MINUTES} minutes, not {minutes}")
    added = minutes * 60_000
    left = _clamp(max(remaining(timer, now), 0) + added)
    if timer.state is TimerState.RUNNING:
        return replace(timer, deadline=now + timedelta(milliseconds=left))
    return replace(timer, remaining_ms=left)


def stop(timer: Timer, now: datetime) -> Timer:
    """Stop the countdown where it is (it can be started again)."""
    return Timer(TimerState.STOPPED, None, max(remaining(timer, now), 0))


def _clamp(ms: int) -> int:
    return min(ms, MAX_MS)
