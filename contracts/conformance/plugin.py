"""The pytest plugin of the caseport conformance kit.

Installed with caseport as the ``pytest11`` entry point ``caseport_conformance``, so it loads in
every pytest run of everyone who installs caseport; it stays inert (it only adds its two
command-line options) unless ``--caseport-url`` is given. Then it:

- offers the fixtures ``caseport_url``, ``caseport_store_factory`` (a callable building a new,
  empty store; override it in a ``conftest.py`` to build stores your own way), ``store`` (a
  fresh store per test, closed afterwards, refused when not empty) and
  ``caseport_write_faults`` (the store's own fault point,
  :meth:`~contracts.store.CaseStore.write_faults`, or ``None`` when it offers none; override
  it with a :class:`~contracts.conformance.stores.WriteFaults` to run the tests that need
  failing backend writes against stores without one);
- requires every collected test to name the ``SPEC.md`` requirements it checks with
  ``@pytest.mark.requirement(...)`` (a missing marker or an unknown id is a collection error),
  and reads ``@pytest.mark.layer_only("why")`` on tests that check only the layer or the
  models, so the report does not count them as the adapter's passes;
- skips a test marked ``@pytest.mark.capability(...)`` when the adapter declares one of those
  capabilities unsupported, and a test needing ``caseport_write_faults`` when the run provides
  none (reported ``not_run``: its requirements are then at best ``partly_tested`` and the
  verdict ``incomplete``); every other skip becomes a failure;
- expects the requirements of the adapter's ``KNOWN_DEVIATIONS`` to fail, and fails the run
  when every test naming a declared requirement ran and passed (the declaration is out of date);
- records which tests were selected (``-k``, ``-m``, paths and node ids, deselections, an early
  stop), so a narrowed run is reported as a partial run, never as conformant;
- writes the JSON report (:mod:`contracts.conformance.report`) with ``--caseport-report``.

The adapter's capabilities and deviations are read once per session from a probe store built
by the factory.

A test naming a requirement in ``KNOWN_DEVIATIONS`` is expected to fail (a non-strict xfail:
only some of a requirement's tests may be able to show its deviation), and its outcome is
settled requirement by requirement:

- it fails: each declared requirement it names is a ``deviation``; each other one is
  ``failed``, since the kit cannot tell which requirement broke the test, and pytest reports the
  test as failed unless every requirement it names is declared. An adapter whose deviation
  makes such a test fail declares every requirement the test names (after checking that they
  are indeed broken);
- it passes: it counts as passed for each requirement it names. A declared requirement whose
  tests all ran and passed is ``failed`` and fails the run; one whose revealing tests did not
  run stays a ``deviation``, noted as not observed.

PYTEST_DONT_REWRITE: the plugin holds no assertions, and may be imported before pytest starts.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest

from contracts import SPEC_VERSION
from contracts.capabilities import Capability, Support
from contracts.conformance.outcomes import TestRecord, failure_reason, shorten
from contracts.conformance.report import (
    AdapterSummary,
    ConformanceReport,
    Exercises,
    Selection,
    TestResult,
    build_report,
    stale_deviations,
    write_report,
)
from contracts.conformance.stores import (
    StoreFactory,
    WriteFaults,
    default_store_factory,
    holds_records,
    redact,
)
from contracts.errors import CaseportError
from contracts.results import AdapterInfo
from contracts.spec import load_requirements
from contracts.store import CaseStore

__all__ = [
    "CAPABILITY_MARKER",
    "LAYER_ONLY_MARKER",
    "REQUIREMENT_MARKER",
    "SESSION_PLUGIN_NAME",
    "SUITE_PACKAGE",
    "WRITE_FAULTS_FIXTURE",
    "StoreFactory",
    "WriteFaults",
    "default_store_factory",
]

REQUIREMENT_MARKER: Final = "requirement"
CAPABILITY_MARKER: Final = "capability"
LAYER_ONLY_MARKER: Final = "layer_only"
WRITE_FAULTS_FIXTURE: Final = "caseport_write_faults"
SUITE_PACKAGE: Final = "contracts.conformance.suite"
SESSION_PLUGIN_NAME: Final = "caseport-conformance-session"
"""Name under which the active kit registers itself; absent when the plugin is inert."""

_ENTRY_POINT_NAME: Final = "caseport_conformance"
_NO_WRITE_FAULTS: Final = (
    f"needs backend write faults, which this run does not provide (the store offers no "
    f"write_faults() and the {WRITE_FAULTS_FIXTURE} fixture is not overridden); not run, so "
    "not counted as passed"
)
_NOT_EMPTY: Final = (
    "the store built for this test already holds records; the conformance kit needs a new, "
    "empty store for every test and never deletes data. Make caseport_store_factory build a "
    "fresh store each call, e.g. with {tmp} or {uid} in the URL"
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    """Keep caseport's entry point from registering this plugin a second time.

    ``-p contracts.conformance.plugin`` registers the module before pytest loads entry points;
    loading it again as ``caseport_conformance`` would be refused, so that name is blocked.
    """
    if pluginmanager.get_name(sys.modules[__name__]) != _ENTRY_POINT_NAME:
        pluginmanager.set_blocked(_ENTRY_POINT_NAME)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--caseport-url`` and ``--caseport-report``."""
    group = parser.getgroup("caseport", "caseport conformance kit")
    group.addoption(
        "--caseport-url",
        dest="caseport_url",
        default=None,
        metavar="URL",
        help="run the caseport conformance kit against the store at URL; in URL, {tmp} becomes "
        "a new temporary directory and {uid} a unique token for every store built, e.g. "
        "sqlite:///{tmp}/store.db",
    )
    group.addoption(
        "--caseport-report",
        dest="caseport_report",
        default=None,
        metavar="FILE",
        help="write the caseport conformance report to FILE as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Activate the kit when ``--caseport-url`` is given; otherwise do nothing."""
    url: str | None = config.getoption("caseport_url")
    report: str | None = config.getoption("caseport_report")
    if url is None:
        if report is not None:
            raise pytest.UsageError("--caseport-report needs --caseport-url")
        return
    config.addinivalue_line(
        "markers",
        f"{REQUIREMENT_MARKER}(*ids): the SPEC.md requirement ids a conformance test checks",
    )
    config.addinivalue_line(
        "markers",
        f"{CAPABILITY_MARKER}(*capabilities): capabilities a conformance test needs; the test "
        "is not applicable when the adapter declares one of them unsupported",
    )
    config.addinivalue_line(
        "markers",
        f"{LAYER_ONLY_MARKER}(reason): the conformance test checks only the layer or the "
        "models every adapter inherits, so it is not counted as the adapter's pass",
    )
    try:
        session = _ConformanceSession(url, Path(report) if report else None)
    except CaseportError as exc:
        raise pytest.UsageError(f"caseport conformance kit: {exc}") from exc
    config.pluginmanager.register(session, SESSION_PLUGIN_NAME)


def _marker_values(item: pytest.Item, name: str) -> list[object]:
    return [value for mark in item.iter_markers(name) for value in mark.args]


def _requirement_ids(item: pytest.Item) -> tuple[str, ...]:
    ids = _marker_values(item, REQUIREMENT_MARKER)
    return tuple(dict.fromkeys(value for value in ids if isinstance(value, str)))


def _exercises(item: pytest.Item) -> Exercises:
    return "layer" if item.get_closest_marker(LAYER_ONLY_MARKER) is not None else "store"


def _capabilities(item: pytest.Item) -> tuple[Capability, ...]:
    found: list[Capability] = []
    for value in _marker_values(item, CAPABILITY_MARKER):
        try:
            found.append(Capability(str(value)))
        except ValueError:
            continue  # reported as a collection error
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class _Deviation:
    """The declared deviations among one test's requirements."""

    reason: str
    declared: frozenset[str]
    undeclared: tuple[str, ...]


def _undeclared_message(deviation: _Deviation, wasxfail: str | None = None) -> str:
    expected = f"the expected failure ({wasxfail}) " if wasxfail else "the expected failure "
    return (
        f"{expected}excuses only {', '.join(sorted(deviation.declared))}; this test also "
        f"checks {', '.join(deviation.undeclared)}, not declared in KNOWN_DEVIATIONS, and the "
        "kit cannot tell which requirement broke it, so those count as failed. Declare every "
        "requirement the test names if the deviation is what makes it fail"
    )


@dataclass(frozen=True, slots=True)
class _Probe:
    capabilities: dict[Capability, Support]
    notes: dict[Capability, str]
    deviations: dict[str, str]
    info: AdapterInfo


class _ConformanceSession:
    """The active kit: fixtures, marker checks, gating and the report of one pytest session."""

    def __init__(self, url: str, report_path: Path | None) -> None:
        self.url = url
        self.report_path = report_path
        self.report: ConformanceReport | None = None
        self._requirements = load_requirements()
        self._known = frozenset(requirement.id for requirement in self._requirements)
        self._probe: _Probe | None = None
        self._item_requirements: dict[str, tuple[str, ...]] = {}
        self._item_exercises: dict[str, Exercises] = {}
        self._gated: dict[str, str] = {}
        self._not_run: dict[str, str] = {}
        self._deviating: dict[str, _Deviation] = {}
        self._excused: set[tuple[str, str]] = set()
        self._records: dict[str, TestRecord] = {}
        self._deselected = 0
        self._stale: list[str] = []
        self._errors: list[str] = []
        self._started_at = datetime.now(UTC)
        self._started = time.monotonic()

    # ------------------------------------------------------------------ fixtures

    @pytest.fixture(scope="session")
    def caseport_url(self) -> str:
        """The store URL given with ``--caseport-url``."""
        return self.url

    @pytest.fixture
    def caseport_store_factory(self, tmp_path_factory: pytest.TempPathFactory) -> StoreFactory:
        """A callable that builds a new, empty store (see :func:`default_store_factory`)."""
        return default_store_factory(self.url, lambda: tmp_path_factory.mktemp("store"))

    @pytest.fixture
    def store(self, caseport_store_factory: StoreFactory) -> Iterator[CaseStore]:
        """A new, empty store for one test, closed afterwards."""
        built = caseport_store_factory()
        try:
            if holds_records(built):
                pytest.fail(_NOT_EMPTY, pytrace=False)
            yield built
        finally:
            built.close()

    @pytest.fixture
    def caseport_write_faults(self, store: CaseStore) -> WriteFaults | None:
        """Fails the test's store's backend writes on demand; ``None``: this run cannot.

        The store's own fault point (:meth:`~contracts.store.CaseStore.write_faults`) when it
        offers one. Override it in a ``conftest.py`` (or a plugin) with a
        :class:`~contracts.conformance.stores.WriteFaults` for the stores your
        ``caseport_store_factory`` builds.
        """
        return store.write_faults()

    @pytest.fixture(autouse=True)
    def _caseport_conformance_gate(self, request: pytest.FixtureRequest) -> None:
        """Skip tests that cannot apply or cannot run, and expect known deviations to fail."""
        probe = self._probe_once(request)
        item: pytest.Item = request.node
        for capability in _capabilities(item):
            if probe.capabilities.get(capability) is Support.UNSUPPORTED:
                reason = f"capability {capability.value} declared unsupported"
                self._gated[item.nodeid] = reason
                pytest.skip(reason)
        if (
            WRITE_FAULTS_FIXTURE in request.fixturenames
            and request.getfixturevalue(WRITE_FAULTS_FIXTURE) is None
        ):
            self._not_run[item.nodeid] = _NO_WRITE_FAULTS
            pytest.skip(_NO_WRITE_FAULTS)
        names = _requirement_ids(item)
        declared = [
            requirement_id for requirement_id in names if requirement_id in probe.deviations
        ]
        if declared:
            reason = "known deviation " + "; ".join(
                f"{requirement_id}: {probe.deviations[requirement_id]}"
                for requirement_id in declared
            )
            self._deviating[item.nodeid] = _Deviation(
                reason=reason,
                declared=frozenset(declared),
                undeclared=tuple(name for name in names if name not in probe.deviations),
            )
            # Not strict: a requirement's other tests may pass; whether the declaration is out
            # of date is settled per requirement when the run ends.
            item.add_marker(pytest.mark.xfail(reason=reason, strict=False))

    # ------------------------------------------------------------------ collection

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Make a test without valid requirement and capability markers a collection error."""
        report = yield
        if report.passed:
            problems = [
                problem
                for node in report.result
                if isinstance(node, pytest.Item)
                for problem in self._marker_problems(node)
            ]
            if problems:
                report.outcome = "failed"
                report.longrepr = "\n".join(problems)
                report.result = []
        return report

    def _marker_problems(self, item: pytest.Item) -> list[str]:
        problems = []
        ids = _marker_values(item, REQUIREMENT_MARKER)
        if not ids:
            problems.append(
                f"{item.nodeid}: every conformance test names the SPEC.md requirements it "
                f"checks with @pytest.mark.{REQUIREMENT_MARKER}('ID', ...)"
            )
        unknown = [str(value) for value in ids if value not in self._known]
        if unknown:
            problems.append(
                f"{item.nodeid}: SPEC.md {SPEC_VERSION} has no requirement {', '.join(unknown)}"
            )
        for value in _marker_values(item, CAPABILITY_MARKER):
            try:
                Capability(str(value))
            except ValueError:
                names = ", ".join(capability.value for capability in Capability)
                problems.append(f"{item.nodeid}: unknown capability {value!r}; known: {names}")
        for mark in item.iter_markers(LAYER_ONLY_MARKER):
            if len(mark.args) != 1 or not isinstance(mark.args[0], str) or not mark.args[0]:
                problems.append(
                    f"{item.nodeid}: @pytest.mark.{LAYER_ONLY_MARKER} takes one reason: why "
                    "the test cannot fail for an adapter"
                )
        return problems

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Remember which requirements each collected test checks, and what it exercises."""
        for item in items:
            self._item_requirements[item.nodeid] = _requirement_ids(item)
            self._item_exercises[item.nodeid] = _exercises(item)

    def pytest_deselected(self, items: Sequence[pytest.Item]) -> None:
        """Count deselected tests: a run that deselects any is a partial run."""
        self._deselected += len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """Note collection errors for the report."""
        if report.failed:
            where = report.nodeid or "the session"
            self._errors.append(shorten(f"collection error in {where}: {report.longreprtext}"))

    # ------------------------------------------------------------------ gating and outcomes

    def _probe_once(self, request: pytest.FixtureRequest) -> _Probe:
        if self._probe is not None:
            return self._probe
        factory: StoreFactory = request.getfixturevalue("caseport_store_factory")
        try:
            probe_store = factory()
        except Exception as exc:  # any failure here leaves nothing to test
            message = f"cannot build a store for {redact(self.url)}: {type(exc).__name__}: {exc}"
            self._errors.append(shorten(message))
            pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)
        try:
            self._probe = _Probe(
                capabilities=dict(probe_store.capabilities()),
                notes=dict(probe_store.capability_notes()),
                deviations=dict(probe_store.known_deviations()),
                info=probe_store.info,
            )
        finally:
            probe_store.close()
        unknown = sorted(set(self._probe.deviations) - self._known)
        if unknown:
            message = (
                f"{type(probe_store).__name__}.KNOWN_DEVIATIONS names requirements that "
                f"SPEC.md {SPEC_VERSION} does not have: {', '.join(unknown)}"
            )
            self._errors.append(message)
            pytest.exit(message, returncode=pytest.ExitCode.USAGE_ERROR)
        return self._probe

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Fail every skip and expected failure that the adapter's declarations do not explain.

        An expected failure of a test that also names requirements the adapter does not declare
        becomes a failure too; the report still counts the declared ones as deviations.
        """
        report = yield
        deviation = self._deviating.get(item.nodeid)
        if not report.skipped:
            return report
        wasxfail = getattr(report, "wasxfail", None)
        if wasxfail is not None:
            if deviation is None:
                report.outcome = "failed"
                report.longrepr = (
                    f"expected failure ({wasxfail}) that the adapter does not declare in "
                    "KNOWN_DEVIATIONS; the conformance kit does not accept it"
                )
            elif deviation.undeclared:
                self._excused.add((item.nodeid, report.when))
                del report.wasxfail
                report.outcome = "failed"
                report.sections.append(
                    ("caseport conformance", _undeclared_message(deviation, str(wasxfail)))
                )
        elif item.nodeid not in self._gated and item.nodeid not in self._not_run:
            skipped = report.longrepr[-1] if isinstance(report.longrepr, tuple) else ""
            skipped = skipped.removeprefix("Skipped: ")
            report.outcome = "failed"
            report.longrepr = (
                f"skipped ({skipped}) without a capability declared unsupported; the "
                "conformance kit counts every other skip as a failure"
            )
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Fold each phase's report into the test's outcome."""
        record = self._records.get(report.nodeid)
        if record is None:
            exercises = self._item_exercises.get(report.nodeid, "store")
            record = self._records[report.nodeid] = TestRecord(exercises=exercises)
        record.duration += report.duration
        phase = (report.nodeid, report.when)
        if phase in self._excused:
            deviation = self._deviating[report.nodeid]
            record.deviation = shorten(deviation.reason)
            record.undeclared_failure = shorten(
                f"{_undeclared_message(deviation)}. It failed with: {failure_reason(report)}"
            )
        elif report.failed:
            record.failure = record.failure or failure_reason(report)
        elif report.skipped:
            wasxfail = getattr(report, "wasxfail", None)
            if wasxfail is not None:
                record.deviation = shorten(f"{wasxfail}. It failed with: {failure_reason(report)}")
            else:
                record.gated = self._gated.get(report.nodeid)
                record.not_run = self._not_run.get(report.nodeid)
        elif report.when == "call":
            record.passed = True

    # ------------------------------------------------------------------ report

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Build the report, fail the run on out-of-date declarations, and write the report."""
        completed = exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
        if not completed and not self._errors:
            self._errors.append(f"the run did not complete (pytest exit status {exitstatus})")
        results: dict[str, list[TestResult]] = {}
        for nodeid, record in self._records.items():
            deviation = self._deviating.get(nodeid)
            declared = frozenset() if deviation is None else deviation.declared
            for requirement_id in self._item_requirements.get(nodeid, ()):
                result = record.result(nodeid, declared=requirement_id in declared)
                if result is not None:
                    results.setdefault(requirement_id, []).append(result)
        probe = self._probe
        deviations = {} if probe is None else probe.deviations
        self._stale = stale_deviations(results, deviations)
        if self._stale and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.report = build_report(
            requirements=self._requirements,
            results=results,
            spec_version=SPEC_VERSION,
            adapter=self._adapter(probe),
            capabilities={} if probe is None else self._capability_table(probe),
            capability_notes={}
            if probe is None
            else {c.value: note for c, note in sorted(probe.notes.items())},
            started_at=self._started_at,
            duration_s=round(time.monotonic() - self._started, 3),
            selection=self._selection(session),
            run_completed=completed,
            deviations=deviations,
            errors=self._errors,
        )
        if self.report_path is not None:
            write_report(self.report, self.report_path)

    def _selection(self, session: pytest.Session) -> Selection:
        config = session.config
        suite = _suite_directory()
        base = config.invocation_params.dir
        whole = False
        paths: list[str] = []
        for arg in config.args:
            if _names_suite(arg, suite, base):
                whole = True
            else:
                paths.append(arg)
        keyword = config.option.keyword or None
        markers = config.option.markexpr or None
        ignored = [
            str(path)
            for path in config.getoption("ignore") or ()
            if _inside(Path(base, path), suite)
        ]
        ignored += [str(glob) for glob in config.getoption("ignore_glob") or ()]
        stop = session.shouldstop or session.shouldfail
        stopped = (stop if isinstance(stop, str) else "stopped early") if stop else None
        deselected = self._deselected
        return Selection(
            complete=whole and not (keyword or markers or ignored or deselected or stopped),
            whole_suite=whole,
            paths=tuple(paths),
            keyword=keyword,
            markers=markers,
            ignored=tuple(ignored),
            deselected=deselected,
            stopped_early=stopped,
        )

    def _adapter(self, probe: _Probe | None) -> AdapterSummary:
        url = redact(self.url)
        if probe is None:
            return AdapterSummary(name="unknown", version="unknown", backend="unknown", url=url)
        info = probe.info
        return AdapterSummary(name=info.name, version=info.version, backend=info.backend, url=url)

    @staticmethod
    def _capability_table(probe: _Probe) -> dict[str, str]:
        return {
            capability.value: probe.capabilities[capability].value
            for capability in sorted(probe.capabilities, key=lambda c: c.value)
        }

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        """Print the verdict, the requirement counts and where the report went."""
        if self.report is None:
            return
        report = self.report
        summary = report.summary
        verdict = report.verdict.replace("_", " ")
        terminalreporter.write_sep(
            "-",
            f"caseport conformance: {verdict}; of {summary.total} requirements "
            f"{summary.passed} passed against the store, {summary.partly_tested} partly "
            f"tested, {summary.layer_only} layer only, "
            f"{summary.failed} failed, {summary.deviation} deviation, "
            f"{summary.not_applicable} not applicable, {summary.untested} untested, "
            f"{summary.outside_run} outside a run; {summary.tests_not_run} tests not run",
        )
        for nodeid, reason in self._not_run.items():
            terminalreporter.write_line(f"not run: {nodeid}: {reason}")
        partly = [r.id for r in report.requirements if r.status == "partly_tested"]
        if partly:
            terminalreporter.write_line(
                f"partly tested (some of their tests did not run, so not counted as passed): "
                f"{', '.join(partly)}; a run that leaves a requirement partly tested is never "
                "conformant"
            )
        for requirement_id in self._stale:
            terminalreporter.write_line(
                f"{requirement_id} is declared in KNOWN_DEVIATIONS, yet every test naming it "
                "ran and passed: the declaration is out of date, so the run fails"
            )
        if not report.selection.complete:
            narrowed = "; ".join(report.selection.narrowing())
            terminalreporter.write_line(
                f"partial run ({narrowed}): a partial run is never conformant"
            )
        if self.report_path is not None:
            terminalreporter.write_line(f"report: {self.report_path}")


def _suite_directory() -> Path | None:
    spec = importlib.util.find_spec(SUITE_PACKAGE)
    locations = None if spec is None else spec.submodule_search_locations
    return Path(next(iter(locations))).resolve() if locations else None


def _inside(path: Path, directory: Path | None) -> bool:
    if directory is None:
        return False
    resolved = path.resolve()
    return resolved == directory or directory in resolved.parents


def _names_suite(arg: str, suite: Path | None, base: Path) -> bool:
    """Whether a pytest argument names the whole suite package (not a part of it)."""
    if arg == SUITE_PACKAGE:
        return True
    if suite is None or "::" in arg:
        return False
    return Path(base, arg).resolve() == suite
