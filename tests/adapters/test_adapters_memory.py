"""What is particular to the in-memory reference adapter: state, concurrency and its indexes."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from adapters import FaultInjector, FaultPlan, InMemoryCaseStore
from contracts import (
    Capability,
    Conflict,
    Entity,
    EntityKind,
    Link,
    RecordType,
    SearchQuery,
    Support,
)

T0 = datetime(2024, 3, 1, tzinfo=UTC)
THREADS = 8
INCREMENTS_PER_THREAD = 25


def person(entity_id: str, **fields: object) -> Entity:
    return Entity(id=entity_id, kind=EntityKind.PERSON, subtype="p", label=entity_id, **fields)


@pytest.fixture
def busy_switching() -> Iterator[None]:
    """Switch threads far more often than usual, so races have a chance to happen."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_each_store_instance_keeps_its_own_data() -> None:
    """Two stores never share records; there is no class-level storage."""
    first, second = InMemoryCaseStore(), InMemoryCaseStore()
    first.create(person("p-1"))
    assert second.get_many(Entity, ["p-1"]) == []
    assert [e.id for e in first.search().items] == ["p-1"]


def test_starting_records_are_written_as_by_upsert_many() -> None:
    """Records given to the constructor are stored with their versions and timestamps."""
    seeded = person("p-1", version=4, created_at=T0, updated_at=T0)
    store = InMemoryCaseStore(iter([seeded, person("p-2")]))
    assert store.get(Entity, "p-1") == seeded
    assert store.get(Entity, "p-2").created_at is not None


def test_memory_store_declares_the_graph_walks_it_leaves_to_the_layer() -> None:
    """The reference adapter searches, expands and exports itself; the layer walks the graph."""
    store = InMemoryCaseStore()
    walks = {Capability.GRAPH_NEIGHBOURHOOD, Capability.GRAPH_SHORTEST_PATHS, Capability.TIMELINE}
    for capability, how in store.capabilities().items():
        assert how is (Support.EMULATED if capability in walks else Support.NATIVE), capability
    assert all(store.supports(c) for c in Capability)
    assert store.capability_notes()[Capability.GRAPH_NEIGHBOURHOOD].endswith("over expand")


def test_info_describes_the_reference_backend_and_its_faults() -> None:
    """``info`` names the adapter and says when faults are being injected."""
    plain = InMemoryCaseStore()
    faulty = InMemoryCaseStore(faults=FaultPlan(failure_rate=0.5))
    assert (plain.info.name, plain.info.kind, plain.info.backend) == (
        "memory",
        "reference",
        "in-memory",
    )
    assert faulty.info.backend == "in-memory with injected faults"
    assert "in-memory" in repr(plain)
    assert isinstance(faulty.faults, FaultInjector)


def test_an_inactive_plan_is_not_reported_as_faults() -> None:
    """A plan that injects nothing leaves the backend description plain."""
    assert InMemoryCaseStore(faults=FaultPlan(seed=3)).info.backend == "in-memory"


def test_close_is_harmless_twice_and_the_context_manager_closes() -> None:
    """Leaving a ``with`` block closes the store once; closing again does not fail."""

    class CountingStore(InMemoryCaseStore):
        closes = 0

        def close(self) -> None:
            self.closes += 1
            super().close()

    with CountingStore() as store:
        store.create(person("p-1"))
    assert store.closes == 1
    store.close()
    assert store.closes == 2
    assert store.get(Entity, "p-1").id == "p-1"  # the data lives as long as the instance


def test_export_iterates_a_snapshot() -> None:
    """Records written while an export is being read do not appear in it."""
    store = InMemoryCaseStore([person("a"), person("b")])
    exported = store.export([RecordType.ENTITY])
    first = next(exported)
    store.create(person("c"))
    assert [first.id, *(record.id for record in exported)] == ["a", "b"]


def test_upserting_a_changed_link_keeps_it_in_the_graph() -> None:
    """A bulk write that changes only a link's details leaves it walkable from both ends."""
    store = InMemoryCaseStore([person("a"), person("b")])
    store.upsert_many([Link(id="l-1", type="KNOWS", source_id="a", target_id="b")])
    report = store.upsert_many(
        [Link(id="l-1", type="KNOWS", source_id="a", target_id="b", confidence=0.9)]
    )
    assert report.updated == 1
    assert [hop.link.confidence for hop in store.expand("a")] == [0.9]
    assert [hop.link.id for hop in store.expand("b")] == ["l-1"]
    assert [path.link_ids for path in store.shortest_paths("a", "b")] == [("l-1",)]


def test_upserting_a_link_with_new_endpoints_moves_it_in_the_graph() -> None:
    """A bulk write that changes a link's ends re-indexes it; the old ends lose it."""
    store = InMemoryCaseStore([person("a"), person("b"), person("c")])
    store.upsert_many([Link(id="l-1", type="KNOWS", source_id="a", target_id="b")])
    store.upsert_many([Link(id="l-1", type="KNOWS", source_id="a", target_id="c")])
    assert [hop.neighbour.id for hop in store.expand("a")] == ["c"]
    assert store.expand("b") == []
    assert [hop.neighbour.id for hop in store.expand("c")] == ["a"]


def test_concurrent_optimistic_increments_lose_no_update(busy_switching: None) -> None:
    """Threads that retry on Conflict apply every increment exactly once."""
    store = InMemoryCaseStore([person("counter", properties={"n": 0})])
    barrier = threading.Barrier(THREADS)
    conflicts = [0] * THREADS

    def increment(worker: int) -> int:
        applied = 0
        barrier.wait()
        for _ in range(INCREMENTS_PER_THREAD):
            while True:
                current = store.get(Entity, "counter")
                bumped = current.revise(properties={"n": current.properties["n"] + 1})
                try:
                    store.update(bumped, expected_version=current.version)
                except Conflict:
                    conflicts[worker] += 1
                    continue
                applied += 1
                break
        return applied

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        applied = sum(pool.map(increment, range(THREADS)))
    final = store.get(Entity, "counter")
    assert applied == THREADS * INCREMENTS_PER_THREAD
    assert final.properties["n"] == applied
    assert final.version == 1 + applied


def test_concurrent_identical_creates_all_return_the_one_stored_record(
    busy_switching: None,
) -> None:
    """Racing retries of the same create never raise; every caller sees one stored record."""
    store = InMemoryCaseStore()
    barrier = threading.Barrier(THREADS)

    def create(_: int) -> Entity:
        barrier.wait()
        return store.create(person("same"))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(create, range(THREADS)))
    stored = store.get(Entity, "same")
    assert all(result == stored for result in results)


def test_concurrent_creates_and_searches_see_whole_records(busy_switching: None) -> None:
    """Readers running beside writers only ever see complete, valid pages."""
    store = InMemoryCaseStore()
    barrier = threading.Barrier(2)

    def write() -> int:
        barrier.wait()
        for n in range(200):
            store.create(person(f"p{n:03d}"))
        return 200

    def read() -> int:
        barrier.wait()
        largest = 0
        for _ in range(20):
            ids = [e.id for e in store.iter_search(SearchQuery(page_size=7))]
            assert ids == sorted(set(ids))
            largest = max(largest, len(ids))
        return largest

    with ThreadPoolExecutor(max_workers=2) as pool:
        written, seen = pool.submit(write), pool.submit(read)
        assert written.result() == 200
        assert seen.result() <= 200
    assert len(list(store.export([RecordType.ENTITY]))) == 200
