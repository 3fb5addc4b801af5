"""A circuit breaker: stop calling Foundry for a while after repeated failures.

Closed, it lets every call through and counts consecutive retryable failures. At the
threshold it opens: calls fail at once with :class:`~adapters.foundry.errors.CircuitOpen`, no
request is sent. After the cooldown it lets exactly one probe through (half-open); the probe's
success closes it, its failure opens it again for another cooldown.
"""

from __future__ import annotations

import threading
from typing import Literal

from adapters.foundry.errors import CircuitOpen
from adapters.foundry.timing import Clock
from contracts.errors import ValidationFailed

__all__ = ["BreakerState", "CircuitBreaker"]

BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Consecutive-failure circuit breaker, safe to share between threads.

    Args:
        clock: where the cooldown is measured.
        failure_threshold: consecutive failures that open the circuit.
        cooldown: seconds the circuit stays open before one probe is let through.
    """

    def __init__(self, clock: Clock, *, failure_threshold: int = 5, cooldown: float = 30.0) -> None:
        if failure_threshold < 1 or cooldown < 0:
            raise ValidationFailed("failure_threshold must be >= 1 and cooldown >= 0")
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.cooldown = cooldown
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        """The current state (an open circuit past its cooldown still reads ``open``)."""
        with self._lock:
            return self._state

    def before_call(self) -> None:
        """Let a call through, or refuse it.

        Raises:
            CircuitOpen: the circuit is open, or half-open with its probe already out.
        """
        with self._lock:
            if self._state == "closed":
                return
            if self._state == "open":
                waited = self._clock.monotonic() - self._opened_at
                if waited < self.cooldown:
                    raise CircuitOpen(
                        f"Foundry failed {self._failures} times in a row; not calling it for "
                        f"another {self.cooldown - waited:.1f} s"
                    )
                self._state = "half_open"
                self._probe_out = False
            if self._probe_out:
                raise CircuitOpen("Foundry is being probed after repeated failures; try again")
            self._probe_out = True

    def record_success(self) -> None:
        """Note that a call reached a healthy Foundry; closes the circuit."""
        with self._lock:
            self._state = "closed"
            self._failures = 0
            self._probe_out = False

    def record_failure(self) -> None:
        """Note a retryable failure; may open the circuit."""
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock.monotonic()
                self._probe_out = False

    def release_probe(self) -> None:
        """Give the probe slot back when a call ended without telling health either way."""
        with self._lock:
            if self._state == "half_open":
                self._probe_out = False
