"""The store facade applications call, and its asynchronous twin.

:class:`CaseStore` is written once, around any :class:`~contracts.backend.StoreBackend` (the
port adapters implement), so validation, idempotency, optimistic versions, capability checks,
paging, query planning and the emulated operations behave identically whatever the backend.
Callers use its public methods (``create``, ``get``, ``update``, ``search``, ``expand``,
``neighbourhood``, ``shortest_paths``, ``timeline``, ``upsert_many``, ``export``, ...).

The interface is synchronous; :class:`AsyncCaseStore` runs it on a worker thread.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, TypeVar

from contracts import admission, emulation, planning, scan_emulation
from contracts._pipeline import WritePipeline
from contracts.aggregation import AggregateQuery, Aggregation, aggregate_problem, aggregate_records
from contracts.backend import StoreBackend, check_declaration
from contracts.capabilities import Capability, Support
from contracts.compiled import compile_filter
from contracts.errors import (
    AlreadyExists,
    Conflict,
    InvalidCursor,
    NotFound,
    NotSupported,
    UnreadableRecords,
    UpstreamContractError,
    ValidationFailed,
)
from contracts.evaluation import sort_position
from contracts.invariants import check_update
from contracts.models._fields import to_utc
from contracts.models.cases import Case
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.models.records import record_class
from contracts.paging import SortPosition, decode_cursor, encode_cursor
from contracts.query import (
    MAX_PAGE_SIZE,
    RECORD_FIELDS,
    And,
    Eq,
    Filter,
    Not,
    Or,
    OrderKey,
    SearchQuery,
    Text,
    fields_problem,
)
from contracts.requests import (
    DegreeRequest,
    ExpandRequest,
    NeighbourhoodRequest,
    PathsRequest,
    SearchPlan,
    SearchRequest,
    TimelineRequest,
)
from contracts.results import (
    AdapterInfo,
    BulkReport,
    Direction,
    Hop,
    Page,
    PathIdentity,
    Paths,
    Subgraph,
    TimelineEntry,
    UnreadableRecord,
)

if TYPE_CHECKING:
    from contracts.conformance.stores import WriteFaults

__all__ = ["MAX_DEPTH", "RECORD_CAPABILITY", "AsyncCaseStore", "CaseStore"]

R = TypeVar("R", bound=Record)

RECORD_CAPABILITY: Final[Mapping[RecordType, Capability]] = MappingProxyType(
    {
        RecordType.CASE: Capability.CASES,
        RecordType.INTELLIGENCE_REPORT: Capability.INTELLIGENCE_REPORTS,
        RecordType.EXHIBIT: Capability.EXHIBITS,
    }
)
"""The capability each optional record type needs (entities and links are always kept)."""
_EMULATED_OVER: Final[Mapping[Capability, str]] = MappingProxyType(
    {
        Capability.SEARCH_FILTER: "the layer filters entities read with scan",
        Capability.SEARCH_TEXT: "the layer matches search terms in entities read with scan",
        Capability.SEARCH_ORDER: "the layer sorts entities read with scan",
        Capability.SEARCH_RECORDS: "the layer filters and sorts records read with scan",
        Capability.SEARCH_COUNT: "the layer counts the search's results",
        Capability.SEARCH_AGGREGATE: "the layer groups the search's results",
        Capability.GRAPH_EXPAND: "the layer reads every link with scan",
        Capability.GRAPH_DEGREE: "the layer counts each entity's hops from expand",
        Capability.GRAPH_NEIGHBOURHOOD: "a breadth-first walk over expand",
        Capability.GRAPH_SHORTEST_PATHS: "a bidirectional breadth-first search over expand",
        Capability.TIMELINE: "events gathered with expand",
        Capability.BULK_EXPORT: "paged through scan, not one snapshot",
    }
)
_LAYER_VARIANTS: Final[Mapping[Capability, str]] = MappingProxyType(
    {
        Capability.GRAPH_NEIGHBOURHOOD: (
            "a neighbourhood filtered by neighbour or link is walked by the layer over expand"
        ),
        Capability.GRAPH_SHORTEST_PATHS: (
            'paths distinct by entities (distinct="entities") are walked by the layer over expand'
        ),
    }
)
"""Variants of native capabilities the layer composes for every backend (the spec says so)."""
_BACKEND_DOES: Final = (Support.NATIVE, Support.PARTIAL)
_DIRECTIONS: Final = ("out", "in", "both")
MAX_DEPTH: Final = 10
"""Deepest neighbourhood or path search the contract asks any backend to run."""
MAX_BATCH_SIZE: Final = 50_000
MAX_DEGREE_IDS: Final = 10_000

_log = logging.getLogger("caseport")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _has_text(condition: Filter | None) -> bool:
    if isinstance(condition, Text):
        return True
    if isinstance(condition, And | Or):
        return any(_has_text(child) for child in condition.filters)
    if isinstance(condition, Not):
        return _has_text(condition.filter)
    return False


class CaseStore:
    """A store of case data: entities, links, cases, intelligence reports and exhibits.

    The facade applications call, around a :class:`~contracts.backend.StoreBackend` that
    keeps the records. Adapters may subclass it only to build their backend in ``__init__``
    (``InMemoryCaseStore()``); its methods are the contract and are not overridden. Safe to
    call from several threads at once when the backend is.

    Args:
        backend: the backend to keep records in; the store closes it.
    """

    clock: Callable[[], datetime] = staticmethod(_utc_now)
    """Source of the timestamps the store writes; replaceable in tests."""

    def __init__(self, backend: StoreBackend) -> None:
        if not isinstance(backend, StoreBackend):
            raise TypeError(f"a CaseStore needs a StoreBackend, not {type(backend).__name__}")
        check_declaration(type(backend), backend.capabilities(), backend.notes())
        self._backend = backend

    # ------------------------------------------------------------------ identity

    @property
    def backend(self) -> StoreBackend:
        """The backend underneath, for what only that adapter offers (upkeep, preflight)."""
        return self._backend

    @property
    def info(self) -> AdapterInfo:
        """The adapter's name and version and a description of its backend."""
        return self._backend.info

    def capabilities(self) -> Mapping[Capability, Support]:
        """How this store provides each capability."""
        return self._backend.capabilities()

    def capability_notes(self) -> Mapping[Capability, str]:
        """How each capability that is neither unsupported nor wholly native is provided.

        The backend's notes, and for what the layer emulates without one, what it is built on.
        """
        notes = dict(self._backend.notes())
        for capability, how in self.capabilities().items():
            if how is Support.EMULATED and capability not in notes:
                notes[capability] = _EMULATED_OVER[capability]
            elif how is Support.NATIVE and capability in _LAYER_VARIANTS:
                own = notes.get(capability)
                variant = _LAYER_VARIANTS[capability]
                notes[capability] = variant if own is None else f"{own}; {variant}"
        return MappingProxyType(notes)

    def known_deviations(self) -> Mapping[str, str]:
        """Requirement ids the backend is known to break, each with the reason."""
        return self._backend.KNOWN_DEVIATIONS

    def supports(self, capability: Capability) -> bool:
        """Whether ``capability`` is available, natively, in part or emulated."""
        return self.capabilities()[capability] is not Support.UNSUPPORTED

    def _require(self, capability: Capability) -> Support:
        support = self.capabilities()[capability]
        if support is Support.UNSUPPORTED:
            raise NotSupported(capability.value, self.info.name)
        return support

    def _require_record_type(self, record_type: RecordType) -> None:
        capability = RECORD_CAPABILITY.get(record_type)
        if capability is not None:
            self._require(capability)

    def close(self) -> None:
        """Release connections and files. Calling it twice is harmless."""
        self._backend.close()

    def write_faults(self) -> WriteFaults | None:
        """This store's fault point for conformance testing, or ``None`` (the default): none.

        The conformance kit's ``caseport_write_faults`` fixture uses it to run the tests of
        atomicity under failing backend writes; without one they are reported not run. Not for
        production use: a backend that offers one returns the same object on every call, fails
        no write until it is armed with ``fail_writes_after``, and stops failing at ``heal``.
        """
        return self._backend.write_faults()

    # ------------------------------------------------------------------ records

    def create(self, record: R) -> R:
        """Store a new record; repeating the same create is harmless.

        ``version`` must be 1; empty timestamps are set to now.

        Returns:
            The stored record (the earlier one when this create repeats it).

        Raises:
            AlreadyExists: the id is taken by a record with different content.
            NotFound: a link's endpoint does not exist.
            NotSupported: the record type is not supported by this adapter.
            ValidationFailed: the record is not a new, valid record.
        """
        record = self._checked_record(record)
        self._require_record_type(record.RECORD_TYPE)
        if record.version != 1:
            raise ValidationFailed(
                f"a new record starts at version 1 (got {record.version}); use update()"
            )
        if isinstance(record, Link):
            self._check_endpoints([record], known=set())
        stamped = self._stamp_new(record)
        existing = self._backend.insert(stamped)
        if existing is None:
            return stamped
        if existing.same_content(record):
            return existing  # type: ignore[return-value]
        raise AlreadyExists(record.RECORD_TYPE.value, record.id)

    def get(self, record_type: type[R], record_id: str) -> R:
        """The stored record of ``record_type`` with ``record_id``.

        Raises:
            NotFound: there is none.
        """
        admission.record_id(record_id)
        found = self.get_many(record_type, [record_id])
        if not found:
            raise NotFound(record_type.RECORD_TYPE.value, record_id)
        return found[0]

    def get_many(self, record_type: type[R], ids: Iterable[str]) -> list[R]:
        """The stored records among ``ids`` in the order asked; duplicates once, absent left out.

        Raises:
            ValidationFailed: ``record_type`` is not a record class, or ``ids`` not a list of
                strings.
        """
        kind = admission.checked_record_class(record_type).RECORD_TYPE
        self._require_record_type(kind)
        wanted = list(dict.fromkeys(admission.record_ids(ids)))
        if len(wanted) > MAX_BATCH_SIZE:
            raise ValidationFailed(f"get_many takes at most {MAX_BATCH_SIZE} ids")
        # An id of a shape no store can hold is absent everywhere: the backend is not asked.
        possible = [key for key in wanted if admission.is_record_id(key)]
        found = self._backend.fetch(kind, possible) if possible else {}
        records = []
        for key in wanted:
            stored = found.get(key)
            if isinstance(stored, UnreadableRecord):
                raise UpstreamContractError(
                    f"the stored {kind.value} {key!r} is not a valid record ({stored.reason}); "
                    "write a valid record with its id with upsert_many to repair it"
                )
            if stored is not None:
                records.append(stored)
        return records  # type: ignore[return-value]

    def _get_both(self, first_id: str, second_id: str) -> tuple[Entity, Entity]:
        """Two stored entities, read at once.

        Raises:
            NotFound: either does not exist (the first one missing is named).
        """
        found = {entity.id: entity for entity in self.get_many(Entity, [first_id, second_id])}
        for entity_id in (first_id, second_id):
            if entity_id not in found:
                raise NotFound(RecordType.ENTITY.value, entity_id)
        return found[first_id], found[second_id]

    def update(self, record: R, *, expected_version: int) -> R:
        """Replace a stored record, if nobody changed it since ``expected_version``.

        The stored result has version ``expected_version + 1``, its original ``created_at``
        and ``updated_at`` set to now.

        Raises:
            NotFound: the record does not exist.
            Conflict: the stored version is not ``expected_version``.
            ValidationFailed: the new record is invalid or rewrites something permanent
                (see :func:`contracts.invariants.check_update`).
        """
        expected_version = admission.expected_version(expected_version)
        record = self._checked_record(record)
        self._require_record_type(record.RECORD_TYPE)
        current = self.get(type(record), record.id)
        if current.version != expected_version:
            raise Conflict(record.RECORD_TYPE.value, record.id, expected_version, current.version)
        check_update(current, record)
        if isinstance(record, Link):
            self._check_endpoints([record], known=set())
        stamped = record.model_copy(
            update={
                "version": expected_version + 1,
                "created_at": current.created_at,
                "updated_at": self.clock(),
            }
        )
        self._backend.replace(stamped, expected_version)
        return stamped

    def list_records(
        self, record_type: type[R], *, page_size: int = 100, cursor: str | None = None
    ) -> Page[R]:
        """One page of every record of ``record_type``, by id.

        Raises:
            InvalidCursor: ``cursor`` did not come from listing this record type.
        """
        self._require_record_type(admission.checked_record_class(record_type).RECORD_TYPE)
        self._check_page_size(page_size)
        if cursor is not None and not isinstance(cursor, str):
            raise InvalidCursor("a cursor is the string a previous page returned")
        scope = f"list:{record_type.RECORD_TYPE.value}"
        after = decode_cursor(cursor, scope, 0).id if cursor else None
        rows = self._backend.scan(record_type.RECORD_TYPE, after, page_size + 1)
        items = [scan_emulation.readable(row) for row in rows[:page_size]]
        next_cursor = None
        if len(rows) > page_size:
            next_cursor = encode_cursor(scope, SortPosition((), items[-1].id))
        return Page[record_type](items=tuple(items), next_cursor=next_cursor)  # type: ignore[valid-type]

    # ------------------------------------------------------------------ search

    def search(self, query: SearchQuery | None = None) -> Page[Entity]:
        """One page of the entities matching ``query``.

        Raises:
            NotSupported: the query uses filters, text or ordering the adapter lacks.
            InvalidCursor: the cursor belongs to another query.
            ValidationFailed: the query names a field entities do not have.
        """
        return self.search_records(Entity, query)

    def search_records(self, record_type: type[R], query: SearchQuery | None = None) -> Page[R]:
        """One page of the records of ``record_type`` matching ``query``.

        Fields are those of the record type (``contracts.query.RECORD_FIELDS``); a case is
        found by its ``reference``, a link by its ``type``, ``role`` or endpoints, any record by
        ``provenance.source_system`` and ``provenance.source_record_id``.

        Raises:
            NotSupported: the record type, or a search of records other than entities
                (``search.records``), or the filters, text or ordering used are unsupported.
            InvalidCursor: the cursor belongs to another query.
            ValidationFailed: the query names a field the record type does not have.
        """
        kind = admission.checked_record_class(record_type).RECORD_TYPE
        self._require_record_type(kind)
        if kind is not RecordType.ENTITY:
            self._require(Capability.SEARCH_RECORDS)
        query = admission.admitted_query(query if query is not None else SearchQuery())
        problem = fields_problem(query.filter, query.order_by, kind)
        if problem:
            raise ValidationFailed(problem)
        if query.filter is not None:
            self._require(Capability.SEARCH_FILTER)
            if _has_text(query.filter):
                self._require(Capability.SEARCH_TEXT)
        if query.order_by:
            self._require(Capability.SEARCH_ORDER)
        prefix = "search:" if kind is RecordType.ENTITY else f"search:{kind.value}:"
        scope = prefix + query.fingerprint_source()
        after = None
        if query.cursor:
            after = self._typed_position(
                decode_cursor(query.cursor, scope, len(query.order_by)), query.order_by, kind
            )
        rows = self._search(kind, query.filter, query.order_by, after, query.page_size + 1)
        items = rows[: query.page_size]
        next_cursor = None
        if len(rows) > query.page_size:
            next_cursor = encode_cursor(scope, sort_position(items[-1], query.order_by))
        return Page[record_type](items=tuple(items), next_cursor=next_cursor)  # type: ignore[valid-type]

    def find_by_source(
        self,
        source_system: str,
        source_record_id: str,
        record_types: Iterable[type[Record]] | None = None,
    ) -> list[Record]:
        """The records one of whose provenance entries names this source system and record id.

        How an importer recognises what it loaded before. Ordered by record type (entities,
        links, cases, reports, exhibits) then id; without ``record_types``, the types this
        store cannot search are left out.

        Raises:
            NotSupported: a named record type, or searching it, is unsupported.
            ValidationFailed: a source value is not a string.
        """
        system = admission.checked_text(source_system, "source_system")
        record_id = admission.checked_text(source_record_id, "source_record_id")
        if record_types is None:
            kinds = [record_class(kind) for kind in RecordType if self._searchable(kind)]
        else:
            kinds = [admission.checked_record_class(kind) for kind in record_types]
        condition = And(
            Eq("provenance.source_system", system), Eq("provenance.source_record_id", record_id)
        )
        found: list[Record] = []
        for kind in sorted(kinds, key=lambda k: list(RecordType).index(k.RECORD_TYPE)):
            query = SearchQuery(filter=condition, page_size=MAX_PAGE_SIZE)
            for record in self.iter_search_records(kind, query):
                # Both values must sit in the same entry, not one in each of two entries.
                if any(
                    entry.source_system == system and entry.source_record_id == record_id
                    for entry in record.provenance
                ):
                    found.append(record)
        return found

    def _searchable(self, record_type: RecordType) -> bool:
        capability = RECORD_CAPABILITY.get(record_type)
        if capability is not None and not self.supports(capability):
            return False
        if not self.supports(Capability.SEARCH_FILTER):
            return False
        return record_type is RecordType.ENTITY or self.supports(Capability.SEARCH_RECORDS)

    def iter_search_records(
        self, record_type: type[R], query: SearchQuery | None = None
    ) -> Iterator[R]:
        """Every record of ``record_type`` matching ``query``, following cursors."""
        query = query if query is not None else SearchQuery()
        while True:
            page = self.search_records(record_type, query)
            yield from page.items
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    def iter_search(self, query: SearchQuery | None = None) -> Iterator[Entity]:
        """Every entity matching ``query``, following cursors page by page."""
        query = query if query is not None else SearchQuery()
        while True:
            page = self.search(query)
            yield from page.items
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    # ------------------------------------------------------------------ graph

    def expand(
        self,
        entity_id: str,
        *,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        neighbour_kinds: Iterable[EntityKind] | None = None,
        neighbour_filter: Filter | None = None,
        link_filter: Filter | None = None,
    ) -> list[Hop]:
        """The links of an entity and the entities at their other ends, ordered by link id.

        ``neighbour_filter`` keeps the hops whose neighbour matches it (entity fields),
        ``link_filter`` those whose link matches it (link fields).

        Raises:
            NotFound: the entity does not exist.
            ValidationFailed: a filter names a field its record type does not have.
        """
        self._require(Capability.GRAPH_EXPAND)
        self._check_direction(direction)
        types = admission.link_types(link_types)
        kinds = admission.kinds(neighbour_kinds, "neighbour_kinds")
        neighbours, links = self._hop_filters(neighbour_filter, link_filter)
        self.get(Entity, entity_id)
        return self._expand(ExpandRequest(entity_id, types, direction, kinds, neighbours, links))

    def degree(
        self,
        entity_ids: Iterable[str],
        *,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
    ) -> dict[str, int]:
        """How many hops ``expand`` gives each entity, in one call, keyed in the order asked.

        Raises:
            NotFound: an entity does not exist (the first missing one is named).
            ValidationFailed: more than 10,000 ids, or a bad direction or link type.
        """
        support = self._require(Capability.GRAPH_DEGREE)
        self._check_direction(direction)
        types = admission.link_types(link_types)
        ids = list(dict.fromkeys(admission.record_ids(entity_ids, "entity_ids")))
        if len(ids) > MAX_DEGREE_IDS:
            raise ValidationFailed(f"degree takes at most {MAX_DEGREE_IDS} entity ids")
        found = {entity.id for entity in self.get_many(Entity, ids)}
        for entity_id in ids:
            if entity_id not in found:
                raise NotFound(RecordType.ENTITY.value, entity_id)
        if support is Support.NATIVE:
            counted = self._backend.degree(DegreeRequest(tuple(ids), types, direction))
            values: list[object] = list(counted.values())
            if set(counted) != set(ids) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in values
            ):
                raise UpstreamContractError("the backend's degrees do not match the ids asked")
            return {entity_id: counted[entity_id] for entity_id in ids}
        if self.capabilities()[Capability.GRAPH_EXPAND] is Support.EMULATED:
            # One pass over the links for every id, not one per id.
            return scan_emulation.degree_over_scan(self._backend, ids, types, direction)
        return {
            entity_id: len(self._expand(ExpandRequest(entity_id, types, direction)))
            for entity_id in ids
        }

    def count(self, filter: Filter | None = None, *, record_type: type[Record] = Entity) -> int:
        """How many records of ``record_type`` match ``filter`` (all of them without one).

        Raises:
            NotSupported: counting, the record type or the filter's features are unsupported.
            ValidationFailed: the filter names a field the record type does not have.
        """
        support = self._require(Capability.SEARCH_COUNT)
        kind = self._checked_search(record_type, filter)
        if support in _BACKEND_DOES:
            counted: object = self._backend.count(kind, filter)
            if counted is not None:
                if not isinstance(counted, int) or isinstance(counted, bool) or counted < 0:
                    raise UpstreamContractError("the backend's count is not a count")
                return counted
        return sum(1 for _ in self._matching(kind, filter))

    def aggregate(
        self, query: AggregateQuery, *, record_type: type[Record] = Entity
    ) -> Aggregation:
        """Groups of the records matching ``query.filter`` with their counts and metrics.

        See :mod:`contracts.aggregation` for the meaning; every backend answers as
        :func:`contracts.aggregation.aggregate_records` does.

        Raises:
            NotSupported: aggregation, the record type or the filter's features are
                unsupported.
            ValidationFailed: a field the record type does not have, or a metric its field's
                kind does not allow.
        """
        support = self._require(Capability.SEARCH_AGGREGATE)
        if not isinstance(query, AggregateQuery):
            raise ValidationFailed("aggregate takes an AggregateQuery")
        query = AggregateQuery.model_validate(query.model_dump(warnings=False))
        kind = self._checked_search(record_type, query.filter)
        problem = aggregate_problem(query, kind)
        if problem:
            raise ValidationFailed(problem)
        if support in _BACKEND_DOES:
            answer: object = self._backend.aggregate(kind, query)
            if answer is not None:
                if not isinstance(answer, Aggregation) or len(answer.groups) > query.limit:
                    raise UpstreamContractError("the backend's aggregate is not one")
                return answer
        return aggregate_records(self._matching(kind, query.filter), query)

    def _checked_search(self, record_type: type[Record], condition: Filter | None) -> RecordType:
        """The record type of a count or aggregate, checked like a search of it."""
        kind = admission.checked_record_class(record_type).RECORD_TYPE
        self._require_record_type(kind)
        if kind is not RecordType.ENTITY:
            self._require(Capability.SEARCH_RECORDS)
        if condition is not None:
            condition = admission.admitted_filter(condition)
            self._require(Capability.SEARCH_FILTER)
            if _has_text(condition):
                self._require(Capability.SEARCH_TEXT)
        problem = fields_problem(condition, (), kind)
        if problem:
            raise ValidationFailed(problem)
        return kind

    def _matching(self, kind: RecordType, condition: Filter | None) -> Iterator[Record]:
        """Every record of ``kind`` matching ``condition``, read through the search plan."""
        after: SortPosition | None = None
        while True:
            rows = self._search(kind, condition, (), after, scan_emulation.SCAN_PAGE)
            yield from rows
            if len(rows) < scan_emulation.SCAN_PAGE:
                return
            after = SortPosition((), rows[-1].id)

    def _hop_filters(
        self, neighbour_filter: object, link_filter: object
    ) -> tuple[Filter | None, Filter | None]:
        """The neighbour and link filters of a graph call, checked against their fields."""
        checked: list[Filter | None] = []
        for value, kind in ((neighbour_filter, RecordType.ENTITY), (link_filter, RecordType.LINK)):
            if value is None:
                checked.append(None)
                continue
            condition = admission.admitted_filter(value)
            problem = fields_problem(condition, (), kind)
            if problem:
                raise ValidationFailed(problem)
            checked.append(condition)
        return checked[0], checked[1]

    def neighbourhood(
        self,
        entity_id: str,
        *,
        depth: int = 1,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        neighbour_kinds: Iterable[EntityKind] | None = None,
        max_entities: int = 10_000,
        neighbour_filter: Filter | None = None,
        link_filter: Filter | None = None,
    ) -> Subgraph:
        """Every entity within ``depth`` hops and the links followed to reach them.

        ``neighbour_filter`` and ``link_filter`` restrict the walk as for :meth:`expand`: an
        entity is reached only through links and entities that match. A filtered neighbourhood
        is walked by the layer over ``expand``, whatever the backend.

        Raises:
            NotFound: the entity does not exist.
            ValidationFailed: bad depth, or more than ``max_entities`` entities, or a filter
                naming a field its record type does not have.
        """
        support = self._require(Capability.GRAPH_NEIGHBOURHOOD)
        self._check_direction(direction)
        self._check_depth(depth, "depth", minimum=0)
        admission.checked_int(max_entities, "max_entities", 1, 1_000_000)
        types = admission.link_types(link_types)
        kinds = admission.kinds(neighbour_kinds, "neighbour_kinds")
        neighbours, links = self._hop_filters(neighbour_filter, link_filter)
        root = self.get(Entity, entity_id)
        request = NeighbourhoodRequest(root, depth, types, direction, kinds, max_entities)
        if support is Support.NATIVE and neighbours is None and links is None:
            return self._backend.neighbourhood(request)
        return emulation.neighbourhood(
            root,
            self._expander(types, neighbours, links),
            depth=depth,
            direction=direction,
            kinds=kinds,
            max_entities=max_entities,
        )

    def shortest_paths(
        self,
        source_id: str,
        target_id: str,
        *,
        max_depth: int = 6,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        via_kinds: Iterable[EntityKind] | None = None,
        max_paths: int = 100,
        distinct: PathIdentity = "links",
    ) -> Paths:
        """All shortest paths between two entities of at most ``max_depth`` links.

        An empty result means no path within ``max_depth``. See
        :func:`contracts.emulation.shortest_paths` for the order and the filters. With
        ``distinct="entities"`` paths through the same entities count once, whatever parallel
        links join them (each step names the lowest link id that joins its two entities), and
        the layer walks them over ``expand``. At most ``max_paths`` are returned; the result's
        ``truncated`` says whether there were more.

        Raises:
            NotFound: either entity does not exist.
            ValidationFailed: bad depth, ``max_paths`` or ``distinct``.
        """
        support = self._require(Capability.GRAPH_SHORTEST_PATHS)
        self._check_direction(direction)
        self._check_depth(max_depth, "max_depth", minimum=0)
        admission.checked_int(max_paths, "max_paths", 1, 10_000)
        if distinct not in ("links", "entities"):
            raise ValidationFailed("distinct must be 'links' or 'entities'")
        types = admission.link_types(link_types)
        kinds = admission.kinds(via_kinds, "via_kinds")
        source, target = self._get_both(source_id, target_id)
        wanted = max_paths + 1  # one more than asked tells whether the answer is cut short
        if support is Support.NATIVE and distinct == "links":
            request = PathsRequest(source, target, max_depth, types, direction, kinds, wanted)
            found = self._backend.shortest_paths(request)
        else:
            expand = self._expander(types)
            found = emulation.shortest_paths(
                source,
                target,
                emulation.one_link_per_neighbour(expand) if distinct == "entities" else expand,
                max_depth=max_depth,
                direction=direction,
                via_kinds=kinds,
                max_paths=wanted,
            )
        return Paths(found[:max_paths], truncated=len(found) > max_paths)

    def timeline(
        self,
        *,
        entity_ids: Iterable[str] = (),
        case_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TimelineEntry]:
        """Events that are, or are linked to, the given entities or a case's members.

        Ordered by start time then id; an event is kept when its interval overlaps
        ``[start, end)``. Events without a start time are left out.

        Raises:
            NotFound: an entity or the case does not exist.
            ValidationFailed: neither entities nor a case given, or a naive datetime.
        """
        support = self._require(Capability.TIMELINE)
        bounds = [_utc_bound(bound, name) for bound, name in ((start, "start"), (end, "end"))]
        ids = list(dict.fromkeys(admission.record_ids(entity_ids, "entity_ids")))
        if case_id is not None:
            admission.record_id(case_id, "case_id")
            case = self.get(Case, case_id)
            ids.extend(m.entity_id for m in case.members if m.entity_id not in ids)
        elif not ids:
            raise ValidationFailed("timeline needs entity ids or a case id")
        targets = self.get_many(Entity, ids)
        if case_id is None and len(targets) != len(ids):
            missing = next(i for i in ids if i not in {t.id for t in targets})
            raise NotFound(RecordType.ENTITY.value, missing)
        start, end = bounds
        if support is Support.NATIVE:
            return self._backend.timeline(TimelineRequest(tuple(targets), start, end))
        return emulation.timeline(targets, self._expander(None), start=start, end=end)

    # ------------------------------------------------------------------ bulk

    def upsert_many(
        self,
        records: Iterable[Record],
        *,
        batch_size: int = 1_000,
        on_batch: Callable[[BulkReport], None] | None = None,
    ) -> BulkReport:
        """Write a stream of records in atomic batches, each stored exactly as given.

        Versions and timestamps are kept (empty timestamps are set to now), which is what a
        migration needs. Within a batch the last record with an id wins. A link's endpoints
        must exist in the store or earlier in the stream. An adapter may prepare the next
        batch while earlier ones are written: at most three batches are held at once (one being
        read, two being written), so memory stays bounded by ``batch_size``. ``on_batch``
        receives the running totals after each committed batch, in order, in this thread; if it
        raises, no further batch is started (one already being written still commits). The
        garbage collector is left as the application set it (see :mod:`caseport.tuning`).

        Raises:
            ValidationFailed: a record is invalid or a link endpoint is missing; the batches
                already committed stay, the failing batch is not written.
        """
        self._require(Capability.BULK_UPSERT)
        admission.checked_int(batch_size, "batch_size", 1, MAX_BATCH_SIZE)
        if on_batch is not None and not callable(on_batch):
            raise ValidationFailed("on_batch must be a function taking a BulkReport")
        candidate: object = records
        if not isinstance(candidate, Iterable) or isinstance(candidate, str | bytes | Record):
            raise ValidationFailed("upsert_many takes an iterable of records")
        totals = BulkReport()

        def written(report: BulkReport) -> None:
            nonlocal totals
            totals = BulkReport(
                created=totals.created + report.created,
                updated=totals.updated + report.updated,
                unchanged=totals.unchanged + report.unchanged,
                batches=totals.batches + 1,
            )
            if on_batch is not None:
                on_batch(totals)

        iterator = iter(records)
        threaded = self._backend.overlaps_writes
        with WritePipeline(self._backend.write_batch, written, threaded=threaded) as pipeline:
            try:
                while batch := list(itertools.islice(iterator, batch_size)):
                    try:
                        prepared = self._prepare_batch(batch, pipeline)
                    except ValidationFailed as exc:
                        pipeline.drain()  # the batches before this one are valid: they stay
                        raise ValidationFailed(
                            f"{exc} (after {totals.batches} committed batches,"
                            f" {totals.total} records)",
                            problems=exc.problems,
                        ) from exc
                    pipeline.submit(self._backend.encode_batch(prepared))
            except Exception:
                # A failure of the stream or of a read here, after the batches before it were
                # checked: they are written and reported, as they would be one at a time.
                if not pipeline.failed:
                    pipeline.drain()
                raise
            pipeline.drain()
        return totals

    def export(
        self,
        record_types: Iterable[RecordType] | None = None,
        *,
        on_unreadable: Callable[[UnreadableRecord], None] | None = None,
    ) -> Iterator[Record]:
        """Stream every stored record: entities, links, cases, reports, exhibits, each by id.

        Unsupported record types are skipped when ``record_types`` is not given. Whether the
        stream is one consistent snapshot while others write depends on the backend: a native
        export gives one (the in-memory and SQL adapters'), one emulated over ``scan`` does
        not. A stored record that is not a valid record never stops the export: it is left
        out, logged as a warning on the ``caseport`` logger and passed to ``on_unreadable``;
        without ``on_unreadable``, the export raises :class:`UnreadableRecords` naming them
        after the last readable record.

        Raises:
            ValidationFailed: an unknown record type is asked for.
            NotSupported: an unsupported record type is asked for.
            UnreadableRecords: records were left out and no ``on_unreadable`` was given.
        """
        self._require(Capability.BULK_EXPORT)
        if on_unreadable is not None and not callable(on_unreadable):
            raise ValidationFailed("on_unreadable must be a function taking an UnreadableRecord")
        wanted = list(RecordType)
        if record_types is not None:
            if isinstance(record_types, str) or not isinstance(record_types, Iterable):
                raise ValidationFailed("record_types must be a list of record types")
            wanted = [_record_type(value) for value in record_types]
        chosen = []
        for record_type in RecordType:
            if record_type not in wanted:
                continue
            capability = RECORD_CAPABILITY.get(record_type)
            if capability is not None and not self.supports(capability):
                if record_types is None:
                    continue
                self._require(capability)
            chosen.append(record_type)
        left_out: list[tuple[str, str]] = []
        if self.capabilities()[Capability.BULK_EXPORT] is Support.NATIVE:
            items = self._backend.export_many(chosen)
        else:
            items = scan_emulation.export_over_scan(self._backend, chosen)
        for item in items:
            if isinstance(item, UnreadableRecord):
                _log.warning(
                    "export left out the stored %s %r: %s",
                    item.record_type.value,
                    item.record_id,
                    item.reason,
                )
                if on_unreadable is None:
                    left_out.append((item.record_type.value, item.record_id))
                else:
                    on_unreadable(item)
                continue
            yield item
        if left_out:
            raise UnreadableRecords(tuple(left_out))

    # ------------------------------------------------------------------ lifecycle

    def asynchronous(self) -> AsyncCaseStore:
        """An asyncio view of this store: each call runs on a worker thread."""
        return AsyncCaseStore(self)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info.backend}>"

    # ------------------------------------------------------------------ helpers

    def _expander(
        self,
        link_types: frozenset[str] | None,
        neighbour_filter: Filter | None = None,
        link_filter: Filter | None = None,
    ) -> emulation.Expander:
        def expand(entity_id: str, direction: Direction) -> list[Hop]:
            request = ExpandRequest(
                entity_id, link_types, direction, None, neighbour_filter, link_filter
            )
            return self._expand(request)

        return expand

    def _expand(self, request: ExpandRequest) -> list[Hop]:
        support = self.capabilities()[Capability.GRAPH_EXPAND]
        if support is Support.NATIVE:
            return self._backend.expand(request)
        unfiltered = replace(request, neighbour_filter=None, link_filter=None)
        if support is Support.PARTIAL:
            hops = self._backend.expand(unfiltered)
        else:
            hops = scan_emulation.expand_over_scan(self._backend, unfiltered)
        if not request.filtered:
            return hops
        neighbours = compile_filter(request.neighbour_filter)
        links = compile_filter(request.link_filter)
        return [hop for hop in hops if neighbours(hop.neighbour) and links(hop.link)]

    def _search(
        self,
        record_type: RecordType,
        condition: Filter | None,
        order_by: tuple[OrderKey, ...],
        after: SortPosition | None,
        limit: int,
    ) -> list[Any]:
        plan, read = self._planned(record_type, condition, order_by)
        return planning.run_search(read, plan, record_type, order_by, after, limit)

    def _planned(
        self, record_type: RecordType, condition: Filter | None, order_by: tuple[OrderKey, ...]
    ) -> tuple[SearchPlan, planning.Reader]:
        """The plan of a search and the reader it pages through: the backend's or ``scan``."""
        declared = self.capabilities()
        entity_search = (Capability.SEARCH_FILTER, Capability.SEARCH_TEXT, Capability.SEARCH_ORDER)
        searches = any(declared[c] in _BACKEND_DOES for c in entity_search)
        if record_type is not RecordType.ENTITY:
            searches = declared[Capability.SEARCH_RECORDS] in _BACKEND_DOES
        if searches:
            plan = self._backend.plan_search(record_type, condition, order_by)
            if declared[Capability.SEARCH_FILTER] is Support.EMULATED and plan.pushed is not None:
                # Declared emulated, the filter is the layer's whatever the backend offers.
                plan = replace(plan, pushed=None, residual=condition)
            if declared[Capability.SEARCH_ORDER] is Support.EMULATED and order_by:
                plan = replace(plan, ordered=False)
            return plan, self._backend.search
        plan = SearchPlan(
            pushed=None,
            residual=condition,
            ordered=not order_by,
            note=planning.EVERYTHING_IN_LAYER,
        )

        def read(request: SearchRequest) -> list[Record]:
            return scan_emulation.read_records(self._backend, request)

        return plan, read

    def plan_search(self, query: SearchQuery, record_type: type[Record] = Entity) -> SearchPlan:
        """How this store runs ``query``: what the backend does and what the layer does.

        For reports and tests of declarations; :meth:`search_records` plans the same way.
        """
        kind = self._checked_search(record_type, None)
        query = admission.admitted_query(query)
        problem = fields_problem(query.filter, query.order_by, kind)
        if problem:
            raise ValidationFailed(problem)
        return self._planned(kind, query.filter, query.order_by)[0]

    def _checked_record(self, record: R) -> R:
        return admission.admitted_record(record)

    def _stamp_new(self, record: R) -> R:
        if record.created_at is not None and record.updated_at is not None:
            return record
        now = self.clock()
        created = record.created_at or now
        return record.model_copy(
            update={"created_at": created, "updated_at": record.updated_at or created}
        )

    def _check_endpoints(self, links: Sequence[Link], known: set[str]) -> None:
        wanted = {end for link in links for end in (link.source_id, link.target_id)} - known
        if not wanted:
            return
        found = self._backend.existing_ids(RecordType.ENTITY, sorted(wanted))
        for link in links:
            for end in (link.source_id, link.target_id):
                if end not in known and end not in found:
                    raise NotFound(RecordType.ENTITY.value, end)

    def _prepare_batch(self, batch: list[Record], pipeline: WritePipeline) -> list[Record]:
        """The batch checked, deduplicated and stamped, ready for the backend's ``encode_batch``.

        Earlier batches may still be being written by ``pipeline``: a record whose stored
        ``created_at`` must be read waits for them, while links may count on their entities.
        """
        unique: dict[tuple[RecordType, str], Record] = {}
        for record in batch:
            record = self._checked_record(record)
            self._require_record_type(record.RECORD_TYPE)
            unique[(record.RECORD_TYPE, record.id)] = record
        if any(record.created_at is None for record in unique.values()):
            pipeline.drain()
            self._keep_creation_times(unique)
        prepared = [self._stamp_new(record) for record in unique.values()]
        links = [record for record in prepared if isinstance(record, Link)]
        if links:
            entity_ids = {record.id for record in prepared if isinstance(record, Entity)}
            # Entities of earlier batches not written yet count: this batch is written after.
            entity_ids |= pipeline.unwritten_entity_ids
            try:
                self._check_endpoints(links, known=entity_ids)
            except NotFound as exc:
                raise ValidationFailed(
                    f"a link refers to entity {exc.record_id!r}, which is neither stored nor "
                    "earlier in the stream; write entities before their links"
                ) from exc
        return prepared

    def _keep_creation_times(self, records: dict[tuple[RecordType, str], Record]) -> None:
        """Give unstamped records that are already stored their stored ``created_at``.

        One whose version and content equal the stored record's is the stored record: its
        write changes nothing, not even ``updated_at``, so a repeated import reports it
        unchanged. Otherwise an empty ``updated_at`` becomes now: the write is a change.
        """
        unstamped: dict[RecordType, list[str]] = {}
        for (record_type, record_id), record in records.items():
            if record.created_at is None:
                unstamped.setdefault(record_type, []).append(record_id)
        for record_type, ids in unstamped.items():
            for record_id, stored in self._backend.fetch(record_type, ids).items():
                if isinstance(stored, UnreadableRecord):
                    continue  # its creation time is lost with it: the repair is stamped now
                key = (record_type, record_id)
                record = records[key]
                same = record.version == stored.version and record.same_content(stored)
                if same and record.updated_at in (None, stored.updated_at):
                    records[key] = stored
                    continue
                records[key] = record.model_copy(
                    update={
                        "created_at": stored.created_at,
                        "updated_at": record.updated_at or self.clock(),
                    }
                )

    @staticmethod
    def _check_page_size(page_size: object) -> None:
        admission.checked_int(page_size, "page_size", 1, 1_000)

    @staticmethod
    def _check_direction(direction: str) -> None:
        if direction not in _DIRECTIONS:
            raise ValidationFailed(f"direction must be one of {', '.join(_DIRECTIONS)}")

    @staticmethod
    def _check_depth(depth: object, name: str, *, minimum: int) -> None:
        admission.checked_int(depth, name, minimum, MAX_DEPTH)

    @staticmethod
    def _typed_position(
        position: SortPosition, order_by: tuple[OrderKey, ...], record_type: RecordType
    ) -> SortPosition:
        """Check the cursor's values have the types of their fields."""
        for key, value in zip(order_by, position.values, strict=True):
            kind = RECORD_FIELDS[record_type][key.field].kind
            ok = (
                value is None
                or {
                    "str": isinstance(value, str),
                    "int": isinstance(value, int) and not isinstance(value, bool),
                    "float": isinstance(value, int | float) and not isinstance(value, bool),
                    "bool": isinstance(value, bool),
                    "datetime": isinstance(value, datetime) and value.tzinfo is not None,
                }[kind]
            )
            if not ok:
                raise InvalidCursor("cursor does not fit this query")
        return position


def _utc_bound(value: object, name: str) -> datetime | None:
    bound = admission.optional_datetime(value, name)
    if bound is None:
        return None
    if bound.tzinfo is None:
        raise ValidationFailed("timeline bounds need a time zone")
    try:
        return to_utc(bound)
    except ValueError as exc:
        raise ValidationFailed(f"timeline bound: {exc}") from None


def _record_type(value: object) -> RecordType:
    try:
        return RecordType(str(value))
    except ValueError:
        known = ", ".join(member.value for member in RecordType)
        raise ValidationFailed(f"unknown record type {str(value)[:40]!r}; use {known}") from None


class AsyncCaseStore:
    """The asyncio twin of :class:`CaseStore`: each call runs on a worker thread.

    Methods mirror the synchronous ones and raise the same errors.
    """

    def __init__(self, store: CaseStore) -> None:
        self._store = store

    @property
    def sync(self) -> CaseStore:
        """The synchronous store underneath."""
        return self._store

    @property
    def info(self) -> AdapterInfo:
        """See :attr:`CaseStore.info`."""
        return self._store.info

    def capabilities(self) -> Mapping[Capability, Support]:
        """See :meth:`CaseStore.capabilities` (a declaration: no I/O, so not awaited)."""
        return self._store.capabilities()

    def capability_notes(self) -> Mapping[Capability, str]:
        """See :meth:`CaseStore.capability_notes`."""
        return self._store.capability_notes()

    def supports(self, capability: Capability) -> bool:
        """See :meth:`CaseStore.supports`."""
        return self._store.supports(capability)

    async def create(self, record: R) -> R:
        """See :meth:`CaseStore.create`."""
        return await asyncio.to_thread(self._store.create, record)

    async def get(self, record_type: type[R], record_id: str) -> R:
        """See :meth:`CaseStore.get`."""
        return await asyncio.to_thread(self._store.get, record_type, record_id)

    async def get_many(self, record_type: type[R], ids: Iterable[str]) -> list[R]:
        """See :meth:`CaseStore.get_many`."""
        return await asyncio.to_thread(self._store.get_many, record_type, list(ids))

    async def update(self, record: R, *, expected_version: int) -> R:
        """See :meth:`CaseStore.update`."""
        return await asyncio.to_thread(
            lambda: self._store.update(record, expected_version=expected_version)
        )

    async def search(self, query: SearchQuery | None = None) -> Page[Entity]:
        """See :meth:`CaseStore.search`."""
        return await asyncio.to_thread(self._store.search, query)

    async def search_records(
        self, record_type: type[R], query: SearchQuery | None = None
    ) -> Page[R]:
        """See :meth:`CaseStore.search_records`."""
        return await asyncio.to_thread(self._store.search_records, record_type, query)

    async def iter_search_records(
        self, record_type: type[R], query: SearchQuery | None = None
    ) -> AsyncIterator[R]:
        """See :meth:`CaseStore.iter_search_records`; each page is read on the worker thread."""
        query = query if query is not None else SearchQuery()
        while True:
            page = await self.search_records(record_type, query)
            for record in page.items:
                yield record
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    def plan_search(self, query: SearchQuery, record_type: type[Record] = Entity) -> SearchPlan:
        """See :meth:`CaseStore.plan_search` (planning reads nothing, so it is not awaited)."""
        return self._store.plan_search(query, record_type)

    async def iter_search(self, query: SearchQuery | None = None) -> AsyncIterator[Entity]:
        """See :meth:`CaseStore.iter_search`; each page is read on the worker thread."""
        query = query if query is not None else SearchQuery()
        while True:
            page = await self.search(query)
            for entity in page.items:
                yield entity
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    async def list_records(
        self, record_type: type[R], *, page_size: int = 100, cursor: str | None = None
    ) -> Page[R]:
        """See :meth:`CaseStore.list_records`."""
        return await asyncio.to_thread(
            lambda: self._store.list_records(record_type, page_size=page_size, cursor=cursor)
        )

    async def expand(
        self,
        entity_id: str,
        *,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        neighbour_kinds: Iterable[EntityKind] | None = None,
        neighbour_filter: Filter | None = None,
        link_filter: Filter | None = None,
    ) -> list[Hop]:
        """See :meth:`CaseStore.expand`."""
        return await asyncio.to_thread(
            lambda: self._store.expand(
                entity_id,
                link_types=link_types,
                direction=direction,
                neighbour_kinds=neighbour_kinds,
                neighbour_filter=neighbour_filter,
                link_filter=link_filter,
            )
        )

    async def degree(
        self,
        entity_ids: Iterable[str],
        *,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
    ) -> dict[str, int]:
        """See :meth:`CaseStore.degree`."""
        ids = list(entity_ids)
        return await asyncio.to_thread(
            lambda: self._store.degree(ids, link_types=link_types, direction=direction)
        )

    async def count(
        self, filter: Filter | None = None, *, record_type: type[Record] = Entity
    ) -> int:
        """See :meth:`CaseStore.count`."""
        return await asyncio.to_thread(lambda: self._store.count(filter, record_type=record_type))

    async def aggregate(
        self, query: AggregateQuery, *, record_type: type[Record] = Entity
    ) -> Aggregation:
        """See :meth:`CaseStore.aggregate`."""
        return await asyncio.to_thread(
            lambda: self._store.aggregate(query, record_type=record_type)
        )

    async def find_by_source(
        self,
        source_system: str,
        source_record_id: str,
        record_types: Iterable[type[Record]] | None = None,
    ) -> list[Record]:
        """See :meth:`CaseStore.find_by_source`."""
        return await asyncio.to_thread(
            lambda: self._store.find_by_source(source_system, source_record_id, record_types)
        )

    async def neighbourhood(
        self,
        entity_id: str,
        *,
        depth: int = 1,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        neighbour_kinds: Iterable[EntityKind] | None = None,
        max_entities: int = 10_000,
        neighbour_filter: Filter | None = None,
        link_filter: Filter | None = None,
    ) -> Subgraph:
        """See :meth:`CaseStore.neighbourhood`."""
        return await asyncio.to_thread(
            lambda: self._store.neighbourhood(
                entity_id,
                depth=depth,
                link_types=link_types,
                direction=direction,
                neighbour_kinds=neighbour_kinds,
                max_entities=max_entities,
                neighbour_filter=neighbour_filter,
                link_filter=link_filter,
            )
        )

    async def shortest_paths(
        self,
        source_id: str,
        target_id: str,
        *,
        max_depth: int = 6,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        via_kinds: Iterable[EntityKind] | None = None,
        max_paths: int = 100,
        distinct: PathIdentity = "links",
    ) -> Paths:
        """See :meth:`CaseStore.shortest_paths`."""
        return await asyncio.to_thread(
            lambda: self._store.shortest_paths(
                source_id,
                target_id,
                max_depth=max_depth,
                link_types=link_types,
                direction=direction,
                via_kinds=via_kinds,
                max_paths=max_paths,
                distinct=distinct,
            )
        )

    async def timeline(
        self,
        *,
        entity_ids: Iterable[str] = (),
        case_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[TimelineEntry]:
        """See :meth:`CaseStore.timeline`."""
        return await asyncio.to_thread(
            lambda: self._store.timeline(
                entity_ids=entity_ids, case_id=case_id, start=start, end=end
            )
        )

    async def upsert_many(
        self,
        records: Iterable[Record],
        *,
        batch_size: int = 1_000,
        on_batch: Callable[[BulkReport], None] | None = None,
    ) -> BulkReport:
        """See :meth:`CaseStore.upsert_many` (the iterable is consumed on the worker thread).

        ``on_batch`` is called on the worker thread.
        """
        return await asyncio.to_thread(
            lambda: self._store.upsert_many(records, batch_size=batch_size, on_batch=on_batch)
        )

    async def export(
        self,
        record_types: Iterable[RecordType] | None = None,
        *,
        chunk: int = 1_000,
        on_unreadable: Callable[[UnreadableRecord], None] | None = None,
    ) -> AsyncIterator[Record]:
        """See :meth:`CaseStore.export`; records arrive in chunks read on the worker thread.

        ``on_unreadable`` is called on the worker thread.
        """
        iterator = self._store.export(record_types, on_unreadable=on_unreadable)
        while rows := await asyncio.to_thread(lambda: list(itertools.islice(iterator, chunk))):
            for row in rows:
                yield row

    async def aclose(self) -> None:
        """See :meth:`CaseStore.close`."""
        await asyncio.to_thread(self._store.close)
