"""The conformance kit's pytest plugin: gating, strictness, collection checks and the report.

Each test runs a small pytest session in a subprocess, as a vendor would, with the plugin
loaded either through caseport's entry point or with ``-p``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

import contracts.conformance.suite
from contracts import SPEC_VERSION
from contracts.capabilities import Capability
from contracts.conformance.report import read_report
from contracts.conformance.runner import plugin_arguments
from contracts.spec import OUTSIDE_A_RUN, load_requirements

REPOSITORY = Path(__file__).resolve().parents[2]

WITHOUT_CASES = """
import pytest

from adapters.memory import MemoryBackend
from contracts.capabilities import Capability, Support, declare
from contracts.store import CaseStore


class WithoutCases(MemoryBackend):
    CAPABILITIES = declare(
        **{
            c.name: Support.UNSUPPORTED if c is Capability.CASES else MemoryBackend.CAPABILITIES[c]
            for c in Capability
        }
    )


@pytest.fixture
def caseport_store_factory():
    return lambda: CaseStore(WithoutCases())
"""

DEVIATING = """
import pytest

from adapters.memory import MemoryBackend
from contracts.store import CaseStore


class Deviating(MemoryBackend):
    KNOWN_DEVIATIONS = {"ENT-001": "labels are upper-cased, tracked in issue 12"}


@pytest.fixture
def caseport_store_factory():
    return lambda: CaseStore(Deviating())
"""

ENTITY_TEST = """
import pytest

from contracts.models.entities import Entity, EntityKind


@pytest.mark.requirement("ENT-001")
def test_entity(store):
    created = store.create(Entity(id="e-1", kind=EntityKind.PERSON, subtype="person", label="x"))
    assert store.get(Entity, "e-1") == created
"""


DROPS_SELF_LINKS = """
import pytest

from adapters.memory import MemoryBackend
from contracts.store import CaseStore


class DropsSelfLinks(MemoryBackend):
    KNOWN_DEVIATIONS = {DECLARED}

    def expand(self, request):
        hops = super().expand(request)
        return [hop for hop in hops if hop.link.source_id != hop.link.target_id]


@pytest.fixture
def caseport_store_factory():
    return lambda: CaseStore(DropsSelfLinks())
"""

SELF_LINK_TEST = """
from contracts.conformance.suite.test_graph import test_a_self_link_counts_as_leaving_its_entity
"""
"""The suite's test naming GRAPH-003 and LNK-004, collected in the pytester directory."""


@pytest.fixture
def kit(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose subprocess runs can import caseport from this repository."""
    monkeypatch.setenv("PYTHONPATH", str(REPOSITORY))
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    return pytester


def run_kit(
    kit: pytest.Pytester, *args: str, url: str = "memory://"
) -> tuple[pytest.RunResult, dict[str, Any]]:
    """Run the files in ``kit`` under the plugin and return the result and the JSON report."""
    report = kit.path / "report.json"
    result = kit.runpytest_subprocess(
        *plugin_arguments(),
        "-p",
        "no:cacheprovider",
        f"--caseport-url={url}",
        f"--caseport-report={report}",
        *args,
    )
    return result, json.loads(report.read_text(encoding="utf-8"))


def requirement(report: dict[str, Any], requirement_id: str) -> dict[str, Any]:
    """The report's entry for ``requirement_id``."""
    found: dict[str, Any] = next(r for r in report["requirements"] if r["id"] == requirement_id)
    return found


def test_a_skip_without_a_capability_declared_unsupported_becomes_a_failure(
    kit: pytest.Pytester,
) -> None:
    """Imperative skips, skip markers and undeclared xfails all fail the run."""
    kit.makepyfile(
        test_skips="""
        import pytest

        @pytest.mark.requirement("ENT-001")
        def test_skips_itself(store):
            pytest.skip("not today")

        @pytest.mark.requirement("LNK-001")
        @pytest.mark.skipif(True, reason="never here")
        def test_skipped_by_marker(store):
            pass

        @pytest.mark.requirement("CASE-001")
        @pytest.mark.xfail(reason="undeclared")
        def test_expected_to_fail(store):
            raise AssertionError

        @pytest.mark.requirement("REC-001")
        def test_passes(store):
            pass
        """
    )
    result, report = run_kit(kit)
    result.assert_outcomes(passed=1, failed=2, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for failed in ("ENT-001", "LNK-001", "CASE-001"):
        assert requirement(report, failed)["status"] == "failed"
    assert "skipped (not today)" in requirement(report, "ENT-001")["tests"][0]["reason"]
    assert "KNOWN_DEVIATIONS" in requirement(report, "CASE-001")["tests"][0]["reason"]
    assert requirement(report, "REC-001")["status"] == "passed"
    assert report["verdict"] == "partial_run"


def test_an_unsupported_capability_makes_its_requirements_not_applicable(
    kit: pytest.Pytester,
) -> None:
    """A test needing an unsupported capability is skipped and reported not applicable."""
    kit.makeconftest(WITHOUT_CASES)
    kit.makepyfile(
        test_gated="""
        import pytest

        @pytest.mark.requirement("CASE-001")
        @pytest.mark.capability("records.cases")
        def test_cases(store):
            raise AssertionError("a gated test must not run")

        @pytest.mark.requirement("ENT-001")
        @pytest.mark.capability("records.exhibits", "search.text")
        def test_supported(store):
            assert not store.supports("records.cases")
        """
    )
    result, report = run_kit(kit)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    cases = requirement(report, "CASE-001")
    assert cases["status"] == "not_applicable"
    assert cases["tests"][0]["outcome"] == "not_applicable"
    assert cases["tests"][0]["reason"] == "capability records.cases declared unsupported"
    assert requirement(report, "ENT-001")["status"] == "passed"
    assert report["capabilities"]["records.cases"] == "unsupported"
    assert report["summary"]["not_applicable"] == 1
    assert report["summary"]["passed"] == 1
    assert report["verdict"] == "partial_run"


def test_a_known_deviation_that_passes_fails_the_run(kit: pytest.Pytester) -> None:
    """A declared requirement whose every test ran and passed fails the run: it is out of date."""
    kit.makeconftest(DEVIATING)
    kit.makepyfile(test_entity=ENTITY_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(xpassed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["ENT-001 is declared in KNOWN_DEVIATIONS, yet every test*"])
    entity = requirement(report, "ENT-001")
    assert entity["status"] == "failed"
    assert entity["note"] == (
        "declared in KNOWN_DEVIATIONS, yet every test naming it ran and passed: the "
        "declaration is out of date"
    )
    assert entity["declared_deviation"] == "labels are upper-cased, tracked in issue 12"
    assert entity["tests"][0]["outcome"] == "passed"
    assert report["summary"]["failed"] == 1
    assert report["verdict"] == "partial_run"


def test_a_known_deviation_that_fails_is_reported_as_a_deviation(kit: pytest.Pytester) -> None:
    """A declared deviation that fails as expected keeps the run green."""
    kit.makeconftest(DEVIATING)
    kit.makepyfile(
        test_entity="""
        import pytest

        @pytest.mark.requirement("ENT-001")
        def test_entity(store):
            raise AssertionError("labels come back upper-cased")
        """
    )
    result, report = run_kit(kit)
    result.assert_outcomes(xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    entity = requirement(report, "ENT-001")
    assert entity["status"] == "deviation"
    assert entity["note"] == "declared by the adapter and observed in this run"
    assert entity["tests"][0]["outcome"] == "deviation"
    assert "tracked in issue 12" in entity["tests"][0]["reason"]
    assert report["summary"]["deviation"] == 1
    assert report["verdict"] == "partial_run"


def test_a_declared_deviation_does_not_excuse_the_other_requirements_of_a_failing_test(
    kit: pytest.Pytester,
) -> None:
    """Declaring LNK-004 leaves GRAPH-003 failed when their shared test fails, and the run too."""
    kit.makeconftest(DROPS_SELF_LINKS.replace("{DECLARED}", '{"LNK-004": "see issue 7"}'))
    kit.makepyfile(test_self_links=SELF_LINK_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*caseport conformance*", "*excuses only LNK-004*GRAPH-003*"])
    links = requirement(report, "LNK-004")
    assert links["status"] == "deviation"
    assert "see issue 7" in links["tests"][0]["reason"]
    graph = requirement(report, "GRAPH-003")
    assert graph["status"] == "failed"
    (test,) = graph["tests"]
    assert test["outcome"] == "failed"
    assert test["reason"].startswith("the expected failure excuses only LNK-004; this test")
    assert "GRAPH-003, not declared in KNOWN_DEVIATIONS" in test["reason"]
    assert "It failed with: AssertionError: assert ('l08', 'A', 'out')" in test["reason"]
    assert report["summary"]["failed"] == 1
    assert report["summary"]["deviation"] == 1
    assert report["verdict"] == "partial_run"


def test_declaring_every_requirement_of_a_failing_test_reports_each_as_a_deviation(
    kit: pytest.Pytester,
) -> None:
    """With GRAPH-003 declared as well, the same failure is expected and the run passes."""
    declared = '{"LNK-004": "see issue 7", "GRAPH-003": "see issue 7"}'
    kit.makeconftest(DROPS_SELF_LINKS.replace("{DECLARED}", declared))
    kit.makepyfile(test_self_links=SELF_LINK_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(xfailed=1)
    assert result.ret == pytest.ExitCode.OK
    assert requirement(report, "LNK-004")["status"] == "deviation"
    assert requirement(report, "GRAPH-003")["status"] == "deviation"
    assert report["summary"]["failed"] == 0
    assert report["summary"]["deviation"] == 2


def test_a_passing_test_fails_only_its_declared_requirements(kit: pytest.Pytester) -> None:
    """An unexpected pass fails the stale declaration; the test's other requirements pass."""
    kit.makeconftest(DEVIATING)
    kit.makepyfile(
        test_entity="""
        import pytest

        from contracts.models.entities import Entity, EntityKind


        @pytest.mark.requirement("ENT-001", "REC-002")
        def test_entity(store):
            created = store.create(
                Entity(id="e-1", kind=EntityKind.PERSON, subtype="person", label="x")
            )
            assert store.get(Entity, "e-1") == created
        """
    )
    result, report = run_kit(kit)
    result.assert_outcomes(xpassed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    entity = requirement(report, "ENT-001")
    assert entity["status"] == "failed"
    assert "the declaration is out of date" in entity["note"]
    records = requirement(report, "REC-002")
    assert records["status"] == "passed"
    assert (records["tests"][0]["outcome"], records["tests"][0]["reason"]) == ("passed", None)
    assert report["summary"]["failed"] == 1


@pytest.mark.parametrize(
    ("markers", "message"),
    [
        ("", "names the SPEC.md requirements it checks"),
        ('@pytest.mark.requirement("XYZ-999")', "has no requirement XYZ-999"),
        (
            '@pytest.mark.requirement("ENT-001")\n@pytest.mark.capability("teleport")',
            "unknown capability 'teleport'",
        ),
        (
            '@pytest.mark.requirement("ENT-001")\n@pytest.mark.layer_only',
            "layer_only takes one reason",
        ),
    ],
    ids=["missing", "unknown-id", "unknown-capability", "layer-only-without-reason"],
)
def test_a_test_without_valid_markers_is_a_collection_error(
    kit: pytest.Pytester, markers: str, message: str
) -> None:
    """Tests must name real requirements and capabilities, or nothing runs."""
    kit.makepyfile(
        test_markers=f"import pytest\n\n{markers}\ndef test_unmarked(store):\n    pass\n"
    )
    result, report = run_kit(kit)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*{message}*"])
    assert report["verdict"] == "incomplete"
    assert any(message in error for error in report["errors"])
    total = report["summary"]["total"]
    assert report["summary"]["untested"] == total - len(OUTSIDE_A_RUN)
    assert report["summary"]["outside_run"] == len(OUTSIDE_A_RUN)


def test_a_store_that_is_not_empty_is_refused(kit: pytest.Pytester) -> None:
    """The kit never wipes data: a store with records fails the test's set-up."""
    kit.makeconftest(
        """
        import pytest

        from adapters.memory import InMemoryCaseStore
        from contracts.models.entities import Entity, EntityKind

        @pytest.fixture
        def caseport_store_factory():
            def build():
                store = InMemoryCaseStore()
                store.create(
                    Entity(id="left-over", kind=EntityKind.PERSON, subtype="person", label="x")
                )
                return store
            return build
        """
    )
    kit.makepyfile(test_entity=ENTITY_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*already holds records*"])
    assert "already holds records" in requirement(report, "ENT-001")["tests"][0]["reason"]


def test_the_report_has_every_field(kit: pytest.Pytester) -> None:
    """Format, versions, adapter, capabilities, selection, per-requirement results, verdict."""
    kit.makepyfile(test_entity=ENTITY_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(passed=1)
    assert set(report) == {
        "format",
        "kit_version",
        "spec_version",
        "adapter",
        "capabilities",
        "capability_notes",
        "started_at",
        "duration_s",
        "selection",
        "summary",
        "requirements",
        "verdict",
        "errors",
    }
    assert report["format"] == 4
    assert report["spec_version"] == SPEC_VERSION
    assert report["kit_version"]
    assert report["adapter"] == {
        "name": "memory",
        "version": "0.1.0",
        "backend": "in-memory",
        "url": "memory://",
    }
    walks = {"graph.neighbourhood", "graph.shortest_paths", "timeline"}
    assert report["capabilities"] == {
        c.value: "emulated" if c.value in walks else "native" for c in Capability
    }
    assert set(report["capability_notes"]) == walks | {"search.filter"}
    assert report["selection"] == {
        "complete": False,
        "whole_suite": False,
        "paths": [str(kit.path)],
        "keyword": None,
        "markers": None,
        "ignored": [],
        "deselected": 0,
        "stopped_early": None,
    }
    total = len(load_requirements())
    assert report["summary"] == {
        "passed": 1,
        "partly_tested": 0,
        "layer_only": 0,
        "failed": 0,
        "deviation": 0,
        "not_applicable": 0,
        "untested": total - 1 - len(OUTSIDE_A_RUN),
        "outside_run": len(OUTSIDE_A_RUN),
        "total": total,
        "tests_not_run": 0,
    }
    assert [r["id"] for r in report["requirements"]] == [r.id for r in load_requirements()]
    entity = requirement(report, "ENT-001")
    assert set(entity) == {
        "id",
        "area",
        "level",
        "text",
        "status",
        "exercised",
        "declared_deviation",
        "note",
        "tests",
    }
    assert (entity["area"], entity["level"], entity["status"]) == ("Entities", "MUST", "passed")
    assert (entity["exercised"], entity["declared_deviation"], entity["note"]) == (
        "store",
        None,
        None,
    )
    (test,) = entity["tests"]
    assert test["nodeid"] == "test_entity.py::test_entity"
    assert (test["outcome"], test["exercises"], test["reason"]) == ("passed", "store", None)
    assert isinstance(test["duration_s"], float)
    links = requirement(report, "LNK-001")
    assert (links["status"], links["exercised"], links["tests"]) == ("untested", None, [])
    for requirement_id, reason in OUTSIDE_A_RUN.items():
        outside = requirement(report, requirement_id)
        assert (outside["status"], outside["note"]) == ("outside_run", reason)
    assert report["verdict"] == "partial_run"
    assert report["errors"] == []
    assert read_report(kit.path / "report.json").verdict == "partial_run"


def test_a_run_narrowed_with_k_is_a_partial_run_that_records_its_selection(
    kit: pytest.Pytester,
) -> None:
    """-k on the real suite: the keyword and the deselected count are kept, never conformant."""
    keyword = "client_chosen_ids_are_kept"
    result, report = run_kit(kit, "--pyargs", "contracts.conformance.suite", "-k", keyword)
    result.assert_outcomes(passed=1, deselected=result.parseoutcomes()["deselected"])
    assert result.ret == pytest.ExitCode.OK
    deselected = result.parseoutcomes()["deselected"]
    assert deselected > 200
    assert report["selection"] == {
        "complete": False,
        "whole_suite": True,
        "paths": [],
        "keyword": keyword,
        "markers": None,
        "ignored": [],
        "deselected": deselected,
        "stopped_early": None,
    }
    assert report["verdict"] == "partial_run"
    assert requirement(report, "ID-001")["status"] == "passed"
    assert report["summary"]["passed"] == 1
    result.stdout.fnmatch_lines(
        [f"partial run (-k '{keyword}'; {deselected} tests deselected): a partial run is never*"]
    )


def test_a_run_of_part_of_the_suite_or_stopped_early_is_a_partial_run(
    kit: pytest.Pytester,
) -> None:
    """A node id instead of the whole suite, or -x stopping the run, is recorded as such."""
    suite = Path(contracts.conformance.suite.__file__).parent
    node = f"{suite / 'test_identity.py'}::test_client_chosen_ids_are_kept_exactly"
    result, report = run_kit(kit, node)
    result.assert_outcomes(passed=1)
    assert report["selection"]["paths"] == [node]
    assert report["selection"]["whole_suite"] is False
    assert report["verdict"] == "partial_run"
    kit.makepyfile(
        test_two="""
        import pytest

        @pytest.mark.requirement("ENT-001")
        def test_first(store):
            raise AssertionError("broken")

        @pytest.mark.requirement("LNK-001")
        def test_second(store):
            pass
        """
    )
    result, report = run_kit(kit, "-x", "test_two.py")
    result.assert_outcomes(failed=1)
    assert report["selection"]["stopped_early"] == "stopping after 1 failures"
    assert requirement(report, "LNK-001")["status"] == "untested"
    assert report["verdict"] == "partial_run"


FAULT_TEST = """
import pytest

from contracts.errors import Unavailable
from contracts.models.entities import Entity, EntityKind


@pytest.mark.requirement("BULK-003")
def test_needs_faults(store, caseport_write_faults):
    entity = Entity(id="e-1", kind=EntityKind.PERSON, subtype="person", label="x")
    caseport_write_faults.fail_writes_after(store, 0)
    try:
        with pytest.raises(Unavailable):
            store.upsert_many([entity])
    finally:
        caseport_write_faults.heal(store)
    store.upsert_many([entity])
"""
WRITE_FAULT_TEST = (
    FAULT_TEST
    + """

@pytest.mark.requirement("BULK-003")
def test_plain(store):
    pass
"""
)

WITHOUT_WRITE_FAULTS = """
import pytest

from adapters.memory import MemoryBackend
from contracts.store import CaseStore


class WithoutFaultPoint(MemoryBackend):
    def write_faults(self):
        return None


@pytest.fixture
def caseport_store_factory():
    return lambda: CaseStore(WithoutFaultPoint())
"""


VENDOR_WRITE_FAULTS = """

from adapters.faults import FaultInjector, FaultPlan


class Faults:
    def fail_writes_after(self, store, writes):
        store.backend.faults = FaultInjector(FaultPlan(failure_rate=1.0))

    def heal(self, store):
        store.backend.faults = None


@pytest.fixture
def caseport_write_faults():
    return Faults()
"""


def test_the_stores_own_fault_point_runs_the_tests_that_need_write_faults(
    kit: pytest.Pytester,
) -> None:
    """By default caseport_write_faults is the store's write_faults(): the test runs and passes."""
    kit.makepyfile(test_faults=WRITE_FAULT_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(passed=2)
    bulk = requirement(report, "BULK-003")
    assert (bulk["status"], bulk["note"]) == ("passed", None)
    assert [test["outcome"] for test in bulk["tests"]] == ["passed", "passed"]
    assert report["summary"]["tests_not_run"] == 0
    assert report["summary"]["partly_tested"] == 0


def test_a_test_needing_write_faults_is_not_run_without_them_and_never_counted_passed(
    kit: pytest.Pytester,
) -> None:
    """A store without a fault point: the test is not run, its requirement only partly tested."""
    kit.makepyfile(test_faults=WRITE_FAULT_TEST)
    kit.makeconftest(WITHOUT_WRITE_FAULTS)
    result, report = run_kit(kit)
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "not run: test_faults.py::test_needs_faults: needs backend write faults, which this "
            "run does not provide (the store offers no write_faults() and the "
            "caseport_write_faults fixture is not overridden); not run, so not counted as passed",
            "partly tested (some of their tests did not run, so not counted as passed): "
            "BULK-003; a run that leaves a requirement partly tested is never conformant",
        ]
    )
    bulk = requirement(report, "BULK-003")
    assert (bulk["status"], bulk["exercised"]) == ("partly_tested", "store")
    assert bulk["note"] == (
        "the 1 test(s) that ran passed, but not every test of it ran, so it is not counted as "
        "passed. Not run: test_needs_faults: needs backend write faults, which this run does "
        "not provide (the store offers no write_faults() and the caseport_write_faults fixture "
        "is not overridden); not run, so not counted as passed"
    )
    assert [test["outcome"] for test in bulk["tests"]] == ["not_run", "passed"]
    assert report["summary"]["tests_not_run"] == 1
    assert report["summary"]["partly_tested"] == 1
    assert report["summary"]["passed"] == 0
    kit.makepyfile(test_faults=FAULT_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(skipped=1)
    bulk = requirement(report, "BULK-003")
    assert (bulk["status"], bulk["exercised"]) == ("untested", None)
    assert bulk["note"] == "its 1 test(s) could not run in this run"


def test_a_vendors_write_faults_fixture_runs_the_tests_that_need_them(
    kit: pytest.Pytester,
) -> None:
    """An overridden caseport_write_faults is used for stores that offer no fault point."""
    kit.makepyfile(test_faults=WRITE_FAULT_TEST)
    kit.makeconftest(WITHOUT_WRITE_FAULTS + VENDOR_WRITE_FAULTS)
    result, report = run_kit(kit)
    result.assert_outcomes(passed=2)
    assert requirement(report, "BULK-003")["status"] == "passed"
    assert report["summary"]["tests_not_run"] == 0


def test_layer_only_tests_are_not_counted_as_the_adapters_passes(kit: pytest.Pytester) -> None:
    """Layer-only tests make a requirement layer_only; one store test makes it passed."""
    kit.makepyfile(
        test_layer="""
        import pytest

        @pytest.mark.requirement("ERR-004")
        @pytest.mark.layer_only("checks the models")
        def test_models_only(store):
            pass

        @pytest.mark.requirement("REC-003")
        @pytest.mark.layer_only("checks the models")
        def test_models_again(store):
            pass

        @pytest.mark.requirement("REC-003")
        def test_through_the_store(store):
            pass
        """
    )
    result, report = run_kit(kit)
    result.assert_outcomes(passed=3)
    errors = requirement(report, "ERR-004")
    assert (errors["status"], errors["exercised"]) == ("layer_only", "layer")
    assert errors["tests"][0]["exercises"] == "layer"
    records = requirement(report, "REC-003")
    assert (records["status"], records["exercised"]) == ("passed", "store")
    assert (report["summary"]["passed"], report["summary"]["layer_only"]) == (1, 1)


def test_a_declared_deviation_its_tests_cannot_show_stays_a_deviation_not_observed(
    kit: pytest.Pytester,
) -> None:
    """The other tests passing neither fail the run nor make the declared requirement a pass."""
    kit.makeconftest(
        """
        import pytest

        from adapters.memory import MemoryBackend
        from contracts.store import CaseStore


        class Declares(MemoryBackend):
            KNOWN_DEVIATIONS = {"BULK-003": "batches are undone, not rolled back"}

            def write_faults(self):
                return None


        @pytest.fixture
        def caseport_store_factory():
            return lambda: CaseStore(Declares())
        """
    )
    kit.makepyfile(test_faults=WRITE_FAULT_TEST)
    result, report = run_kit(kit)
    result.assert_outcomes(xpassed=1, skipped=1)
    assert result.ret == pytest.ExitCode.OK
    bulk = requirement(report, "BULK-003")
    assert bulk["status"] == "deviation"
    assert bulk["declared_deviation"] == "batches are undone, not rolled back"
    assert bulk["note"] == (
        "declared by the adapter, not observed in this run: 1 test(s) that could show it did "
        "not run"
    )
    assert [test["outcome"] for test in bulk["tests"]] == ["not_run", "passed"]


def test_a_store_url_with_a_password_never_reaches_the_report(kit: pytest.Pytester) -> None:
    """The URL is refused; the report and the output name it with the password masked."""
    kit.makepyfile(test_entity=ENTITY_TEST)
    result, report = run_kit(kit, url="memory://analyst:hunter2@store.invalid")
    result.assert_outcomes()
    assert "hunter2" not in result.stdout.str() + result.stderr.str()
    assert "hunter2" not in json.dumps(report)
    # memory:// takes no user name, so everything before '@' is masked.
    assert report["adapter"]["url"] == "memory://***@store.invalid"
    assert report["verdict"] == "incomplete"
    assert report["errors"][0].startswith("cannot build a store for memory://***@")


def test_the_plugin_is_inert_without_a_url(kit: pytest.Pytester) -> None:
    """Without --caseport-url, ordinary tests run untouched and nothing is reported."""
    kit.makeconftest(
        """
        import pytest

        @pytest.fixture
        def store():
            return "the project's own store fixture"
        """
    )
    kit.makepyfile(
        test_plain="""
        import pytest

        def test_plain():
            pass

        def test_own_store_fixture(store):
            assert store == "the project's own store fixture"

        def test_may_skip():
            pytest.skip("ordinary skips are fine here")
        """
    )
    result = kit.runpytest_subprocess(*plugin_arguments(), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, skipped=1)
    assert not (kit.path / "report.json").exists()
    refused = kit.runpytest_subprocess(
        *plugin_arguments(), "-p", "no:cacheprovider", "--caseport-report=report.json"
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*--caseport-report needs --caseport-url*"])


def test_the_suite_refuses_to_run_without_a_url(kit: pytest.Pytester) -> None:
    """Collecting the suite without --caseport-url stops with a clear message."""
    result = kit.runpytest_subprocess(
        *plugin_arguments(), "-p", "no:cacheprovider", "--pyargs", "contracts.conformance.suite"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*pass --caseport-url URL*"])


@pytest.mark.parametrize("explicit", [True, False], ids=["with-p", "entry-point-only"])
def test_an_installed_entry_point_and_p_register_the_plugin_once(
    kit: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, explicit: bool
) -> None:
    """With caseport's entry point installed, ``-p contracts.conformance.plugin`` still works."""
    site = kit.mkdir("site")
    dist_info = site / "caseport_entry_point-0.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: caseport-entry-point\nVersion: 0.0.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        "[pytest11]\ncaseport_conformance = contracts.conformance.plugin\n", encoding="utf-8"
    )
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPOSITORY), str(site)]))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    kit.makepyfile(test_entity=ENTITY_TEST)
    named = ["-p", "contracts.conformance.plugin"] if explicit else []
    result = kit.runpytest_subprocess(*named, "-p", "no:cacheprovider", "--caseport-url=memory://")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
