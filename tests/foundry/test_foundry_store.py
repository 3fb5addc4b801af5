"""Store behaviour over the fake Foundry: reads and writes agree with the in-memory reference."""

from __future__ import annotations

import pytest
from foundry_support import T0, fake_store, person, sample_records

from adapters.foundry.store import StoreOptions
from adapters.foundry.testing import Fault
from adapters.memory import InMemoryCaseStore
from contracts.errors import (
    AlreadyExists,
    ConfigurationError,
    Conflict,
    NotFound,
    ValidationFailed,
)
from contracts.models import Case, Entity, IntelligenceReport, Link
from contracts.models.common import RecordType


def test_every_record_type_round_trips_unchanged() -> None:
    """Each record created reads back equal, and export returns them all by type and id."""
    _, store = fake_store()
    created = [store.create(record) for record in sample_records()]
    for record in created:
        assert store.get(type(record), record.id) == record
    assert sorted(r.id for r in store.export()) == sorted(r.id for r in created)


def test_a_repeated_create_returns_the_first_and_a_clash_is_refused() -> None:
    """Same id and content: harmless; same id, other content: AlreadyExists."""
    _, store = fake_store()
    first = store.create(person("John Smith", id="p-1"))
    assert store.create(person("John Smith", id="p-1")) == first
    with pytest.raises(AlreadyExists):
        store.create(person("Other Name", id="p-1"))


def test_updates_check_the_expected_version() -> None:
    """A stale version is a Conflict naming the stored version; a missing record NotFound."""
    _, store = fake_store()
    created = store.create(person("John Smith", id="p-1"))
    updated = store.update(created.revise(label="J Smith"), expected_version=1)
    assert updated.version == 2
    with pytest.raises(Conflict) as caught:
        store.update(created.revise(label="Again"), expected_version=1)
    assert caught.value.actual == 2
    with pytest.raises(NotFound):
        store.update(person("Nobody", id="p-404"), expected_version=1)


def test_expand_matches_the_reference_in_every_direction() -> None:
    """Directed, undirected and self links expand as the reference does."""
    reference = InMemoryCaseStore()
    _, store = fake_store()
    reference.clock = store.clock = lambda: T0  # type: ignore[method-assign]
    for record in sample_records():
        reference.create(record)
        store.create(record)
    for entity_id in ("p-smith", "p-jones", "o-van", "e-burglary"):
        for direction in ("out", "in", "both"):
            assert store.expand(entity_id, direction=direction) == reference.expand(
                entity_id, direction=direction
            )
    assert store.expand("p-smith", link_types=["OWNS"]) == reference.expand(
        "p-smith", link_types=["OWNS"]
    )
    assert store.neighbourhood("p-smith", depth=3) == reference.neighbourhood("p-smith", depth=3)
    assert store.shortest_paths("o-van", "l-home") == reference.shortest_paths("o-van", "l-home")
    assert store.timeline(entity_ids=["p-jones"]) == reference.timeline(entity_ids=["p-jones"])


def test_bulk_writes_report_created_updated_and_unchanged() -> None:
    """upsert_many counts like the reference and keeps versions and timestamps as given."""
    reference = InMemoryCaseStore()
    _, store = fake_store(options=None)
    batch = [person(f"P {n}", id=f"p-{n:02d}", created_at=T0, updated_at=T0) for n in range(45)]
    assert store.upsert_many(batch) == reference.upsert_many(batch)
    again = [*batch[:10], *(e.revise(label="changed", version=7) for e in batch[10:30])]
    assert store.upsert_many(again) == reference.upsert_many(again)
    assert list(store.export()) == list(reference.export())


def test_a_failed_bulk_chunk_undoes_the_chunks_already_written() -> None:
    """If one applyBatch fails, the batch's other chunks are put back: all or nothing."""
    fake, store = fake_store(options=StoreOptions(batch_requests=5))
    existing = [person(f"P {n}", id=f"p-{n:02d}", created_at=T0, updated_at=T0) for n in range(8)]
    store.upsert_many(existing)
    before = list(store.export())
    batch = [e.revise(label="changed", version=2) for e in existing] + [
        person(f"New {n}", id=f"q-{n:02d}", created_at=T0, updated_at=T0) for n in range(12)
    ]
    fake.inject(Fault("bad_request", path_contains="applyBatch"))
    with pytest.raises(ValidationFailed):
        store.upsert_many(batch, batch_size=1_000)
    assert list(store.export()) == before


def test_records_left_out_of_the_mapping_need_their_section() -> None:
    """Cases, reports and exhibits work with the reference mapping."""
    _, store = fake_store()
    records = sample_records()
    for record in records:
        store.create(record)
    assert store.get(Case, "c-1").reference == "OP-1"
    assert store.get(IntelligenceReport, "r-1").grading.code == "1AP"
    assert [r.id for r in store.export([RecordType.LINK])] == sorted(
        r.id for r in records if isinstance(r, Link)
    )


def test_listing_pages_by_id_like_the_reference() -> None:
    """list_records pages through every record type by id."""
    reference = InMemoryCaseStore()
    _, store = fake_store()
    for record in sample_records():
        reference.create(record)
        store.create(record)
    for record_type in (Entity, Link):
        cursor = None
        while True:
            ours = store.list_records(record_type, page_size=2, cursor=cursor)
            theirs = reference.list_records(record_type, page_size=2, cursor=cursor)
            assert [r.id for r in ours.items] == [r.id for r in theirs.items]
            if ours.next_cursor is None:
                assert theirs.next_cursor is None
                break
            cursor = ours.next_cursor


def test_a_closed_store_raises_configuration_error_not_an_httpx_error() -> None:
    """After close(), reads, writes and a started export say the store is closed."""
    _, store = fake_store(options=StoreOptions(export_page_size=2))
    store.upsert_many(person(f"P {n}", id=f"{n:03d}") for n in range(5))
    records = store.export([RecordType.ENTITY])
    next(records)
    store.close()
    store.close()
    calls = [
        lambda: store.get(Entity, "000"),
        lambda: store.create(person("Late", id="late")),
        lambda: store.get_many(Entity, ["000", "001"]),
        lambda: list(records),
    ]
    for call in calls:
        with pytest.raises(ConfigurationError, match="this store is closed"):
            call()
    assert store.client.closed
