"""Tables for search results of every record type, and for grouped aggregates.

As in :mod:`caseport.render`, every cell built from data is literal text, never markup, and ids
are never wrapped (they are copied into the next command).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.table import Table
from rich.text import Text

from caseport.render import entity_table, id_column, links_table, plain
from contracts.aggregation import Aggregation, GroupValue
from contracts.models.cases import Case
from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.models.links import Link

__all__ = [
    "aggregation_summary",
    "aggregation_table",
    "cases_table",
    "exhibits_table",
    "records_table",
    "reports_table",
]

_SUMMARY_LENGTH = 60
"""Characters of a report's text shown in a table; ``get`` shows all of it."""


def _table(title: str | None) -> Table:
    # Every column but the id folds rather than cutting its text short with an ellipsis:
    # in a narrow terminal the id keeps its width and the rest wraps.
    return Table(title=None if title is None else Text(title), title_justify="left")


def cases_table(cases: Sequence[Case], *, title: str | None = None) -> Table:
    """Cases: reference, title, status, officer in the case, when opened, id."""
    table = _table(title)
    table.add_column("Reference", style="bold", overflow="fold")
    table.add_column("Title", overflow="fold")
    table.add_column("Status", overflow="fold")
    table.add_column("Officer", overflow="fold")
    table.add_column("Opened", overflow="fold")
    id_column(table)
    for case in cases:
        table.add_row(
            plain(case.reference),
            plain(case.title),
            plain(case.status.value),
            plain(case.officer_in_case),
            plain(_day(case.opened_at)),
            plain(case.id),
        )
    return table


def _day(moment: datetime | None) -> str:
    # The day is what a list is scanned by; ``get`` shows the full timestamp.
    return "" if moment is None else moment.strftime("%Y-%m-%d")


def _summary(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _SUMMARY_LENGTH else line[: _SUMMARY_LENGTH - 1] + "…"


def reports_table(reports: Sequence[IntelligenceReport], *, title: str | None = None) -> Table:
    """Intelligence reports: reference, when and by whom submitted, grading, text, id."""
    table = _table(title)
    table.add_column("Reference", style="bold", overflow="fold")
    table.add_column("Submitted", overflow="fold")
    table.add_column("By", overflow="fold")
    table.add_column("Grading", overflow="fold")
    table.add_column("Text", overflow="fold")
    id_column(table)
    for report in reports:
        grading = report.grading
        table.add_row(
            plain(report.reference),
            plain(_day(report.submitted_at)),
            plain(report.submitted_by),
            plain(f"{grading.scheme} {_grade(report)}"),
            plain(_summary(report.text)),
            plain(report.id),
        )
    return table


def _grade(report: IntelligenceReport) -> str:
    # The three parts of either scheme, as written on the report (never converted).
    parts = report.grading.model_dump(exclude={"scheme"})
    return "".join(str(value) for value in parts.values())


def exhibits_table(exhibits: Sequence[Exhibit], *, title: str | None = None) -> Table:
    """Exhibits: reference, description, when seized and by whom, where kept, id."""
    table = _table(title)
    table.add_column("Reference", style="bold", overflow="fold")
    table.add_column("Description", overflow="fold")
    table.add_column("Seized", overflow="fold")
    table.add_column("By", overflow="fold")
    table.add_column("Stored at", overflow="fold")
    id_column(table)
    for exhibit in exhibits:
        table.add_row(
            plain(exhibit.reference),
            plain(exhibit.description),
            plain(_day(exhibit.seized_at)),
            plain(exhibit.seized_by),
            plain(exhibit.storage_location),
            plain(exhibit.id),
        )
    return table


def records_table(
    records: Sequence[Record], entities: Mapping[str, Entity], *, title: str | None = None
) -> Table:
    """A table suited to the records' type (they are all of one type).

    ``entities`` labels the ends of links; an end not in it shows as its id.
    """
    first = records[0] if records else None
    if isinstance(first, Link):
        return links_table([r for r in records if isinstance(r, Link)], entities, title=title)
    if isinstance(first, Case):
        return cases_table([r for r in records if isinstance(r, Case)], title=title)
    if isinstance(first, IntelligenceReport):
        reports = [r for r in records if isinstance(r, IntelligenceReport)]
        return reports_table(reports, title=title)
    if isinstance(first, Exhibit):
        return exhibits_table([r for r in records if isinstance(r, Exhibit)], title=title)
    return entity_table([r for r in records if isinstance(r, Entity)], title=title)


def _value_text(value: GroupValue) -> Text:
    if value is None:
        return Text("(none)", style="dim")
    if isinstance(value, bool):
        return Text("true" if value else "false")
    if isinstance(value, datetime):
        return Text(value.isoformat().replace("+00:00", "Z"))
    if isinstance(value, float):
        return Text(f"{value:,.6g}" if abs(value) < 1e15 else repr(value))
    if isinstance(value, int):
        return Text(f"{value:,}")
    return plain(value)


def aggregation_table(
    aggregation: Aggregation,
    group_by: Sequence[str],
    metric_names: Sequence[str],
    *,
    title: str | None = None,
) -> Table:
    """One row per group: its key (one column per grouping field), its count and its metrics.

    :func:`aggregation_summary` says how many records matched and whether groups were left out.
    """
    table = _table(title)
    for field in group_by:
        # A key is often an id or a reference, copied into the next command.
        table.add_column(field, style="bold", no_wrap=True, overflow="ellipsis")
    table.add_column("Count", justify="right")
    for name in metric_names:
        table.add_column(name, justify="right")
    for group in aggregation.groups:
        table.add_row(
            *(_value_text(value) for value in group.key),
            Text(f"{group.count:,}"),
            *(_value_text(group.values.get(name)) for name in metric_names),
        )
    return table


def aggregation_summary(aggregation: Aggregation) -> str:
    """How many records matched, how many groups are shown, and whether more groups exist."""
    shown = len(aggregation.groups)
    line = f"{aggregation.total:,} matching record{'s' if aggregation.total != 1 else ''}; "
    line += f"{shown:,} group{'s' if shown != 1 else ''} shown"
    if aggregation.truncated:
        line += "; truncated: more groups exist (raise --limit to see them)"
    return line
