"""The SQL store answers every read exactly as the in-memory reference does, on the same data."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sql_data import T0, dataset, queries, sampled_filters
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema

import adapters.sql
from adapters.memory import InMemoryCaseStore
from contracts.models import Case, Entity, EntityKind, Link, Record, RecordType
from contracts.query import SearchQuery
from contracts.store import CaseStore

RECORDS = dataset()
ENTITY_IDS = sorted(r.id for r in RECORDS if isinstance(r, Entity))
AWKWARD = ["p-ascii", "p-unicode", "p-bare", "o-van", "l-home", "g-crew", "e-burglary"]
SAMPLE = AWKWARD + random.Random(5).sample(ENTITY_IDS, 25)


@pytest.fixture(scope="module")
def reference() -> InMemoryCaseStore:
    return InMemoryCaseStore(RECORDS)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CaseStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('equivalence')}/store.db"
        with adapters.sql.from_url(url, {}) as sql_store:
            sql_store.upsert_many(RECORDS, batch_size=500)
            yield sql_store
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    schema = "sqlt_equivalence_" + random.Random().randbytes(6).hex()
    try:
        with adapters.sql.from_url(with_schema(base, schema), {}) as sql_store:
            sql_store.upsert_many(RECORDS, batch_size=500)
            yield sql_store
    finally:
        drop_schema(base, schema)


def outcome(target: CaseStore, method: str, *args: Any, **options: Any) -> Any:
    """What a call returns, or the type and message of what it raises."""
    try:
        return getattr(target, method)(*args, **options)
    except Exception as exc:  # the reference's error is part of the answer
        return (type(exc), str(exc))


def assert_same(
    store: CaseStore, reference: CaseStore, method: str, *args: Any, **options: Any
) -> None:
    expected = outcome(reference, method, *args, **options)
    assert outcome(store, method, *args, **options) == expected, (method, args, options)


def all_pages(target: CaseStore, query: SearchQuery) -> list[tuple[list[str], str | None]]:
    pages = []
    while True:
        page = target.search(query)
        pages.append(([entity.id for entity in page.items], page.next_cursor))
        if page.next_cursor is None:
            return pages
        query = query.model_copy(update={"cursor": page.next_cursor})


def test_every_record_reads_back_unchanged(store: CaseStore, reference: CaseStore) -> None:
    """get_many returns the stored records equal to the ones written."""
    for record_type in (Entity, Link, Case):
        ids = [r.id for r in RECORDS if isinstance(r, record_type)]
        assert store.get_many(record_type, ids) == reference.get_many(record_type, ids)


def test_fixed_searches_return_the_reference_results_page_by_page(
    store: CaseStore, reference: CaseStore
) -> None:
    """Each fixed filter and ordering gives the same pages and cursors."""
    for query in queries():
        assert all_pages(store, query) == all_pages(reference, query), query


def test_sampled_searches_return_the_reference_results(
    store: CaseStore, reference: CaseStore
) -> None:
    """Filters built from the data's own values give the same entities in the same order."""
    for condition in sampled_filters(RECORDS, 120, seed=11):
        query = SearchQuery(filter=condition, page_size=1000)
        assert store.search(query) == reference.search(query), condition


def test_listing_every_record_type_pages_alike(store: CaseStore, reference: CaseStore) -> None:
    """list_records walks each table in id order with the same cursors."""
    for record_type in (Entity, Link, Case):
        cursor = None
        while True:
            page = store.list_records(record_type, page_size=97, cursor=cursor)
            assert page == reference.list_records(record_type, page_size=97, cursor=cursor)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


def test_export_streams_every_record_in_the_reference_order(
    store: CaseStore, reference: CaseStore
) -> None:
    """Exports of all types and of one type are equal."""
    assert list(store.export()) == list(reference.export())
    assert list(store.export([RecordType.LINK])) == list(reference.export([RecordType.LINK]))


@pytest.mark.parametrize("direction", ["out", "in", "both"])
def test_expand_gives_the_reference_hops(
    store: CaseStore, reference: CaseStore, direction: str
) -> None:
    """Hops, their order and directions match for every filter combination."""
    for entity_id in SAMPLE:
        for types in (None, ["OWNS", "SELF", "PARTY_TO"], []):
            for kinds in (None, [EntityKind.PERSON, EntityKind.EVENT]):
                assert_same(
                    store,
                    reference,
                    "expand",
                    entity_id,
                    link_types=types,
                    direction=direction,
                    neighbour_kinds=kinds,
                )


@pytest.mark.parametrize("direction", ["out", "in", "both"])
def test_neighbourhoods_are_the_reference_subgraphs(
    store: CaseStore, reference: CaseStore, direction: str
) -> None:
    """Entities and links within each depth match, including the max_entities refusal."""
    for entity_id in SAMPLE[:15]:
        for depth in (0, 1, 2, 3):
            for types, kinds, limit in (
                (None, None, 10_000),
                (["ASSOCIATE_OF", "LIVES_WITH", "SELF", "MEMBER_OF"], None, 10_000),
                (None, [EntityKind.PERSON, EntityKind.LOCATION], 10_000),
                (None, None, 5),
            ):
                assert_same(
                    store,
                    reference,
                    "neighbourhood",
                    entity_id,
                    depth=depth,
                    link_types=types,
                    direction=direction,
                    neighbour_kinds=kinds,
                    max_entities=limit,
                )


def test_shortest_paths_come_in_the_reference_order(store: CaseStore, reference: CaseStore) -> None:
    """Paths between sampled pairs match under every depth, direction and filter."""
    rng = random.Random(17)
    pairs = [("p-ascii", "g-crew"), ("p-bare", "l-home"), ("e-burglary", "e-burglary")]
    pairs += [tuple(rng.sample(ENTITY_IDS, 2)) for _ in range(20)]
    for source, target in pairs:
        for direction in ("out", "in", "both"):
            for max_depth, via, max_paths in (
                (6, None, 100),
                (3, None, 2),
                (0, None, 100),
                (5, [EntityKind.PERSON], 100),
                (10, None, 1),
            ):
                assert_same(
                    store,
                    reference,
                    "shortest_paths",
                    source,
                    target,
                    max_depth=max_depth,
                    direction=direction,
                    via_kinds=via,
                    max_paths=max_paths,
                )


def test_timelines_hold_the_reference_events(store: CaseStore, reference: CaseStore) -> None:
    """Events of entities and of a case, in any window, match with their related ids."""
    events = [r for r in RECORDS if isinstance(r, Entity) and r.kind is EntityKind.EVENT]
    windows = [(None, None), (T0 + timedelta(days=2), None), (None, T0 + timedelta(days=2))]
    windows.append((T0 + timedelta(days=2, hours=12), T0 + timedelta(days=2, hours=13)))
    dated = sorted(e.event.occurred_from for e in events if e.event and e.event.occurred_from)
    windows.append((dated[len(dated) // 3], dated[2 * len(dated) // 3]))
    targets = [AWKWARD, SAMPLE[7:20], [e.id for e in events[:10]], ["nobody"]]
    for ids in targets:
        for start, end in windows:
            assert_same(store, reference, "timeline", entity_ids=ids, start=start, end=end)
    cases = [r.id for r in RECORDS if isinstance(r, Case)][:5]
    for case_id in cases:
        assert_same(store, reference, "timeline", case_id=case_id)


def test_records_of_every_type_are_kept(store: CaseStore, reference: CaseStore) -> None:
    """Counts per record type agree."""

    def count(target: CaseStore, record_type: RecordType) -> int:
        return sum(1 for _ in target.export([record_type]))

    for record_type in RecordType:
        assert count(store, record_type) == count(reference, record_type)


def test_dataset_covers_every_kind() -> None:
    """The data set holds each entity kind and several record types."""
    kinds = {r.kind for r in RECORDS if isinstance(r, Entity)}
    assert kinds == set(EntityKind)
    types: set[type[Record]] = {type(r) for r in RECORDS}
    assert len(types) >= 4
