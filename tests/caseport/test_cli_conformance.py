"""``caseport conformance``: the kit's verdict, per area, with failures and deviations spelt out.

Real runs go through the command; the rendering of reports no real adapter produces (a failed
requirement, markup in a reason) is checked on reports built here and printed by the same code.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from caseport.cli import app
from caseport.conformance_progress import watch_run
from caseport.conformance_view import print_report
from contracts.conformance.report import (
    REPORT_FORMAT,
    AdapterSummary,
    ConformanceReport,
    RequirementResult,
    Selection,
    Summary,
    TestResult,
    read_report,
)
from contracts.conformance.runner import run_conformance

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


def fake_report(failed: bool) -> ConformanceReport:
    """A three-requirement report: one pass, one failure or pass, one not applicable."""
    rows = (
        RequirementResult(
            id="ENT-001",
            area="Entities",
            level="MUST",
            text="A created entity reads back equal.",
            status="passed",
            exercised="store",
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
            exercised="store",
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
        format=REPORT_FORMAT,
        kit_version="0.1.0",
        spec_version="0.1.0",
        adapter=AdapterSummary(name="fake", version="9.9", backend="a test double", url="fake://"),
        capabilities={"records.cases": "unsupported"},
        started_at=datetime(2025, 1, 1, tzinfo=UTC),
        duration_s=1.5,
        selection=Selection(complete=True, whole_suite=True),
        summary=Summary(
            passed=1 if failed else 2,
            partly_tested=0,
            layer_only=0,
            failed=1 if failed else 0,
            deviation=0,
            not_applicable=1,
            untested=0,
            outside_run=0,
            total=3,
            tests_not_run=0,
        ),
        requirements=rows,
        verdict="not_conformant" if failed else "conformant",
    )


def printed(report: ConformanceReport) -> str:
    """What ``caseport conformance`` prints for ``report``."""
    output = io.StringIO()
    print_report(Console(file=output, width=200, color_system=None), report)
    return output.getvalue()


def test_failed_requirements_are_listed_with_their_reason() -> None:
    """A failing requirement is named with its test's reason, and the verdict says so."""
    out = printed(fake_report(failed=True))
    assert "Requirements by area" in out
    assert "Failed requirements" in out
    assert "GRA-004" in out
    assert "test_all_shortest_paths: expected 2 paths, got 1" in out
    assert (
        "NOT CONFORMANT: 1 of 3 requirements passed against the store, 1 not applicable; "
        "1 failed." in out
    )


def test_area_table_counts_each_status_per_area() -> None:
    """Each area row counts its requirements by status; the footer gives the totals."""
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in printed(fake_report(failed=True)).splitlines()
        if line.startswith("│")
    }
    # Columns: passed, partly tested, layer only, failed, deviation, n/a, untested, outside
    # run, total.
    assert rows["Graph"] == ["0", "0", "0", "1", "0", "0", "0", "0", "1"]
    assert rows["Cases"] == ["0", "0", "0", "0", "0", "1", "0", "0", "1"]
    assert rows["Total"] == ["1", "0", "0", "1", "0", "1", "0", "0", "3"]


def test_a_partial_run_is_never_called_conformant() -> None:
    """A narrowed run says how it was narrowed, whatever its counts."""
    narrowed = fake_report(failed=False).model_copy(
        update={
            "verdict": "partial_run",
            "selection": Selection(
                complete=False, whole_suite=True, keyword="graph", deselected=200
            ),
        }
    )
    out = printed(narrowed)
    assert "PARTIAL RUN, NOT CONFORMANT (-k 'graph'; 200 tests deselected)" in out
    assert "CONFORMANT:" not in out.replace("NOT CONFORMANT", "")


def test_a_partly_tested_requirement_is_shown_and_the_verdict_is_incomplete() -> None:
    """A requirement with a test that could not run is listed with why; never conformant."""
    report = fake_report(failed=False)
    partly = report.requirements[1].model_copy(
        update={
            "status": "partly_tested",
            "note": "the 1 test(s) that ran passed, but not every test of it ran",
            "tests": (
                *report.requirements[1].tests,
                TestResult(
                    nodeid="suite/test_graph.py::test_under_faults",
                    outcome="not_run",
                    duration_s=0.0,
                    reason="needs backend write faults, which this run does not provide",
                ),
            ),
        }
    )
    out = printed(
        report.model_copy(
            update={
                "requirements": (report.requirements[0], partly, report.requirements[2]),
                "summary": report.summary.model_copy(
                    update={"passed": 1, "partly_tested": 1, "tests_not_run": 1}
                ),
                "verdict": "incomplete",
            }
        )
    )
    assert "Partly tested requirements (not counted as passed)" in out
    assert "test_under_faults: needs backend write faults, which this run does not provide" in out
    assert (
        "INCOMPLETE, NOT CONFORMANT (some tests could not run): 1 of 3 requirements passed "
        "against the store, 1 partly tested, 1 not applicable; 1 tests could not run." in out
    )
    assert "CONFORMANT:" not in out.replace("NOT CONFORMANT", "")


def test_the_real_kit_passes_the_memory_adapter_and_writes_the_report(tmp_path: Path) -> None:
    """memory:// is conformant, every test run: exit 0, the report's counts, the report written."""
    target = tmp_path / "memory.json"
    result = runner.invoke(app, ["conformance", "memory://", "--report", str(target)], env=WIDE)
    assert result.exit_code == 0, result.stdout
    report = read_report(target)
    assert (report.adapter.name, report.verdict) == ("memory", "conformant")
    summary = report.summary
    assert (summary.partly_tested, summary.tests_not_run) == (0, 0)
    # Every requirement passed against the store, held in the layer, or is beyond a run.
    assert summary.passed + summary.layer_only + summary.outside_run == summary.total
    assert summary.passed > 100
    assert (
        f"CONFORMANT: {summary.passed} of {summary.total} requirements passed against the "
        f"store, {summary.layer_only} held in the layer only, {summary.outside_run} outside "
        "what a run can check." in result.stdout
    )
    assert "Partly tested requirements" not in result.stdout
    assert f"Report written to {target}" in result.stdout
    assert "Failed requirements" not in result.stdout
    assert "conformance:" not in result.stdout


def test_the_run_shows_its_progress_per_area_on_stderr() -> None:
    """Not on a terminal, each area is one plain line on stderr as it finishes."""
    result = runner.invoke(app, ["conformance", "memory://"], env=WIDE)
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()
    opening = re.fullmatch(r"conformance: running (\d+) tests in (\d+) areas", lines[0])
    assert opening is not None, lines[0]
    tests, areas = int(opening[1]), int(opening[2])
    finished = [
        re.match(r"conformance: ([a-z ]+): (\d+) tests \((\d+) of", line) for line in lines[1:]
    ]
    assert all(finished), lines
    assert [int(match[3]) for match in finished if match] == list(range(1, areas + 1))
    assert sum(int(match[2]) for match in finished if match) == tests
    assert {"graph", "search", "bulk"} <= {match[1] for match in finished if match}


def test_bars_per_area_are_drawn_on_a_terminal() -> None:
    """On a terminal the watch draws a bar per area and one for the whole run."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with watch_run(console) as watch:
        report = run_conformance(
            "memory://", extra_args=[*watch.pytest_args, "-k", "client_chosen_ids_are_kept"]
        )
    assert report.summary.failed == 0
    assert not watch.interrupted
    assert watch.areas
    assert all(count.done == count.total > 0 for count in watch.areas.values())
    drawn = screen.getvalue()
    assert "all areas" in drawn
    assert all(area in drawn for area in watch.areas)


@pytest.mark.parametrize(
    ("url", "fix"),
    [
        ("sqlite:///{dir}/fresh.db", "run: caseport conformance 'sqlite:///{{tmp}}/fresh.db'"),
        (
            "postgresql://u@127.0.0.1:1/db?schema=mine&pool_max=2",
            "run: caseport conformance "
            "'postgresql://u@127.0.0.1:1/db?pool_max=2&schema=c_{{uid}}&temporary=true'",
        ),
        ("memory://?load={dir}/case.jsonl", "run: caseport conformance 'memory://'"),
    ],
)
def test_a_url_that_names_one_store_is_refused_before_anything_runs(
    tmp_path: Path, url: str, fix: str
) -> None:
    """Without ``{tmp}`` or ``{uid}`` every test would share one store: one line, the fix."""
    result = runner.invoke(app, ["conformance", url.format(dir=tmp_path)], env=WIDE)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "needs a new, empty store for every test" in lines[0]
    assert lines[0].endswith(fix.format())
    assert list(tmp_path.iterdir()) == []


def test_a_declared_deviation_makes_the_real_kit_exit_1_and_is_shown(tmp_path: Path) -> None:
    """foundry+fake:// declares BULK-003: not conformant, exit 1, the deviation spelt out."""
    target = tmp_path / "foundry.json"
    result = runner.invoke(
        app, ["conformance", "foundry+fake://", "--report", str(target)], env=WIDE
    )
    assert result.exit_code == 1, result.stdout
    report = read_report(target)
    assert report.verdict == "not_conformant"
    assert "Known deviations (declared by the adapter)" in result.stdout
    assert "BULK-003" in result.stdout
    assert "declared by the adapter and observed in this run" in result.stdout
    assert "; 1 known deviations." in result.stdout
    assert report.summary.tests_not_run == 0


def test_failure_reasons_that_look_like_markup_are_shown_as_written() -> None:
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
    out = printed(broken.model_copy(update={"requirements": requirements}))
    assert f"test_all_shortest_paths: {reason}" in out
    assert "Labels like [red]this[/red] round-trip." in out


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
