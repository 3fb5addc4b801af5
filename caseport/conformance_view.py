"""How a conformance report reads on screen: counts per area, what failed or did not run, a verdict.

A report quotes what the tests and the adapter said (assertion messages, exception text), so
every cell built from it is a :class:`~rich.text.Text`: never read as rich markup.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from contracts.conformance.report import STATUSES, ConformanceReport

__all__ = [
    "STATUSES",
    "area_table",
    "deviation_table",
    "failure_table",
    "header",
    "partly_tested_table",
    "print_report",
    "run_errors",
    "verdict",
]


_MAX_REASON: Final = 160

_HEADINGS: Final = {
    "passed": ("Passed", "green"),
    "partly_tested": ("Partly tested", "yellow"),
    "layer_only": ("Layer only", "cyan"),
    "failed": ("Failed", "red"),
    "deviation": ("Deviation", "yellow"),
    "not_applicable": ("N/A", "dim"),
    "untested": ("Untested", "yellow"),
    "outside_run": ("Outside run", "dim"),
}

_CAPTION: Final = (
    "Passed: held, exercised against the adapter's store. Partly tested: the tests that ran "
    "held, but some could not run, so it is not counted as passed. Layer only: held, but "
    "checked only "
    "against the layer or models every adapter shares. N/A: the adapter declares the "
    "capability unsupported. Outside run: a run cannot check it (review, or a requirement on "
    "the kit itself)."
)


def _count(value: int, status: str) -> Text:
    style = _HEADINGS[status][1] if value else "dim"
    return Text(str(value), style=style)


def header(report: ConformanceReport) -> Text:
    """Who was tested, with which kit against which contract version."""
    adapter = report.adapter
    return Text.assemble(
        ("Adapter ", "bold"),
        f"{adapter.name} {adapter.version} at {adapter.url} · ",
        ("kit ", "bold"),
        f"{report.kit_version} · ",
        ("contract ", "bold"),
        f"{report.spec_version} · {report.duration_s:.1f} s",
    )


def area_table(report: ConformanceReport) -> Table:
    """Requirement statuses counted per area of the contract, with a total row."""
    per_area: dict[str, Counter[str]] = {}
    for requirement in report.requirements:
        per_area.setdefault(requirement.area, Counter())[requirement.status] += 1
    table = Table(title="Requirements by area", title_justify="left", show_footer=True)
    table.caption = _CAPTION
    table.caption_justify = "left"
    table.add_column("Area", footer="Total", no_wrap=True)
    summary = report.summary
    for status in STATUSES:
        title, _ = _HEADINGS[status]
        table.add_column(title, justify="right", footer=str(getattr(summary, status)))
    table.add_column("Total", justify="right", footer=str(summary.total))
    for area in sorted(per_area):
        counts = per_area[area]
        table.add_row(
            Text(area),
            *(_count(counts[status], status) for status in STATUSES),
            str(sum(counts.values())),
        )
    return table


def _first_line(reason: str) -> str:
    # The report keeps the whole reason; on screen one line per test keeps the table legible.
    line = reason.strip().splitlines()[0] if reason.strip() else ""
    return line if len(line) <= _MAX_REASON else line[: _MAX_REASON - 1] + "…"


def failure_table(report: ConformanceReport) -> Table | None:
    """The failed requirements with the reason their tests gave; ``None`` when none failed."""
    failed = [r for r in report.requirements if r.status == "failed"]
    if not failed:
        return None
    table = Table(title="Failed requirements", title_justify="left")
    table.add_column("Id", style="bold red", no_wrap=True)
    table.add_column("Level")
    table.add_column("Requirement")
    table.add_column("Why it failed (full reasons in --report)")
    for requirement in failed:
        reasons = [
            f"{test.nodeid.rpartition('::')[2]}: {_first_line(test.reason)}"
            for test in requirement.tests
            if test.outcome == "failed" and test.reason
        ]
        if requirement.note:
            reasons.append(_first_line(requirement.note))
        table.add_row(
            Text(requirement.id),
            Text(requirement.level),
            Text(requirement.text),
            Text("\n".join(reasons or ["(no reason recorded)"])),
        )
    return table


def deviation_table(report: ConformanceReport) -> Table | None:
    """The known deviations the adapter declares, and whether this run saw them."""
    deviations = [r for r in report.requirements if r.status == "deviation"]
    if not deviations:
        return None
    table = Table(title="Known deviations (declared by the adapter)", title_justify="left")
    table.add_column("Id", style="bold yellow", no_wrap=True)
    table.add_column("The adapter's reason")
    table.add_column("In this run")
    for requirement in deviations:
        table.add_row(
            Text(requirement.id),
            Text(_first_line(requirement.declared_deviation or "")),
            Text(requirement.note or ""),
        )
    return table


def partly_tested_table(report: ConformanceReport) -> Table | None:
    """The requirements some of whose tests did not run, with why; ``None`` when there are none."""
    partly = [r for r in report.requirements if r.status == "partly_tested"]
    if not partly:
        return None
    table = Table(title="Partly tested requirements (not counted as passed)", title_justify="left")
    table.add_column("Id", style="bold yellow", no_wrap=True)
    table.add_column("Level")
    table.add_column("Requirement")
    table.add_column("Tests that did not run, and why")
    for requirement in partly:
        reasons = [
            f"{test.nodeid.rpartition('::')[2]}: {_first_line(test.reason or '')}"
            for test in requirement.tests
            if test.outcome == "not_run"
        ]
        table.add_row(
            Text(requirement.id),
            Text(requirement.level),
            Text(requirement.text),
            Text("\n".join(reasons or ["(no reason recorded)"])),
        )
    return table


def run_errors(report: ConformanceReport) -> Text | None:
    """What stopped or spoiled the run as a whole; ``None`` when it completed cleanly."""
    if not report.errors:
        return None
    text = Text("The run itself had problems:\n", style="bold red")
    for error in report.errors:
        text.append(f"  • {error}\n", style="red")
    return text


def verdict(report: ConformanceReport) -> Text:
    """The verdict and the counts behind it, never saying more than the report does."""
    summary = report.summary
    counted = f"{summary.passed} of {summary.total} requirements passed against the store"
    if summary.partly_tested:
        counted += f", {summary.partly_tested} partly tested"
    if summary.layer_only:
        counted += f", {summary.layer_only} held in the layer only"
    if summary.not_applicable:
        counted += f", {summary.not_applicable} not applicable"
    if summary.outside_run:
        counted += f", {summary.outside_run} outside what a run can check"
    if summary.tests_not_run:
        counted += f"; {summary.tests_not_run} tests could not run"
    if report.verdict == "conformant":
        return Text(f"CONFORMANT: {counted}.", style="bold green")
    if report.verdict == "partial_run":
        narrowed = "; ".join(report.selection.narrowing())
        return Text(f"PARTIAL RUN, NOT CONFORMANT ({narrowed}): {counted}.", style="bold yellow")
    if report.verdict == "incomplete":
        if report.errors or not summary.partly_tested:
            return Text(f"NOT CONFORMANT: the run did not complete; {counted}.", style="bold red")
        return Text(
            f"INCOMPLETE, NOT CONFORMANT (some tests could not run): {counted}.",
            style="bold yellow",
        )
    problems = [
        f"{count} {what}"
        for count, what in (
            (summary.failed, "failed"),
            (summary.deviation, "known deviations"),
            (summary.untested, "untested"),
        )
        if count
    ]
    return Text(f"NOT CONFORMANT: {counted}; {', '.join(problems)}.", style="bold red")


def print_report(console: Console, report: ConformanceReport) -> None:
    """Print the whole summary: who was tested, counts per area, problems, verdict."""
    console.print(header(report))
    console.print(area_table(report))
    for part in (
        failure_table(report),
        deviation_table(report),
        partly_tested_table(report),
        run_errors(report),
    ):
        if part is not None:
            console.print(part)
    console.print(verdict(report))
