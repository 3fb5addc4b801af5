"""Bulk export: concurrent key-range partitions give the same records, in id order."""

from __future__ import annotations

import itertools
import json

from foundry_support import fake_store, person
from hypothesis import given
from hypothesis import strategies as st

from adapters.foundry.export import split_keys
from adapters.foundry.store import StoreOptions
from adapters.foundry.testing import FakeFoundry
from contracts.ids import new_id
from contracts.models.common import RecordType

ID_CHARS = "-.0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"


@given(
    st.text(ID_CHARS, min_size=1, max_size=20),
    st.text(ID_CHARS, min_size=1, max_size=20),
    st.integers(2, 16),
)
def test_split_keys_fall_strictly_between_the_bounds_in_order(a: str, b: str, parts: int) -> None:
    """Boundaries are increasing and strictly inside (low, high)."""
    low, high = min(a, b), max(a, b)
    keys = split_keys(low, high, parts)
    assert len(keys) <= parts - 1
    assert all(low < key < high for key in keys)
    assert keys == sorted(set(keys))


def test_uuid_ranges_split_evenly() -> None:
    """Random UUIDs fall into partitions of similar size."""
    ids = sorted(new_id() for _ in range(4000))
    keys = split_keys(ids[0], ids[-1], 4)
    assert len(keys) == 3
    edges = [None, *keys, None]
    sizes = [
        sum(1 for i in ids if (lo is None or i >= lo) and (hi is None or i < hi))
        for lo, hi in itertools.pairwise(edges)
    ]
    assert sum(sizes) == len(ids)
    assert min(sizes) > 0


def test_a_partitioned_export_equals_a_sequential_one() -> None:
    """Four concurrent partitions yield exactly the sequential export, in id order."""
    fake = FakeFoundry()
    fake.ontology.short_pages = True
    _, store = fake_store(fake, options=StoreOptions(export_partitions=4, export_page_size=7))
    entities = [person(f"Person {n}", id=f"{n * 7919 % 1000:03d}-{n}") for n in range(150)]
    store.upsert_many(entities)
    exported = [record.id for record in store.export([RecordType.ENTITY])]
    assert exported == sorted(entity.id for entity in entities)
    ranges = {
        json.dumps(json.loads(r.content)["objectSet"], sort_keys=True)
        for r in fake.requests
        if r.url.path.endswith("/loadObjects")
        and "filter" in r.content.decode()
        and "gte" in r.content.decode()
    }
    assert len(ranges) >= 2


def test_an_abandoned_partitioned_export_stops_its_workers() -> None:
    """Closing the iterator early ends the export without hanging."""
    _, store = fake_store(options=StoreOptions(export_partitions=4, export_page_size=5))
    store.upsert_many(person(f"P {n}", id=f"{n:03d}") for n in range(100))
    records = store.export([RecordType.ENTITY])
    first = [next(records).id for _ in range(3)]
    records.close()
    assert first == ["000", "001", "002"]
    store.close()


def test_an_empty_type_exports_nothing_with_partitions() -> None:
    """No objects: no partitions, no records."""
    _, store = fake_store(options=StoreOptions(export_partitions=8))
    assert list(store.export([RecordType.ENTITY])) == []


def test_a_partitioned_export_works_without_a_total_count() -> None:
    """When Foundry omits totalCount, the pieces are sized per worker and nothing is lost."""
    fake = FakeFoundry()
    fake.ontology.total_count = "missing"
    _, store = fake_store(fake, options=StoreOptions(export_partitions=3, export_page_size=4))
    entities = [person(f"P {n}", id=f"{n * 37 % 100:02d}-{n}") for n in range(60)]
    store.upsert_many(entities)
    assert [r.id for r in store.export([RecordType.ENTITY])] == sorted(e.id for e in entities)
