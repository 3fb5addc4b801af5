"""Seeded fault injection for the in-memory adapter: latency, errors, 429s, lost replies.

A :class:`FaultPlan` says what goes wrong and how often; a :class:`FaultInjector` applies it
call by call from its own seeded random generator, so a run with the same plan and the same
sequence of calls fails in exactly the same places and can be replayed. Each call's outcome is
kept in :attr:`FaultInjector.log` for tests and demos to inspect.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Literal, Self

from pydantic import model_validator

from adapters._options import AdapterOptions, Number, Whole, Words, option, validate_options
from contracts.errors import (
    ConfigurationError,
    DeadlineExceeded,
    RateLimited,
    Unavailable,
    ValidationFailed,
)

__all__ = ["FaultInjector", "FaultOptions", "FaultPlan", "Outcome"]

Outcome = Literal["ok", "unavailable", "rate_limited", "timeout", "lost_reply"]
"""What happens to one call.

``unavailable``, ``rate_limited`` and ``timeout`` fail before the operation runs (nothing is
written); ``lost_reply`` runs the operation and then fails, as when a reply is lost on the way
back, so callers must not assume a failed write was not applied.
"""

_MAX_SECONDS = 3_600.0
"""Longest delay a plan may inject; anything longer is a mistake, not a test."""
_LOG_LENGTH = 100_000
"""Outcomes kept in :attr:`FaultInjector.log`; older ones are dropped."""

_OUTCOMES: tuple[Outcome, ...] = ("ok", "unavailable", "rate_limited", "timeout", "lost_reply")


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """What to inject.

    Attributes:
        latency: seconds added to every call.
        jitter: up to this many seconds more, drawn uniformly per call.
        failure_rate: probability that a call fails as ``unavailable``.
        rate_limit_rate: probability that a call is refused as ``rate_limited``.
        lost_reply_rate: probability that an operation is applied but its reply is lost (for
            reads this is simply a failure; for writes the change is stored).
        retry_after: seconds a ``rate_limited`` failure asks the caller to wait.
        script: outcomes for the first calls, in order, before the rates apply.
        seed: seed of the random generator, so a run can be replayed.
        operations: names of the operations faults apply to (all when empty).
    """

    latency: float = 0.0
    jitter: float = 0.0
    failure_rate: float = 0.0
    rate_limit_rate: float = 0.0
    lost_reply_rate: float = 0.0
    retry_after: float = 1.0
    script: tuple[Outcome, ...] = ()
    seed: int = 0
    operations: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("failure_rate", "rate_limit_rate", "lost_reply_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValidationFailed(f"{name} must be between 0 and 1")
        if self.failure_rate + self.rate_limit_rate + self.lost_reply_rate > 1.0:
            raise ValidationFailed("fault rates must add up to at most 1")
        for name in ("latency", "jitter", "retry_after"):
            value = getattr(self, name)
            if not math.isfinite(value) or not 0 <= value <= _MAX_SECONDS:
                raise ValidationFailed(f"{name} must be between 0 and {_MAX_SECONDS:g} seconds")
        unknown = [outcome for outcome in self.script if outcome not in _OUTCOMES]
        if unknown:
            raise ValidationFailed(
                f"unknown scripted outcome {unknown[0]!r}; use {', '.join(_OUTCOMES)}"
            )

    @property
    def active(self) -> bool:
        """Whether the plan injects anything at all."""
        return bool(
            self.latency
            or self.jitter
            or self.failure_rate
            or self.rate_limit_rate
            or self.lost_reply_rate
            or self.script
        )

    @classmethod
    def from_options(
        cls, options: Mapping[str, str], operations: Collection[str] | None = None
    ) -> FaultPlan:
        """Read a plan from URL-style options (see :class:`FaultOptions`).

        ``operations``, when given, are the operation names the ``operations`` option may
        list (any name when ``None``).

        Raises:
            ConfigurationError: an unknown option, or one with a malformed or out-of-range
                value, named with what it accepts (the value itself is never repeated).
        """
        read = validate_options("memory", FaultOptions, options)
        if operations is not None and not read.operations <= set(operations):
            raise ConfigurationError(
                "memory:// option operations must be a comma-separated list of "
                + ", ".join(sorted(operations))
            )
        return read.plan()


_MAX_MS = _MAX_SECONDS * 1000


class FaultOptions(AdapterOptions):
    """The fault options of ``memory://`` URLs: what :class:`FaultPlan` injects, as options."""

    latency_ms: Number = option(
        0.0, "milliseconds added to every call", ge=0, le=_MAX_MS, unit="milliseconds"
    )
    jitter_ms: Number = option(
        0.0,
        "up to this many milliseconds more, drawn per call",
        ge=0,
        le=_MAX_MS,
        unit="milliseconds",
    )
    failure_rate: Number = option(0.0, "share of calls failing as unavailable", ge=0, le=1)
    rate_limit_rate: Number = option(0.0, "share of calls refused as rate limited", ge=0, le=1)
    lost_reply_rate: Number = option(
        0.0, "share of calls applied but whose reply is lost", ge=0, le=1
    )
    retry_after: Number = option(
        1.0, "seconds a rate-limited failure asks to wait", ge=0, le=_MAX_SECONDS, unit="seconds"
    )
    script: Annotated[tuple[Outcome, ...], Words] = option(
        (), "outcomes of the first calls, in order, before the rates apply"
    )
    seed: Whole = option(
        0, "seed of the random draws, so a run can be replayed", ge=0, le=2**64 - 1
    )
    operations: Annotated[frozenset[str], Words] = option(
        frozenset(), "operations the faults apply to (all when empty)"
    )

    @model_validator(mode="after")
    def _rates_add_up(self) -> Self:
        if self.failure_rate + self.rate_limit_rate + self.lost_reply_rate > 1.0:
            raise ValueError(
                "options failure_rate, rate_limit_rate and lost_reply_rate must add up to at most 1"
            )
        return self

    def plan(self) -> FaultPlan:
        """The plan these options describe."""
        return FaultPlan(
            latency=self.latency_ms / 1000,
            jitter=self.jitter_ms / 1000,
            failure_rate=self.failure_rate,
            rate_limit_rate=self.rate_limit_rate,
            lost_reply_rate=self.lost_reply_rate,
            retry_after=self.retry_after,
            script=self.script,
            seed=self.seed,
            operations=self.operations,
        )


class FaultInjector:
    """Applies a :class:`FaultPlan` to a stream of calls; thread safe."""

    def __init__(self, plan: FaultPlan, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.plan = plan
        self.log: list[tuple[str, Outcome]] = []
        """Recent calls and their outcomes, oldest first (bounded: old entries are dropped)."""
        self.calls = 0
        """Calls the plan was applied to since the injector was made."""
        self._sleep = sleep
        self._random = random.Random(plan.seed)
        self._lock = threading.Lock()

    def _decide(self, operation: str) -> tuple[Outcome, float]:
        with self._lock:
            plan = self.plan
            delay = plan.latency + (self._random.uniform(0, plan.jitter) if plan.jitter else 0.0)
            index = self.calls
            self.calls += 1
            if index < len(plan.script):
                outcome = plan.script[index]
            else:
                draw = self._random.random()
                outcome = "ok"
                for name, rate in (
                    ("unavailable", plan.failure_rate),
                    ("rate_limited", plan.rate_limit_rate),
                    ("lost_reply", plan.lost_reply_rate),
                ):
                    if draw < rate:
                        outcome = name  # type: ignore[assignment]
                        break
                    draw -= rate
            self.log.append((operation, outcome))
            if len(self.log) > _LOG_LENGTH:
                del self.log[: _LOG_LENGTH // 2]
            return outcome, delay

    def before(self, operation: str) -> Outcome:
        """Wait and maybe fail before ``operation`` runs; return the call's outcome.

        Raises:
            Unavailable: the plan fails this call.
            RateLimited: the plan refuses this call, asking to retry after a while.
            DeadlineExceeded: the plan times this call out.
        """
        if self.plan.operations and operation not in self.plan.operations:
            return "ok"
        outcome, delay = self._decide(operation)
        if delay:
            self._sleep(delay)
        if outcome == "unavailable":
            raise Unavailable(f"injected fault: {operation} could not reach the store")
        if outcome == "rate_limited":
            raise RateLimited(
                f"injected fault: {operation} was rate limited", self.plan.retry_after
            )
        if outcome == "timeout":
            raise DeadlineExceeded(f"injected fault: {operation} timed out")
        return outcome

    @staticmethod
    def after(operation: str, outcome: Outcome) -> None:
        """Fail after ``operation`` ran when its outcome is a lost reply.

        Raises:
            Unavailable: the reply of an applied operation was lost.
        """
        if outcome == "lost_reply":
            raise Unavailable(f"injected fault: the reply to {operation} was lost")
