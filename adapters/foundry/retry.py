"""The retry policy of the Foundry adapter: our small typed surface over tenacity.

Each call gets a fresh ``tenacity.Retrying`` (shared retry objects mix up attempt counters
between concurrent calls). What is retried is never a default: the attempt function raises
:class:`Retryable` for a failure another attempt may cure, and anything else ends the call at
once. Waits use full jitter, ``uniform(0, min(cap, base * 2**n))`` after the n-th attempt,
unless the server sent ``Retry-After``, which is honoured up to a cap. A call never sleeps past
its deadline, never makes more than ``max_attempts`` attempts, and retries only while the
shared :class:`RetryBudget` allows, so an outage does not multiply the load on Foundry.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

import tenacity

from adapters.foundry.timing import Clock, Deadline
from contracts.errors import CaseportError, DeadlineExceeded, RateLimited, ValidationFailed

__all__ = [
    "RetryBudget",
    "RetryPolicy",
    "Retryable",
    "parse_retry_after",
    "run_with_retries",
]

T = TypeVar("T")
_log = logging.getLogger("caseport.foundry")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a call is retried.

    Attributes:
        max_attempts: attempts per call, the first included (1 to 10).
        backoff_base: seconds; the wait after attempt n is at most ``base * 2**n``.
        backoff_cap: seconds; no backoff wait is longer.
        retry_after_cap: seconds; a longer ``Retry-After`` fails at once with ``RateLimited``.
        testing: never wait (attempts and their order stay the same).
    """

    max_attempts: int = 4
    backoff_base: float = 0.25
    backoff_cap: float = 10.0
    retry_after_cap: float = 30.0
    testing: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= 10:
            raise ValidationFailed("max_attempts must be between 1 and 10")
        for name in ("backoff_base", "backoff_cap", "retry_after_cap"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValidationFailed(f"{name} must be a finite number of seconds >= 0")

    def backoff_bound(self, attempt: int) -> float:
        """The longest backoff wait after the ``attempt``-th attempt (1-based)."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** min(attempt, 62))

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """A full-jitter wait after the ``attempt``-th attempt."""
        if self.testing:
            return 0.0
        return rng.uniform(0.0, self.backoff_bound(attempt))


class RetryBudget:
    """A retry budget shared by every call of one client (gRPC retry throttling).

    Tokens start at ``max_tokens``; a failed attempt takes one, a success gives back
    ``token_ratio``; retries are allowed only while more than half the tokens remain. First
    attempts are never throttled.
    """

    def __init__(self, max_tokens: float = 20.0, token_ratio: float = 0.1) -> None:
        if max_tokens <= 0 or token_ratio < 0:
            raise ValidationFailed("max_tokens must be > 0 and token_ratio >= 0")
        self.max_tokens = max_tokens
        self.token_ratio = token_ratio
        self._tokens = max_tokens
        self._lock = threading.Lock()

    @property
    def tokens(self) -> float:
        """Tokens left."""
        with self._lock:
            return self._tokens

    def record_failure(self) -> None:
        """Take a token for a failed attempt."""
        with self._lock:
            self._tokens = max(0.0, self._tokens - 1.0)

    def record_success(self) -> None:
        """Give back part of a token for a successful attempt."""
        with self._lock:
            self._tokens = min(self.max_tokens, self._tokens + self.token_ratio)

    def allows_retry(self) -> bool:
        """Whether a retry may be sent now."""
        with self._lock:
            return self._tokens > self.max_tokens / 2


class Retryable(Exception):
    """Raised by an attempt whose failure another attempt may cure.

    Raise it ``from`` the original exception; ``error`` is the contract error that surfaces
    when no attempt is left.
    """

    def __init__(self, error: CaseportError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay-seconds or an HTTP-date).

    Returns ``None`` for a missing or unreadable value, so the caller falls back to backoff.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


StopReason = Literal["attempts", "retry_after", "deadline", "budget"]


@dataclass(slots=True)
class _CallState:
    """Per-call bookkeeping; fresh for every call so concurrent calls never share it."""

    stop_reason: StopReason | None = None
    attempts: int = 0


def run_with_retries(
    attempt: Callable[[int], T],
    *,
    policy: RetryPolicy,
    deadline: Deadline,
    clock: Clock,
    rng: random.Random,
    budget: RetryBudget,
    what: str,
) -> T:
    """Run ``attempt(n)`` for n = 1, 2, ... until it returns, following ``policy``.

    Raises:
        CaseportError: the error of the last attempt when no attempt is left (with
            ``__cause__`` the original exception); ``RateLimited`` at once when Foundry asks
            for a wait longer than the cap; ``DeadlineExceeded`` when the next wait would pass
            the deadline. Errors not wrapped in :class:`Retryable` pass through untouched.
    """
    state = _CallState()

    def wait(retry_state: tenacity.RetryCallState) -> float:
        failure = _failure(retry_state)
        if failure.retry_after is not None:
            return 0.0 if policy.testing else failure.retry_after
        return policy.backoff(retry_state.attempt_number, rng)

    def stop(retry_state: tenacity.RetryCallState) -> bool:
        failure = _failure(retry_state)
        reason: StopReason | None = None
        if retry_state.attempt_number >= policy.max_attempts:
            reason = "attempts"
        elif failure.retry_after is not None and failure.retry_after > policy.retry_after_cap:
            reason = "retry_after"
        elif (retry_state.upcoming_sleep or 0.0) >= deadline.remaining():
            reason = "deadline"
        elif not budget.allows_retry():
            reason = "budget"
        state.stop_reason = reason
        return reason is not None

    def before_sleep(retry_state: tenacity.RetryCallState) -> None:
        failure = _failure(retry_state)
        _log.warning(
            "%s: attempt %d failed (%s); retrying in %.3f s",
            what,
            retry_state.attempt_number,
            type(failure.error).__name__,
            retry_state.upcoming_sleep,
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(Retryable),
        wait=wait,
        stop=stop,
        sleep=(lambda _seconds: None) if policy.testing else clock.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        for tenacity_attempt in retrying:
            with tenacity_attempt:
                state.attempts = tenacity_attempt.retry_state.attempt_number
                try:
                    result = attempt(state.attempts)
                except Retryable:
                    budget.record_failure()
                    raise
                budget.record_success()
    except Retryable as failure:
        raise _final_error(failure, state, policy, deadline, what) from failure.__cause__
    return result


def _failure(retry_state: tenacity.RetryCallState) -> Retryable:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    if not isinstance(exc, Retryable):  # pragma: no cover - guarded by retry_if_exception_type
        raise TypeError("retry state without a retryable failure")
    return exc


def _final_error(
    failure: Retryable, state: _CallState, policy: RetryPolicy, deadline: Deadline, what: str
) -> CaseportError:
    if state.stop_reason in ("retry_after", "deadline") and failure.retry_after is not None:
        error: CaseportError = RateLimited(
            f"{what}: Foundry asked to wait {failure.retry_after:g} s, longer than this call "
            f"may wait (cap {policy.retry_after_cap:g} s, {deadline.remaining():.1f} s left "
            f"of the deadline); last error: {failure.error}",
            failure.retry_after,
        )
    elif state.stop_reason == "deadline":
        error = DeadlineExceeded(
            f"{what}: gave up after {state.attempts} attempt(s); the next wait would pass the "
            f"{deadline.seconds:g} s deadline; last error: {failure.error}"
        )
    else:
        error = failure.error
        reason = "retry budget spent" if state.stop_reason == "budget" else "no attempts left"
        error.add_note(f"{what}: gave up after {state.attempts} attempt(s) ({reason})")
    return error
