"""Shell commands that ask a store one question each: search, get, neighbours, paths, timeline.

Each reads its options, builds the query first (so bad input fails before any connection is
made), asks the store at ``URL`` and prints a table, or one JSON document with ``--json``.
They only read: :func:`open_for_reading` opens a store that must already exist and creates,
migrates or writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Final

import typer

from adapters import connect, load_settings, split_url
from caseport._query_options import build_search_query, parse_datetime, parse_kind
from caseport.render import (
    emit_json,
    entity_table,
    links_table,
    path_tree,
    plain,
    record_table,
    stdout_console,
    subgraph_table,
    timeline_table,
)
from contracts.errors import NotFound
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.models.records import record_class
from contracts.query import MAX_PAGE_SIZE
from contracts.store import MAX_DEPTH, RECORD_CAPABILITY, CaseStore

__all__ = [
    "DirectionChoice",
    "find_record",
    "get",
    "neighbours",
    "open_for_reading",
    "paths",
    "search",
    "timeline",
]

_READ_ONLY_OPTIONS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {"sqlite": {"mode": "ro"}, "postgresql": {"mode": "ro"}}
)
"""The options that open a built-in adapter's store for reading only. The other built-in
adapters create nothing when they open: memory:// and foundry+fake:// live in this process,
and foundry+https:// uses the ontology it is given."""

_MAX_PATHS: Final = 10_000
"""The most paths ``shortest_paths`` returns in one call, as the store checks it."""


def open_for_reading(url: str | None) -> CaseStore:
    """Open the store at ``url`` (the configured one when ``None``) to read it, changing nothing.

    A SQLite or PostgreSQL store opens with ``mode=ro``: it must already exist at this code's
    schema version; no file, schema or table is created and no migration is applied. Other
    adapters open as their options say.

    Raises:
        ConfigurationError: a bad URL or configuration, or no store there (the message says
            how to create one), or a store that needs ``caseport db upgrade`` first.
    """
    scheme, _ = split_url(url if url is not None else load_settings().url)
    return connect(url, **_READ_ONLY_OPTIONS.get(scheme, {}))


class DirectionChoice(StrEnum):
    """Which links a graph walk follows from each entity."""

    OUT = "out"
    IN = "in"
    BOTH = "both"


Url = Annotated[
    str,
    typer.Argument(
        metavar="URL",
        help="Store URL, e.g. memory://?load=case.jsonl or sqlite:///case.db "
        "(caseport info lists the schemes).",
        show_default=False,
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
LinkTypes = Annotated[
    list[str] | None,
    typer.Option(
        "--link-type", metavar="TYPE", help="Follow only links of this type (repeatable)."
    ),
]
DirectionOption = Annotated[
    DirectionChoice,
    typer.Option(
        "--direction",
        case_sensitive=False,
        help="Follow links leaving each entity (out), entering it (in) or both.",
    ),
]


def search(
    url: Url,
    text: Annotated[
        str | None, typer.Option("--text", "-t", help="Words that must all appear.")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", "-k", help="PERSON, ORGANISATION, OBJECT, LOCATION or EVENT."),
    ] = None,
    subtype: Annotated[
        str | None, typer.Option("--subtype", "-s", help="e.g. vehicle, phone, crime.")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where",
            "-w",
            metavar="FIELD=VALUE",
            help="Field equals value (repeatable); the value is typed by the field.",
        ),
    ] = None,
    filter_json: Annotated[
        str | None,
        typer.Option("--filter", metavar="JSON", help="A filter in its JSON form."),
    ] = None,
    order: Annotated[
        list[str] | None,
        typer.Option(
            "--order", metavar="FIELD[:desc]", help="Sort by a sortable field (repeatable)."
        ),
    ] = None,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            "-n",
            min=1,
            max=MAX_PAGE_SIZE,
            help=f"Results per page (1-{MAX_PAGE_SIZE}).",
        ),
    ] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="Continue from a previous page.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Search entities by words and fields; all conditions must hold.

    Text matches whole words in names, aliases, identifiers, addresses and descriptions,
    ignoring case; nothing typed is read as query syntax. --where values are text unless
    the field holds numbers, booleans or datetimes (datetimes without a zone are UTC).

    For example:

        caseport search 'memory://?load=case.jsonl' --text "smith" --kind person
        caseport search URL --where person.family_name=Smith --order label
        caseport search URL --where event.occurred_from=2024-03-01T18:00:00Z
        caseport search URL --filter '{"op": "prefix", "field": "label", "value": "Sm"}'
        caseport search URL --kind object --subtype vehicle --json | jq '.items[].id'
    """
    query = build_search_query(
        text=text,
        kind=kind,
        subtype=subtype,
        where=where or (),
        filter_json=filter_json,
        order=order or (),
        limit=limit,
        cursor=cursor,
    )
    with open_for_reading(url) as store:
        page = store.search(query)
    if as_json:
        emit_json(page.model_dump(mode="json"))
        return
    console = stdout_console()
    count = len(page.items)
    if count:
        title = f"{count} entit{'y' if count == 1 else 'ies'}"
        console.print(entity_table(page.items, title=title))
    else:
        console.print("No entity matches.")
    if page.next_cursor:
        console.print(
            plain(f"More results: repeat with --cursor {page.next_cursor}"), soft_wrap=True
        )


def get(
    url: Url,
    record_id: Annotated[str, typer.Argument(metavar="ID", help="The record's id.")],
    record_type: Annotated[
        RecordType | None,
        typer.Option(
            "--type",
            case_sensitive=False,
            help="What kind of record the id names (default: look in every kind).",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show one record: an entity, link, case, intelligence report or exhibit.

    Without --type the id is looked up in every kind of record the store keeps.

    For example:

        caseport get 'memory://?load=case.jsonl' 0192f0c4-...
        caseport get URL CASE-ID --type case --json
    """
    with open_for_reading(url) as store:
        if record_type is None:
            record = find_record(store, record_id)
        else:
            record = store.get(record_class(record_type), record_id)
    if as_json:
        emit_json(record.model_dump(mode="json"))
        return
    stdout_console().print(record_table(record))


def find_record(store: CaseStore, record_id: str) -> Record:
    """The record with ``record_id``, whatever its kind, looked up in :class:`RecordType` order.

    Kinds of record the store does not keep are skipped. Ids are chosen by clients, so two
    kinds could hold the same id; the first kind in that order wins.

    Raises:
        NotFound: no kind of record the store keeps has that id.
    """
    for kind in RecordType:
        capability = RECORD_CAPABILITY.get(kind)
        if capability is not None and not store.supports(capability):
            continue
        found = store.get_many(record_class(kind), [record_id])
        if found:
            return found[0]
    raise NotFound("record", record_id)


def neighbours(
    url: Url,
    entity_id: Annotated[str, typer.Argument(metavar="ID", help="The entity to start from.")],
    depth: Annotated[
        int,
        typer.Option("--depth", "-d", min=0, max=MAX_DEPTH, help=f"How many hops (0-{MAX_DEPTH})."),
    ] = 1,
    link_type: LinkTypes = None,
    direction: DirectionOption = DirectionChoice.BOTH,
    as_json: AsJson = False,
) -> None:
    """Show every entity within --depth hops of an entity, and the links between them.

    For example:

        caseport neighbours 'memory://?load=case.jsonl' PERSON-ID
        caseport neighbours URL PERSON-ID --depth 2 --link-type ASSOCIATE_OF
        caseport neighbours URL PHONE-ID --direction in --json
    """
    with open_for_reading(url) as store:
        subgraph = store.neighbourhood(
            entity_id, depth=depth, link_types=link_type, direction=direction.value
        )
    if as_json:
        emit_json(subgraph.model_dump(mode="json"))
        return
    console = stdout_console()
    by_id = {entity.id: entity for entity in subgraph.entities}
    root = by_id[entity_id]
    console.print(
        subgraph_table(
            entity_id,
            subgraph,
            title=f"Within {depth} hop{'s' if depth != 1 else ''} of {root.label}: "
            f"{len(subgraph.entities)} entities",
        )
    )
    if subgraph.links:
        console.print(links_table(subgraph.links, by_id, title=f"{len(subgraph.links)} links"))


def paths(
    url: Url,
    from_id: Annotated[str, typer.Argument(metavar="FROM_ID", help="Where paths start.")],
    to_id: Annotated[str, typer.Argument(metavar="TO_ID", help="Where paths end.")],
    max_depth: Annotated[
        int,
        typer.Option(
            "--max-depth",
            min=0,
            max=MAX_DEPTH,
            help=f"Longest path to look for, in links (0-{MAX_DEPTH}).",
        ),
    ] = 6,
    max_paths: Annotated[
        int,
        typer.Option(
            "--max-paths", min=1, max=_MAX_PATHS, help=f"Most paths to return (1-{_MAX_PATHS})."
        ),
    ] = 10,
    link_type: LinkTypes = None,
    via: Annotated[
        list[str] | None,
        typer.Option(
            "--via", metavar="KIND", help="Pass only through entities of this kind (repeatable)."
        ),
    ] = None,
    direction: DirectionOption = DirectionChoice.BOTH,
    as_json: AsJson = False,
) -> None:
    """Show how two entities are connected: every shortest path between them.

    No path within --max-depth is an answer, not an error: the list is empty.

    For example:

        caseport paths 'memory://?load=case.jsonl' SUSPECT-A SUSPECT-B
        caseport paths URL SUSPECT-A SUSPECT-B --max-depth 4 --via person
        caseport paths URL A B --json | jq '.[0].entity_ids'
    """
    via_kinds = [parse_kind(kind, "--via") for kind in via] if via else None
    with open_for_reading(url) as store:
        found = store.shortest_paths(
            from_id,
            to_id,
            max_depth=max_depth,
            max_paths=max_paths,
            link_types=link_type,
            direction=direction.value,
            via_kinds=via_kinds,
        )
        entity_ids = {entity for path in found for entity in path.entity_ids} | {from_id, to_id}
        entities = {e.id: e for e in store.get_many(Entity, sorted(entity_ids))}
        links = {
            link.id: link
            for link in store.get_many(Link, sorted({i for p in found for i in p.link_ids}))
        }
    if as_json:
        emit_json([path.model_dump(mode="json") for path in found])
        return
    source, target = entities[from_id].label, entities[to_id].label
    if not found:
        stdout_console().print(
            plain(f"No path of at most {max_depth} links between {source} and {target}.")
        )
        return
    length = found[0].length
    title = (
        f"{len(found)} shortest path{'s' if len(found) != 1 else ''} of {length} "
        f"link{'s' if length != 1 else ''} from {source} to {target}"
    )
    stdout_console().print(path_tree(title, found, entities, links))


def timeline(
    url: Url,
    entity: Annotated[
        list[str] | None,
        typer.Option("--entity", "-e", metavar="ID", help="An entity of interest (repeatable)."),
    ] = None,
    case: Annotated[
        str | None, typer.Option("--case", "-c", metavar="ID", help="A case; adds its members.")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option("--from", metavar="ISO", help="Only events overlapping from this time."),
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", metavar="ISO", help="Only events before this time.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Show, in time order, the events linked to some entities or to a case's members.

    Give --entity, --case or both. Times without a zone are read as UTC.

    For example:

        caseport timeline 'memory://?load=case.jsonl' --case CASE-ID
        caseport timeline URL --entity PERSON-ID --entity VEHICLE-ID --from 2024-01-01
        caseport timeline URL --case CASE-ID --from 2024-03-01 --to 2024-04-01 --json
    """
    start_at = parse_datetime(start, "--from") if start is not None else None
    end_at = parse_datetime(end, "--to") if end is not None else None
    with open_for_reading(url) as store:
        entries = store.timeline(entity_ids=entity or (), case_id=case, start=start_at, end=end_at)
        related = sorted({i for entry in entries for i in entry.related_ids})
        labels = {e.id: e.label for e in store.get_many(Entity, related)}
    if as_json:
        emit_json([entry.model_dump(mode="json") for entry in entries])
        return
    count = len(entries)
    stdout_console().print(
        timeline_table(entries, labels, title=f"{count} event{'s' if count != 1 else ''}")
    )
