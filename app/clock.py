"""Clocks: domain code asks a clock for the time, so timers and expiries are tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time, timezone-aware, in UTC."""

    def now(self) -> datetime:
        """The current moment (aware, UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """`datetime.now(UTC)`."""
        return datetime.now(UTC)


class FrozenClock:
    """A clock that only moves when told to (tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
        if self.current.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")

    def now(self) -> datetime:
        """The frozen moment."""
        return self.current

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by `seconds` (and/or timedelta keywords); return the new moment."""
        self.current += timedelta(seconds=seconds, **delta)
        return self.current


#: The clock the application uses unless a test injects another (`app.config["CLOCK"]`).
SYSTEM_CLOCK = SystemClock()
