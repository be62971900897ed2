"""The countdown as pure functions, with a frozen clock."""

from __future__ import annotations

import pytest

from app.clock import FrozenClock
from app.facilitation import timer
from app.facilitation.enums import TimerState


def test_start_pause_resume_extend() -> None:
    clock = FrozenClock()
    t = timer.set_minutes(10)
    assert t.state is TimerState.STOPPED and timer.remaining(t, clock.now()) == 600_000
    t = timer.start(t, clock.now())
    assert t.state is TimerState.RUNNING and t.remaining_ms is None
    clock.advance(90)
    assert timer.remaining(t, clock.now()) == 510_000
    t = timer.pause(t, clock.now())
    clock.advance(3600)  # a long pause costs nothing
    assert t.state is TimerState.PAUSED and timer.remaining(t, clock.now()) == 510_000
    t = timer.extend(t, 5, clock.now())
    assert timer.remaining(t, clock.now()) == 810_000
    t = timer.resume(t, clock.now())
    clock.advance(10)
    assert timer.remaining(t, clock.now()) == 800_000
    t = timer.extend(t, 1, clock.now())
    assert timer.remaining(t, clock.now()) == 860_000
    assert t.deadline == clock.now() + (t.deadline - clock.now())


def test_overtime_and_extension_from_zero() -> None:
    clock = FrozenClock()
    t = timer.start(timer.set_minutes(1), clock.now())
    clock.advance(75)
    assert timer.remaining(t, clock.now()) == -15_000  # overtime shows as negative
    t = timer.extend(t, 2, clock.now())
    assert timer.remaining(t, clock.now()) == 120_000  # two minutes from now, not from the deadline
    paused = timer.pause(t, clock.now())
    assert timer.pause(paused, clock.now()) == paused and timer.resume(t, clock.now()) == t
    assert timer.start(t, clock.now()) == t
    stopped = timer.stop(t, clock.now())
    assert stopped.state is TimerState.STOPPED and stopped.remaining_ms == 120_000


@pytest.mark.parametrize("minutes", [0, -3, timer.MAX_EXTEND_MINUTES + 1])
def test_bad_extensions_refused(minutes: int) -> None:
    with pytest.raises(ValueError):
        timer.extend(timer.set_minutes(5), minutes, FrozenClock().now())
