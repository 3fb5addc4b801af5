"""Shell commands that ask a store one question each: search, get, neighbours, paths, timeline.

Each reads its options, builds the query first (so bad input fails before any connection is
made), asks the store and prints a table, or one JSON document with ``--json``. The store is the
URL given first, or the configured one when it is left out (``caseport.toml``, ``CASEPORT_URL``,
else ``./caseport.db``). They only read: :func:`open_for_reading` opens a store that must
already exist and creates, migrates or writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Final

import typer

from adapters import DEFAULT_URL, connect, load_settings, split_url
from caseport._query_options import build_search_query, parse_datetime, parse_kind, parse_where
from caseport._targets import url_and_ids
from caseport.record_tables import records_table
from caseport.render import (
    emit_json,
    links_table,
    path_tree,
    plain,
    record_table,
    stdout_console,
    subgraph_table,
    timeline_table,
)
from contracts.capabilities import Capability
from contracts.errors import NotFound, ValidationFailed
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.models.records import record_class
from contracts.query import MAX_PAGE_SIZE, And, Eq, Filter, SearchQuery
from contracts.store import MAX_DEPTH, RECORD_CAPABILITY, CaseStore

__all__ = [
    "DirectionChoice",
    "entity_labels",
    "find_by_reference",
    "find_record",
    "get",
    "neighbours",
    "open_for_reading",
    "paths",
    "plural",
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
    str | None,
    typer.Argument(
        metavar="URL",
        help="Store URL, e.g. memory://?load=case.jsonl or sqlite:///case.db (caseport info "
        f"lists the schemes); default: caseport.toml, CASEPORT_URL, else {DEFAULT_URL}.",
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
RecordTypeOption = Annotated[
    RecordType,
    typer.Option(
        "--type",
        case_sensitive=False,
        help="The kind of record to search; --where, --order and --filter take its fields "
        "(see caseport schema --record TYPE).",
    ),
]
TextOption = Annotated[str | None, typer.Option("--text", "-t", help="Words that must all appear.")]
Kind = Annotated[
    str | None,
    typer.Option(
        "--kind", "-k", help="PERSON, ORGANISATION, OBJECT, LOCATION or EVENT (entities only)."
    ),
]
Subtype = Annotated[
    str | None,
    typer.Option("--subtype", "-s", help="e.g. vehicle, phone, crime (entities only)."),
]
Where = Annotated[
    list[str] | None,
    typer.Option(
        "--where",
        "-w",
        metavar="FIELD=VALUE",
        help="Field equals value (repeatable); the value is typed by the field.",
    ),
]
FilterJson = Annotated[
    str | None,
    typer.Option("--filter", metavar="JSON", help="A filter in its JSON form."),
]

_NOUNS: Final[Mapping[RecordType, tuple[str, str]]] = MappingProxyType(
    {
        RecordType.ENTITY: ("entity", "entities"),
        RecordType.LINK: ("link", "links"),
        RecordType.CASE: ("case", "cases"),
        RecordType.INTELLIGENCE_REPORT: ("intelligence report", "intelligence reports"),
        RecordType.EXHIBIT: ("exhibit", "exhibits"),
    }
)
_REFERENCED: Final = (RecordType.CASE, RecordType.INTELLIGENCE_REPORT, RecordType.EXHIBIT)
"""The record types with a ``reference`` people quote (``CASE/25/000001``)."""


def plural(count: int, record_type: RecordType) -> str:
    """``1 case``, ``3 intelligence reports``: a count of records in words."""
    one, many = _NOUNS[record_type]
    return f"{count} {one if count == 1 else many}"


def entity_labels(store: CaseStore, ids: Iterable[str]) -> dict[str, Entity]:
    """The stored entities among ``ids``, by id (read in batches the store accepts)."""
    wanted = sorted(set(ids))
    found: dict[str, Entity] = {}
    for start in range(0, len(wanted), MAX_PAGE_SIZE):
        for entity in store.get_many(Entity, wanted[start : start + MAX_PAGE_SIZE]):
            found[entity.id] = entity
    return found


def search(
    url: Url = None,
    record_type: RecordTypeOption = RecordType.ENTITY,
    text: TextOption = None,
    kind: Kind = None,
    subtype: Subtype = None,
    where: Where = None,
    filter_json: FilterJson = None,
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
    """Search entities, links, cases, reports or exhibits by words and fields; all must hold.

    Text matches whole words, ignoring case (for entities: names, aliases, identifiers,
    addresses and descriptions; for cases: reference, title, description, officer);
    nothing typed is read as query syntax. --where values are text unless the field holds
    numbers, booleans or datetimes (datetimes without a zone are UTC).

    For example:

        caseport search 'memory://?load=case.jsonl' --text "smith" --kind person
        caseport search --where person.family_name=Smith --order label
        caseport search --type case --where reference=CASE/25/000001
        caseport search --type case --where status=open --order opened_at:desc
        caseport search --type link --where type=SUSPECT_IN --where target_id=CRIME-ID
        caseport search --type intelligence_report --text "cannabis"
        caseport search --type exhibit --where case_id=CASE-ID
        caseport search --filter '{"op": "prefix", "field": "label", "value": "Sm"}'
        caseport search --kind object --subtype vehicle --json | jq '.items[].id'
    """
    query = build_search_query(
        record_type=record_type,
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
        page = store.search_records(record_class(record_type), query)
        ends = [i for r in page.items if isinstance(r, Link) for i in (r.source_id, r.target_id)]
        entities = entity_labels(store, ends)
    if as_json:
        emit_json(page.model_dump(mode="json"))
        return
    console = stdout_console()
    if page.items:
        title = plural(len(page.items), record_type)
        console.print(records_table(page.items, entities, title=title))
    else:
        console.print(f"No {_NOUNS[record_type][0]} matches.")
    if page.next_cursor:
        console.print(
            plain(f"More results: repeat with --cursor {page.next_cursor}"), soft_wrap=True
        )


def get(
    ctx: typer.Context,
    url: Url = None,
    record_id: Annotated[
        str | None,
        typer.Argument(
            metavar="ID",
            help="The record's id, or the reference of a case, report or exhibit.",
            show_default=False,
        ),
    ] = None,
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

    Without --type the id is looked up in every kind of record the store keeps. When no
    record has that id, a case, report or exhibit with that reference is shown, if exactly
    one has it.

    For example:

        caseport get 'memory://?load=case.jsonl' 0192f0c4-...
        caseport get CASE/25/000001
        caseport get URL CASE-ID --type case --json
    """
    url, (wanted,) = url_and_ids(ctx, (url, record_id), ("ID",))
    with open_for_reading(url) as store:
        try:
            if record_type is None:
                record = find_record(store, wanted)
            else:
                record = store.get(record_class(record_type), wanted)
        except NotFound:
            kinds = _REFERENCED if record_type is None else (record_type,)
            found = find_by_reference(store, wanted, kinds)
            if found is None:
                raise
            record = found
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
        if not _keeps(store, kind):
            continue
        found = store.get_many(record_class(kind), [record_id])
        if found:
            return found[0]
    raise NotFound("record", record_id)


def _keeps(store: CaseStore, kind: RecordType) -> bool:
    capability = RECORD_CAPABILITY.get(kind)
    return capability is None or store.supports(capability)


def _searchable(store: CaseStore, kind: RecordType) -> bool:
    return (
        _keeps(store, kind)
        and store.supports(Capability.SEARCH_FILTER)
        and (kind is RecordType.ENTITY or store.supports(Capability.SEARCH_RECORDS))
    )


def find_by_reference(
    store: CaseStore, reference: str, kinds: Sequence[RecordType] = _REFERENCED
) -> Record | None:
    """The one case, report or exhibit (of ``kinds``) whose reference is ``reference``.

    ``None`` when none has it, or when the store cannot search those records.

    Raises:
        ValidationFailed: several records have that reference; the message names them.
    """
    query = SearchQuery(filter=Eq("reference", reference), page_size=2)
    found: list[Record] = []
    for kind in kinds:
        if kind in _REFERENCED and _searchable(store, kind):
            found.extend(store.search_records(record_class(kind), query).items)
    if len(found) > 1:
        named = ", ".join(f"{r.RECORD_TYPE.value} {r.id}" for r in found)
        raise ValidationFailed(
            f"{reference[:80]!r} is the reference of several records ({named}); give an id"
        )
    return found[0] if found else None


def _hop_filter(conditions: Sequence[str], record_type: RecordType, option: str) -> Filter | None:
    filters = parse_where(conditions, record_type, option)
    if not filters:
        return None
    return filters[0] if len(filters) == 1 else And(*filters)


NeighbourWhere = Annotated[
    list[str] | None,
    typer.Option(
        "--neighbour-where",
        metavar="FIELD=VALUE",
        help="Reach only entities whose entity field equals the value (repeatable).",
    ),
]
LinkWhere = Annotated[
    list[str] | None,
    typer.Option(
        "--link-where",
        metavar="FIELD=VALUE",
        help="Follow only links whose link field equals the value (repeatable).",
    ),
]


def neighbours(
    ctx: typer.Context,
    url: Url = None,
    entity_id: Annotated[
        str | None,
        typer.Argument(metavar="ID", help="The entity to start from.", show_default=False),
    ] = None,
    depth: Annotated[
        int,
        typer.Option("--depth", "-d", min=0, max=MAX_DEPTH, help=f"How many hops (0-{MAX_DEPTH})."),
    ] = 1,
    link_type: LinkTypes = None,
    direction: DirectionOption = DirectionChoice.BOTH,
    neighbour_where: NeighbourWhere = None,
    link_where: LinkWhere = None,
    as_json: AsJson = False,
) -> None:
    """Show every entity within --depth hops of an entity, and the links between them.

    --neighbour-where and --link-where restrict the walk: an entity is reached only through
    links and entities that match (the starting entity itself need not).

    For example:

        caseport neighbours 'memory://?load=case.jsonl' PERSON-ID
        caseport neighbours PERSON-ID --depth 2 --link-type ASSOCIATE_OF
        caseport neighbours PERSON-ID --depth 2 --neighbour-where kind=PERSON
        caseport neighbours CRIME-ID --link-where role=suspect --link-where directed=true
        caseport neighbours URL PHONE-ID --direction in --json
    """
    url, (start,) = url_and_ids(ctx, (url, entity_id), ("ID",))
    neighbour_filter = _hop_filter(neighbour_where or (), RecordType.ENTITY, "--neighbour-where")
    link_filter = _hop_filter(link_where or (), RecordType.LINK, "--link-where")
    with open_for_reading(url) as store:
        subgraph = store.neighbourhood(
            start,
            depth=depth,
            link_types=link_type,
            direction=direction.value,
            neighbour_filter=neighbour_filter,
            link_filter=link_filter,
        )
    if as_json:
        emit_json(subgraph.model_dump(mode="json"))
        return
    console = stdout_console()
    by_id = {entity.id: entity for entity in subgraph.entities}
    root = by_id[start]
    console.print(
        subgraph_table(
            start,
            subgraph,
            title=f"Within {depth} hop{'s' if depth != 1 else ''} of {root.label}: "
            f"{len(subgraph.entities)} entities",
        )
    )
    if subgraph.links:
        console.print(links_table(subgraph.links, by_id, title=f"{len(subgraph.links)} links"))


def paths(
    ctx: typer.Context,
    url: Url = None,
    from_id: Annotated[
        str | None,
        typer.Argument(metavar="FROM_ID", help="Where paths start.", show_default=False),
    ] = None,
    to_id: Annotated[
        str | None, typer.Argument(metavar="TO_ID", help="Where paths end.", show_default=False)
    ] = None,
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
        caseport paths SUSPECT-A SUSPECT-B --max-depth 4 --via person
        caseport paths URL A B --json | jq '.[0].entity_ids'
    """
    url, (from_id, to_id) = url_and_ids(ctx, (url, from_id, to_id), ("FROM_ID", "TO_ID"))
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
    url: Url = None,
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
        caseport timeline --entity PERSON-ID --entity VEHICLE-ID --from 2024-01-01
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
