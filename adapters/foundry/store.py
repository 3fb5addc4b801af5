"""The Foundry adapter: :class:`FoundryBackend` over the Ontology API v2, and its store.

Reads go through object search, ``loadObjects`` object sets and linked objects; writes through
actions. Every read is decoded from the canonical JSON each object carries. Where the mapping
or Foundry's grammar cannot express a filter or an order exactly, the search plan
(:meth:`FoundryBackend.plan_search`) leaves the exact filter or the ordering to the layer, which
applies them with the reference semantics (declared partial); every record type is searched
so. Counts and grouped aggregates go to Foundry's aggregate endpoint when it can give the
reference's answer exactly, and to the layer otherwise (declared partial); degrees are counted
there too, grouped by link endpoint (declared native). Neighbourhoods, shortest paths and
timelines are composed by the layer from ``expand`` (declared emulated).

Writes are safe to repeat. Ids are chosen by the client, so a create sent twice finds the
first object (``ObjectAlreadyExists``) and compares it; an update carries the expected
version, checked by the update action's submission criterion; bulk writes upsert whole
records. When a write was sent but its answer lost, the store reads the object back to learn
whether it was applied before sending it again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, TypeVar

from typing_extensions import override

from adapters.foundry.aggregate import count_body, plan_aggregate, read_count
from adapters.foundry.client import MAX_BATCH_REQUESTS, FoundryClient
from adapters.foundry.codec import (
    action_parameters,
    decode_object,
    read_object,
    readable,
    selected_properties,
)
from adapters.foundry.degree import CHUNK as DEGREE_CHUNK
from adapters.foundry.degree import DegreeQuery, degree_layout_problem
from adapters.foundry.errors import FoundryApiError, WriteOutcomeUnknown
from adapters.foundry.export import partitioned_export
from adapters.foundry.mapping import FoundryMapping, RecordLayout
from adapters.foundry.paging import Pages
from adapters.foundry.where import compile_search
from adapters.foundry.where import order_by as _order_by
from adapters.foundry.wire import AggregateAnswer
from contracts.admission import is_record_id
from contracts.aggregation import AggregateQuery, Aggregation
from contracts.backend import StoreBackend
from contracts.capabilities import GRAPH_WALKS, Capability, Support, declare
from contracts.emulation import follows
from contracts.errors import (
    AlreadyExists,
    BackendError,
    CaseportError,
    ConfigurationError,
    Conflict,
    NotFound,
    TransientError,
    UpstreamContractError,
    ValidationFailed,
)
from contracts.evaluation import compare_positions, sort_position
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.query import Filter, OrderKey
from contracts.requests import DegreeRequest, ExpandRequest, SearchPlan, SearchRequest
from contracts.results import AdapterInfo, BulkReport, Hop, UnreadableRecord
from contracts.store import CaseStore

if TYPE_CHECKING:
    from contracts.conformance.stores import WriteFaults

__all__ = ["FoundryBackend", "FoundryCaseStore", "Scan", "StoreOptions"]

T = TypeVar("T")
_VERSION: Final = "0.1.0"
_MAX_PAGE: Final = 1_000
_SEARCH: Final = frozenset(
    {
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
    }
)
_REFUSED: Final = frozenset(
    {
        "AggregationAccuracyNotSupported",
        "AggregationGroupCountExceededLimit",
        "AggregationMemoryExceededLimit",
    }
)
"""Foundry's refusals of an aggregate it cannot compute exactly: the layer computes it."""
_WIDENED: Final = (
    "Foundry evaluates a where-clause widened where the languages differ (fields or properties "
    "the mapping does not type, timestamps rounded to milliseconds, ranges and prefixes on "
    "multi-valued fields, nesting beyond max_where_depth); the layer then applies the exact "
    "filter to what comes back"
)
_RECORD_CAPABILITY: Final = {
    RecordType.CASE: Capability.CASES,
    RecordType.INTELLIGENCE_REPORT: Capability.INTELLIGENCE_REPORTS,
    RecordType.EXHIBIT: Capability.EXHIBITS,
}


@dataclass(frozen=True, slots=True)
class StoreOptions:
    """How the store uses Foundry.

    Attributes:
        page_size: objects asked for per page (at most 1000 for search and links; up to
            10000 for ``loadObjects``).
        export_page_size: objects per ``loadObjects`` page when exporting.
        export_partitions: key ranges an export reads at once (1: one sequential scan).
        batch_requests: requests per ``applyBatch`` call (at most 20).
        write_attempts: sends of one write whose outcome stayed unknown after reading back.
        max_client_sort: most matches sorted in Python when the order is not mapped.
        max_where_depth: nesting Foundry allows in ``where``.
        aggregate_groups: ``maxGroupCount`` of each grouping in an aggregate request; an
            aggregate with more groups is computed by the layer.
        snapshot: ask for consistent snapshots when reading several pages.
        workers: threads for concurrent reads (fetch chunks, export partitions).
    """

    page_size: int = _MAX_PAGE
    export_page_size: int = 1_000
    export_partitions: int = 1
    batch_requests: int = MAX_BATCH_REQUESTS
    write_attempts: int = 3
    max_client_sort: int = 100_000
    max_where_depth: int = 3
    aggregate_groups: int = 10_000
    snapshot: bool = True
    workers: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= _MAX_PAGE:
            raise ValidationFailed(f"page_size must be between 1 and {_MAX_PAGE}")
        if not 1 <= self.export_page_size <= 10_000:
            raise ValidationFailed("export_page_size must be between 1 and 10000")
        if not 1 <= self.export_partitions <= 64:
            raise ValidationFailed("export_partitions must be between 1 and 64")
        if not 1 <= self.batch_requests <= MAX_BATCH_REQUESTS:
            raise ValidationFailed(f"batch_requests must be between 1 and {MAX_BATCH_REQUESTS}")
        if not 1 <= self.write_attempts <= 10:
            raise ValidationFailed("write_attempts must be between 1 and 10")
        if not 1 <= self.max_where_depth <= 16:
            raise ValidationFailed("max_where_depth must be between 1 and 16")
        if not 1 <= self.aggregate_groups <= 100_000:
            raise ValidationFailed("aggregate_groups must be between 1 and 100000")
        if not 1 <= self.workers <= 64:
            raise ValidationFailed("workers must be between 1 and 64")


class Scan:
    """A resumable scan: iterate it for records; ``resume_token`` says where to resume."""

    def __init__(self, pages: Pages, layout: RecordLayout) -> None:
        self._pages = pages
        self._layout = layout

    @property
    def resume_token(self) -> str | None:
        """The token of the page being read (``None``: from the start, or finished)."""
        return self._pages.resume_token

    @property
    def total_count(self) -> int | None:
        """How many objects Foundry said the scan holds, when it said."""
        return self._pages.total_count

    def __iter__(self) -> Iterator[Record]:
        for obj in self._pages:
            yield decode_object(self._layout, obj)


class FoundryBackend(StoreBackend):
    """A backend kept in a Palantir Foundry ontology.

    Args:
        client: the HTTP client for the ontology.
        mapping: where each record type lives in the ontology.
        options: paging, batching and concurrency settings.
        write_faults: a fault point that fails the writes of this store's backend, for
            conformance testing only; a store over the fake Foundry
            (:mod:`adapters.foundry.testing`) gets the fake's, a store over a real tenant none.
    """

    CAPABILITIES = declare(
        **{
            capability.name: (
                Support.EMULATED
                if capability in GRAPH_WALKS
                else Support.PARTIAL
                if capability in _SEARCH or capability is Capability.GRAPH_EXPAND
                else Support.NATIVE
            )
            for capability in Capability
        }
    )
    NOTES: ClassVar[Mapping[Capability, str]] = {
        Capability.SEARCH_FILTER: _WIDENED,
        Capability.SEARCH_TEXT: (
            "terms match exactly in Foundry; the layer checks them again when they share a "
            "query with a widened condition"
        ),
        Capability.SEARCH_ORDER: (
            "Foundry orders by the fields the mapping types; by any other field the layer "
            "sorts the matches, up to max_client_sort of them"
        ),
        Capability.SEARCH_RECORDS: (
            "links, cases, reports and exhibits are searched and ordered in Foundry over the "
            "fields their mapping sections type; a condition on any other field (or text, "
            "which only entities index) is widened and applied again by the layer, and an "
            "order on one is sorted by the layer, up to max_client_sort matches"
        ),
        Capability.SEARCH_COUNT: (
            "Foundry's aggregate endpoint counts when the filter compiles exactly; a widened "
            "filter is counted by the layer over the search's results"
        ),
        Capability.SEARCH_AGGREGATE: (
            "Foundry's aggregate endpoint groups and computes when the filter compiles exactly, "
            "every grouping field is a single-valued typed text, boolean or number property, "
            "and metrics are min/max of typed numbers or sum/avg of typed integers, all within "
            "aggregate_groups groups and exact through doubles; any other aggregate (timestamps, "
            "properties, arrays, sums of doubles) is computed by the layer"
        ),
        Capability.GRAPH_EXPAND: (
            "Foundry lists linked objects; filters on neighbours and links are applied by the layer"
        ),
        Capability.GRAPH_DEGREE: (
            "Foundry's aggregate endpoint counts link objects grouped by source and by target, "
            "three requests per 200 entities (emulated over expand when the link mapping does "
            "not type type and directed)"
        ),
    }

    KNOWN_DEVIATIONS: ClassVar[Mapping[str, str]] = {
        "BULK-003": (
            "a batch is not one transaction: more records than one applyBatch request takes "
            "(batch_requests, 20 by default) are written chunk by chunk, and when a chunk "
            "fails the chunks already written are undone (previous versions upserted back, "
            "created objects deleted); when undoing fails too (Foundry still failing, or no "
            "delete action for a created record type), the batch stays partly written and "
            "BackendError says so; writing the batch again is safe. See "
            "adapters/foundry/README.md, Known limits"
        ),
    }

    def __init__(
        self,
        client: FoundryClient,
        mapping: FoundryMapping,
        options: StoreOptions | None = None,
        *,
        write_faults: WriteFaults | None = None,
    ) -> None:
        self.client = client
        self.mapping = mapping
        self.options = options or StoreOptions()
        self._write_faults = write_faults
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        declared = dict(self.CAPABILITIES)
        for record_type, capability in _RECORD_CAPABILITY.items():
            if mapping.layout(record_type) is None:
                declared[capability] = Support.UNSUPPORTED
        if degree_layout_problem(mapping.link) is not None:
            declared[Capability.GRAPH_DEGREE] = Support.EMULATED
        self._capabilities: Mapping[Capability, Support] = declared

    @override
    def capabilities(self) -> Mapping[Capability, Support]:
        """The declared capabilities, less the record types the mapping leaves out."""
        return self._capabilities

    @property
    @override
    def info(self) -> AdapterInfo:
        """Name, version and backend: the host and ontology, and what the layer emulates."""
        return AdapterInfo(
            name="foundry",
            version=_VERSION,
            backend=(
                f"Palantir Foundry Ontology API v2, ontology {self.client.ontology!r} at "
                f"{self.client.origin}, mapping {self.mapping.source}"
            ),
            kind="remote",
        )

    @override
    def write_faults(self) -> WriteFaults | None:
        """The fault point given at construction, for conformance testing only.

        The fake Foundry's for a store over it; ``None`` over a real tenant, whose writes
        cannot be failed on demand.
        """
        return self._write_faults

    @override
    def close(self) -> None:
        """Close the HTTP connections and worker threads; later calls raise ConfigurationError."""
        self.client.close()
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    # ------------------------------------------------------------------ helpers

    def _workers(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self.client.closed:
                raise ConfigurationError("this store is closed")
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.options.workers, thread_name_prefix="caseport-foundry"
                )
            return self._pool

    def _concurrently(self, fn: Callable[[Any], T], items: Sequence[Any]) -> list[T]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        return list(self._workers().map(fn, items))

    def _page_body(self, layout: RecordLayout, page_size: int) -> dict[str, Any]:
        return {
            "pageSize": page_size,
            "select": selected_properties(layout),
            "excludeRid": True,
            "snapshot": self.options.snapshot,
        }

    def _search_pages(
        self, layout: RecordLayout, body: dict[str, Any], what: str
    ) -> Iterator[Record]:
        def fetch(token: str | None) -> Any:
            request = dict(body)
            if token is not None:
                request["pageToken"] = token
            return self.client.search(layout.object_type, request)

        dedupe = None if self.options.snapshot else "__primaryKey"
        for obj in Pages(fetch, what=what, dedupe_key=dedupe):
            yield decode_object(layout, obj)

    def _load_pages(
        self, layout: RecordLayout, body: dict[str, Any], what: str, start: str | None = None
    ) -> Iterator[Record | UnreadableRecord]:
        def fetch(token: str | None) -> Any:
            request = dict(body)
            if token is not None:
                request["pageToken"] = token
            return self.client.load_objects(request)

        dedupe = None if self.options.snapshot else "__primaryKey"
        for obj in Pages(fetch, what=what, start_token=start, dedupe_key=dedupe):
            yield read_object(layout, obj)

    def _fetch_one(self, layout: RecordLayout, record_id: str) -> Record | UnreadableRecord | None:
        obj = self.client.get_object(
            layout.object_type, record_id, select=selected_properties(layout)
        )
        return None if obj is None else read_object(layout, obj)

    def _layout(self, record_type: RecordType) -> RecordLayout:
        return self.mapping.require(record_type)

    # ------------------------------------------------------------------ reads

    @override
    def fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> dict[str, Record | UnreadableRecord]:
        layout = self._layout(record_type)
        ids = [key for key in ids if is_record_id(key)]
        if not ids:
            return {}
        if len(ids) == 1:
            record = self._fetch_one(layout, ids[0])
            return {} if record is None else {_id_of(record): record}
        chunks = [list(ids[i : i + _MAX_PAGE]) for i in range(0, len(ids), _MAX_PAGE)]

        def load(chunk: list[str]) -> list[Record | UnreadableRecord]:
            body = self._page_body(layout, _MAX_PAGE)
            body["objectSet"] = {
                "type": "filter",
                "objectSet": {"type": "base", "objectType": layout.object_type},
                "where": {"type": "in", "field": layout.primary_key, "value": chunk},
            }
            return list(self._load_pages(layout, body, f"load {layout.object_type} by id"))

        found: dict[str, Record | UnreadableRecord] = {}
        wanted = set(ids)
        for records in self._concurrently(load, chunks):
            for record in records:
                if _id_of(record) in wanted:
                    found[_id_of(record)] = record
        return found

    @override
    def scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        layout = self._layout(record_type)
        body = self._page_body(layout, min(limit, self.options.page_size))
        body["orderBy"] = {"fields": [{"field": layout.primary_key, "direction": "asc"}]}
        if after_id is not None:
            body["where"] = {"type": "gt", "field": layout.primary_key, "value": after_id}
        rows: list[Record] = []
        for record in self._search_pages(layout, body, f"list {layout.object_type}"):
            if after_id is not None and record.id <= after_id:
                continue
            if rows and record.id <= rows[-1].id:
                raise UpstreamContractError(
                    f"list {layout.object_type}: Foundry returned ids out of order"
                )
            rows.append(record)
            if len(rows) >= limit:
                break
        return rows

    @override
    def plan_search(
        self, record_type: RecordType, condition: Filter | None, order_by: tuple[OrderKey, ...]
    ) -> SearchPlan:
        layout = self._layout(record_type)
        keys = _order_by(layout, order_by)
        compiled = compile_search(condition, layout, max_depth=self.options.max_where_depth)
        exact = compiled.exact or compiled.nothing
        notes = [] if exact else [_WIDENED]
        if keys is None:
            notes.append(self.NOTES[Capability.SEARCH_ORDER])
        return SearchPlan(
            pushed=condition,
            residual=None if exact else condition,
            ordered=keys is not None,
            sort_limit=self.options.max_client_sort,
            note="; ".join(notes),
        )

    @override
    def search(self, request: SearchRequest) -> list[Record]:
        layout = self._layout(request.record_type)
        keys = _order_by(layout, request.order_by)
        if keys is None:
            raise ValidationFailed("the Foundry mapping cannot order by these fields")
        depth = self.options.max_where_depth
        compiled = compile_search(
            request.condition, layout, keys=keys, after=request.after, max_depth=depth
        )
        if not compiled.exact and request.after is not None:
            alone = compile_search(request.condition, layout, max_depth=depth)
            if alone.exact:
                # The plan promised this filter exactly: when the keyset clause does not fit
                # beside it, Foundry reads from the start and positions are skipped below.
                compiled = alone
        if compiled.nothing:
            return []
        body = self._page_body(layout, min(request.limit, self.options.page_size))
        if compiled.where is not None:
            body["where"] = compiled.where
        fields = [
            {"field": prop.api_name, "direction": "desc" if key.descending else "asc"}
            for key, prop in keys
        ]
        if all(field["field"] != layout.primary_key for field in fields):
            fields.append({"field": layout.primary_key, "direction": "asc"})
        body["orderBy"] = {"fields": fields}
        found: list[Record] = []
        previous = None
        for record in self._search_pages(layout, body, f"search {layout.object_type}"):
            position = sort_position(record, request.order_by)
            if (
                previous is not None
                and compare_positions(previous, position, request.order_by) >= 0
            ):
                raise UpstreamContractError(
                    f"search {layout.object_type}: Foundry's order disagrees with the "
                    f"contract's at {record.id!r} (check how the sort properties are typed)"
                )
            previous = position
            # A widened keyset clause may bring back the position itself or ones before it.
            after = request.after
            if after is not None and compare_positions(position, after, request.order_by) <= 0:
                continue
            found.append(record)
            if len(found) >= request.limit:
                break
        return found

    @override
    def count(self, record_type: RecordType, condition: Filter | None) -> int | None:
        layout = self._layout(record_type)
        compiled = compile_search(condition, layout, max_depth=self.options.max_where_depth)
        if compiled.nothing:
            return 0
        if not compiled.exact:
            return None
        try:
            answer = self.client.aggregate(layout.object_type, count_body(compiled.where))
        except CaseportError as exc:
            if _error_name(exc) in _REFUSED:
                return None
            raise
        return read_count(answer)

    @override
    def aggregate(self, record_type: RecordType, query: AggregateQuery) -> Aggregation | None:
        layout = self._layout(record_type)
        plan = plan_aggregate(
            query,
            layout,
            max_depth=self.options.max_where_depth,
            max_groups=self.options.aggregate_groups,
        )
        if plan is None:
            return None

        def ask(body: dict[str, Any]) -> AggregateAnswer:
            return self.client.aggregate(layout.object_type, body)

        try:
            answers = self._concurrently(ask, plan.requests)
        except CaseportError as exc:
            if _error_name(exc) in _REFUSED:
                return None
            raise
        return plan.read(answers)

    @override
    def degree(self, request: DegreeRequest) -> dict[str, int]:
        layout = self.mapping.link
        problem = degree_layout_problem(layout)
        if problem is not None:
            raise ConfigurationError(f"degrees cannot be counted in Foundry: {problem}")
        if request.link_types is not None and not request.link_types:
            return dict.fromkeys(request.entity_ids, 0)
        ids = request.entity_ids
        queries = [
            DegreeQuery(request, layout, tuple(ids[start : start + DEGREE_CHUNK]))
            for start in range(0, len(ids), DEGREE_CHUNK)
        ]
        jobs = [(index, body) for index, query in enumerate(queries) for body in query.bodies]

        def ask(job: tuple[int, dict[str, Any]]) -> AggregateAnswer:
            return self.client.aggregate(layout.object_type, job[1])

        answers = self._concurrently(ask, jobs)
        degrees: dict[str, int] = {}
        for index, query in enumerate(queries):
            degrees.update(query.read(answers[3 * index : 3 * index + 3]))
        return degrees

    @override
    def expand(self, request: ExpandRequest) -> list[Hop]:
        entity_id, link_types = request.entity_id, request.link_types
        direction, neighbour_kinds = request.direction, request.neighbour_kinds
        entity_layout = self.mapping.entity
        link_layout = self.mapping.link
        sides = [(link_layout.from_source, True), (link_layout.from_target, False)]

        def follow(side: tuple[str | None, bool]) -> list[tuple[Link, bool]]:
            link_type, outgoing = side
            assert link_type is not None

            def fetch(token: str | None) -> Any:
                return self.client.linked_objects(
                    entity_layout.object_type,
                    entity_id,
                    link_type,
                    page_size=self.options.page_size,
                    page_token=token,
                    select=selected_properties(link_layout),
                    snapshot=self.options.snapshot,
                )

            what = f"list {link_type} of {entity_layout.object_type}"
            links = []
            for obj in Pages(fetch, what=what):
                link = decode_object(link_layout, obj)
                assert isinstance(link, Link)
                links.append((link, outgoing))
            return links

        chosen: dict[str, tuple[Link, bool]] = {}
        for side in self._concurrently(follow, sides):
            for link, outgoing in side:
                if not outgoing and link.source_id == entity_id:
                    continue  # a self-link is listed from both sides; it counts as out
                end = link.source_id if outgoing else link.target_id
                if end != entity_id:
                    raise UpstreamContractError(
                        f"Foundry listed link {link.id!r} for entity {entity_id!r}, "
                        "which it does not touch; check the link types in the mapping"
                    )
                if link_types is not None and link.type not in link_types:
                    continue
                if follows(link, outgoing, direction):
                    chosen[link.id] = (link, outgoing)
        others = sorted(
            {link.target_id if outgoing else link.source_id for link, outgoing in chosen.values()}
        )
        neighbours = self.fetch(RecordType.ENTITY, others) if others else {}
        hops = []
        for link_id in sorted(chosen):
            link, outgoing = chosen[link_id]
            other = link.target_id if outgoing else link.source_id
            neighbour = readable(neighbours.get(other))
            if neighbour is None:
                raise UpstreamContractError(
                    f"link {link.id!r} points to entity {other!r}, which Foundry does not have"
                )
            assert isinstance(neighbour, Entity)
            if neighbour_kinds is not None and neighbour.kind not in neighbour_kinds:
                continue
            hops.append(Hop(link=link, neighbour=neighbour, direction="out" if outgoing else "in"))
        return hops

    @override
    def export_many(
        self, record_types: Sequence[RecordType]
    ) -> Iterator[Record | UnreadableRecord]:
        for record_type in record_types:
            yield from self._export(record_type)

    def _export(self, record_type: RecordType) -> Iterator[Record | UnreadableRecord]:
        layout = self._layout(record_type)
        partitions = self.options.export_partitions
        if partitions <= 1:
            yield from self._export_range(layout, None, None)
            return
        bounds, total = self._id_bounds(layout)
        yield from partitioned_export(
            self._export_range,
            layout,
            partitions,
            bounds,
            self.options.export_page_size,
            total,
        )

    def resumable_scan(self, record_type: RecordType, *, resume_from: str | None = None) -> Scan:
        """A resumable full scan of one record type in id order, on a Foundry snapshot.

        Iterate the result for the records; if the scan stops (an outage, a restart), pass its
        :attr:`Scan.resume_token` as ``resume_from`` to continue from the page it was reading.
        Page tokens are short-lived: an expired one raises
        :class:`~contracts.errors.InvalidCursor` and the scan must start again.
        """
        layout = self._layout(record_type)
        body = self._page_body(layout, self.options.export_page_size)
        body["snapshot"] = True
        body["objectSet"] = {"type": "base", "objectType": layout.object_type}
        body["orderBy"] = {"fields": [{"field": layout.primary_key, "direction": "asc"}]}

        def fetch(token: str | None) -> Any:
            request = dict(body)
            if token is not None:
                request["pageToken"] = token
            return self.client.load_objects(request)

        pages = Pages(fetch, what=f"scan {layout.object_type}", start_token=resume_from)
        return Scan(pages, layout)

    def _id_bounds(self, layout: RecordLayout) -> tuple[tuple[str, str] | None, int | None]:
        """The smallest and largest id of ``layout``'s type (``None``: it is empty) and its size."""
        totals: list[int] = []

        def end(direction: str) -> str | None:
            body = {
                "pageSize": 1,
                "select": [layout.primary_key],
                "excludeRid": True,
                "orderBy": {"fields": [{"field": layout.primary_key, "direction": direction}]},
            }
            page = self.client.search(layout.object_type, body)
            if page.total_count is not None:
                totals.append(page.total_count)
            if not page.data:
                return None
            return str(page.data[0].get("__primaryKey", page.data[0].get(layout.primary_key)))

        low, high = self._concurrently(end, ["asc", "desc"])
        bounds = None if low is None or high is None else (low, high)
        return bounds, max(totals) if totals else None

    def _export_range(
        self, layout: RecordLayout, low: str | None, high: str | None, start: str | None = None
    ) -> Iterator[Record | UnreadableRecord]:
        """Every record with ``low <= id < high`` (open ends when ``None``), by id."""
        body = self._page_body(layout, self.options.export_page_size)
        base: dict[str, Any] = {"type": "base", "objectType": layout.object_type}
        bounds = []
        if low is not None:
            bounds.append({"type": "gte", "field": layout.primary_key, "value": low})
        if high is not None:
            bounds.append({"type": "lt", "field": layout.primary_key, "value": high})
        if bounds:
            where = bounds[0] if len(bounds) == 1 else {"type": "and", "value": bounds}
            base = {"type": "filter", "objectSet": base, "where": where}
        body["objectSet"] = base
        body["orderBy"] = {"fields": [{"field": layout.primary_key, "direction": "asc"}]}
        previous: str | None = None
        for record in self._load_pages(layout, body, f"export {layout.object_type}", start):
            if previous is not None and _id_of(record) <= previous:
                raise UpstreamContractError(
                    f"export {layout.object_type}: Foundry returned ids out of order"
                )
            previous = _id_of(record)
            yield record

    # ------------------------------------------------------------------ writes

    @override
    def insert(self, record: Record) -> Record | None:
        layout = self._layout(record.RECORD_TYPE)
        action = layout.actions.create
        params = action_parameters(layout, record)
        unknown: WriteOutcomeUnknown | None = None
        for _ in range(self.options.write_attempts):
            try:
                answer = self.client.apply(action, params)
            except AlreadyExists:
                existing = readable(self._fetch_one(layout, record.id))
                if existing is None:
                    raise BackendError(
                        f"{action}: Foundry says {record.id!r} exists but cannot read it"
                    ) from None
                return None if existing == record else existing
            except WriteOutcomeUnknown as exc:
                unknown = exc
                existing = readable(self._fetch_one(layout, record.id))
                if existing is None:
                    continue  # it was not applied: sending it again cannot duplicate
                return None if existing == record else existing
            if not answer.valid:
                raise ValidationFailed(f"Foundry refused {action}: {_reasons(answer.failures())}")
            return None
        assert unknown is not None
        raise unknown

    @override
    def replace(self, record: Record, expected_version: int) -> None:
        layout = self._layout(record.RECORD_TYPE)
        action = layout.actions.update
        params = action_parameters(layout, record)
        params[layout.actions.expected_version] = expected_version
        kind = record.RECORD_TYPE.value
        unknown: WriteOutcomeUnknown | None = None
        for _ in range(self.options.write_attempts):
            try:
                answer = self.client.apply(action, params)
            except NotFound:
                raise Conflict(kind, record.id, expected_version, None) from None
            except TransientError as exc:
                if _error_name(exc) != "ObjectChanged":
                    raise
                current = readable(self._fetch_one(layout, record.id))
                actual = None if current is None else current.version
                raise Conflict(kind, record.id, expected_version, actual) from exc
            except WriteOutcomeUnknown as exc:
                unknown = exc
                current = readable(self._fetch_one(layout, record.id))
                if current == record:
                    return
                if current is not None and current.version == expected_version:
                    continue
                actual = None if current is None else current.version
                raise Conflict(kind, record.id, expected_version, actual) from exc
            if answer.valid:
                return
            current = readable(self._fetch_one(layout, record.id))
            if current is None or current.version != expected_version:
                actual = None if current is None else current.version
                raise Conflict(kind, record.id, expected_version, actual)
            raise ValidationFailed(f"Foundry refused {action}: {_reasons(answer.failures())}")
        assert unknown is not None
        raise unknown

    @override
    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        created = updated = unchanged = 0
        plan: list[tuple[RecordLayout, list[tuple[Record, _Before]]]] = []
        for record_type in RecordType:
            group = [record for record in records if record.RECORD_TYPE is record_type]
            if not group:
                continue
            layout = self._layout(record_type)
            stored = self.fetch(record_type, [record.id for record in group])
            changes: list[tuple[Record, _Before]] = []
            for record in group:
                before = stored.get(record.id)
                if before is None:
                    created += 1
                elif before == record:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                changes.append((record, before))
            if changes:
                plan.append((layout, changes))
        chunks = [
            (layout, list(chunk))
            for layout, changes in plan
            for chunk in _chunks(changes, self.options.batch_requests)
        ]

        def write(item: tuple[RecordLayout, list[tuple[Record, _Before]]]) -> None:
            layout, chunk = item
            self._upsert_chunk(layout, [record for record, _ in chunk])

        futures = [self._workers().submit(write, item) for item in chunks[1:]]
        done: list[tuple[RecordLayout, list[tuple[Record, _Before]]]] = []
        failures: list[CaseportError] = []
        outcomes = [None, *futures] if chunks else []
        for item, future in zip(chunks, outcomes, strict=True):
            try:
                if future is None:
                    write(item)  # the first chunk runs here while the others are in flight
                else:
                    future.result()
            except CaseportError as exc:
                failures.append(exc)
                continue
            done.append(item)
        if failures:
            self._undo(done, failures[0])
            raise failures[0]
        return BulkReport(created=created, updated=updated, unchanged=unchanged, batches=1)

    def _upsert_chunk(self, layout: RecordLayout, records: Sequence[Record]) -> None:
        action = layout.actions.upsert
        requests = [action_parameters(layout, record) for record in records]
        unknown: WriteOutcomeUnknown | None = None
        for _ in range(self.options.write_attempts):
            try:
                self.client.apply_batch(action, requests)
                return
            except WriteOutcomeUnknown as exc:
                unknown = exc
                stored = self.fetch(layout.record_type, [record.id for record in records])
                if all(stored.get(record.id) == record for record in records):
                    return
        assert unknown is not None
        raise unknown

    def _undo(
        self,
        done: Sequence[tuple[RecordLayout, list[tuple[Record, _Before]]]],
        failure: CaseportError,
    ) -> None:
        """Put back what the committed chunks of a failed bulk batch changed."""
        try:
            for layout, chunk in reversed(done):
                # An unreadable record cannot be put back; its repair stays.
                restore = [before for _, before in chunk if isinstance(before, Record)]
                remove = [record.id for record, before in chunk if before is None]
                if restore:
                    self._upsert_chunk(layout, restore)
                if remove:
                    if layout.actions.delete is None:
                        raise BackendError(
                            f"the Foundry mapping has no delete action for "
                            f"{layout.record_type.value}, so {len(remove)} record(s) created "
                            "before the failure stay"
                        )
                    for part in _chunks(remove, self.options.batch_requests):
                        self.client.apply_batch(
                            layout.actions.delete, [{layout.primary_key: key} for key in part]
                        )
        except CaseportError as exc:
            raise BackendError(
                f"a bulk batch failed ({failure}) and undoing its first chunks failed too "
                f"({exc}); the batch is partly written"
            ) from exc


class FoundryCaseStore(CaseStore):
    """The store over a new :class:`FoundryBackend` (see there for the arguments)."""

    def __init__(
        self,
        client: FoundryClient,
        mapping: FoundryMapping,
        options: StoreOptions | None = None,
        *,
        write_faults: WriteFaults | None = None,
    ) -> None:
        self._foundry = FoundryBackend(client, mapping, options, write_faults=write_faults)
        super().__init__(self._foundry)

    @property
    def client(self) -> FoundryClient:
        """The HTTP client for the ontology."""
        return self._foundry.client

    @property
    def mapping(self) -> FoundryMapping:
        """Where each record type lives in the ontology."""
        return self._foundry.mapping

    @property
    def options(self) -> StoreOptions:
        """Paging, batching and concurrency settings."""
        return self._foundry.options

    def scan(self, record_type: RecordType, *, resume_from: str | None = None) -> Scan:
        """See :meth:`FoundryBackend.resumable_scan`.

        Raises:
            NotSupported: the mapping leaves ``record_type`` out.
        """
        self._require_record_type(record_type)
        return self._foundry.resumable_scan(record_type, resume_from=resume_from)


_Before = Record | UnreadableRecord | None
"""What a bulk batch found stored under a record's id before writing it."""


def _id_of(found: Record | UnreadableRecord) -> str:
    return found.record_id if isinstance(found, UnreadableRecord) else found.id


def _error_name(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return cause.error_name if isinstance(cause, FoundryApiError) else None


def _chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _reasons(failures: list[str]) -> str:
    return "; ".join(failures) or "validation failed"
