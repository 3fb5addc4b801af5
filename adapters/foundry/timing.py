"""Clocks and deadlines, injectable so that tests never sleep or read the wall clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol

from contracts.errors import DeadlineExceeded

__all__ = ["Clock", "Deadline", "SystemClock"]


class Clock(Protocol):
    """Where the adapter reads time and how it waits."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for deadlines and cooldowns."""
        ...

    def now(self) -> datetime:
        """The wall-clock time in UTC, for HTTP dates such as ``Retry-After``."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        """See :meth:`Clock.monotonic`."""
        return time.monotonic()

    def now(self) -> datetime:
        """See :meth:`Clock.now`."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """See :meth:`Clock.sleep`."""
        if seconds > 0:
            time.sleep(seconds)


class Deadline:
    """The time budget of one call, all attempts and waits included."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self.seconds = seconds
        self._end = clock.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - self._clock.monotonic())

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return self._clock.monotonic() >= self._end

    def check(self, what: str) -> None:
        """Raise when the budget is spent.

        Raises:
            DeadlineExceeded: no time is left.
        """
        if self.expired():
            raise DeadlineExceeded(f"{what} did not finish within {self.seconds:g} s")
