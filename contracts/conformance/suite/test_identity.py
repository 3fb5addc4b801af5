"""Identity and versions: client ids, idempotent creates and optimistic updates."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from contracts.conformance.suite import data
from contracts.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.store import CaseStore

_THREADS = 8
_BARRIER_TIMEOUT_S = 60  # only guards against a hang; never part of an assertion


@pytest.mark.requirement("ID-001")
def test_client_chosen_ids_are_kept_exactly(store: CaseStore) -> None:
    """Ids with every allowed character, up to 128 long, are kept as given."""
    chosen = ["a", "Z", "0", "A.b_c:d-e", "urn:pnc:2001.0001234-A", "9" + "x" * 127]
    for record_id in chosen:
        store.create(data.entity(record_id))
    assert [e.id for e in store.get_many(Entity, chosen)] == chosen
    assert [e.id for e in store.list_records(Entity).items] == sorted(chosen)
    stored = store.get(Entity, "a")
    for bad in ("", "-starts-with-dash", "has space", "slash/", "x" * 129, "é"):
        with pytest.raises(ValidationFailed):
            stored.revise(id=bad)


@pytest.mark.requirement("ID-002")
def test_a_record_built_without_an_id_gets_a_uuidv7(store: CaseStore) -> None:
    """The default id is a UUIDv7 string, kept by the store."""
    built = Entity(kind=EntityKind.PERSON, subtype="person", label="No id given")
    stored = store.create(built)
    assert stored.id == built.id
    assert uuid.UUID(stored.id).version == 7
    assert str(uuid.UUID(stored.id)) == stored.id
    assert store.get(Entity, built.id) == stored


@pytest.mark.requirement("ID-003")
def test_ids_are_unique_per_record_type(store: CaseStore) -> None:
    """An entity and a link may share an id."""
    person = store.create(data.entity("shared"))
    store.create(data.entity("other"))
    relation = store.create(data.link("shared", "shared", "other"))
    assert store.get(Entity, "shared") == person
    assert store.get(Link, "shared") == relation


@pytest.mark.requirement("ID-004", "ERR-003")
def test_a_new_record_starts_at_version_one(store: CaseStore) -> None:
    """Create refuses any version but 1 and writes nothing."""
    with pytest.raises(ValidationFailed):
        store.create(data.entity("e-1", version=2))
    with pytest.raises(NotFound):
        store.get(Entity, "e-1")
    assert store.create(data.entity("e-1")).version == 1


@pytest.mark.requirement("ID-005")
def test_create_fills_only_empty_timestamps_from_the_store_clock(store: CaseStore) -> None:
    """Empty timestamps become the clock's now; given ones are kept."""
    data.set_clock(store, data.at(10))
    fresh = store.create(data.entity("e-1"))
    assert (fresh.created_at, fresh.updated_at) == (data.at(10), data.at(10))
    given = store.create(data.entity("e-2", created_at=data.at(1), updated_at=data.at(2)))
    assert (given.created_at, given.updated_at) == (data.at(1), data.at(2))
    half = store.create(data.entity("e-3", created_at=data.at(3)))
    assert (half.created_at, half.updated_at) == (data.at(3), data.at(3))
    assert store.get_many(Entity, ["e-1", "e-2", "e-3"]) == [fresh, given, half]


@pytest.mark.requirement("ID-006")
def test_repeating_a_create_returns_the_stored_record(store: CaseStore) -> None:
    """The same content again, even with other timestamps, returns the first record."""
    data.set_clock(store, data.at(1))
    first = store.create(data.entity("e-1", label="Ann Smith"))
    data.set_clock(store, data.at(2))
    assert store.create(data.entity("e-1", label="Ann Smith")) == first
    again = data.entity("e-1", label="Ann Smith", created_at=data.at(7), updated_at=data.at(8))
    assert store.create(again) == first
    assert store.get(Entity, "e-1") == first
    assert store.list_records(Entity).items == (first,)


@pytest.mark.requirement("ID-007", "ERR-002", "ERR-003")
def test_a_create_with_different_content_raises_already_exists(store: CaseStore) -> None:
    """Reusing an id for other content fails and keeps the stored record."""
    first = store.create(data.entity("e-1", label="Ann Smith"))
    with pytest.raises(AlreadyExists) as clash:
        store.create(data.entity("e-1", label="Anne Smith"))
    assert (clash.value.record_type, clash.value.record_id) == ("entity", "e-1")
    assert store.get(Entity, "e-1") == first


@pytest.mark.requirement("ID-008")
def test_an_update_bumps_the_version_and_keeps_created_at(store: CaseStore) -> None:
    """Version goes up by one, created_at stays, updated_at is now, whatever the input says."""
    data.set_clock(store, data.at(1))
    stored = store.create(data.entity("e-1"))
    data.set_clock(store, data.at(2))
    wild = stored.revise(label="Renamed", version=40, created_at=data.at(9), updated_at=data.at(9))
    updated = store.update(wild, expected_version=1)
    assert (updated.version, updated.created_at, updated.updated_at) == (2, data.at(1), data.at(2))
    assert updated.label == "Renamed"
    assert store.get(Entity, "e-1") == updated
    data.set_clock(store, data.at(3))
    third = store.update(updated.revise(label="Again"), expected_version=2)
    assert (third.version, third.created_at, third.updated_at) == (3, data.at(1), data.at(3))


@pytest.mark.requirement("ID-009", "ERR-002", "ERR-003")
def test_an_update_from_a_stale_version_raises_conflict(store: CaseStore) -> None:
    """Updating from an old version fails with both versions named and writes nothing."""
    stored = store.create(data.entity("e-1"))
    winner = store.update(stored.revise(label="first writer"), expected_version=1)
    with pytest.raises(Conflict) as stale:
        store.update(stored.revise(label="second writer"), expected_version=1)
    assert (stale.value.expected, stale.value.actual) == (1, 2)
    assert (stale.value.record_type, stale.value.record_id) == ("entity", "e-1")
    with pytest.raises(Conflict):
        store.update(stored.revise(label="from the future"), expected_version=3)
    assert store.get(Entity, "e-1") == winner


@pytest.mark.requirement("ID-010")
def test_an_update_of_a_missing_record_raises_not_found(store: CaseStore) -> None:
    """Update never creates."""
    with pytest.raises(NotFound) as missing:
        store.update(data.entity("e-1"), expected_version=1)
    assert missing.value.record_id == "e-1"
    assert store.get_many(Entity, ["e-1"]) == []


@pytest.mark.requirement("ID-011")
def test_of_concurrent_updates_from_one_version_exactly_one_wins(store: CaseStore) -> None:
    """Racing writers from the same version: one succeeds, the rest raise Conflict."""
    stored = store.create(data.entity("e-1"))
    start = threading.Barrier(_THREADS)

    def write(writer: int) -> str:
        start.wait(_BARRIER_TIMEOUT_S)
        try:
            store.update(stored.revise(label=f"writer {writer}"), expected_version=1)
        except Conflict:
            return "conflict"
        return f"writer {writer}"

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        outcomes = list(pool.map(write, range(_THREADS)))
    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert len(winners) == 1
    assert outcomes.count("conflict") == _THREADS - 1
    final = store.get(Entity, "e-1")
    assert (final.version, final.label) == (2, winners[0])


@pytest.mark.requirement("ID-011", "ID-006")
def test_concurrent_creates_are_all_kept(store: CaseStore) -> None:
    """Threads creating distinct records lose none; repeating one create stays harmless."""
    start = threading.Barrier(_THREADS)

    def write(writer: int) -> Entity:
        start.wait(_BARRIER_TIMEOUT_S)
        for number in range(20):
            store.create(data.entity(f"t{writer}-{number:02d}"))
        return store.create(data.entity("same", label="written by everyone"))

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        repeated = list(pool.map(write, range(_THREADS)))
    expected = sorted(
        f"t{writer}-{number:02d}" for writer in range(_THREADS) for number in range(20)
    )
    listed = [entity.id for entity in store.list_records(Entity, page_size=1000).items]
    assert listed == sorted([*expected, "same"])
    assert all(record == repeated[0] for record in repeated)
    assert store.get(Entity, "same") == repeated[0]
