"""Bulk upsert and export: exact copies in bounded batches, in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from contracts.capabilities import Capability
from contracts.conformance.stores import StoreFactory, WriteFaults
from contracts.conformance.suite import data
from contracts.errors import CaseportError, ValidationFailed
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.results import BulkReport
from contracts.store import CaseStore

UPSERT = pytest.mark.capability(Capability.BULK_UPSERT)
EXPORT = pytest.mark.capability(Capability.BULK_EXPORT)
ALL_RECORD_TYPES = pytest.mark.capability(
    Capability.CASES, Capability.INTELLIGENCE_REPORTS, Capability.EXHIBITS
)


def _keys(records: Iterator[Record] | list[Record]) -> list[tuple[str, str]]:
    return [(record.RECORD_TYPE.value, record.id) for record in records]


@pytest.mark.requirement("BULK-001", "REC-002")
@UPSERT
def test_bulk_upsert_stores_records_exactly_as_given(store: CaseStore) -> None:
    """Versions and timestamps are kept; only empty timestamps are filled in."""
    data.set_clock(store, data.at(9))
    kept = data.entity("e-1", version=5, created_at=data.at(1), updated_at=data.at(2))
    store.upsert_many(
        [
            kept,
            data.entity("e-2"),
            data.entity("e-3", created_at=data.at(3)),
            data.link("l-1", "e-1", "e-2", version=3, created_at=data.at(4), updated_at=data.at(4)),
        ]
    )
    assert store.get(Entity, "e-1") == kept
    fresh = store.get(Entity, "e-2")
    assert (fresh.version, fresh.created_at, fresh.updated_at) == (1, data.at(9), data.at(9))
    half = store.get(Entity, "e-3")
    assert (half.created_at, half.updated_at) == (data.at(3), data.at(3))
    assert store.get(Link, "l-1").version == 3


@pytest.mark.requirement("BULK-001")
@UPSERT
def test_bulk_upsert_replaces_without_version_checks_or_update_rules(store: CaseStore) -> None:
    """A bulk write replaces what is stored, whatever its version, even changing the kind."""
    store.create(data.entity("e-1", label="created"))
    store.upsert_many([data.entity("e-1", label="migrated", version=7)])
    assert (store.get(Entity, "e-1").label, store.get(Entity, "e-1").version) == ("migrated", 7)
    store.upsert_many([data.entity("e-1", EntityKind.OBJECT, label="restored", version=2)])
    restored = store.get(Entity, "e-1")
    assert (restored.kind, restored.label, restored.version) == (EntityKind.OBJECT, "restored", 2)


@pytest.mark.requirement("BULK-002")
@UPSERT
def test_bulk_upsert_counts_created_updated_and_unchanged(store: CaseStore) -> None:
    """A record stored identically is unchanged, differently updated, absent created."""
    same = store.create(data.entity("e-1"))
    other = store.create(data.entity("e-2"))
    report = store.upsert_many([same, other.revise(label="changed"), data.entity("e-3")])
    assert report == BulkReport(created=1, updated=1, unchanged=1, batches=1)
    assert report.total == 3
    assert store.upsert_many([]) == BulkReport()


@pytest.mark.requirement("BULK-008")
@UPSERT
def test_running_the_same_import_twice_changes_nothing(store: CaseStore) -> None:
    """Records leaving timestamps to the store, imported again as they were, stay as stored."""
    data.set_clock(store, data.at(1))
    rows = [data.entity("e-1"), data.entity("e-2", version=3), data.link("l-1", "e-1", "e-2")]
    first = store.upsert_many(rows)
    assert first == BulkReport(created=3, batches=1)
    stored = list(store.export())
    data.set_clock(store, data.at(2))
    again = store.upsert_many(rows)
    assert again == BulkReport(unchanged=3, batches=1)
    assert list(store.export()) == stored
    changed = store.upsert_many([data.entity("e-1", label="renamed")])
    assert changed == BulkReport(updated=1, batches=1)
    renamed = store.get(Entity, "e-1")
    assert (renamed.created_at, renamed.updated_at) == (data.at(1), data.at(2))
    bumped = store.upsert_many([data.entity("e-2", version=4)])
    assert bumped == BulkReport(updated=1, batches=1)


@pytest.mark.requirement("BULK-003")
@UPSERT
def test_records_are_written_in_batches_with_running_totals(store: CaseStore) -> None:
    """25 records in batches of 10 make three commits, each reported with running totals."""
    seen: list[BulkReport] = []
    report = store.upsert_many(
        (data.entity(entity_id) for entity_id in data.ids("e", 25)),
        batch_size=10,
        on_batch=seen.append,
    )
    assert [(totals.created, totals.batches) for totals in seen] == [(10, 1), (20, 2), (25, 3)]
    assert report == BulkReport(created=25, batches=3)
    assert len(store.list_records(Entity).items) == 25


@pytest.mark.requirement("BULK-003")
@UPSERT
def test_the_stream_is_read_at_most_two_batches_ahead(store: CaseStore) -> None:
    """When a batch's commit is reported, the stream has been read at most two batches further.

    An adapter may prepare the next batches while one is written, but never reads the whole
    stream first.
    """
    consumed = 0

    def stream() -> Iterator[Entity]:
        nonlocal consumed
        for entity_id in data.ids("e", 60):
            consumed += 1
            yield data.entity(entity_id)

    read_at_commit: list[int] = []
    report = store.upsert_many(
        stream(), batch_size=10, on_batch=lambda _: read_at_commit.append(consumed)
    )
    assert report.batches == len(read_at_commit) == 6
    for committed, read in enumerate(read_at_commit, start=1):
        assert 10 * committed <= read <= min(60, 10 * (committed + 2))


_MOST_WRITES_BEFORE_SUCCESS = 32
"""How many backend writes one batch of the atomicity test may take before it must succeed."""


@pytest.mark.requirement("BULK-003")
@UPSERT
def test_a_batch_is_all_or_nothing_whichever_backend_write_fails(
    store: CaseStore, caseport_write_faults: WriteFaults
) -> None:
    """A batch whose backend writes start failing part-way leaves nothing of itself written.

    The same batch (5 updates and 60 creations, one batch) is written again and again, letting
    0, 1, 2, ... backend writes succeed before every later one fails, until it goes through.
    After each failure the store must hold exactly what it held before; a store that writes a
    batch in pieces and undoes them must also survive the undoing failing. Runs only when the
    run provides ``caseport_write_faults``.
    """
    store.upsert_many([data.entity(entity_id, label="before") for entity_id in data.ids("old", 5)])
    batch = [entity.revise(label="after") for entity in store.list_records(Entity).items]
    batch += [data.entity(entity_id) for entity_id in data.ids("new", 60)]

    def stored() -> list[Entity]:
        return list(store.list_records(Entity, page_size=1_000).items)

    before = stored()
    for writes in range(_MOST_WRITES_BEFORE_SUCCESS):
        caseport_write_faults.fail_writes_after(store, writes)
        try:
            store.upsert_many(batch)
        except CaseportError as exc:
            failure: CaseportError | None = exc
        else:
            failure = None
        finally:
            caseport_write_faults.heal(store)
        now = stored()
        if failure is None:
            assert [(e.id, e.label) for e in now] == sorted((e.id, e.label) for e in batch)
            return
        assert now == before, (
            f"with {writes} backend writes let through, the failed batch "
            f"({type(failure).__name__}: {failure}) left {len(now) - len(before)} record(s) "
            f"created and {sum(e.label == 'after' for e in now)} updated of its 65"
        )
    pytest.fail(f"the batch never went through with up to {writes} backend writes allowed")


@pytest.mark.requirement("BULK-004")
@UPSERT
def test_the_last_record_with_an_id_wins_within_a_batch(store: CaseStore) -> None:
    """Two versions of one record in a batch leave the later one stored."""
    report = store.upsert_many(
        [data.entity("e-1", label="first"), data.entity("e-1", label="second")]
    )
    assert store.get(Entity, "e-1").label == "second"
    assert report.created == 1


@pytest.mark.requirement("BULK-005")
@UPSERT
def test_a_links_endpoints_may_come_in_the_same_or_an_earlier_batch(store: CaseStore) -> None:
    """Entities later in the same batch, or in earlier batches, satisfy a link."""
    store.upsert_many([data.link("l-1", "a", "b"), data.entity("a"), data.entity("b")])
    store.upsert_many(
        [data.entity("c"), data.entity("d"), data.link("l-2", "c", "d")], batch_size=2
    )
    store.create(data.entity("e"))
    store.upsert_many([data.link("l-3", "e", "a")])
    assert [link.id for link in store.list_records(Link).items] == ["l-1", "l-2", "l-3"]


@pytest.mark.requirement("BULK-005", "ERR-003")
@UPSERT
def test_a_missing_endpoint_fails_its_batch_and_keeps_the_earlier_ones(store: CaseStore) -> None:
    """The batch with a dangling link is not written; earlier batches stay."""
    seen: list[BulkReport] = []
    stream = [
        data.entity("e-1"),
        data.entity("e-2"),
        data.entity("e-3"),
        data.entity("e-4"),
        data.link("l-1", "e-4", "ghost"),
        data.entity("e-5"),
    ]
    with pytest.raises(ValidationFailed, match="ghost"):
        store.upsert_many(stream, batch_size=3, on_batch=seen.append)
    assert [totals.batches for totals in seen] == [1]
    assert [e.id for e in store.list_records(Entity).items] == ["e-1", "e-2", "e-3"]
    assert store.list_records(Link).items == ()


@pytest.mark.requirement("BULK-005", "INPUT-001")
@UPSERT
def test_an_item_that_is_not_a_record_fails_its_batch(store: CaseStore) -> None:
    """Something that is not a record fails its batch like a dangling link."""
    stream: list[Any] = [data.entity("e-1"), data.entity("e-2"), {"id": "e-3"}, data.entity("e-4")]
    with pytest.raises(ValidationFailed):
        store.upsert_many(stream, batch_size=2)
    assert [e.id for e in store.list_records(Entity).items] == ["e-1", "e-2"]
    with pytest.raises(ValidationFailed):
        store.upsert_many([data.entity("e-9")], batch_size=0)
    with pytest.raises(ValidationFailed):
        store.upsert_many([data.entity("e-9")], batch_size=50_001)
    assert store.get_many(Entity, ["e-9"]) == []


def _write_every_type(store: CaseStore) -> None:
    for entity_id in ("z", "a", "m"):
        store.create(data.entity(entity_id))
    store.create(data.link("l-2", "a", "m"))
    store.create(data.link("l-1", "z", "a"))
    store.create(data.case("c-1", [("a", "suspect")]))
    store.create(data.report("r-1"))
    store.create(data.exhibit("x-2"))
    store.create(data.exhibit("x-1"))


_EVERY_TYPE = [
    ("entity", "a"),
    ("entity", "m"),
    ("entity", "z"),
    ("link", "l-1"),
    ("link", "l-2"),
    ("case", "c-1"),
    ("intelligence_report", "r-1"),
    ("exhibit", "x-1"),
    ("exhibit", "x-2"),
]


@pytest.mark.requirement("BULK-006")
@EXPORT
@ALL_RECORD_TYPES
def test_export_streams_every_record_type_by_type_in_id_order(store: CaseStore) -> None:
    """Entities, links, cases, reports, exhibits: each type complete and by id."""
    _write_every_type(store)
    exported = store.export()
    assert iter(exported) is exported
    assert _keys(exported) == _EVERY_TYPE
    assert next(iter(store.export())) == store.get(Entity, "a")


@pytest.mark.requirement("BULK-006")
@EXPORT
def test_export_of_some_types_keeps_the_type_order(store: CaseStore) -> None:
    """Named types are exported in the canonical order, whatever the order asked."""
    for entity_id in ("b", "a"):
        store.create(data.entity(entity_id))
    store.create(data.link("l-1", "a", "b"))
    expected = [("entity", "a"), ("entity", "b"), ("link", "l-1")]
    assert _keys(store.export()) == expected
    assert _keys(store.export([RecordType.LINK, RecordType.ENTITY])) == expected
    assert _keys(store.export([RecordType.LINK])) == [("link", "l-1")]
    assert _keys(store.export([])) == []


@pytest.mark.requirement("BULK-007", "REC-002")
@pytest.mark.capability(Capability.BULK_EXPORT, Capability.BULK_UPSERT)
def test_export_then_upsert_reproduces_a_store_exactly(
    store: CaseStore, caseport_store_factory: StoreFactory
) -> None:
    """Every record, versions and timestamps included, arrives unchanged in a new store."""
    data.set_clock(store, data.at(1))
    for entity_id in data.ids("e", 12):
        store.create(data.entity(entity_id, properties={"n": len(entity_id)}))
    data.set_clock(store, data.at(2))
    changed = store.get(Entity, "e-03")
    store.update(changed.revise(label="renamed"), expected_version=1)
    store.create(data.link("l-1", "e-00", "e-03", directed=False))
    source = list(store.export())
    copy = caseport_store_factory()
    try:
        assert list(copy.export()) == []
        report = copy.upsert_many(iter(source), batch_size=5)
        assert report == BulkReport(created=13, batches=3)
        assert list(copy.export()) == source
        assert copy.get(Entity, "e-03").version == 2
    finally:
        copy.close()
