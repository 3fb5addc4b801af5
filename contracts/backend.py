"""The port: the small interface an adapter implements to become a store.

A :class:`StoreBackend` keeps records and answers a few primitive requests. Applications never
call it: they call the :class:`~contracts.store.CaseStore` facade built around it, which owns
validation, capability gating, paging, query planning, emulation and bulk batching, so every
backend behaves the same to its callers.

Five primitives are required: :meth:`~StoreBackend.insert`, :meth:`~StoreBackend.fetch`,
:meth:`~StoreBackend.replace`, :meth:`~StoreBackend.scan` and
:meth:`~StoreBackend.write_batch`. With them alone the layer provides search, filters,
ordering, paging, ``expand``, neighbourhoods, paths, timelines and export by emulation. A
backend that can do one of these itself overrides its hook (:meth:`~StoreBackend.search` with
:meth:`~StoreBackend.plan_search`, :meth:`~StoreBackend.expand`,
:meth:`~StoreBackend.neighbourhood`, :meth:`~StoreBackend.shortest_paths`,
:meth:`~StoreBackend.timeline`, :meth:`~StoreBackend.export_many`) and declares it ``NATIVE``
or, for search, ``PARTIAL``; the class is refused when a declaration and the hooks disagree.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Final

from contracts.aggregation import AggregateQuery, Aggregation
from contracts.capabilities import Capability, Support, declaration_problem
from contracts.models.common import Record, RecordType
from contracts.query import Filter, OrderKey
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
    Hop,
    Path,
    Subgraph,
    TimelineEntry,
    UnreadableRecord,
)

if TYPE_CHECKING:
    from contracts.conformance.stores import WriteFaults

__all__ = ["SEARCH_CAPABILITIES", "StoreBackend", "check_declaration"]

SEARCH_CAPABILITIES: Final = (
    Capability.SEARCH_FILTER,
    Capability.SEARCH_TEXT,
    Capability.SEARCH_ORDER,
    Capability.SEARCH_RECORDS,
)
"""The capabilities a backend's :meth:`StoreBackend.search` hook provides."""

_HOOKS: Final[dict[Capability, str]] = {
    Capability.SEARCH_COUNT: "count",
    Capability.SEARCH_AGGREGATE: "aggregate",
    Capability.GRAPH_EXPAND: "expand",
    Capability.GRAPH_DEGREE: "degree",
    Capability.GRAPH_NEIGHBOURHOOD: "neighbourhood",
    Capability.GRAPH_SHORTEST_PATHS: "shortest_paths",
    Capability.TIMELINE: "timeline",
    Capability.BULK_EXPORT: "export_many",
}


class StoreBackend(ABC):
    """What an adapter implements: storage primitives and optional native hooks.

    Subclasses set :attr:`CAPABILITIES` (every :class:`Capability`, see
    :func:`contracts.capabilities.declare`), implement the five abstract primitives and must be
    safe to call from several threads at once. Every primitive is atomic and free of policy:
    the records it is given are valid, stamped and checked.
    """

    CAPABILITIES: ClassVar[Mapping[Capability, Support]]
    """How this backend provides each capability."""

    NOTES: ClassVar[Mapping[Capability, str]] = {}
    """How a capability is provided, in a line, where a reader needs more than the level.

    Required for every ``PARTIAL`` capability: which part the layer does.
    """

    KNOWN_DEVIATIONS: ClassVar[Mapping[str, str]] = {}
    """Requirement ids this backend is known to break, each with the reason or issue link.

    The conformance kit expects these to fail and fails the run if one starts passing.
    """

    overlaps_writes: bool = False
    """Whether ``upsert_many`` writes a batch on a background thread while it prepares the
    next. Worth it where a write mostly waits outside Python (a database, a server)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared = cls.__dict__.get("CAPABILITIES")
        if declared is not None:
            check_declaration(cls, declared, cls.NOTES)

    # ------------------------------------------------------------------ identity

    @property
    @abstractmethod
    def info(self) -> AdapterInfo:
        """The adapter's name and version and a description of its backend."""

    def capabilities(self) -> Mapping[Capability, Support]:
        """How this backend provides each capability (an instance may narrow its class's)."""
        return self.CAPABILITIES

    def notes(self) -> Mapping[Capability, str]:
        """How capabilities are provided, where the level alone does not say (see NOTES)."""
        return self.NOTES

    # ------------------------------------------------------------------ required primitives

    @abstractmethod
    def insert(self, record: Record) -> Record | None:
        """Store ``record`` as given unless a record of its type with its id exists.

        Atomic. Returns ``None`` when the record was stored, or the stored record, unchanged,
        when the id was taken.
        """

    @abstractmethod
    def fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> Mapping[str, Record | UnreadableRecord]:
        """The stored records of ``record_type`` among ``ids``, keyed by id; absent ids left out.

        A stored record that is not a valid record comes back as an :class:`UnreadableRecord`,
        so that writing a valid one over it (``upsert_many``) can repair it.
        """

    @abstractmethod
    def replace(self, record: Record, expected_version: int) -> None:
        """Replace the stored record with ``record`` if its version is ``expected_version``.

        An atomic compare-and-set.

        Raises:
            Conflict: the stored version differs or the record does not exist.
        """

    @abstractmethod
    def scan(
        self, record_type: RecordType, after_id: str | None, limit: int
    ) -> Sequence[Record | UnreadableRecord]:
        """Up to ``limit`` records of ``record_type`` with ids after ``after_id``, by id.

        Ids compare by Unicode code point. A stored record that is not valid comes back as an
        :class:`UnreadableRecord` in its place.
        """

    @abstractmethod
    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        """Store every record as given (versions and timestamps kept), all or nothing.

        ``records`` are what :meth:`encode_batch` returned. Returns how many were created,
        updated (stored differently before) or unchanged (stored equal).
        """

    # ------------------------------------------------------------------ optional hooks

    def encode_batch(self, records: list[Record]) -> Sequence[Record]:
        """Work on a checked batch that needs no store: by default none.

        Runs in the caller's thread, while earlier batches may be being written (see
        :attr:`overlaps_writes`); a backend may return a sequence of the same records that
        also carries their serialised form, for its :meth:`write_batch`.
        """
        return records

    def existing_ids(self, record_type: RecordType, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored as ``record_type``; by default read through fetch.

        Override where asking whether a record exists is cheaper than reading it.
        """
        return set(self.fetch(record_type, ids))

    def plan_search(
        self, record_type: RecordType, condition: Filter | None, order_by: tuple[OrderKey, ...]
    ) -> SearchPlan:
        """How much of a search of ``record_type`` this backend does (see :class:`SearchPlan`).

        Called only when a search capability is declared ``NATIVE`` or ``PARTIAL`` (and, for
        records other than entities, ``search.records`` too). The default pushes everything
        down: right for a backend that declares all of search native.
        """
        return SearchPlan(pushed=condition)

    def search(self, request: SearchRequest) -> list[Any]:
        """Up to ``request.limit`` matching records of the request's type, after its position.

        The order is ``request.order_by`` (missing values last in either direction) then id;
        the semantics of every filter node are those of :mod:`contracts.evaluation`.
        Override when a search capability is declared ``NATIVE`` or ``PARTIAL``.
        """
        raise NotImplementedError

    def expand(self, request: ExpandRequest) -> list[Hop]:
        """Every hop from the existing entity, ordered by link id (declared native or partial).

        A link counts as ``out`` when the entity is its source, ``in`` when it is its target;
        an undirected link matches every direction. A self-link appears once, as ``out``.
        Declared native, the backend also applies the request's neighbour and link filters;
        declared partial, it never gets them: the layer applies them to what it returns.
        """
        raise NotImplementedError

    def degree(self, request: DegreeRequest) -> dict[str, int]:
        """The number of hops ``expand`` would return for each entity, keyed by id (native)."""
        raise NotImplementedError

    def count(self, record_type: RecordType, condition: Filter | None) -> int | None:
        """How many records of ``record_type`` match ``condition`` (declared native or partial).

        ``None`` when this backend cannot count this condition itself: the layer then counts
        the search's results (a backend that ever answers ``None`` declares it partial).
        """
        raise NotImplementedError

    def aggregate(self, record_type: RecordType, query: AggregateQuery) -> Aggregation | None:
        """The aggregate ``aggregate_records`` defines (declared native or partial).

        ``None`` when this backend cannot compute this query itself: the layer then
        aggregates the search's results (a backend that ever answers ``None`` declares it
        partial).
        """
        raise NotImplementedError

    def neighbourhood(self, request: NeighbourhoodRequest) -> Subgraph:
        """The backend's own neighbourhood query (declared native)."""
        raise NotImplementedError

    def shortest_paths(self, request: PathsRequest) -> list[Path]:
        """The backend's own shortest-path search (declared native)."""
        raise NotImplementedError

    def timeline(self, request: TimelineRequest) -> list[TimelineEntry]:
        """The backend's own timeline query (declared native)."""
        raise NotImplementedError

    def export_many(
        self, record_types: Sequence[RecordType]
    ) -> Iterator[Record | UnreadableRecord]:
        """Stream the records of ``record_types`` in that order, each type by id (declared native).

        A native export reads them from one snapshot, so that an export taken while others
        write never holds a link without its entities.
        """
        raise NotImplementedError

    # ------------------------------------------------------------------ lifecycle

    def write_faults(self) -> WriteFaults | None:
        """This backend's fault point for conformance testing, or ``None`` (the default).

        See :meth:`contracts.store.CaseStore.write_faults`.
        """
        return None

    def close(self) -> None:
        """Release connections and files. Calling it twice is harmless."""


def _overrides(cls: type, name: str) -> bool:
    return getattr(cls, name) is not getattr(StoreBackend, name)


def check_declaration(
    cls: type[StoreBackend],
    declared: Mapping[Capability, Support],
    notes: Mapping[Capability, str],
) -> None:
    """Refuse a declaration that is incomplete or disagrees with the hooks of ``cls``.

    Raises:
        TypeError: naming the first problem found.
    """
    name = cls.__name__
    missing = set(Capability) - set(declared)
    if missing:
        names = ", ".join(sorted(capability.value for capability in missing))
        raise TypeError(f"{name} does not declare: {names}")
    for capability, how in declared.items():
        problem = declaration_problem(capability, how, declared)
        if problem:
            raise TypeError(f"{name}: {problem}")
        if how is Support.PARTIAL and not notes.get(capability):
            raise TypeError(f"{name} declares {capability.value} partial without a note in NOTES")
    pushed = [c for c in SEARCH_CAPABILITIES if declared[c] in (Support.NATIVE, Support.PARTIAL)]
    if pushed and not _overrides(cls, "search"):
        raise TypeError(
            f"{name} declares {pushed[0].value} {declared[pushed[0]].value} but "
            "does not override search"
        )
    partial = [c for c in SEARCH_CAPABILITIES if declared[c] is Support.PARTIAL]
    if partial and not _overrides(cls, "plan_search"):
        raise TypeError(
            f"{name} declares {partial[0].value} partial but does not override plan_search"
        )
    for capability, hook in _HOOKS.items():
        how = declared[capability]
        if how in (Support.NATIVE, Support.PARTIAL) and not _overrides(cls, hook):
            raise TypeError(
                f"{name} declares {capability.value} {how.value} but does not override {hook}"
            )
