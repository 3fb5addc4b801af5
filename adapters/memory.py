"""The in-memory reference adapter.

:class:`MemoryBackend` keeps everything in per-instance dictionaries behind one lock; it
searches, expands and exports itself and leaves neighbourhoods, paths and timelines to the
layer. :class:`InMemoryCaseStore` is the store over it, the reference the other adapters are
compared with. A
:class:`~adapters.faults.FaultPlan` makes it slow or unreliable on purpose, reproducibly, for
resilience tests and demos. Selected by ``memory://``; ``memory://?load=FILE.jsonl`` starts it
with the records of a canonical JSON Lines file. :meth:`InMemoryCaseStore.write_faults` is its
fault point for the conformance kit's tests of atomicity under failing writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Annotated, ClassVar, Final

from pydantic import field_validator
from typing_extensions import override

from adapters._connect import store_arguments
from adapters._options import Words, option
from adapters._ordered_results import OrderedResults, ResultCache
from adapters._url import StoreURL
from adapters.faults import FaultInjector, FaultOptions, FaultPlan, Outcome
from contracts.aggregation import AggregateQuery, Aggregation, aggregate_records
from contracts.backend import StoreBackend
from contracts.capabilities import GRAPH_WALKS, Capability, Support, declare
from contracts.compiled import compile_filter
from contracts.emulation import follows
from contracts.errors import ConfigurationError, Conflict, ValidationFailed
from contracts.evaluation import (
    matches,
    text_terms,
)
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.models.records import parse_record
from contracts.query import Filter
from contracts.requests import DegreeRequest, ExpandRequest, SearchRequest
from contracts.results import AdapterInfo, BulkReport, Direction, Hop
from contracts.store import CaseStore

if TYPE_CHECKING:
    from contracts.conformance.stores import WriteFaults

__all__ = ["OPERATIONS", "InMemoryCaseStore", "MemoryBackend", "MemoryOptions", "from_url"]

_VERSION = "0.1.0"

OPERATIONS: Final = frozenset(
    {"expand", "export", "fetch", "insert", "replace", "scan", "search", "write_batch"}
)
"""The primitives a fault plan can target with the ``operations`` option."""
_WRITES: Final = frozenset({"insert", "replace", "write_batch"})
"""The primitives that change data: the backend writes of :meth:`MemoryBackend.write_faults`."""


class MemoryBackend(StoreBackend):
    """A complete, thread-safe backend held in memory; nothing survives the instance.

    Args:
        faults: a fault plan to inject latency and failures (none by default).
    """

    CAPABILITIES = declare(
        **{
            capability.name: Support.EMULATED if capability in GRAPH_WALKS else Support.NATIVE
            for capability in Capability
        }
    )
    NOTES: ClassVar[Mapping[Capability, str]] = {
        Capability.SEARCH_FILTER: "the reference evaluation over every entity, in memory",
    }

    def __init__(self, *, faults: FaultPlan | FaultInjector | None = None) -> None:
        self._lock = threading.RLock()
        self._tables: dict[RecordType, dict[str, Record]] = {kind: {} for kind in RecordType}
        self._incident: dict[str, set[str]] = {}
        # Search terms per entity id, filled on first text search and dropped on every write.
        self._terms: dict[str, frozenset[str]] = {}
        # Writes so far: a sorted search result is good for as long as this does not move.
        self._generation = 0
        self._results = ResultCache()
        if isinstance(faults, FaultPlan):
            faults = FaultInjector(faults)
        self.faults = faults
        self._write_faults = _MemoryWriteFaults(self)
        self._closed = False

    @property
    def info(self) -> AdapterInfo:
        """Name, version and a description of this store."""
        plan = self.faults.plan if self.faults else None
        backend = "in-memory" + (" with injected faults" if plan and plan.active else "")
        return AdapterInfo(name="memory", version=_VERSION, backend=backend, kind="reference")

    @contextmanager
    def _operation(self, name: str) -> Iterator[None]:
        """Hold the lock for one primitive, with injected faults around it."""
        outcome = self.faults.before(name) if self.faults else "ok"
        with self._lock:
            yield
        if self.faults:
            self.faults.after(name, outcome)

    # ------------------------------------------------------------------ primitives

    def _put(self, record: Record) -> None:
        self._generation += 1
        previous = self._tables[record.RECORD_TYPE].get(record.id)
        self._tables[record.RECORD_TYPE][record.id] = record
        if isinstance(record, Entity):
            self._terms.pop(record.id, None)
        if isinstance(record, Link):
            if isinstance(previous, Link):
                self._unlink(previous)
            for end in {record.source_id, record.target_id}:
                self._incident.setdefault(end, set()).add(record.id)

    @override
    def insert(self, record: Record) -> Record | None:
        with self._operation("insert"):
            existing = self._tables[record.RECORD_TYPE].get(record.id)
            if existing is not None:
                return existing
            self._put(record)
            return None

    @override
    def fetch(self, record_type: RecordType, ids: Sequence[str]) -> dict[str, Record]:
        with self._operation("fetch"):
            table = self._tables[record_type]
            return {key: table[key] for key in ids if key in table}

    @override
    def replace(self, record: Record, expected_version: int) -> None:
        with self._operation("replace"):
            stored = self._tables[record.RECORD_TYPE].get(record.id)
            if stored is None or stored.version != expected_version:
                raise Conflict(
                    record.RECORD_TYPE.value,
                    record.id,
                    expected_version,
                    None if stored is None else stored.version,
                )
            self._put(record)

    @override
    def scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        with self._operation("scan"):
            table = self._tables[record_type]
            keys = sorted(key for key in table if after_id is None or key > after_id)
            return [table[key] for key in keys[:limit]]

    @override
    def search(self, request: SearchRequest) -> list[Record]:
        # Sorted matches are kept per query until the next write, so paging is a bisection.
        query = (
            request.record_type,
            None if request.condition is None else request.condition.model_dump_json(),
            tuple((key.field, key.descending) for key in request.order_by),
        )
        with self._operation("search"):
            generation = self._generation
            results = self._results.get(query, generation)
            if results is None:
                records = list(self._tables[request.record_type].values())
                terms = dict(self._terms) if request.record_type is RecordType.ENTITY else {}
        if results is None:
            results = self._sorted_matches(request, records, terms)
            with self._lock:
                if self._generation == generation:
                    self._results.put(query, generation, results)
        return results.after(request.after, request.limit)

    def _sorted_matches(
        self, request: SearchRequest, records: list[Record], terms: dict[str, frozenset[str]]
    ) -> OrderedResults:
        """The records matching the request's condition, sorted.

        Records are immutable, so the snapshot is filtered without holding the lock.
        """
        computed: dict[str, frozenset[str]] = {}

        def terms_of(record: Record) -> frozenset[str]:
            found = terms.get(record.id)
            if found is None:
                found = computed[record.id] = text_terms(record)
            return found

        accepts = compile_filter(request.condition, terms_of)
        found = [record for record in records if accepts(record)]
        if computed and request.record_type is RecordType.ENTITY:
            with self._lock:
                table = self._tables[RecordType.ENTITY]
                for record in records:
                    if record.id in computed and table.get(record.id) is record:
                        self._terms[record.id] = computed[record.id]
        return OrderedResults(found, request.order_by)

    def _hops_from(
        self, entity_id: str, link_types: frozenset[str] | None, direction: Direction
    ) -> Iterator[tuple[Link, bool]]:
        """Each link ``expand`` follows from ``entity_id``, and whether it leaves it (locked)."""
        links = self._tables[RecordType.LINK]
        for link_id in sorted(self._incident.get(entity_id, ())):
            link = links[link_id]
            assert isinstance(link, Link)
            if link_types is not None and link.type not in link_types:
                continue
            outgoing = link.source_id == entity_id
            if follows(link, outgoing, direction):
                yield link, outgoing

    @override
    def expand(self, request: ExpandRequest) -> list[Hop]:
        with self._operation("expand"):
            entities = self._tables[RecordType.ENTITY]
            hops = []
            for link, outgoing in self._hops_from(
                request.entity_id, request.link_types, request.direction
            ):
                neighbour = entities[link.target_id if outgoing else link.source_id]
                assert isinstance(neighbour, Entity)
                kinds = request.neighbour_kinds
                if kinds is not None and neighbour.kind not in kinds:
                    continue
                if not (
                    matches(neighbour, request.neighbour_filter)
                    and matches(link, request.link_filter)
                ):
                    continue
                hops.append(
                    Hop(link=link, neighbour=neighbour, direction="out" if outgoing else "in")
                )
            return hops

    @override
    def degree(self, request: DegreeRequest) -> dict[str, int]:
        with self._operation("expand"):
            return {
                entity_id: sum(
                    1 for _ in self._hops_from(entity_id, request.link_types, request.direction)
                )
                for entity_id in request.entity_ids
            }

    @override
    def count(self, record_type: RecordType, condition: Filter | None) -> int:
        with self._operation("search"):
            records = list(self._tables[record_type].values())
        accepts = compile_filter(condition)
        return sum(1 for record in records if accepts(record))

    @override
    def aggregate(self, record_type: RecordType, query: AggregateQuery) -> Aggregation:
        with self._operation("search"):
            records = list(self._tables[record_type].values())
        accepts = compile_filter(query.filter)
        return aggregate_records((record for record in records if accepts(record)), query)

    @override
    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        with self._operation("write_batch"):
            created = updated = unchanged = 0
            for record in records:
                stored = self._tables[record.RECORD_TYPE].get(record.id)
                if stored is None:
                    created += 1
                elif stored == record:
                    unchanged += 1
                    continue
                else:
                    updated += 1
                self._put(record)
            return BulkReport(created=created, updated=updated, unchanged=unchanged, batches=1)

    def _unlink(self, link: Link) -> None:
        for end in {link.source_id, link.target_id}:
            self._incident.get(end, set()).discard(link.id)

    @override
    def export_many(self, record_types: Sequence[RecordType]) -> Iterator[Record]:
        # One snapshot of every table, so concurrent writes never split a link from its ends.
        with self._operation("export"):
            snapshot = [
                [table[key] for key in sorted(table)]
                for table in (self._tables[record_type] for record_type in record_types)
            ]
        for records in snapshot:
            yield from records

    def write_faults(self) -> WriteFaults:
        """This store's fault point for conformance testing (see :class:`_MemoryWriteFaults`)."""
        return self._write_faults

    def close(self) -> None:
        """Nothing to release; the data lives as long as the instance."""
        self._closed = True


class InMemoryCaseStore(CaseStore):
    """The store over a new :class:`MemoryBackend`: complete, thread-safe, held in memory.

    Args:
        records: records to start with, written as by ``upsert_many``.
        faults: a fault plan to inject latency and failures (none by default).
    """

    def __init__(
        self, records: Iterable[Record] = (), *, faults: FaultPlan | FaultInjector | None = None
    ) -> None:
        self._memory = MemoryBackend(faults=faults)
        super().__init__(self._memory)
        if records:
            self.upsert_many(records)

    @property
    def faults(self) -> FaultInjector | None:
        """The faults injected into the backend's primitives (``None``: none)."""
        return self._memory.faults

    @faults.setter
    def faults(self, faults: FaultInjector | None) -> None:
        self._memory.faults = faults


class _MemoryWriteFaults:
    """Fails the writes of one in-memory store on demand, for conformance testing only.

    Each primitive that changes data (``insert``, ``replace``, ``write_batch``: one batch) is
    one backend write. Armed, it puts a scripted :class:`~adapters.faults.FaultInjector` in
    place of the store's own faults: the allowed writes go through, every later one fails as
    :class:`~contracts.errors.Unavailable` before anything of it is stored; reads are left
    alone. Healing puts the store's own faults back. Unarmed, it changes nothing.
    """

    def __init__(self, backend: MemoryBackend) -> None:
        self._backend = backend
        self._lock = threading.Lock()
        self._armed = False
        self._own: FaultInjector | None = None

    def _check(self, store: CaseStore) -> None:
        if store.write_faults() is not self:
            raise ValidationFailed("these write faults belong to another store")

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        """Let ``writes`` more writes of ``store`` through, then fail every later one."""
        self._check(store)
        ok: Outcome = "ok"
        allowed = (ok,) * writes
        plan = FaultPlan(script=allowed, failure_rate=1.0, operations=_WRITES)
        with self._lock:
            if not self._armed:
                self._own = self._backend.faults
                self._armed = True
            self._backend.faults = FaultInjector(plan)

    def heal(self, store: CaseStore) -> None:
        """Stop failing writes: ``store`` gets its own faults (usually none) back."""
        self._check(store)
        with self._lock:
            if self._armed:
                self._backend.faults = self._own
                self._own = None
                self._armed = False


def _load(path: str) -> Iterator[Record]:
    try:
        with FilePath(path).open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    yield parse_record(line)
                except ValidationFailed as exc:
                    raise ValidationFailed(f"{path}, line {number}: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc


class MemoryOptions(FaultOptions):
    """The options of ``memory://`` URLs: a file to start from, and the faults to inject."""

    load: str | None = option(
        None, "a canonical JSON Lines file whose records the store starts with", form="a file path"
    )
    operations: Annotated[frozenset[str], Words] = option(
        frozenset(),
        "operations the faults apply to (all when empty)",
        form="a comma-separated list of " + ", ".join(sorted(OPERATIONS)),
    )

    @classmethod
    def check_url(cls, url: StoreURL) -> None:
        """Refuse a host or a path: ``memory://`` or ``memory://?OPTIONS``."""
        if url.address or url.path:
            raise ConfigurationError(
                "memory:// takes no host or path: memory:// or memory://?OPTIONS"
            )

    @field_validator("operations")
    @classmethod
    def _known_operations(cls, value: frozenset[str]) -> frozenset[str]:
        if not value <= OPERATIONS:
            raise ValueError("unknown operation")
        return value


def from_url(url: StoreURL | str, options: MemoryOptions | Mapping[str, str]) -> InMemoryCaseStore:
    """Build a store from ``memory://`` and its options (see :class:`MemoryOptions`).

    The URL has no host, path, user or password: ``memory://`` or ``memory://?OPTIONS``.
    Called with text, the URL is parsed and the options validated here; through
    :func:`adapters.connect`, the registry has done both.

    Raises:
        ConfigurationError: a host or path in the URL, an unknown option, an option value out
            of its range, or an unreadable file.
        ValidationFailed: a malformed record in the file.
    """
    _, read = store_arguments(url, options, MemoryOptions)
    plan = read.plan()
    store = InMemoryCaseStore(faults=plan if plan.active else None)
    if read.load is not None:
        # Faults start after loading, so the starting data is always complete.
        injector = store.faults
        store.faults = None
        store.upsert_many(_load(read.load))
        store.faults = injector
    return store
