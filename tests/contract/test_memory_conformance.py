"""The in-memory reference adapter passes the whole conformance kit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contracts.conformance.report import read_report
from contracts.conformance.runner import SUITE_PACKAGE, plugin_arguments

REPOSITORY = Path(__file__).resolve().parents[2]
MIN_PASSED_REQUIREMENTS = 70
_TIMEOUT_S = 900  # a guard against a hung run, not a performance expectation


def test_the_memory_adapter_passes_the_conformance_kit(tmp_path: Path) -> None:
    """Run the kit as a vendor would: every requirement it checks holds for memory://."""
    report_path = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        SUITE_PACKAGE,
        *plugin_arguments(),
        "--caseport-url=memory://",
        f"--caseport-report={report_path}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    result = subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )
    output = result.stdout[-8_000:] + result.stderr[-4_000:]
    assert result.returncode == 0, output
    report = read_report(report_path)
    assert report.passed, output
    assert [r.id for r in report.requirements if r.status == "failed"] == []
    passed = {r.id for r in report.requirements if r.status == "passed"}
    assert len(passed) >= MIN_PASSED_REQUIREMENTS, sorted(passed)
    assert report.adapter.name == "memory"
    assert report.summary.not_applicable == 0
    assert report.summary.deviation == 0
