"""What the command line shows: rich tables and trees for people, JSON for programs.

Every function here builds a renderable from contract results and prints nothing itself, except
:func:`emit_json`, which writes exactly one JSON document to stdout so that ``--json`` output can
be piped into ``jq`` or another program.

Stored data is never read as rich markup: a label such as ``Bob [red]Smith`` must show as typed,
and ``Mallory [/bold] Smith`` must not crash the table. Every cell, title and line built from data
is therefore a :class:`~rich.text.Text` (see :func:`plain`), never a ``str``, which rich would
parse for markup and emoji codes.
"""

from __future__ import annotations

import errno
import json
import os
import sys
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from adapters import OptionDoc
from contracts import SPEC_VERSION
from contracts.capabilities import Capability, Support
from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.results import AdapterInfo, Hop, Path, Subgraph, TimelineEntry

__all__ = [
    "CAPABILITY_MEANINGS",
    "SUPPORT_MEANINGS",
    "adapter_table",
    "capability_table",
    "describe_entity",
    "emit_json",
    "entity_table",
    "hop_distances",
    "hops_table",
    "id_column",
    "links_table",
    "path_chain",
    "path_tree",
    "plain",
    "progress_bar",
    "record_table",
    "schemes_table",
    "stderr_console",
    "stdout_console",
    "subgraph_table",
    "timeline_table",
    "when",
]

CAPABILITY_MEANINGS: Final[Mapping[Capability, str]] = {
    Capability.CASES: "keeps cases: investigations with their members in roles",
    Capability.INTELLIGENCE_REPORTS: (
        "keeps intelligence reports with their grading as given, 3x5x2 or legacy 5x5x5, "
        "never converted"
    ),
    Capability.EXHIBITS: "keeps exhibits with an append-only chain of custody",
    Capability.SEARCH_FILTER: "filters entities by field (eq, in, range, prefix, and/or/not)",
    Capability.SEARCH_TEXT: "free-text search over names, identifiers and descriptions",
    Capability.SEARCH_ORDER: "orders search results by a sortable field",
    Capability.SEARCH_RECORDS: "searches links, cases, reports and exhibits by their own fields",
    Capability.SEARCH_COUNT: "counts the records a filter selects",
    Capability.SEARCH_AGGREGATE: "groups records by fields with counts, min, max, sum, average",
    Capability.GRAPH_EXPAND: "one hop: an entity's links and the entities at their other ends",
    Capability.GRAPH_DEGREE: "how many links each of many entities has, in one call",
    Capability.GRAPH_NEIGHBOURHOOD: "every entity within N hops of an entity",
    Capability.GRAPH_SHORTEST_PATHS: "all shortest paths between two entities",
    Capability.TIMELINE: "events linked to entities or a case's members, in time order",
    Capability.BULK_UPSERT: "writes records in atomic batches, keeping ids and versions",
    Capability.BULK_EXPORT: "streams every stored record, for migration and backup",
}
"""One line per capability, for ``caseport info``."""

SUPPORT_MEANINGS: Final[Mapping[Support, str]] = {
    Support.NATIVE: "the backend does it itself",
    Support.PARTIAL: "the backend does part of it and caseport the rest",
    Support.EMULATED: "caseport builds it from simpler operations of the backend",
    Support.UNSUPPORTED: "calling it fails with NotSupported",
}

_SUPPORT_STYLES: Final[Mapping[Support, str]] = {
    Support.NATIVE: "green",
    Support.PARTIAL: "cyan",
    Support.EMULATED: "yellow",
    Support.UNSUPPORTED: "red",
}
_KIND_STYLES: Final[Mapping[str, str]] = {
    "PERSON": "bold cyan",
    "ORGANISATION": "magenta",
    "OBJECT": "yellow",
    "LOCATION": "green",
    "EVENT": "red",
}


class _StdoutConsole(Console):
    """A console whose closed pipe is an error like any other write's, not an exit of its own.

    rich ends the process with ``SystemExit(1)`` when stdout's reader has gone; raising
    ``BrokenPipeError`` instead lets the command line end every such case the same way.
    """

    def on_broken_pipe(self) -> None:
        """Stop writing and raise ``BrokenPipeError`` for the caller to handle."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def stdout_console() -> Console:
    """A console on stdout for readable output (colour only on a terminal).

    A closed stdout (``caseport search ... | head -1``) raises ``BrokenPipeError``.
    """
    return _StdoutConsole(highlight=False)


def stderr_console() -> Console:
    """A console on stderr for progress bars and notes that must not pollute stdout."""
    return Console(stderr=True, highlight=False)


def progress_bar(console: Console, *, transient: bool = False) -> Progress:
    """A progress bar with a label, the count done of the total, and the time taken."""
    return Progress(
        TextColumn("  {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )


_JSON: Final = json.JSONEncoder(indent=2, ensure_ascii=False)


def emit_json(data: Any) -> None:
    """Write ``data`` (JSON-ready, e.g. ``model_dump(mode="json")``) as one JSON document.

    Written piece by piece: one large write into a pipe whose reader has gone can lose the
    rest without an error, where smaller writes raise ``BrokenPipeError``.
    """
    stream = sys.stdout
    for chunk in _JSON.iterencode(data):
        stream.write(chunk)
    stream.write("\n")
    stream.flush()


def when(moment: datetime | None) -> str:
    """A timestamp as people read it, in UTC to the minute."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def plain(value: str | None, style: str = "") -> Text:
    """``value`` as literal text: brackets, backslashes and ``:colons:`` are shown as they are.

    Rich reads a ``str`` handed to a table or a console as markup; data must never be.
    """
    return Text("" if value is None else value, style=style)


def _title(value: str | None) -> Text | None:
    # Table titles are read as markup too; they often name an entity.
    return None if value is None else Text(value)


def _kind_text(kind: str) -> Text:
    return Text(kind, style=_KIND_STYLES.get(kind, ""))


def describe_entity(entity: Entity) -> str:
    """A few words that tell this entity apart from others with a similar label."""
    parts: list[str] = []
    if entity.person is not None:
        block = entity.person
        if block.date_of_birth:
            parts.append(f"born {block.date_of_birth}")
        parts.extend(f"{i.scheme} {i.value}" for i in block.identifiers[:1])
    elif entity.object is not None:
        block_o = entity.object
        parts.extend(f"{i.scheme} {i.value}" for i in block_o.identifiers[:1])
        parts.append(" ".join(v for v in (block_o.colour, block_o.make, block_o.model) if v))
    elif entity.location is not None:
        parts.append(entity.location.postcode or entity.location.address or "")
    elif entity.event is not None:
        block_e = entity.event
        parts.extend([when(block_e.occurred_from), block_e.reference or ""])
    elif entity.organisation is not None:
        block_g = entity.organisation
        parts.extend([block_g.organisation_type or "", block_g.registration_number or ""])
    return ", ".join(part for part in parts if part)


def id_column(table: Table) -> None:
    """Add the ``ID`` column: never wrapped, shortened with a visible ellipsis only if it must."""
    # Ids are copied into the next command, so they are never wrapped: a narrow terminal wraps
    # the other columns instead. Only a terminal too narrow for an id alone shortens it, and
    # then visibly, with an ellipsis, so that no shortened id passes for a whole one.
    table.add_column("ID", style="dim", no_wrap=True, overflow="ellipsis")


def entity_table(
    entities: Iterable[Entity],
    *,
    title: str | None = None,
    marked: str | None = None,
    ids: bool = True,
) -> Table:
    """Entities as rows; the entity with id ``marked`` gets a star; ``ids`` adds their ids."""
    table = Table(title=_title(title), title_justify="left")
    if marked is not None:
        table.add_column("", width=1)
    table.add_column("Label", style="bold")
    table.add_column("Kind")
    table.add_column("Subtype")
    table.add_column("Details", overflow="fold")
    if ids:
        id_column(table)
    for entity in entities:
        cells: list[Text] = []
        if marked is not None:
            cells.append(Text("★", style="bold yellow") if entity.id == marked else Text())
        cells += [
            plain(entity.label),
            _kind_text(entity.kind.value),
            plain(entity.subtype),
            plain(describe_entity(entity)),
        ]
        table.add_row(*cells, *([plain(entity.id)] if ids else []))
    return table


def hops_table(hops: Sequence[Hop], *, title: str | None = None, ids: bool = True) -> Table:
    """One-hop neighbours: the link followed and the entity at its other end."""
    table = Table(title=_title(title), title_justify="left")
    table.add_column("Link", no_wrap=True)
    table.add_column("Dir", justify="center")
    table.add_column("Role")
    table.add_column("Neighbour", style="bold")
    table.add_column("Kind")
    table.add_column("Subtype")
    if ids:
        id_column(table)
    for hop in hops:
        arrow = "→" if hop.direction == "out" else "←"
        if not hop.link.directed:
            arrow = "—"
        table.add_row(
            plain(hop.link.type),
            arrow,
            plain(hop.link.role.value if hop.link.role else ""),
            plain(hop.neighbour.label),
            _kind_text(hop.neighbour.kind.value),
            plain(hop.neighbour.subtype),
            *([plain(hop.neighbour.id)] if ids else []),
        )
    return table


def links_table(
    links: Sequence[Link], entities: Mapping[str, Entity], *, title: str | None = None
) -> Table:
    """Links with the labels of the entities at their ends."""
    table = Table(title=_title(title), title_justify="left")
    table.add_column("From", style="bold")
    table.add_column("Link")
    table.add_column("To", style="bold")
    table.add_column("Role")
    id_column(table)
    for link in links:
        source, target = entities.get(link.source_id), entities.get(link.target_id)
        table.add_row(
            plain(source.label if source else link.source_id),
            plain(link.type + (" →" if link.directed else " —")),
            plain(target.label if target else link.target_id),
            plain(link.role.value if link.role else ""),
            plain(link.id),
        )
    return table


def hop_distances(root_id: str, subgraph: Subgraph) -> dict[str, int]:
    """How many links separate each entity of ``subgraph`` from ``root_id``."""
    adjacent: dict[str, set[str]] = {}
    for link in subgraph.links:
        adjacent.setdefault(link.source_id, set()).add(link.target_id)
        adjacent.setdefault(link.target_id, set()).add(link.source_id)
    distances = {root_id: 0}
    queue = deque([root_id])
    while queue:
        current = queue.popleft()
        for neighbour in sorted(adjacent.get(current, ())):
            if neighbour not in distances:
                distances[neighbour] = distances[current] + 1
                queue.append(neighbour)
    return distances


def subgraph_table(root_id: str, subgraph: Subgraph, *, title: str | None = None) -> Table:
    """The entities of a neighbourhood, nearest first, with their distance from the root."""
    distances = hop_distances(root_id, subgraph)
    table = Table(title=_title(title), title_justify="left")
    table.add_column("Hops", justify="right")
    table.add_column("Label", style="bold")
    table.add_column("Kind")
    table.add_column("Subtype")
    table.add_column("Details", overflow="fold")
    id_column(table)
    ordered = sorted(subgraph.entities, key=lambda e: (distances.get(e.id, 99), e.kind, e.label))
    for entity in ordered:
        table.add_row(
            str(distances.get(entity.id, "?")),
            plain(entity.label),
            _kind_text(entity.kind.value),
            plain(entity.subtype),
            plain(describe_entity(entity)),
            plain(entity.id),
        )
    return table


def _entity_text(entity: Entity | None, entity_id: str) -> Text:
    if entity is None:
        return Text(entity_id, style="dim")
    text = Text(entity.label, style="bold")
    text.append(f" ({entity.kind.value.title()})", style=_KIND_STYLES.get(entity.kind, "dim"))
    return text


def path_chain(path: Path, entities: Mapping[str, Entity], links: Mapping[str, Link]) -> Text:
    """A path as one line: ``A Person —ASSOCIATE_OF→ B Person ←OWNS— ...``."""
    chain = _entity_text(entities.get(path.entity_ids[0]), path.entity_ids[0])
    for index, link_id in enumerate(path.link_ids):
        left, right = path.entity_ids[index], path.entity_ids[index + 1]
        link = links.get(link_id)
        name = link.type if link else link_id
        if link is None or not link.directed:
            arrow = f" —{name}— "
        elif link.source_id == left:
            arrow = f" —{name}→ "
        else:
            arrow = f" ←{name}— "
        chain.append(arrow, style="blue")
        chain.append_text(_entity_text(entities.get(right), right))
    return chain


def path_tree(
    title: str,
    paths: Sequence[Path],
    entities: Mapping[str, Entity],
    links: Mapping[str, Link],
) -> Tree:
    """Paths as a tree: one branch per path, each a chain of entities and links."""
    tree = Tree(Text(title, style="bold"))
    for number, path in enumerate(paths, start=1):
        plural = "" if path.length == 1 else "s"
        branch = tree.add(Text(f"path {number} · {path.length} link{plural}", style="dim"))
        branch.add(path_chain(path, entities, links))
    return tree


def timeline_table(
    entries: Sequence[TimelineEntry],
    labels: Mapping[str, str],
    *,
    title: str | None = None,
    limit: int | None = None,
) -> Table:
    """Timeline entries in order: when, what, and which of the requested entities took part."""
    table = Table(title=_title(title), title_justify="left")
    table.add_column("When (UTC)", no_wrap=True)
    table.add_column("Event", style="bold")
    table.add_column("Subtype")
    table.add_column("Reference")
    table.add_column("Involving")
    shown = entries if limit is None else entries[:limit]
    for entry in shown:
        block = entry.event.event
        involved = ", ".join(labels.get(i, i) for i in entry.related_ids if i != entry.event.id)
        table.add_row(
            when(block.occurred_from if block else None),
            plain(entry.event.label),
            plain(entry.event.subtype),
            plain(block.reference if block else None),
            plain(involved),
        )
    if limit is not None and len(entries) > limit:
        more = len(entries) - limit
        table.caption = f"… and {more} more event{'s' if more != 1 else ''}"
        table.caption_justify = "left"
    return table


def adapter_table(adapter: AdapterInfo, url: str, source: str) -> Table:
    """Which adapter serves ``url``, and where the choice of URL came from."""
    table = Table(title="Adapter", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in (
        ("URL", url),
        ("chosen by", source),
        ("name", adapter.name),
        ("version", adapter.version),
        ("backend", adapter.backend),
        ("kind", adapter.kind),
        ("contract", SPEC_VERSION),
    ):
        table.add_row(name, plain(value))
    return table


def schemes_table(schemes: Sequence[str], descriptions: Mapping[str, str]) -> Table:
    """The URL schemes an adapter serves, described where the description is known."""
    table = Table(title="URL schemes", title_justify="left")
    table.add_column("Scheme", style="bold")
    table.add_column("Adapter")
    for scheme in schemes:
        table.add_row(plain(f"{scheme}://"), plain(descriptions.get(scheme, "installed adapter")))
    return table


def options_table(scheme: str, options: Sequence[OptionDoc], description: str) -> Table:
    """The options a scheme's URLs take: name, type, default, what it accepts, what it does."""
    table = Table(title=plain(f"Options of {scheme}://"), title_justify="left")
    table.add_column("Option", style="bold", no_wrap=True)
    table.add_column("Type", no_wrap=True)
    table.add_column("Default")
    table.add_column("Accepts")
    table.add_column("Meaning")
    for doc in options:
        table.add_row(
            plain(doc.name),
            plain(doc.kind),
            plain(doc.default),
            plain(doc.accepts),
            plain(doc.meaning),
        )
    table.caption = plain(
        f"{description}. Give options in the URL (?name=value), as keywords of connect(), in "
        "[store.options] of caseport.toml or as CASEPORT_OPTION_<NAME>."
    )
    table.caption_justify = "left"
    return table


def capability_table(
    capabilities: Mapping[Capability, Support], notes: Mapping[Capability, str] | None = None
) -> Table:
    """Each capability: how this adapter provides it, what it means, and how where needed.

    ``notes`` are the store's capability notes, shown under the meaning.
    """
    notes = notes or {}
    table = Table(title="Capabilities", title_justify="left")
    table.add_column("Capability", style="bold", no_wrap=True)
    table.add_column("Support", no_wrap=True)
    table.add_column("What it means")
    for capability in Capability:
        support = capabilities[capability]
        meaning = Text(CAPABILITY_MEANINGS[capability])
        if capability in notes:
            meaning.append(f"\nhow: {notes[capability]}", style="dim")
        table.add_row(
            capability.value,
            Text(support.value, style=_SUPPORT_STYLES[support]),
            meaning,
        )
    table.caption = "; ".join(f"{s.value}: {meaning}" for s, meaning in SUPPORT_MEANINGS.items())
    table.caption_justify = "left"
    return table


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def record_table(record: Record) -> Table:
    """A record's fields as two columns; empty fields left out, nested values as JSON."""
    table = Table(
        title=plain(f"{record.RECORD_TYPE.value} {record.id}"),
        title_justify="left",
        show_header=False,
    )
    table.add_column("Field", style="bold", no_wrap=True)
    table.add_column("Value", overflow="fold")
    for name, value in record.model_dump(mode="json", exclude_none=True).items():
        if value in ({}, []):
            continue
        table.add_row(plain(name), plain(_cell(value)))
    return table
