"""Writing and reading records through the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sql_data import T0, awkward_records

import adapters.sql
import adapters.sql.writes
from caseport.generate import generate
from contracts.errors import AlreadyExists, Conflict, NotFound, ValidationFailed
from contracts.models import (
    Case,
    Entity,
    EntityKind,
    Exhibit,
    IntelligenceReport,
    Link,
    PersonFields,
    Record,
    RecordType,
)
from contracts.query import Eq, Prefix, SearchQuery, Text
from contracts.results import BulkReport
from contracts.store import CaseStore


@pytest.fixture
def store(sql_url: str) -> Iterator[CaseStore]:
    with adapters.sql.from_url(sql_url, {}) as opened:
        yield opened


def person(key: str, label: str, **fields: Any) -> Entity:
    return Entity(id=key, kind=EntityKind.PERSON, subtype="person", label=label, **fields)


def labels(store: CaseStore, query: SearchQuery) -> list[str]:
    return [entity.label for entity in store.search(query).items]


def test_a_repeated_create_returns_the_stored_record(store: CaseStore) -> None:
    """Creating the same record twice stores it once and returns the first."""
    first = store.create(person("p1", "Ann Smith"))
    again = store.create(person("p1", "Ann Smith"))
    assert again == first
    assert store.list_records(Entity).items == (first,)


def test_a_create_with_a_taken_id_and_other_content_is_refused(store: CaseStore) -> None:
    """A different record under a taken id raises AlreadyExists and changes nothing."""
    first = store.create(person("p1", "Ann Smith"))
    with pytest.raises(AlreadyExists):
        store.create(person("p1", "Bob Jones"))
    assert store.get(Entity, "p1") == first


def test_an_update_needs_the_stored_version(store: CaseStore) -> None:
    """A stale expected version raises Conflict naming the stored one."""
    stored = store.create(person("p1", "Ann Smith"))
    updated = store.update(stored.revise(label="Ann Jones"), expected_version=1)
    assert updated.version == 2
    with pytest.raises(Conflict) as raised:
        store.update(stored.revise(label="Ann Brown"), expected_version=1)
    assert raised.value.actual == 2
    assert store.get(Entity, "p1").label == "Ann Jones"


def test_updating_a_missing_record_raises_not_found(store: CaseStore) -> None:
    """update() of an id never stored raises NotFound."""
    with pytest.raises(NotFound):
        store.update(person("ghost", "Nobody"), expected_version=1)


def test_an_update_reindexes_text_values_and_columns(store: CaseStore) -> None:
    """After an update searches see the new label, terms and properties, not the old."""
    stored = store.create(person("p1", "Ann Smith", properties={"colour": "red", "n": 1}))
    store.update(
        stored.revise(label="Bea Jones", properties={"colour": "blue"}), expected_version=1
    )
    assert labels(store, SearchQuery(filter=Text("smith"))) == []
    assert labels(store, SearchQuery(filter=Text("jones blue"))) == ["Bea Jones"]
    assert labels(store, SearchQuery(filter=Eq("properties.colour", "red"))) == []
    assert labels(store, SearchQuery(filter=Eq("properties.n", 1))) == []
    assert labels(store, SearchQuery(filter=Prefix("label", "Bea"))) == ["Bea Jones"]


def test_a_link_needs_both_endpoints(store: CaseStore) -> None:
    """Creating a link to a missing entity raises NotFound and stores nothing."""
    store.create(person("p1", "Ann"))
    with pytest.raises(NotFound):
        store.create(Link(id="k1", type="KNOWS", source_id="p1", target_id="ghost"))
    assert store.list_records(Link).items == ()


def test_cases_reports_and_exhibits_round_trip(store: CaseStore) -> None:
    """Every document type is stored, updated and listed by id."""
    records = list(generate(120, seed=2))
    documents = [r for r in records if isinstance(r, Case | IntelligenceReport | Exhibit)]
    assert {type(r) for r in documents} == {Case, IntelligenceReport, Exhibit}
    store.upsert_many(records)
    for record in documents:
        assert store.get(type(record), record.id) == record
    case = next(r for r in documents if isinstance(r, Case))
    changed = store.update(case.revise(title="Renamed"), expected_version=case.version)
    assert store.get(Case, case.id) == changed
    listed = store.list_records(Case, page_size=1000).items
    assert [c.id for c in listed] == sorted(r.id for r in documents if isinstance(r, Case))


def test_bulk_upsert_reports_created_updated_and_unchanged(store: CaseStore) -> None:
    """A second run counts unchanged records; a changed one counts as updated."""
    records = list(generate(60, seed=4))
    first = store.upsert_many(records, batch_size=50)
    assert first.created == len(records)
    assert first.updated == 0
    again = store.upsert_many(records, batch_size=50)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(records))
    entity = next(r for r in records if isinstance(r, Entity))
    renamed = entity.model_copy(update={"label": "Renamed", "version": entity.version + 1})
    third = store.upsert_many([renamed])
    assert third == BulkReport(created=0, updated=1, unchanged=0, batches=1)
    assert store.get(Entity, entity.id) == renamed
    assert labels(store, SearchQuery(filter=Text("renamed"))) == ["Renamed"]


def test_equal_records_that_serialise_differently_count_as_unchanged(store: CaseStore) -> None:
    """A property of 1.0 over a stored 1 is the same record, and the stored one stays."""
    stored = person("p1", "Ann", properties={"n": 1}, created_at=T0, updated_at=T0)
    store.upsert_many([stored])
    report = store.upsert_many([stored.model_copy(update={"properties": {"n": 1.0}})])
    assert report.unchanged == 1
    assert store.get(Entity, "p1").model_dump_json() == stored.model_dump_json()


def test_a_batch_that_fails_midway_writes_nothing(
    store: CaseStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error after a batch's entities were written rolls the whole batch back."""
    store.upsert_many([person("p0", "Kept")])
    real = adapters.sql.writes._create

    def failing(session: Any, record_type: RecordType, creates: Any) -> None:
        real(session, record_type, creates)
        if record_type is RecordType.LINK:
            raise ValidationFailed("injected failure after the entities were written")

    monkeypatch.setattr(adapters.sql.writes, "_create", failing)
    batch: list[Record] = [
        person("p1", "Lost One"),
        person("p2", "Lost Two"),
        Link(id="k1", type="KNOWS", source_id="p1", target_id="p2"),
    ]
    with pytest.raises(ValidationFailed):
        store.upsert_many(batch)
    assert [e.id for e in store.list_records(Entity).items] == ["p0"]
    assert labels(store, SearchQuery(filter=Text("lost"))) == []


def test_a_batch_with_a_dangling_link_is_refused_before_writing(store: CaseStore) -> None:
    """Batches committed before the bad one stay; the bad batch is not written."""
    good = [person(f"p{i}", f"Person {i}") for i in range(4)]
    bad: list[Record] = [
        person("p9", "Never"),
        Link(id="k1", type="KNOWS", source_id="p9", target_id="ghost"),
    ]
    with pytest.raises(ValidationFailed, match="after 2 committed batches"):
        store.upsert_many([*good, *bad], batch_size=2)
    assert [e.id for e in store.list_records(Entity).items] == ["p0", "p1", "p2", "p3"]


def test_an_abandoned_export_leaves_the_store_usable(store: CaseStore) -> None:
    """Stopping an export midway releases its connection; writes and close still work."""
    store.upsert_many(person(f"p{i:04d}", f"Person {i}") for i in range(1200))
    exported = store.export([RecordType.ENTITY])
    first = [next(exported) for _ in range(3)]
    assert [e.id for e in first] == ["p0000", "p0001", "p0002"]
    exported.close()
    store.create(person("p9999", "After"))
    assert sum(1 for _ in store.export([RecordType.ENTITY])) == 1201


def test_an_export_is_one_snapshot_while_others_write(store: CaseStore) -> None:
    """Records written during an export are not in it, so no link lacks its entities."""
    store.upsert_many(person(f"p{i:04d}", f"Person {i}") for i in range(1200))
    store.create(Link(id="k0", type="KNOWS", source_id="p0000", target_id="p0001"))
    before = list(store.export([RecordType.ENTITY, RecordType.LINK]))
    exported = store.export([RecordType.ENTITY, RecordType.LINK])
    started = [next(exported) for _ in range(3)]
    store.create(person("p9999", "Late"))
    store.create(Link(id="k1", type="KNOWS", source_id="p0000", target_id="p9999"))
    assert [*started, *exported] == before
    assert len(list(store.export([RecordType.LINK]))) == 2


def test_threads_share_one_store(store: CaseStore) -> None:
    """Concurrent creates and searches from eight threads all land."""
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(25):
                store.create(person(f"w{worker}-{i:02d}", f"Worker {worker} item {i}"))
                store.search(SearchQuery(filter=Text(f"worker {worker}")))
        except BaseException as exc:  # collected for the main thread to report
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.list_records(Entity, page_size=1000).items) == 200


def test_the_asynchronous_twin_reads_and_writes(store: CaseStore) -> None:
    """AsyncCaseStore over the SQL store creates, gets and exports."""

    async def scenario() -> list[str]:
        twin = store.asynchronous()
        await twin.create(person("p1", "Async Ann"))
        fetched = await twin.get(Entity, "p1")
        exported = [record.id async for record in twin.export([RecordType.ENTITY])]
        return [fetched.label, *exported]

    assert asyncio.run(scenario()) == ["Async Ann", "p1"]


def test_very_long_terms_are_found_whole(store: CaseStore) -> None:
    """A 300-character word is searchable as itself and not by its beginning."""
    word = "x" * 300
    store.create(person("p1", "Long", description=f"start {word} end"))
    assert labels(store, SearchQuery(filter=Text(word))) == ["Long"]
    assert labels(store, SearchQuery(filter=Text("x" * 299))) == []


def test_large_integers_compare_exactly(store: CaseStore) -> None:
    """Integers near the 64-bit limit match only themselves."""
    store.create(person("p1", "Big", properties={"n": 2**62 + 1}))
    assert labels(store, SearchQuery(filter=Eq("properties.n", 2**62 + 1))) == ["Big"]
    assert labels(store, SearchQuery(filter=Eq("properties.n", 2**62))) == []
    assert labels(store, SearchQuery(filter=Eq("properties.n", float(2**62)))) == []


def test_awkward_records_read_back_equal(store: CaseStore) -> None:
    """Unicode, mixed-type properties and self-links survive the round trip."""
    records = awkward_records()
    store.upsert_many(records)
    for record in records:
        assert store.get(type(record), record.id) == record


def test_a_person_block_is_queryable_by_every_field(store: CaseStore) -> None:
    """Single and multi-valued person fields are filterable."""
    store.create(
        person(
            "p1",
            "Ann",
            person=PersonFields(given_names=("Ann", "Marie"), family_name="Smith", gender="female"),
        )
    )
    for condition in (
        Eq("person.given_names", "Marie"),
        Eq("person.family_name", "Smith"),
        Eq("person.gender", "female"),
    ):
        assert labels(store, SearchQuery(filter=condition)) == ["Ann"]


def test_a_stream_that_fails_midway_keeps_and_reports_the_batches_before(sql_url: str) -> None:
    """Batches read before the stream broke are written and reported; nothing after them."""

    def stream() -> Iterator[Entity]:
        for number in range(30):
            yield Entity(id=f"e{number:02d}", kind=EntityKind.PERSON, subtype="p", label="x")
        raise OSError("the export file was cut short")

    seen: list[BulkReport] = []
    with adapters.sql.from_url(sql_url, {}) as store:
        with pytest.raises(OSError, match="cut short"):
            store.upsert_many(stream(), batch_size=10, on_batch=seen.append)
        assert [report.created for report in seen] == [10, 20, 30]
        assert len(store.list_records(Entity, page_size=100).items) == 30
