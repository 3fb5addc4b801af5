"""The store interface every adapter implements, and its asynchronous twin.

:class:`CaseStore` splits three audiences:

- callers use the public methods (``create``, ``get``, ``update``, ``search``, ``expand``,
  ``neighbourhood``, ``shortest_paths``, ``timeline``, ``upsert_many``, ``export``, ...). They are
  written once here, so validation, idempotency, optimistic versions, capability checks, paging
  and the emulated operations behave identically whatever the backend;
- adapters implement the abstract primitives (methods starting with ``_``), each small, atomic
  and free of policy;
- adapters that do a capability natively override its ``_native_*`` hook and declare it
  ``NATIVE``.

The interface is synchronous; :class:`AsyncCaseStore` runs it on a worker thread, and an adapter
with a native asynchronous client may return its own subclass from
:meth:`CaseStore.asynchronous`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Final, Self, TypeVar

from contracts import admission, emulation
from contracts._pipeline import WritePipeline
from contracts.capabilities import EMULATABLE, Capability, Support
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
from contracts.paging import SortPosition, decode_cursor, encode_cursor
from contracts.query import FIELDS, And, Filter, Not, Or, OrderKey, SearchQuery, Text
from contracts.results import (
    AdapterInfo,
    BulkReport,
    Direction,
    Hop,
    Page,
    Path,
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
_NATIVE_HOOKS: Final[dict[Capability, str]] = {
    Capability.GRAPH_NEIGHBOURHOOD: "_native_neighbourhood",
    Capability.GRAPH_SHORTEST_PATHS: "_native_shortest_paths",
    Capability.TIMELINE: "_native_timeline",
}
_DIRECTIONS: Final = ("out", "in", "both")
MAX_DEPTH: Final = 10
"""Deepest neighbourhood or path search the contract asks any backend to run."""
MAX_BATCH_SIZE: Final = 50_000

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


class CaseStore(ABC):
    """A store of case data: entities, links, cases, intelligence reports and exhibits.

    Subclasses set :attr:`CAPABILITIES` (every :class:`Capability`, see
    :func:`contracts.capabilities.declare`), implement the abstract primitives and must be safe
    to call from several threads at once.
    """

    CAPABILITIES: ClassVar[Mapping[Capability, Support]]
    """How this adapter provides each capability."""

    KNOWN_DEVIATIONS: ClassVar[Mapping[str, str]] = {}
    """Requirement ids this adapter is known to break, each with the reason or issue link.

    The conformance kit expects these to fail and fails the run if one starts passing.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("CAPABILITIES")
        if declared is None:
            return
        missing = set(Capability) - set(declared)
        if missing:
            names = ", ".join(sorted(capability.value for capability in missing))
            raise TypeError(f"{cls.__name__} does not declare: {names}")
        for capability, hook in _NATIVE_HOOKS.items():
            if declared[capability] is Support.NATIVE and getattr(cls, hook) is getattr(
                CaseStore, hook
            ):
                raise TypeError(
                    f"{cls.__name__} declares {capability.value} native but does not "
                    f"override {hook}"
                )
        for capability, how in declared.items():
            if how is Support.EMULATED and capability not in EMULATABLE:
                raise TypeError(f"{cls.__name__}: {capability.value} cannot be emulated")
            if how is Support.EMULATED and declared[Capability.GRAPH_EXPAND] is Support.UNSUPPORTED:
                raise TypeError(
                    f"{cls.__name__}: {capability.value} is emulated over graph.expand, "
                    "which it declares unsupported"
                )

    clock: Callable[[], datetime] = staticmethod(_utc_now)
    """Source of the timestamps the store writes; replaceable in tests."""

    # ------------------------------------------------------------------ identity

    @property
    @abstractmethod
    def info(self) -> AdapterInfo:
        """The adapter's name and version and a description of its backend."""

    def capabilities(self) -> Mapping[Capability, Support]:
        """How this store provides each capability."""
        return self.CAPABILITIES

    def supports(self, capability: Capability) -> bool:
        """Whether ``capability`` is available, natively or emulated."""
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

    # ------------------------------------------------------------------ primitives

    @abstractmethod
    def _insert(self, record: Record) -> Record | None:
        """Store ``record`` as given unless a record of its type with its id exists.

        Must be atomic. Returns ``None`` when the record was stored, or the stored record,
        unchanged, when the id was taken.
        """

    @abstractmethod
    def _fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> Mapping[str, Record | UnreadableRecord]:
        """The stored records of ``record_type`` among ``ids``, keyed by id; absent ids left out.

        A stored record that is not a valid record comes back as an :class:`UnreadableRecord`,
        so that writing a valid one over it (``upsert_many``) can repair it.
        """

    @abstractmethod
    def _replace(self, record: Record, expected_version: int) -> None:
        """Replace the stored record with ``record`` if its version is ``expected_version``.

        Must be an atomic compare-and-set.

        Raises:
            Conflict: the stored version differs or the record does not exist.
        """

    @abstractmethod
    def _scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        """Up to ``limit`` records of ``record_type`` with ids after ``after_id``, by id."""

    @abstractmethod
    def _search(
        self,
        condition: Filter | None,
        order_by: tuple[OrderKey, ...],
        after: SortPosition | None,
        limit: int,
    ) -> list[Entity]:
        """Up to ``limit`` entities matching ``condition``, in order, strictly after ``after``.

        The order is ``order_by`` (missing values last in either direction) then id; the
        semantics of every filter node are those of :mod:`contracts.evaluation`.
        """

    @abstractmethod
    def _expand(
        self,
        entity_id: str,
        link_types: frozenset[str] | None,
        direction: Direction,
        neighbour_kinds: frozenset[EntityKind] | None,
    ) -> list[Hop]:
        """Every hop from the existing entity ``entity_id``, ordered by link id.

        A link counts as ``out`` when the entity is its source, ``in`` when it is its target;
        an undirected link matches every direction. A self-link appears once, as ``out``.
        """

    @abstractmethod
    def _write_batch(self, records: Sequence[Record]) -> BulkReport:
        """Store every record as given (versions and timestamps kept), all or nothing.

        ``records`` are what :meth:`_encode_batch` returned. Returns how many were created,
        updated (stored differently before) or unchanged.
        """

    _overlaps_writes: bool = False
    """Whether ``upsert_many`` writes a batch on a background thread while it prepares the
    next. Worth it where a write mostly waits outside Python (a database, a server)."""

    def _encode_batch(self, records: list[Record]) -> Sequence[Record]:
        """Work on a checked batch that needs no store: by default none.

        Runs in the caller's thread, while earlier batches may be being written (see
        :attr:`_overlaps_writes`); an adapter may return a sequence of the same records that
        also carries their serialised form, for its :meth:`_write_batch`.
        """
        return records

    @abstractmethod
    def _export(self, record_type: RecordType) -> Iterator[Record | UnreadableRecord]:
        """Every stored record of ``record_type`` by id, streamed (not loaded at once).

        A stored record that is not a valid record is yielded as an :class:`UnreadableRecord`
        in its place: one damaged record must not stop the rest leaving.
        """

    def _native_neighbourhood(
        self,
        root: Entity,
        depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        kinds: frozenset[EntityKind] | None,
        max_entities: int,
    ) -> Subgraph:
        """Override with the backend's own neighbourhood query when declared native."""
        raise NotImplementedError

    def _native_shortest_paths(
        self,
        source: Entity,
        target: Entity,
        max_depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        via_kinds: frozenset[EntityKind] | None,
        max_paths: int,
    ) -> list[Path]:
        """Override with the backend's own shortest-path search when declared native."""
        raise NotImplementedError

    def _native_timeline(
        self, targets: list[Entity], start: datetime | None, end: datetime | None
    ) -> list[TimelineEntry]:
        """Override with the backend's own timeline query when declared native."""
        raise NotImplementedError

    def _export_many(
        self, record_types: Sequence[RecordType]
    ) -> Iterator[Record | UnreadableRecord]:
        """Stream the records of ``record_types`` in that order, each type by id (as ``_export``).

        Override to read them all from one snapshot, so that an export taken while others write
        never holds a link without its entities.
        """
        for record_type in record_types:
            yield from self._export(record_type)

    def _emulated_neighbourhood(
        self,
        root: Entity,
        depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        kinds: frozenset[EntityKind] | None,
        max_entities: int,
    ) -> Subgraph:
        """The neighbourhood composed by the layer from ``_expand``."""
        return emulation.neighbourhood(
            root,
            self._expander(link_types),
            depth=depth,
            direction=direction,
            kinds=kinds,
            max_entities=max_entities,
        )

    def _emulated_shortest_paths(
        self,
        source: Entity,
        target: Entity,
        max_depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        via_kinds: frozenset[EntityKind] | None,
        max_paths: int,
    ) -> list[Path]:
        """Shortest paths composed by the layer from ``_expand``."""
        return emulation.shortest_paths(
            source,
            target,
            self._expander(link_types),
            max_depth=max_depth,
            direction=direction,
            via_kinds=via_kinds,
            max_paths=max_paths,
        )

    def _emulated_timeline(
        self, targets: list[Entity], start: datetime | None, end: datetime | None
    ) -> list[TimelineEntry]:
        """The timeline composed by the layer from ``_expand``."""
        return emulation.timeline(targets, self._expander(None), start=start, end=end)

    def close(self) -> None:
        """Release connections and files. Calling it twice is harmless."""

    def write_faults(self) -> WriteFaults | None:
        """This store's fault point for conformance testing, or ``None`` (the default): none.

        The conformance kit's ``caseport_write_faults`` fixture uses it to run the tests of
        atomicity under failing backend writes; without one they are reported not run. Not for
        production use: an adapter that offers one returns the same object on every call, fails
        no write until it is armed with ``fail_writes_after``, and stops failing at ``heal``.
        """
        return None

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
        existing = self._insert(stamped)
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
        found = self._fetch(kind, possible) if possible else {}
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
        self._replace(stamped, expected_version)
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
        rows = self._scan(record_type.RECORD_TYPE, after, page_size + 1)
        items = rows[:page_size]
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
        """
        query = admission.admitted_query(query if query is not None else SearchQuery())
        if query.filter is not None:
            self._require(Capability.SEARCH_FILTER)
            if _has_text(query.filter):
                self._require(Capability.SEARCH_TEXT)
        if query.order_by:
            self._require(Capability.SEARCH_ORDER)
        scope = "search:" + query.fingerprint_source()
        after = None
        if query.cursor:
            after = self._typed_position(
                decode_cursor(query.cursor, scope, len(query.order_by)), query.order_by
            )
        rows = self._search(query.filter, query.order_by, after, query.page_size + 1)
        items = rows[: query.page_size]
        next_cursor = None
        if len(rows) > query.page_size:
            next_cursor = encode_cursor(scope, sort_position(items[-1], query.order_by))
        return Page[Entity](items=tuple(items), next_cursor=next_cursor)

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
    ) -> list[Hop]:
        """The links of an entity and the entities at their other ends, ordered by link id.

        Raises:
            NotFound: the entity does not exist.
        """
        self._require(Capability.GRAPH_EXPAND)
        self._check_direction(direction)
        types = admission.link_types(link_types)
        kinds = admission.kinds(neighbour_kinds, "neighbour_kinds")
        self.get(Entity, entity_id)
        return self._expand(entity_id, types, direction, kinds)

    def neighbourhood(
        self,
        entity_id: str,
        *,
        depth: int = 1,
        link_types: Iterable[str] | None = None,
        direction: Direction = "both",
        neighbour_kinds: Iterable[EntityKind] | None = None,
        max_entities: int = 10_000,
    ) -> Subgraph:
        """Every entity within ``depth`` hops and the links followed to reach them.

        Raises:
            NotFound: the entity does not exist.
            ValidationFailed: bad depth, or more than ``max_entities`` entities.
        """
        support = self._require(Capability.GRAPH_NEIGHBOURHOOD)
        self._check_direction(direction)
        self._check_depth(depth, "depth", minimum=0)
        admission.checked_int(max_entities, "max_entities", 1, 1_000_000)
        types = admission.link_types(link_types)
        kinds = admission.kinds(neighbour_kinds, "neighbour_kinds")
        root = self.get(Entity, entity_id)
        if support is Support.NATIVE:
            return self._native_neighbourhood(root, depth, types, direction, kinds, max_entities)
        return self._emulated_neighbourhood(root, depth, types, direction, kinds, max_entities)

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
    ) -> list[Path]:
        """All shortest paths between two entities of at most ``max_depth`` links.

        An empty list means no path within ``max_depth``. See
        :func:`contracts.emulation.shortest_paths` for the order and the filters.

        Raises:
            NotFound: either entity does not exist.
            ValidationFailed: bad depth or ``max_paths``.
        """
        support = self._require(Capability.GRAPH_SHORTEST_PATHS)
        self._check_direction(direction)
        self._check_depth(max_depth, "max_depth", minimum=0)
        admission.checked_int(max_paths, "max_paths", 1, 10_000)
        types = admission.link_types(link_types)
        kinds = admission.kinds(via_kinds, "via_kinds")
        source, target = self._get_both(source_id, target_id)
        if support is Support.NATIVE:
            return self._native_shortest_paths(
                source, target, max_depth, types, direction, kinds, max_paths
            )
        return self._emulated_shortest_paths(
            source, target, max_depth, types, direction, kinds, max_paths
        )

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
            return self._native_timeline(targets, start, end)
        return self._emulated_timeline(targets, start, end)

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
        threaded = self._overlaps_writes
        with WritePipeline(self._write_batch, written, threaded=threaded) as pipeline:
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
                    pipeline.submit(self._encode_batch(prepared))
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
        stream is one consistent snapshot while others write depends on the adapter (see
        :meth:`_export_many`); the in-memory and SQL adapters give one. A stored record that is
        not a valid record never stops the export: it is left out, logged as a warning on the
        ``caseport`` logger and passed to ``on_unreadable``; without ``on_unreadable``, the
        export raises :class:`UnreadableRecords` naming them after the last readable record.

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
        for item in self._export_many(chosen):
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
        """An asyncio view of this store (a worker thread unless the adapter overrides it)."""
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

    def _expander(self, link_types: frozenset[str] | None) -> emulation.Expander:
        def expand(entity_id: str, direction: Direction) -> list[Hop]:
            return self._expand(entity_id, link_types, direction, None)

        return expand

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
        found = self._fetch(RecordType.ENTITY, sorted(wanted))
        for link in links:
            for end in (link.source_id, link.target_id):
                if end not in known and end not in found:
                    raise NotFound(RecordType.ENTITY.value, end)

    def _prepare_batch(self, batch: list[Record], pipeline: WritePipeline) -> list[Record]:
        """The batch checked, deduplicated and stamped, ready for :meth:`_encode_batch`.

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

        Their ``updated_at``, when empty, becomes now: the write is a change of a stored record.
        """
        unstamped: dict[RecordType, list[str]] = {}
        for (record_type, record_id), record in records.items():
            if record.created_at is None:
                unstamped.setdefault(record_type, []).append(record_id)
        for record_type, ids in unstamped.items():
            for record_id, stored in self._fetch(record_type, ids).items():
                if isinstance(stored, UnreadableRecord):
                    continue  # its creation time is lost with it: the repair is stamped now
                key = (record_type, record_id)
                record = records[key]
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
    def _typed_position(position: SortPosition, order_by: tuple[OrderKey, ...]) -> SortPosition:
        """Check the cursor's values have the types of their fields."""
        for key, value in zip(order_by, position.values, strict=True):
            kind = FIELDS[key.field].kind
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

    async def expand(self, entity_id: str, **options: Any) -> list[Hop]:
        """See :meth:`CaseStore.expand`."""
        return await asyncio.to_thread(lambda: self._store.expand(entity_id, **options))

    async def neighbourhood(self, entity_id: str, **options: Any) -> Subgraph:
        """See :meth:`CaseStore.neighbourhood`."""
        return await asyncio.to_thread(lambda: self._store.neighbourhood(entity_id, **options))

    async def shortest_paths(self, source_id: str, target_id: str, **options: Any) -> list[Path]:
        """See :meth:`CaseStore.shortest_paths`."""
        return await asyncio.to_thread(
            lambda: self._store.shortest_paths(source_id, target_id, **options)
        )

    async def timeline(self, **options: Any) -> list[TimelineEntry]:
        """See :meth:`CaseStore.timeline`."""
        return await asyncio.to_thread(lambda: self._store.timeline(**options))

    async def upsert_many(self, records: Iterable[Record], **options: Any) -> BulkReport:
        """See :meth:`CaseStore.upsert_many` (the iterable is consumed on the worker thread)."""
        return await asyncio.to_thread(lambda: self._store.upsert_many(records, **options))

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
