"""How a conformance report reads on screen: per-area counts, failures, and a verdict.

A report quotes what the tests and the adapter said (assertion messages, exception text), so
every cell built from it is a :class:`~rich.text.Text`: never read as rich markup.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

from rich.console import Console
from rich.table import Table
from rich.text import Text

from contracts.conformance.report import ConformanceReport

__all__ = [
    "STATUSES",
    "area_table",
    "failure_table",
    "header",
    "print_report",
    "run_errors",
    "verdict",
]

STATUSES: Final = ("passed", "failed", "not_applicable", "deviation", "untested")
"""Requirement outcomes, in the order the tables show them."""

_MAX_REASON: Final = 160

_HEADINGS: Final = {
    "passed": ("Passed", "green"),
    "failed": ("Failed", "red"),
    "not_applicable": ("N/A", "dim"),
    "deviation": ("Deviation", "yellow"),
    "untested": ("Untested", "yellow"),
}


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
    """Requirement outcomes counted per area of the contract, with a total row."""
    per_area: dict[str, Counter[str]] = {}
    for requirement in report.requirements:
        per_area.setdefault(requirement.area, Counter())[requirement.status] += 1
    table = Table(title="Requirements by area", title_justify="left", show_footer=True)
    table.caption = "N/A: not applicable, the adapter declares the capability unsupported"
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
        ] or ["(no reason recorded)"]
        table.add_row(
            Text(requirement.id),
            Text(requirement.level),
            Text(requirement.text),
            Text("\n".join(reasons)),
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
    """One line: conformant or not, and how many requirements passed."""
    summary = report.summary
    counted = f"{summary.passed} of {summary.total} requirements passed"
    if summary.deviation:
        counted += f", {summary.deviation} known deviations"
    if summary.untested:
        counted += f", {summary.untested} not covered by any test yet"
    if report.passed:
        return Text(f"CONFORMANT: {counted}.", style="bold green")
    failed = f"{summary.failed} failed" if summary.failed else "the run did not complete"
    return Text(f"NOT CONFORMANT: {counted}, {failed}.", style="bold red")


def print_report(console: Console, report: ConformanceReport) -> None:
    """Print the whole summary: who was tested, counts per area, failures, verdict."""
    console.print(header(report))
    console.print(area_table(report))
    for part in (failure_table(report), run_errors(report)):
        if part is not None:
            console.print(part)
    console.print(verdict(report))
