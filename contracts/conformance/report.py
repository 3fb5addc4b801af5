"""The conformance report: one JSON document per run, with a verdict per requirement.

A requirement's status follows from the outcomes of the tests that name it:

- ``failed`` if any of them failed (a setup error counts as a failure);
- ``deviation`` if none failed and one failed as the adapter declared in ``KNOWN_DEVIATIONS``;
- ``passed`` if none failed or deviated and at least one passed;
- ``not_applicable`` if every one was skipped because a capability is declared unsupported;
- ``untested`` if no test names it.

A test's outcome is settled for each requirement it names: a failure the adapter declares in
``KNOWN_DEVIATIONS`` is a ``deviation`` only for the requirements it declares, and ``failed``
for the others (see :mod:`contracts.conformance.plugin`).

The procurement comparison and the feature matrix are generated from these reports, so the
field names are part of the kit's interface.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.errors import ValidationFailed
from contracts.spec import Level, Requirement
from contracts.validation import as_validation_failed

__all__ = [
    "AdapterSummary",
    "ConformanceReport",
    "RequirementResult",
    "RequirementStatus",
    "Summary",
    "TestOutcome",
    "TestResult",
    "build_report",
    "kit_version",
    "read_report",
    "requirement_status",
    "write_report",
]

TestOutcome = Literal["passed", "failed", "not_applicable", "deviation"]
"""What one test's run meant for the requirements it names."""

RequirementStatus = Literal["passed", "failed", "not_applicable", "deviation", "untested"]
"""The verdict on one requirement."""

_DISTRIBUTION = "caseport"


class _ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdapterSummary(_ReportModel):
    """The adapter that was tested; ``url`` never holds a password."""

    name: str
    version: str
    backend: str
    url: str


class TestResult(_ReportModel):
    """One test run: its pytest node id, outcome, time taken and, unless it passed, why."""

    __test__: ClassVar[bool] = False  # a report model, not a pytest test class

    nodeid: str
    outcome: TestOutcome
    duration_s: float
    reason: str | None = None


class RequirementResult(_ReportModel):
    """One requirement of ``SPEC.md`` with its verdict and the tests behind it."""

    id: str
    area: str
    level: Level
    text: str
    status: RequirementStatus
    tests: tuple[TestResult, ...] = ()


class Summary(_ReportModel):
    """How many requirements ended in each status; ``total`` counts them all."""

    passed: int
    failed: int
    not_applicable: int
    deviation: int
    untested: int
    total: int


class ConformanceReport(_ReportModel):
    """The result of one run of the conformance kit against one adapter.

    ``passed`` is true exactly when no requirement failed and the run itself completed
    (``errors`` lists what stopped or spoiled it, such as collection errors or a store that
    could not be built).
    """

    kit_version: str
    spec_version: str
    adapter: AdapterSummary
    capabilities: dict[str, str]
    started_at: datetime
    duration_s: float
    summary: Summary
    requirements: tuple[RequirementResult, ...]
    passed: bool
    errors: tuple[str, ...] = ()

    def requirement(self, requirement_id: str) -> RequirementResult:
        """The result for ``requirement_id``.

        Raises:
            ValidationFailed: the report holds no such requirement.
        """
        for result in self.requirements:
            if result.id == requirement_id:
                return result
        raise ValidationFailed(f"the report holds no requirement {requirement_id!r}")


def kit_version() -> str:
    """The installed caseport version, ``0.0.0`` when running from an uninstalled tree."""
    try:
        return version(_DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"


def requirement_status(outcomes: Iterable[TestOutcome]) -> RequirementStatus:
    """The verdict on a requirement whose tests ended in ``outcomes`` (see the module doc)."""
    seen = set(outcomes)
    for status in ("failed", "deviation", "passed", "not_applicable"):
        if status in seen:
            return status
    return "untested"


def build_report(
    *,
    requirements: Sequence[Requirement],
    results: Mapping[str, Sequence[TestResult]],
    spec_version: str,
    adapter: AdapterSummary,
    capabilities: Mapping[str, str],
    started_at: datetime,
    duration_s: float,
    run_completed: bool,
    errors: Sequence[str] = (),
) -> ConformanceReport:
    """Assemble a report from the test results gathered per requirement id.

    Args:
        requirements: every requirement of the specification, in order.
        results: the results of the tests naming each requirement id.
        spec_version: the specification version the kit tested against.
        adapter: the adapter that was tested.
        capabilities: its declaration, capability value to support value.
        started_at: when the run started.
        duration_s: how long it took.
        run_completed: whether the test run itself finished without errors of its own.
        errors: problems of the run as a whole, for people to read.
    """
    rows = []
    for requirement in requirements:
        tests = tuple(results.get(requirement.id, ()))
        rows.append(
            RequirementResult(
                id=requirement.id,
                area=requirement.area,
                level=requirement.level,
                text=requirement.text,
                status=requirement_status(test.outcome for test in tests),
                tests=tests,
            )
        )
    statuses = [row.status for row in rows]
    summary = Summary(
        passed=statuses.count("passed"),
        failed=statuses.count("failed"),
        not_applicable=statuses.count("not_applicable"),
        deviation=statuses.count("deviation"),
        untested=statuses.count("untested"),
        total=len(rows),
    )
    return ConformanceReport(
        kit_version=kit_version(),
        spec_version=spec_version,
        adapter=adapter,
        capabilities=dict(capabilities),
        started_at=started_at,
        duration_s=duration_s,
        summary=summary,
        requirements=tuple(rows),
        passed=run_completed and summary.failed == 0 and not errors,
        errors=tuple(errors),
    )


def write_report(report: ConformanceReport, path: Path) -> None:
    """Write ``report`` to ``path`` as indented JSON, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_report(path: Path) -> ConformanceReport:
    """Read a report written by :func:`write_report`.

    Raises:
        ValidationFailed: the file does not hold a valid report.
    """
    try:
        return ConformanceReport.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise as_validation_failed(exc, f"conformance report {path}") from exc
