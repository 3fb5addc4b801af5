"""The in-memory reference adapter passes the whole conformance kit, with exact counts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from contracts.conformance.report import read_report
from contracts.conformance.runner import SUITE_PACKAGE, plugin_arguments
from contracts.spec import load_requirements

REPOSITORY = Path(__file__).resolve().parents[2]
REQUIREMENTS_TOTAL = len(load_requirements())
"""Every active requirement of the specification this code ships."""
HERE = Path(__file__).resolve().parent
_TIMEOUT_S = 900  # a guard against a hung run, not a performance expectation

LAYER_ONLY = {"ENT-002", "ERR-004", "ERR-005", "INTEL-006", "REC-003"}
"""Requirements whose tests check only the layer or the models."""
OUTSIDE_A_RUN = {"CAP-006", "CAP-007"}


def run_kit(report_path: Path, *plugins: str) -> subprocess.CompletedProcess[str]:
    """The whole suite against memory://, as a vendor runs it, with extra plugin modules."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        SUITE_PACKAGE,
        *plugin_arguments(),
        *(argument for plugin in plugins for argument in ("-p", plugin)),
        "--caseport-url=memory://",
        f"--caseport-report={report_path}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(HERE)])}
    return subprocess.run(
        command,
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )


def test_the_memory_adapter_is_conformant_with_every_test_run(tmp_path: Path) -> None:
    """Its own fault point runs the atomicity test: every test passes, the verdict is conformant."""
    report_path = tmp_path / "report.json"
    result = run_kit(report_path)
    output = result.stdout[-8_000:] + result.stderr[-4_000:]
    assert result.returncode == 0, output
    assert re.search(r"\n\d+ passed in ", result.stdout)
    report = read_report(report_path)
    assert report.verdict == "conformant", output
    assert report.selection.complete
    assert report.adapter.name == "memory"
    statuses = {r.id: r.status for r in report.requirements}
    assert {i for i, status in statuses.items() if status == "layer_only"} == LAYER_ONLY
    assert {i for i, status in statuses.items() if status == "outside_run"} == OUTSIDE_A_RUN
    assert report.summary.model_dump() == {
        "passed": REQUIREMENTS_TOTAL - len(LAYER_ONLY) - len(OUTSIDE_A_RUN),
        "partly_tested": 0,
        "layer_only": 5,
        "failed": 0,
        "deviation": 0,
        "not_applicable": 0,
        "untested": 0,
        "outside_run": 2,
        "total": REQUIREMENTS_TOTAL,
        "tests_not_run": 0,
    }
    bulk = report.requirement("BULK-003")
    assert [test.outcome for test in bulk.tests] == ["passed", "passed", "passed"]


def test_without_write_faults_the_run_is_incomplete_and_bulk_003_partly_tested(
    tmp_path: Path,
) -> None:
    """Stores without a fault point: an incomplete run, BULK-003 partly tested, not passed."""
    report_path = tmp_path / "report.json"
    result = run_kit(report_path, "no_write_faults")
    output = result.stdout[-8_000:] + result.stderr[-4_000:]
    assert result.returncode == 0, output
    assert re.search(r"\n\d+ passed, 1 skipped in ", result.stdout)
    assert (
        "not run: contracts/conformance/suite/test_bulk.py::"
        "test_a_batch_is_all_or_nothing_whichever_backend_write_fails: needs backend write "
        "faults" in result.stdout
    )
    passed = REQUIREMENTS_TOTAL - len(LAYER_ONLY) - len(OUTSIDE_A_RUN) - 1
    assert (
        f"caseport conformance: incomplete; of {REQUIREMENTS_TOTAL} requirements {passed} passed"
        in result.stdout
    )
    report = read_report(report_path)
    assert report.verdict == "incomplete"
    assert report.selection.complete
    assert not report.errors
    assert report.summary.model_dump() == {
        "passed": REQUIREMENTS_TOTAL - len(LAYER_ONLY) - len(OUTSIDE_A_RUN) - 1,
        "partly_tested": 1,
        "layer_only": 5,
        "failed": 0,
        "deviation": 0,
        "not_applicable": 0,
        "untested": 0,
        "outside_run": 2,
        "total": REQUIREMENTS_TOTAL,
        "tests_not_run": 1,
    }
    bulk = report.requirement("BULK-003")
    assert (bulk.status, bulk.exercised) == ("partly_tested", "store")
    assert bulk.note is not None
    assert bulk.note.startswith(
        "the 2 test(s) that ran passed, but not every test of it ran, so it is not counted as "
        "passed. Not run: test_a_batch_is_all_or_nothing_whichever_backend_write_fails: needs "
        "backend write faults"
    )
    outcomes = [(test.nodeid.rpartition("::")[2], test.outcome) for test in bulk.tests]
    assert outcomes == [
        ("test_records_are_written_in_batches_with_running_totals", "passed"),
        ("test_the_stream_is_read_at_most_two_batches_ahead", "passed"),
        ("test_a_batch_is_all_or_nothing_whichever_backend_write_fails", "not_run"),
    ]
