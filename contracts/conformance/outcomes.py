"""Folding the setup, call and teardown reports of one test into one outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import pytest

from contracts.conformance.report import Exercises, TestOutcome, TestResult

__all__ = ["TestRecord", "failure_reason", "shorten"]

_MAX_REASON: Final = 2_000


def shorten(text: str) -> str:
    """``text`` stripped and cut to a length a report can carry."""
    text = text.strip()
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"


def failure_reason(report: pytest.TestReport) -> str:
    """The one line that says why a phase failed, prefixed by the phase unless it is the call."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None)
    if isinstance(message, str) and message:
        text = message
    elif isinstance(report.longrepr, tuple):
        text = str(report.longrepr[-1])
    else:
        text = report.longreprtext or report.outcome
    return shorten(text if report.when == "call" else f"{report.when}: {text}")


@dataclass(slots=True)
class TestRecord:
    """What the phases of one test reported so far.

    Attributes:
        exercises: what the test checks: the adapter's store, or only the layer.
        duration: the time its phases took, in seconds.
        failure: why it failed, for every requirement it names.
        deviation: why it was expected to fail, when it failed as the adapter declared.
        undeclared_failure: why it failed, for the requirements it names that the adapter
            does not declare in ``KNOWN_DEVIATIONS``, when it failed as declared.
        gated: why it was skipped as not applicable.
        not_run: why it could not run in this run (something it needs was not provided).
        passed: whether its call passed.
    """

    __test__ = False  # a record of a test, not a pytest test class

    exercises: Exercises = "store"
    duration: float = 0.0
    failure: str | None = None
    deviation: str | None = None
    undeclared_failure: str | None = None
    gated: str | None = None
    not_run: str | None = None
    passed: bool = False

    def result(self, nodeid: str, *, declared: bool = False) -> TestResult | None:
        """The test's outcome for one requirement it names.

        A failure wins, then a deviation, then gating, then not running, then a pass. A
        deviation concerns only the requirements the adapter declares in ``KNOWN_DEVIATIONS``:
        for the others the test failed. Whether a declaration is out of date is settled per
        requirement, from all its tests (see :func:`contracts.conformance.report.settle`).

        Args:
            nodeid: the test's pytest node id.
            declared: whether the adapter declares the requirement in ``KNOWN_DEVIATIONS``.

        Returns:
            The outcome, or ``None`` when the run stopped before the test had one.
        """
        outcome: TestOutcome
        reason: str | None
        if self.failure is not None:
            outcome, reason = "failed", self.failure
        elif self.deviation is not None:
            if declared:
                outcome, reason = "deviation", self.deviation
            else:
                outcome, reason = "failed", self.undeclared_failure or self.deviation
        elif self.gated is not None:
            outcome, reason = "not_applicable", self.gated
        elif self.not_run is not None:
            outcome, reason = "not_run", self.not_run
        elif self.passed:
            outcome, reason = "passed", None
        else:
            return None
        return TestResult(
            nodeid=nodeid,
            outcome=outcome,
            exercises=self.exercises,
            duration_s=round(self.duration, 6),
            reason=reason,
        )
