"""The conformance report: one JSON document per run, with a status per requirement.

Each test names the requirements it checks. What it exercises is ``store`` (the adapter's
store) unless it is marked ``layer_only``: then only the layer or the models every adapter
inherits, so it cannot fail for an adapter that does not override the public methods. A test
ends ``passed``, ``failed``, ``deviation`` (failed as the adapter declares in
``KNOWN_DEVIATIONS``), ``not_applicable`` (it needs a capability declared unsupported) or
``not_run`` (it needs something this run does not provide, such as write faults).

A requirement's status follows from its tests (see :func:`settle`):

- ``failed`` if any of them failed (a setup error counts as a failure), or if the adapter
  declares it in ``KNOWN_DEVIATIONS`` and every test naming it ran and passed (the declaration
  is out of date);
- ``deviation`` if the adapter declares it and no test contradicts the declaration: either a
  test failed as declared (``note`` says it was observed), or the tests that could show it did
  not run (``note`` says it was declared but not observed);
- ``partly_tested`` if the tests that ran all passed but some of its tests did not run
  (``not_run``: they need something this run does not provide, such as write faults): what
  those tests check was not checked, so it is not ``passed``; ``note`` names them and why;
- ``passed`` if its tests all ran and passed and at least one exercised the store;
- ``layer_only`` if they all ran and passed but checked only the layer or the models: evidence
  about the shared code, not about the adapter;
- ``not_applicable`` if every test was skipped because a capability is declared unsupported;
- ``outside_run`` if no test checks it and :data:`contracts.spec.OUTSIDE_A_RUN` says why a run
  cannot (a matter for review, or a requirement on the kit itself);
- ``untested`` otherwise: no test naming it ran.

The verdict is ``conformant`` only for a complete run (the whole suite selected, nothing
deselected, not stopped early, no error of its own) in which no requirement ended failed,
deviation, untested or partly tested. A narrowed run is a ``partial_run`` whatever its
results; a run that did not complete is ``incomplete``, and so is a run whose only shortfall
is a requirement ``partly_tested``: the report never claims more than was checked. A failed,
deviating or untested requirement makes the run ``not_conformant``. Tests that could not run
are counted in ``summary.tests_not_run`` and listed under their requirements.

``format`` numbers the shape of this document; it changes whenever a field is added, removed
or changes meaning, so a reader can refuse a report it does not understand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import ClassVar, Final, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from contracts.errors import ValidationFailed
from contracts.spec import OUTSIDE_A_RUN, Level, Requirement
from contracts.validation import as_validation_failed

__all__ = [
    "AdapterSummary",
    "ConformanceReport",
    "Exercises",
    "REPORT_FORMAT",
    "RequirementResult",
    "RequirementStatus",
    "STATUSES",
    "Selection",
    "Summary",
    "TestOutcome",
    "TestResult",
    "Verdict",
    "build_report",
    "kit_version",
    "read_report",
    "settle",
    "stale_deviations",
    "write_report",
]

REPORT_FORMAT: Final = 4
"""The version of the report's shape (1 was the shape with a single ``passed`` flag; 2 had no
``partly_tested`` status, so a requirement some of whose tests did not run was ``passed``)."""

TestOutcome = Literal["passed", "failed", "deviation", "not_applicable", "not_run"]
"""What one test's run meant for the requirements it names."""

Exercises = Literal["store", "layer"]
"""What a test checks: the adapter's store, or only the layer and models every adapter shares."""

RequirementStatus = Literal[
    "passed",
    "partly_tested",
    "layer_only",
    "failed",
    "deviation",
    "not_applicable",
    "untested",
    "outside_run",
]
"""The status of one requirement (see the module doc)."""

STATUSES: Final[tuple[RequirementStatus, ...]] = get_args(RequirementStatus)
"""Every requirement status, in the order tables show them."""

Verdict = Literal["conformant", "not_conformant", "partial_run", "incomplete"]
"""The verdict on a run (see the module doc)."""

_DISTRIBUTION = "caseport"


class _ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdapterSummary(_ReportModel):
    """The adapter that was tested; ``url`` never holds a password."""

    name: str
    version: str
    backend: str
    url: str


class Selection(_ReportModel):
    """Which tests the run was asked to run, so that a narrowed run is never taken for a whole.

    Attributes:
        complete: whether the whole suite was selected and run: ``whole_suite``, no keyword
            or marker expression, nothing deselected and no early stop.
        whole_suite: whether the kit's suite package was among the paths given to pytest.
        paths: the other paths and node ids given to pytest (a vendor's own tests, or a part
            of the suite).
        keyword: the ``-k`` expression, if any.
        markers: the ``-m`` expression, if any.
        ignored: ``--ignore`` paths inside the suite, and every ``--ignore-glob`` pattern.
        deselected: how many collected tests were deselected (``-k``, ``-m``, ``--deselect``,
            ``--lf`` and the like).
        stopped_early: why the run stopped before the end (``-x``, ``--maxfail``), if it did.
    """

    complete: bool
    whole_suite: bool
    paths: tuple[str, ...] = ()
    keyword: str | None = None
    markers: str | None = None
    ignored: tuple[str, ...] = ()
    deselected: int = 0
    stopped_early: str | None = None

    def narrowing(self) -> tuple[str, ...]:
        """How the run was narrowed, one short phrase each; empty for a complete run."""
        parts = []
        if not self.whole_suite:
            parts.append("the whole suite was not selected")
        if self.keyword:
            parts.append(f"-k {self.keyword!r}")
        if self.markers:
            parts.append(f"-m {self.markers!r}")
        if self.ignored:
            parts.append(f"ignored {', '.join(self.ignored)}")
        if self.deselected:
            parts.append(f"{self.deselected} tests deselected")
        if self.stopped_early:
            parts.append(f"stopped early ({self.stopped_early})")
        return tuple(parts)


class TestResult(_ReportModel):
    """One test run: node id, outcome, what it exercises, time taken and, unless passed, why."""

    __test__: ClassVar[bool] = False  # a report model, not a pytest test class

    nodeid: str
    outcome: TestOutcome
    exercises: Exercises = "store"
    duration_s: float
    reason: str | None = None


class RequirementResult(_ReportModel):
    """One requirement of ``SPEC.md`` with its status and the tests behind it.

    Attributes:
        exercised: ``store`` when at least one test that ran exercised the adapter's store,
            ``layer`` when the tests that ran checked only the layer, ``None`` when none ran.
        declared_deviation: the adapter's reason when it declares the requirement in
            ``KNOWN_DEVIATIONS``.
        note: why the status is what it is, when the tests alone do not say.
    """

    id: str
    area: str
    level: Level
    text: str
    status: RequirementStatus
    exercised: Exercises | None = None
    declared_deviation: str | None = None
    note: str | None = None
    tests: tuple[TestResult, ...] = ()


class Summary(_ReportModel):
    """How many requirements ended in each status, and how many tests could not run.

    ``passed`` counts only requirements exercised against the adapter's store whose tests all
    ran; those checked only against the layer are ``layer_only``, and those some of whose
    tests did not run are ``partly_tested``. ``total`` counts every requirement.
    """

    passed: int
    partly_tested: int
    layer_only: int
    failed: int
    deviation: int
    not_applicable: int
    untested: int
    outside_run: int
    total: int
    tests_not_run: int


class ConformanceReport(_ReportModel):
    """The result of one run of the conformance kit against one adapter.

    ``verdict`` is ``conformant`` only for a complete run in which every requirement a run can
    check and the adapter's capabilities make applicable was exercised by every one of its
    tests and held (see the module doc); ``errors`` lists what stopped or spoiled the run
    itself, such as collection errors or a store that could not be built.
    """

    format: Literal[4]
    kit_version: str
    spec_version: str
    adapter: AdapterSummary
    capabilities: dict[str, str]
    capability_notes: dict[str, str] = {}
    started_at: datetime
    duration_s: float
    selection: Selection
    summary: Summary
    requirements: tuple[RequirementResult, ...]
    verdict: Verdict
    errors: tuple[str, ...] = ()

    @property
    def conformant(self) -> bool:
        """Whether the verdict is ``conformant``."""
        return self.verdict == "conformant"

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


_RAN: Final = frozenset({"passed", "failed", "deviation"})
_STALE: Final = (
    "declared in KNOWN_DEVIATIONS, yet every test naming it ran and passed: the declaration "
    "is out of date"
)


def stale_deviations(
    results: Mapping[str, Sequence[TestResult]], deviations: Mapping[str, str]
) -> list[str]:
    """The declared requirements whose tests all ran and passed, in id order."""
    return sorted(
        requirement_id
        for requirement_id in deviations
        if results.get(requirement_id)
        and all(test.outcome == "passed" for test in results[requirement_id])
    )


def settle(
    tests: Sequence[TestResult],
    *,
    declared: str | None = None,
    outside: str | None = None,
) -> tuple[RequirementStatus, Exercises | None, str | None]:
    """A requirement's status, what its tests exercised and a note, from its tests' results.

    Args:
        tests: the results of the tests naming the requirement.
        declared: the adapter's reason, when it declares the requirement a known deviation.
        outside: why a run cannot check it, when :data:`~contracts.spec.OUTSIDE_A_RUN` says so.
    """
    outcomes = {test.outcome for test in tests}
    ran = [test for test in tests if test.outcome in _RAN]
    exercised: Exercises | None = None
    if ran:
        exercised = "store" if any(test.exercises == "store" for test in ran) else "layer"
    not_run = sum(test.outcome == "not_run" for test in tests)
    if "failed" in outcomes:
        return "failed", exercised, None
    if declared is not None:
        if "deviation" in outcomes:
            return "deviation", exercised, "declared by the adapter and observed in this run"
        if ran and not not_run:
            return "failed", exercised, _STALE
        if not ran and outcomes == {"not_applicable"}:
            return "not_applicable", None, None
        why = (
            f"{not_run} test(s) that could show it did not run"
            if not_run
            else "no test of this run checks it"
        )
        return "deviation", exercised, f"declared by the adapter, not observed in this run: {why}"
    if ran:
        if not_run:
            return "partly_tested", exercised, _partly_tested(ran, tests)
        return ("passed" if exercised == "store" else "layer_only"), exercised, None
    if outcomes == {"not_applicable"}:
        return "not_applicable", None, None
    if not tests and outside is not None:
        return "outside_run", None, outside
    if not_run:
        return "untested", None, f"its {not_run} test(s) could not run in this run"
    return "untested", None, None


def _partly_tested(ran: Sequence[TestResult], tests: Sequence[TestResult]) -> str:
    """The note of a requirement some of whose tests did not run: which, and why."""
    missing = "; ".join(
        f"{test.nodeid.rpartition('::')[2]}: {test.reason or 'no reason recorded'}"
        for test in tests
        if test.outcome == "not_run"
    )
    return (
        f"the {len(ran)} test(s) that ran passed, but not every test of it ran, so it is not "
        f"counted as passed. Not run: {missing}"
    )


def build_report(
    *,
    requirements: Sequence[Requirement],
    results: Mapping[str, Sequence[TestResult]],
    spec_version: str,
    adapter: AdapterSummary,
    capabilities: Mapping[str, str],
    capability_notes: Mapping[str, str] | None = None,
    started_at: datetime,
    duration_s: float,
    selection: Selection,
    run_completed: bool,
    deviations: Mapping[str, str] | None = None,
    outside: Mapping[str, str] = OUTSIDE_A_RUN,
    errors: Sequence[str] = (),
) -> ConformanceReport:
    """Assemble a report from the test results gathered per requirement id.

    Args:
        requirements: every requirement of the specification, in order.
        results: the results of the tests naming each requirement id.
        spec_version: the specification version the kit tested against.
        adapter: the adapter that was tested.
        capabilities: its declaration, capability value to support value.
        capability_notes: how each partial or emulated capability is provided, by value.
        started_at: when the run started.
        duration_s: how long it took.
        selection: which tests the run was asked to run.
        run_completed: whether the test run itself finished without errors of its own.
        deviations: the adapter's ``KNOWN_DEVIATIONS`` (``None``: unknown, none assumed).
        outside: requirements a run cannot check, with the reason.
        errors: problems of the run as a whole, for people to read.
    """
    deviations = deviations or {}
    rows = []
    for requirement in requirements:
        tests = tuple(results.get(requirement.id, ()))
        declared = deviations.get(requirement.id)
        status, exercised, note = settle(
            tests, declared=declared, outside=outside.get(requirement.id)
        )
        rows.append(
            RequirementResult(
                id=requirement.id,
                area=requirement.area,
                level=requirement.level,
                text=requirement.text,
                status=status,
                exercised=exercised,
                declared_deviation=declared,
                note=note,
                tests=tests,
            )
        )
    statuses = [row.status for row in rows]
    summary = Summary(
        passed=statuses.count("passed"),
        partly_tested=statuses.count("partly_tested"),
        layer_only=statuses.count("layer_only"),
        failed=statuses.count("failed"),
        deviation=statuses.count("deviation"),
        not_applicable=statuses.count("not_applicable"),
        untested=statuses.count("untested"),
        outside_run=statuses.count("outside_run"),
        total=len(rows),
        tests_not_run=len(
            {
                test.nodeid
                for tests in results.values()
                for test in tests
                if test.outcome == "not_run"
            }
        ),
    )
    verdict: Verdict
    if not run_completed or errors:
        verdict = "incomplete"
    elif not selection.complete:
        verdict = "partial_run"
    elif summary.failed or summary.deviation or summary.untested:
        verdict = "not_conformant"
    elif summary.partly_tested:
        verdict = "incomplete"  # nothing failed, but not everything was checked
    else:
        verdict = "conformant"
    return ConformanceReport(
        format=REPORT_FORMAT,
        kit_version=kit_version(),
        spec_version=spec_version,
        adapter=adapter,
        capabilities=dict(capabilities),
        capability_notes=dict(capability_notes or {}),
        started_at=started_at,
        duration_s=duration_s,
        selection=selection,
        summary=summary,
        requirements=tuple(rows),
        verdict=verdict,
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
        raise as_validation_failed(
            exc, f"conformance report {path} (report format {REPORT_FORMAT} expected)"
        ) from None  # the validation error quotes the file's content; the message names fields
