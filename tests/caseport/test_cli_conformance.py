"""``caseport conformance``: the kit's verdict, per area, with the failures spelt out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from caseport.cli import app
from contracts.conformance import runner as conformance_runner
from contracts.conformance.report import (
    AdapterSummary,
    ConformanceReport,
    RequirementResult,
    Summary,
    TestResult,
    read_report,
    write_report,
)

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def fake_report(failed: bool) -> ConformanceReport:
    rows = (
        RequirementResult(
            id="ENT-001",
            area="Entities",
            level="MUST",
            text="A created entity reads back equal.",
            status="passed",
            tests=(
                TestResult(
                    nodeid="suite/test_entities.py::test_round_trip",
                    outcome="passed",
                    duration_s=0.01,
                ),
            ),
        ),
        RequirementResult(
            id="GRA-004",
            area="Graph",
            level="MUST",
            text="Shortest paths are all the shortest paths.",
            status="failed" if failed else "passed",
            tests=(
                TestResult(
                    nodeid="suite/test_graph.py::test_all_shortest_paths",
                    outcome="failed" if failed else "passed",
                    duration_s=0.02,
                    reason="expected 2 paths, got 1" if failed else None,
                ),
            ),
        ),
        RequirementResult(
            id="CAS-001",
            area="Cases",
            level="SHOULD",
            text="Cases are kept.",
            status="not_applicable",
        ),
    )
    return ConformanceReport(
        kit_version="0.1.0",
        spec_version="0.1.0",
        adapter=AdapterSummary(name="fake", version="9.9", backend="a test double", url="fake://"),
        capabilities={"records.cases": "unsupported"},
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
        duration_s=1.5,
        summary=Summary(
            passed=1 if failed else 2,
            failed=1 if failed else 0,
            not_applicable=1,
            deviation=0,
            untested=0,
            total=3,
        ),
        requirements=rows,
        passed=not failed,
    )


@pytest.fixture
def kit(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Path | None]]:
    """Replace the kit's runner; returns the calls it received."""
    calls: list[tuple[str, Path | None]] = []

    def run(
        url: str,
        *,
        report_path: Path | None = None,
        extra_args: Sequence[str] = (),
        verbose: bool = False,
    ) -> ConformanceReport:
        calls.append((url, report_path))
        report = fake_report(failed=url == "memory://?seed=13")
        if report_path is not None:
            write_report(report, report_path)
        return report

    monkeypatch.setattr(conformance_runner, "run_conformance", run)
    return calls


def test_failed_requirements_are_listed_with_their_reason_and_exit_1(
    kit: list[tuple[str, Path | None]],
) -> None:
    """A failing requirement is named with its test's reason, and the command exits 1."""
    result = runner.invoke(app, ["conformance", "memory://?seed=13"], env=WIDE)
    assert result.exit_code == 1
    out = result.stdout
    assert "Requirements by area" in out
    assert "Failed requirements" in out
    assert "GRA-004" in out
    assert "test_all_shortest_paths: expected 2 paths, got 1" in out
    assert "NOT CONFORMANT: 1 of 3 requirements passed, 1 failed." in out
    assert kit == [("memory://?seed=13", None)]


def test_a_passing_run_exits_0_and_writes_the_report(
    tmp_path: Path, kit: list[tuple[str, Path | None]]
) -> None:
    """A conformant adapter exits 0; --report leaves a JSON report that reads back."""
    target = tmp_path / "report.json"
    result = runner.invoke(app, ["conformance", "memory://", "--report", str(target)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "CONFORMANT: 2 of 3 requirements passed." in result.stdout
    assert "Failed requirements" not in result.stdout
    assert f"Report written to {target}" in result.stdout
    assert read_report(target) == fake_report(failed=False)


def test_area_table_counts_each_status_per_area(kit: list[tuple[str, Path | None]]) -> None:
    """Each area row counts its requirements by status; the footer gives the totals."""
    result = runner.invoke(app, ["conformance", "memory://?seed=13"], env=WIDE)
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in result.stdout.splitlines()
        if line.startswith("│")
    }
    # Columns: passed, failed, not applicable, deviation, untested, total.
    assert rows["Graph"] == ["0", "1", "0", "0", "0", "1"]
    assert rows["Cases"] == ["0", "0", "1", "0", "0", "1"]
    assert rows["Total"] == ["1", "1", "1", "0", "0", "3"]


def test_the_real_kit_runs_against_the_memory_adapter(tmp_path: Path) -> None:
    """The in-memory reference adapter passes the real conformance kit."""
    target = tmp_path / "memory.json"
    result = runner.invoke(app, ["conformance", "memory://", "--report", str(target)], env=WIDE)
    report = read_report(target)
    assert report.adapter.name == "memory"
    assert result.exit_code == (0 if report.passed else 1)
    assert report.passed, result.stdout
    assert "CONFORMANT" in result.stdout


def test_failure_reasons_that_look_like_markup_are_shown_as_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A test's reason quoting ``[/bold]`` or ``[red]`` neither crashes the table nor vanishes."""
    broken = fake_report(failed=True)
    reason = "assert '[/bold]' == '[red]x'"
    requirements = tuple(
        requirement.model_copy(
            update={
                "text": "Labels like [red]this[/red] round-trip.",
                "tests": tuple(
                    test.model_copy(update={"reason": reason}) for test in requirement.tests
                ),
            }
        )
        if requirement.status == "failed"
        else requirement
        for requirement in broken.requirements
    )
    report = broken.model_copy(update={"requirements": requirements})

    def run(url: str, **options: object) -> ConformanceReport:
        return report

    monkeypatch.setattr(conformance_runner, "run_conformance", run)
    result = runner.invoke(app, ["conformance", "memory://?seed=13"], env=WIDE)
    assert result.exit_code == 1
    assert f"test_all_shortest_paths: {reason}" in result.stdout
    assert "Labels like [red]this[/red] round-trip." in result.stdout
    assert "Error" not in result.output


def test_a_url_no_adapter_serves_fails_in_one_line_before_the_kit_runs(
    tmp_path: Path,
) -> None:
    """An unknown scheme is a configuration error (exit 2) and no report is written."""
    report = tmp_path / "r.json"
    result = runner.invoke(app, ["conformance", "nosuch://", "--report", str(report)])
    assert result.exit_code == 2
    assert "no adapter for URL scheme 'nosuch'" in result.output
    assert "Traceback" not in result.output
    assert not report.exists()
