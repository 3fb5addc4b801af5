"""The behaviour ``CaseStore`` writes once for every adapter, exercised on the memory adapter.

Covers creates and updates (idempotency, optimistic versions, invariants), reads and paging,
cursors, the clock, capability declarations and gating, and the asyncio twin.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from contracts_strategies import multigraphs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import InMemoryCaseStore, MemoryBackend
from contracts import (
    AlreadyExists,
    AsyncCaseStore,
    BulkReport,
    Capability,
    Case,
    CaseMember,
    CaseStore,
    Conflict,
    CustodyEvent,
    Entity,
    EntityKind,
    Eq,
    Exhibit,
    Grading3x5x2,
    Grading5x5x5,
    IntelligenceReport,
    InvalidCursor,
    Link,
    NotFound,
    NotSupported,
    OrderKey,
    Record,
    RecordType,
    SearchQuery,
    Support,
    Text,
    ValidationFailed,
    declare,
)
from contracts.capabilities import EMULATABLE
from contracts.invariants import check_update
from contracts.models import RECORD_CLASSES

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ALL_NATIVE = {capability.name: Support.NATIVE for capability in Capability}
MEMORY = MemoryBackend.CAPABILITIES


def person(entity_id: str, **fields: Any) -> Entity:
    return Entity(
        id=entity_id, kind=EntityKind.PERSON, subtype="suspect", label=entity_id, **fields
    )


def event(entity_id: str, start: datetime | None, end: datetime | None = None) -> Entity:
    return Entity(
        id=entity_id,
        kind=EntityKind.EVENT,
        subtype="crime",
        label=entity_id,
        event={"occurred_from": start, "occurred_to": end},
    )


def link(link_id: str, source: str, target: str, **fields: Any) -> Link:
    return Link(id=link_id, type="ASSOCIATE_OF", source_id=source, target_id=target, **fields)


GRADE_1AP = Grading3x5x2(source_evaluation="1", intelligence_assessment="A", handling_code="P")
GRADE_2BP = Grading3x5x2(source_evaluation="2", intelligence_assessment="B", handling_code="P")
GRADE_B21 = Grading5x5x5(source_evaluation="B", intelligence_evaluation="2", handling_code="1")


def report(report_id: str = "r-1", **fields: Any) -> IntelligenceReport:
    fields.setdefault("grading", GRADE_1AP)
    return IntelligenceReport(
        id=report_id,
        reference="IR-1",
        submitted_at=T0,
        submitted_by="DC 1",
        text="Seen at the address.",
        **fields,
    )


def hand_over(hours: float, purpose: str = "transfer") -> CustodyEvent:
    return CustodyEvent(
        at=T0 + timedelta(hours=hours), from_holder="A", to_holder="B", purpose=purpose
    )


def exhibit(exhibit_id: str = "x-1", **fields: Any) -> Exhibit:
    return Exhibit(id=exhibit_id, reference="EX-1", description="Phone", **fields)


class Clock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> Iterator[InMemoryCaseStore]:
    with InMemoryCaseStore() as opened:
        opened.clock = clock
        yield opened


# ---------------------------------------------------------------------------- create


def test_create_stamps_both_timestamps_from_the_store_clock(store: CaseStore) -> None:
    """A new record without timestamps gets the clock's time as created and updated."""
    created = store.create(person("p-1"))
    assert created.created_at == created.updated_at == T0
    assert created.version == 1
    assert store.get(Entity, "p-1") == created


def test_create_keeps_timestamps_the_caller_gave(store: CaseStore) -> None:
    """Given timestamps are stored as they are; only empty ones are filled in."""
    earlier = T0 - timedelta(days=3)
    created = store.create(person("p-1", created_at=earlier))
    assert created.created_at == earlier
    assert created.updated_at == earlier


def test_repeating_a_create_returns_the_first_stored_record(store: CaseStore, clock: Clock) -> None:
    """A retried create with the same content is harmless and returns the original."""
    first = store.create(person("p-1"))
    clock.advance(minutes=5)
    again = store.create(person("p-1"))
    assert again == first
    assert again.created_at == T0


def test_create_with_a_taken_id_and_new_content_raises_already_exists(
    store: CaseStore,
) -> None:
    """Same id, different content is a clash, reported with the type and id."""
    store.create(person("p-1"))
    with pytest.raises(AlreadyExists) as caught:
        store.create(person("p-1", description="someone else"))
    assert (caught.value.record_type, caught.value.record_id) == ("entity", "p-1")
    assert store.get(Entity, "p-1").description is None


def test_the_same_id_may_be_used_by_different_record_types(store: CaseStore) -> None:
    """Ids are unique per record type, not across types."""
    store.create(person("x-1"))
    store.create(exhibit("x-1"))
    assert store.get(Exhibit, "x-1").reference == "EX-1"


def test_create_refuses_a_record_that_is_not_at_version_one(store: CaseStore) -> None:
    """A new record starts at version 1; anything else must go through update."""
    with pytest.raises(ValidationFailed, match="version 1"):
        store.create(person("p-1", version=2))
    assert store.get_many(Entity, ["p-1"]) == []


def test_creating_a_link_needs_both_endpoints(store: CaseStore) -> None:
    """A link to an entity that does not exist raises NotFound naming that entity."""
    store.create(person("p-1"))
    with pytest.raises(NotFound) as caught:
        store.create(link("l-1", "p-1", "p-2"))
    assert caught.value.record_id == "p-2"
    assert store.get_many(Link, ["l-1"]) == []


# ---------------------------------------------------------------------------- update


def test_update_bumps_the_version_and_keeps_created_at(store: CaseStore, clock: Clock) -> None:
    """The stored result has the next version, the original created_at, a new updated_at."""
    created = store.create(person("p-1"))
    later = clock.advance(hours=1)
    updated = store.update(created.revise(description="tall"), expected_version=1)
    assert (updated.version, updated.created_at, updated.updated_at) == (2, T0, later)
    assert store.get(Entity, "p-1") == updated


def test_update_with_a_stale_version_raises_conflict(store: CaseStore) -> None:
    """A writer holding an old version loses and the stored record is unchanged."""
    created = store.create(person("p-1"))
    winner = store.update(created.revise(description="first"), expected_version=1)
    with pytest.raises(Conflict) as caught:
        store.update(created.revise(description="second"), expected_version=1)
    assert (caught.value.expected, caught.value.actual) == (1, 2)
    assert store.get(Entity, "p-1") == winner


def test_update_of_a_missing_record_raises_not_found(store: CaseStore) -> None:
    """Updating what was never created is NotFound, not an implicit create."""
    with pytest.raises(NotFound):
        store.update(person("ghost"), expected_version=1)


def _change_kind(stored: Entity) -> Entity:
    return stored.revise(kind=EntityKind.ORGANISATION)


INVARIANT_BREAKS: list[tuple[str, Callable[[], Record], Callable[[Any], Record], str]] = [
    ("entity kind", lambda: person("p-1"), _change_kind, "kind cannot change"),
    (
        "link endpoints",
        lambda: link("l-1", "p-1", "p-2"),
        lambda stored: stored.revise(target_id="p-1"),
        "endpoints and direction are fixed",
    ),
    (
        "link direction",
        lambda: link("l-1", "p-1", "p-2"),
        lambda stored: stored.revise(directed=False),
        "endpoints and direction are fixed",
    ),
    (
        "custody rewritten",
        lambda: exhibit(custody=(hand_over(1), hand_over(2))),
        lambda stored: stored.revise(custody=(hand_over(1), hand_over(3))),
        "append-only",
    ),
    (
        "custody shortened",
        lambda: exhibit(custody=(hand_over(1), hand_over(2))),
        lambda stored: stored.revise(custody=(hand_over(1),)),
        "append-only",
    ),
    (
        "content hash changed",
        lambda: exhibit(content_hash="a" * 64),
        lambda stored: stored.revise(content_hash="b" * 64),
        "content hash cannot change",
    ),
    (
        "content hash removed",
        lambda: exhibit(content_hash="a" * 64),
        lambda stored: stored.revise(content_hash=None),
        "content hash cannot change",
    ),
    (
        "grade changed without history",
        lambda: report(),
        lambda stored: stored.revise(grading=GRADE_2BP),
        "re-grade must append exactly one",
    ),
    (
        "history rewritten",
        lambda: report().regraded(GRADE_2BP, by="DS 2", rationale="corroborated", at=T0),
        lambda stored: stored.revise(grading_history=()),
        "append-only",
    ),
    (
        "history grown without a new grade",
        lambda: report(),
        lambda stored: stored.regraded(GRADE_1AP, by="DS 2", rationale="same", at=T0),
        "only when the grade changes",
    ),
]


@pytest.mark.parametrize(
    ("make", "change", "message"),
    [
        pytest.param(make, change, message, id=name)
        for name, make, change, message in INVARIANT_BREAKS
    ],
)
def test_update_that_rewrites_something_permanent_is_refused(
    store: CaseStore,
    make: Callable[[], Record],
    change: Callable[[Any], Record],
    message: str,
) -> None:
    """Each invariant of ``check_update`` is enforced by ``update`` and nothing is written."""
    store.create(person("p-1"))
    store.create(person("p-2"))
    stored = store.create(make())
    with pytest.raises(ValidationFailed, match=message):
        store.update(change(stored), expected_version=1)
    assert store.get(type(stored), stored.id) == stored


def test_invariants_refuse_a_change_of_record_type() -> None:
    """An update must keep the record's type."""
    with pytest.raises(ValidationFailed, match="type of a record"):
        check_update(person("same"), exhibit("same"))


@pytest.mark.parametrize(
    ("make", "change"),
    [
        pytest.param(
            lambda: exhibit(custody=(hand_over(1),)),
            lambda stored: stored.with_custody(hand_over(2)),
            id="custody appended",
        ),
        pytest.param(
            lambda: exhibit(),
            lambda stored: stored.revise(content_hash="c" * 64),
            id="content hash set once",
        ),
        pytest.param(
            lambda: report(),
            lambda stored: stored.regraded(GRADE_2BP, by="DS 2", rationale="new source", at=T0),
            id="regraded",
        ),
        pytest.param(
            lambda: person("p-9"),
            lambda stored: stored.revise(label="New label", aliases=("Old label",)),
            id="entity relabelled",
        ),
    ],
)
def test_update_that_only_grows_history_is_accepted(
    store: CaseStore, make: Callable[[], Record], change: Callable[[Any], Record]
) -> None:
    """Appending custody, setting a hash once and re-grading are ordinary updates."""
    stored = store.create(make())
    updated = store.update(change(stored), expected_version=1)
    assert updated.version == 2


# ---------------------------------------------------------------------------- model helpers


def test_regraded_appends_the_previous_grade_unconverted() -> None:
    """Re-grading a legacy 5x5x5 report under 3x5x2 keeps the old grade as it was."""
    legacy = report(grading=GRADE_B21)
    regraded = legacy.regraded(GRADE_2BP, by="DS 2", rationale="re-evaluated", at=T0)
    assert regraded.grading == GRADE_2BP
    assert len(regraded.grading_history) == 1
    entry = regraded.grading_history[0]
    assert entry.previous == GRADE_B21
    assert (entry.changed_by, entry.changed_at, entry.rationale) == ("DS 2", T0, "re-evaluated")
    assert legacy.grading_history == ()


def test_regraded_without_a_time_uses_an_aware_now() -> None:
    """The history entry carries a UTC time when none is given."""
    entry = report().regraded(GRADE_2BP, by="DS 2", rationale="r").grading_history[0]
    assert entry.changed_at.utcoffset() == timedelta(0)


def test_regraded_to_handling_code_c_needs_conditions() -> None:
    """A re-grade to 3x5x2 code C on a report without handling conditions is refused."""
    grade_c = Grading3x5x2(source_evaluation="1", intelligence_assessment="A", handling_code="C")
    with pytest.raises(ValidationFailed, match="handling_conditions"):
        report().regraded(grade_c, by="DS 2", rationale="sensitive", at=T0)


def test_with_custody_appends_at_the_end_and_leaves_the_original() -> None:
    """``with_custody`` returns a new exhibit; the original is untouched."""
    original = exhibit(custody=(hand_over(1),))
    extended = original.with_custody(hand_over(2, "examination"))
    assert [e.purpose for e in extended.custody] == ["transfer", "examination"]
    assert len(original.custody) == 1


def test_with_custody_refuses_an_event_earlier_than_the_last() -> None:
    """A hand-over before the last recorded one would break time order."""
    with pytest.raises(ValidationFailed, match="time order"):
        exhibit(custody=(hand_over(5),)).with_custody(hand_over(1))


def test_records_are_immutable() -> None:
    """Assigning to a field of a stored record fails; use revise() instead."""
    entity = person("p-1")
    with pytest.raises(ValueError, match="frozen"):
        entity.label = "changed"  # type: ignore[misc]


# ---------------------------------------------------------------------------- reads


def test_get_many_returns_records_in_the_order_asked(store: CaseStore) -> None:
    """Duplicates appear once and absent ids are left out, order follows the request."""
    for entity_id in ("a", "b", "c"):
        store.create(person(entity_id))
    found = store.get_many(Entity, ["c", "missing", "a", "c", "b"])
    assert [entity.id for entity in found] == ["c", "a", "b"]
    assert store.get_many(Entity, []) == []
    assert store.get_many(Entity, iter(["b"]))[0].id == "b"


def test_get_of_a_missing_record_names_its_type_and_id(store: CaseStore) -> None:
    """NotFound carries the record type and id it looked for."""
    with pytest.raises(NotFound) as caught:
        store.get(Case, "c-404")
    assert (caught.value.record_type, caught.value.record_id) == ("case", "c-404")


def test_list_records_pages_through_every_record_by_id(store: CaseStore) -> None:
    """Pages of seven concatenate to all 25 ids in order; the last has no cursor."""
    ids = [f"e{n:02d}" for n in (17, 3, 22, 9, 0, 14, 6, 19, 11, 24, 2, 8, 21, 13, 5)]
    ids += [f"e{n:02d}" for n in (16, 1, 23, 10, 7, 18, 4, 15, 12, 20)]
    for entity_id in ids:
        store.create(person(entity_id))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.list_records(Entity, page_size=7, cursor=cursor)
        pages += 1
        seen.extend(entity.id for entity in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(ids)
    assert pages == 4


def test_list_records_of_an_empty_type_is_one_empty_page(store: CaseStore) -> None:
    """No records gives an empty page without a cursor."""
    page = store.list_records(Case)
    assert page.items == ()
    assert page.next_cursor is None


@pytest.mark.parametrize("page_size", [0, 1_001, -1, "10", 2.0])
def test_list_records_refuses_a_bad_page_size(store: CaseStore, page_size: Any) -> None:
    """Page sizes outside 1..1000, or not integers, are refused."""
    with pytest.raises(ValidationFailed, match="page_size"):
        store.list_records(Entity, page_size=page_size)


def _tamper(cursor: str, **changes: Any) -> str:
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    payload.update(changes)
    raw = json.dumps(payload).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@pytest.fixture
def populated(store: CaseStore) -> CaseStore:
    for n in range(6):
        store.create(person(f"p{n}", description=f"number {n % 2}"))
        store.create(exhibit(f"x{n}"))
    return store


def test_list_cursor_of_another_record_type_is_invalid(populated: CaseStore) -> None:
    """A cursor from listing exhibits cannot continue a listing of entities."""
    cursor = populated.list_records(Exhibit, page_size=2).next_cursor
    with pytest.raises(InvalidCursor, match="different query"):
        populated.list_records(Entity, page_size=2, cursor=cursor)


def test_search_cursor_of_another_query_is_invalid(populated: CaseStore) -> None:
    """A cursor is tied to the filter and order it was issued for."""
    first = SearchQuery(filter=Eq("description", "number 0"), page_size=1)
    cursor = populated.search(first).next_cursor
    assert cursor is not None
    other_filter = SearchQuery(filter=Eq("description", "number 1"), page_size=1, cursor=cursor)
    other_order = first.model_copy(
        update={"cursor": cursor, "order_by": (OrderKey(field="label"),)}
    )
    for query in (other_filter, other_order):
        with pytest.raises(InvalidCursor):
            populated.search(query)
    with pytest.raises(InvalidCursor):
        populated.list_records(Entity, cursor=cursor)


def test_a_different_page_size_may_continue_a_search(populated: CaseStore) -> None:
    """The page size is not part of the query a cursor belongs to."""
    query = SearchQuery(order_by=(OrderKey(field="label", descending=True),), page_size=2)
    cursor = populated.search(query).next_cursor
    rest = populated.search(query.model_copy(update={"cursor": cursor, "page_size": 10}))
    assert [entity.id for entity in rest.items] == ["p3", "p2", "p1", "p0"]


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda c: c[:-3], id="truncated"),
        pytest.param(lambda c: "!" + c, id="not base64"),
        pytest.param(lambda c: "", id="empty is ignored"),
        pytest.param(lambda c: _tamper(c, k=[5]), id="wrong value type"),
        pytest.param(lambda c: _tamper(c, k=["a", "b"]), id="wrong key count"),
        pytest.param(lambda c: _tamper(c, k=[{"dt": "yesterday"}]), id="malformed datetime"),
        pytest.param(lambda c: _tamper(c, k=[{"x": 1}]), id="unknown value"),
        pytest.param(lambda c: _tamper(c, f=2), id="other format"),
        pytest.param(lambda c: _tamper(c, s="0" * 16), id="other scope"),
        pytest.param(lambda c: _tamper(c, i=7), id="id not a string"),
        pytest.param(lambda c: base64.urlsafe_b64encode(b"[1]").decode(), id="not an object"),
    ],
)
def test_tampered_search_cursor_is_invalid(
    populated: CaseStore, tamper: Callable[[str], str]
) -> None:
    """A cursor that was edited, cut short or forged is refused as InvalidCursor."""
    query = SearchQuery(order_by=(OrderKey(field="label"),), page_size=2)
    cursor = populated.search(query).next_cursor
    assert cursor is not None
    forged = tamper(cursor)
    if not forged:
        assert populated.search(query.model_copy(update={"cursor": forged})).items
        return
    with pytest.raises(InvalidCursor):
        populated.search(query.model_copy(update={"cursor": forged}))


def test_cursor_stays_valid_when_records_change_elsewhere(populated: CaseStore) -> None:
    """Keyset paging neither repeats nor skips unchanged records after concurrent writes."""
    query = SearchQuery(order_by=(OrderKey(field="label"),), page_size=3)
    first = populated.search(query)
    populated.create(person("p0a"))  # sorts inside the first page
    populated.create(person("p9"))  # sorts after everything
    rest = list(populated.iter_search(query.model_copy(update={"cursor": first.next_cursor})))
    assert [entity.id for entity in first.items] == ["p0", "p1", "p2"]
    assert [entity.id for entity in rest] == ["p3", "p4", "p5", "p9"]


# ---------------------------------------------------------------------------- bulk and export


def test_upsert_many_keeps_versions_and_timestamps(store: CaseStore) -> None:
    """A migration writes records exactly as given, bookkeeping included."""
    migrated = person("p-1", version=7, created_at=T0 - timedelta(days=9), updated_at=T0)
    report_ = store.upsert_many([migrated])
    assert report_ == BulkReport(created=1, batches=1)
    assert store.get(Entity, "p-1") == migrated


def test_upsert_many_counts_created_updated_and_unchanged(store: CaseStore) -> None:
    """A second pass over the same stream is all unchanged; a changed record is updated."""
    records = [person("a"), person("b"), link("l-1", "a", "b")]
    first = store.upsert_many(records, batch_size=2)
    again = store.upsert_many(store.export())
    changed = store.upsert_many([store.get(Entity, "a").revise(description="new")])
    assert (first.created, first.batches) == (3, 2)
    assert (again.unchanged, again.total) == (3, 3)
    assert (changed.updated, changed.total) == (1, 1)


def test_upsert_many_lets_the_last_record_with_an_id_win_within_a_batch(
    store: CaseStore,
) -> None:
    """Within one batch, a later record with the same id replaces the earlier one."""
    store.upsert_many([person("a", description="one"), person("a", description="two")])
    assert store.get(Entity, "a").description == "two"


def test_upsert_many_keeps_committed_batches_when_a_later_one_fails(store: CaseStore) -> None:
    """A batch with a dangling link is not written; batches before it stay."""
    seen: list[BulkReport] = []
    records = [person("a"), person("b"), link("l-1", "a", "ghost"), person("c")]
    with pytest.raises(ValidationFailed, match=r"ghost.*after 1 committed batches"):
        store.upsert_many(records, batch_size=2, on_batch=seen.append)
    assert [entity.id for entity in store.export([RecordType.ENTITY])] == ["a", "b"]
    assert seen == [BulkReport(created=2, batches=1)]


@pytest.mark.parametrize("batch_size", [0, 50_001])
def test_upsert_many_refuses_a_bad_batch_size(store: CaseStore, batch_size: int) -> None:
    """Batch sizes outside 1..50,000 are refused before anything is read."""
    with pytest.raises(ValidationFailed, match="batch_size"):
        store.upsert_many([person("a")], batch_size=batch_size)


def test_export_streams_each_record_type_in_order_then_by_id(store: CaseStore) -> None:
    """Entities, links, cases, reports, exhibits: each type in turn, each by id."""
    store.upsert_many(
        [
            exhibit("x-2"),
            person("b"),
            person("a"),
            report("r-1"),
            Case(
                id="c-1",
                reference="OP-1",
                title="One",
                members=(CaseMember(entity_id="a", role="suspect"),),
            ),
            link("l-1", "a", "b"),
            exhibit("x-1"),
        ]
    )
    exported = [(record.RECORD_TYPE.value, record.id) for record in store.export()]
    assert exported == [
        ("entity", "a"),
        ("entity", "b"),
        ("link", "l-1"),
        ("case", "c-1"),
        ("intelligence_report", "r-1"),
        ("exhibit", "x-1"),
        ("exhibit", "x-2"),
    ]
    only = [record.id for record in store.export([RecordType.EXHIBIT, RecordType.ENTITY])]
    assert only == ["a", "b", "x-1", "x-2"]


# ---------------------------------------------------------------------------- graph and time


@pytest.fixture
def graph(store: CaseStore) -> CaseStore:
    store.upsert_many(
        [
            person("a"),
            person("b"),
            Entity(id="car", kind=EntityKind.OBJECT, subtype="vehicle", label="car"),
            event("ev-1", T0, T0 + timedelta(hours=2)),
            event("ev-2", T0 + timedelta(days=1)),
            event("ev-3", None),
            link("l1", "a", "b"),
            Link(id="l2", type="USES", source_id="a", target_id="car"),
            Link(id="l3", type="PARTY_TO", source_id="a", target_id="ev-1", role="suspect"),
            Link(id="l4", type="PARTY_TO", source_id="b", target_id="ev-2", role="victim"),
            Link(id="l5", type="PARTY_TO", source_id="b", target_id="ev-3"),
            link("l6", "car", "b", directed=False),
        ]
    )
    return store


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, [("l1", "b", "out"), ("l2", "car", "out"), ("l3", "ev-1", "out")]),
        pytest.param({"direction": "in"}, [], id="in"),
        pytest.param({"link_types": ["USES"]}, [("l2", "car", "out")], id="one type"),
        pytest.param({"link_types": "USES"}, [("l2", "car", "out")], id="type as a string"),
        pytest.param(
            {"neighbour_kinds": [EntityKind.PERSON, EntityKind.EVENT]},
            [("l1", "b", "out"), ("l3", "ev-1", "out")],
            id="kinds",
        ),
    ],
)
def test_expand_follows_links_by_direction_type_and_kind(
    graph: CaseStore, options: dict[str, Any], expected: list[tuple[str, str, str]]
) -> None:
    """Hops are ordered by link id and filtered by direction, link type and neighbour kind."""
    hops = graph.expand("a", **options)
    assert [(hop.link.id, hop.neighbour.id, hop.direction) for hop in hops] == expected


@pytest.mark.parametrize(
    ("entity_id", "direction", "expected"),
    [
        ("b", "out", [("l6", "car", "in")]),
        ("b", "in", [("l1", "a", "in"), ("l6", "car", "in")]),
        ("car", "out", [("l6", "b", "out")]),
        ("car", "in", [("l6", "b", "out")]),
    ],
)
def test_undirected_link_is_followed_in_every_direction(
    graph: CaseStore, entity_id: str, direction: Any, expected: list[tuple[str, str, str]]
) -> None:
    """An undirected link appears for "in" and "out" alike, labelled by the entity's end."""
    hops = graph.expand(entity_id, direction=direction, link_types=["ASSOCIATE_OF"])
    assert [(hop.link.id, hop.neighbour.id, hop.direction) for hop in hops] == expected


def test_expand_checks_its_arguments(graph: CaseStore) -> None:
    """An unknown entity is NotFound and an unknown direction a validation failure."""
    with pytest.raises(NotFound):
        graph.expand("nobody")
    with pytest.raises(ValidationFailed, match="direction"):
        graph.expand("a", direction="sideways")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(lambda s: s.neighbourhood("a", depth=11), "depth", id="depth 11"),
        pytest.param(lambda s: s.neighbourhood("a", depth=-1), "depth", id="depth -1"),
        pytest.param(lambda s: s.shortest_paths("a", "b", max_depth=11), "max_depth", id="deep"),
        pytest.param(lambda s: s.shortest_paths("a", "b", max_paths=0), "max_paths", id="none"),
        pytest.param(lambda s: s.shortest_paths("a", "b", direction="up"), "direction", id="up"),
        pytest.param(lambda s: s.timeline(), "entity ids or a case", id="no subjects"),
        pytest.param(
            lambda s: s.timeline(entity_ids=["a"], start=datetime(2024, 1, 1)),
            "time zone",
            id="naive bound",
        ),
        pytest.param(
            lambda s: s.neighbourhood("a", depth=2, max_entities=3), "more than 3", id="too big"
        ),
    ],
)
def test_graph_operations_refuse_bad_arguments(
    graph: CaseStore, call: Callable[[CaseStore], object], message: str
) -> None:
    """Depths, path counts, directions and time bounds are checked for every adapter."""
    with pytest.raises(ValidationFailed, match=message):
        call(graph)


def test_timeline_orders_linked_events_and_skips_undated_ones(graph: CaseStore) -> None:
    """Events linked to the entities come by start time; an event without one is left out."""
    entries = graph.timeline(entity_ids=["a", "b"])
    assert [(e.event.id, e.related_ids) for e in entries] == [
        ("ev-1", ("a",)),
        ("ev-2", ("b",)),
    ]


def test_timeline_keeps_events_overlapping_a_half_open_window(graph: CaseStore) -> None:
    """An event is kept when its interval overlaps [start, end)."""
    one_hour_in = T0 + timedelta(hours=1)
    assert [e.event.id for e in graph.timeline(entity_ids=["a", "b"], start=one_hour_in)] == [
        "ev-1",
        "ev-2",
    ]
    day_two = T0 + timedelta(days=1)
    assert [e.event.id for e in graph.timeline(entity_ids=["a", "b"], end=day_two)] == ["ev-1"]
    assert [e.event.id for e in graph.timeline(entity_ids=["b"], start=day_two)] == ["ev-2"]


def test_timeline_of_a_case_covers_its_members(graph: CaseStore) -> None:
    """A case's members are the timeline's subjects; an event that is a member counts."""
    graph.create(
        Case(
            id="c-1",
            reference="OP-1",
            title="One",
            members=(
                CaseMember(entity_id="b", role="victim"),
                CaseMember(entity_id="ev-1", role="incident"),
            ),
        )
    )
    entries = graph.timeline(case_id="c-1")
    assert [(e.event.id, e.related_ids) for e in entries] == [
        ("ev-1", ("ev-1",)),
        ("ev-2", ("b",)),
    ]
    with pytest.raises(NotFound):
        graph.timeline(entity_ids=["a", "nobody"])


# ---------------------------------------------------------------------------- declarations


def test_declare_builds_a_complete_read_only_mapping() -> None:
    """Every capability is present, in a stable order, and the mapping cannot be edited."""
    declared = declare(**ALL_NATIVE)
    assert set(declared) == set(Capability)
    assert list(declared) == sorted(declared, key=lambda c: c.value)
    with pytest.raises(TypeError):
        declared[Capability.CASES] = Support.UNSUPPORTED  # type: ignore[index]


@pytest.mark.parametrize(
    ("support", "message"),
    [
        pytest.param({"CASES": Support.NATIVE}, "undeclared capabilities", id="missing"),
        pytest.param(
            {**ALL_NATIVE, "TELEPORT": Support.NATIVE}, "unknown capabilities", id="unknown"
        ),
        pytest.param(
            {**ALL_NATIVE, "EXHIBITS": Support.EMULATED}, "cannot be emulated", id="emulated"
        ),
        pytest.param(
            {**ALL_NATIVE, "TIMELINE": Support.PARTIAL}, "cannot be partial", id="partial"
        ),
    ],
)
def test_declare_refuses_an_incomplete_or_impossible_declaration(
    support: dict[str, Support], message: str
) -> None:
    """Missing, unknown, or wrongly emulated capabilities fail when declared."""
    with pytest.raises(ValueError, match=message):
        declare(**support)


def test_a_backend_declaring_a_native_graph_operation_must_override_its_hook() -> None:
    """Declaring neighbourhood NATIVE without overriding its hook fails at class creation."""
    declared = {**MEMORY, Capability.GRAPH_NEIGHBOURHOOD: Support.NATIVE}
    with pytest.raises(TypeError, match="does not override neighbourhood"):

        class LazyBackend(MemoryBackend):
            CAPABILITIES = declared


def test_a_backend_missing_a_capability_fails_at_class_creation() -> None:
    """A declaration that leaves capabilities out is a TypeError naming them."""
    partial = dict(MEMORY)
    del partial[Capability.TIMELINE]
    with pytest.raises(TypeError, match="does not declare: timeline"):

        class PartialBackend(MemoryBackend):
            CAPABILITIES = partial


def test_a_backend_emulating_what_cannot_be_emulated_fails_at_class_creation() -> None:
    """Record types and bulk writes are storage: they cannot be EMULATED."""
    declared = {**MEMORY, Capability.BULK_UPSERT: Support.EMULATED}
    with pytest.raises(TypeError, match=r"bulk\.upsert cannot be emulated"):

        class ImpossibleBackend(MemoryBackend):
            CAPABILITIES = declared


def test_a_backend_without_its_own_declaration_inherits_the_parent_one() -> None:
    """A subclass that does not redeclare capabilities is not checked again and keeps them."""

    class Quiet(MemoryBackend):
        pass

    assert CaseStore(Quiet()).capabilities() == MemoryBackend.CAPABILITIES


def test_a_facade_needs_a_backend() -> None:
    """CaseStore refuses anything that is not a StoreBackend, at construction."""
    with pytest.raises(TypeError, match="needs a StoreBackend"):
        CaseStore(InMemoryCaseStore())  # type: ignore[arg-type]


class ScanOnlyBackend(MemoryBackend):
    """The memory backend with search, expand, export and the graph walks left to the layer."""

    CAPABILITIES = declare(
        **{
            capability.name: Support.EMULATED if capability in EMULATABLE else Support.NATIVE
            for capability in Capability
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    graph=multigraphs(),
    data=st.data(),
    direction=st.sampled_from(("out", "in", "both")),
    max_depth=st.integers(0, 4),
    max_paths=st.integers(1, 5),
    link_types=st.none() | st.just(["KNOWS"]),
)
def test_emulated_graph_operations_answer_like_native_ones(
    graph: tuple[list[Entity], list[Link]],
    data: st.DataObject,
    direction: Any,
    max_depth: int,
    max_paths: int,
    link_types: list[str] | None,
) -> None:
    """Over scan alone, the layer gives the answers of the backend's own expand and search."""
    nodes, edges = graph
    native = InMemoryCaseStore([*nodes, *edges])
    emulated = CaseStore(ScanOnlyBackend())
    emulated.upsert_many([*nodes, *edges])
    ids = [node.id for node in nodes]
    source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    options: dict[str, Any] = {"direction": direction, "link_types": link_types}
    assert emulated.shortest_paths(
        source, target, max_depth=max_depth, max_paths=max_paths, **options
    ) == native.shortest_paths(source, target, max_depth=max_depth, max_paths=max_paths, **options)
    assert emulated.neighbourhood(source, depth=max_depth, **options) == native.neighbourhood(
        source, depth=max_depth, **options
    )
    assert emulated.timeline(entity_ids=ids) == native.timeline(entity_ids=ids)
    assert emulated.expand(source, **options) == native.expand(source, **options)
    assert list(emulated.export()) == list(native.export())


def _without(*names: str) -> Callable[..., CaseStore]:
    """A builder of memory stores declaring ``names`` unsupported, filled with its argument."""
    memory = {capability.name: how for capability, how in MEMORY.items()}
    if "GRAPH_EXPAND" in names:  # the walks the layer emulates over expand go with it
        names += ("GRAPH_NEIGHBOURHOOD", "GRAPH_SHORTEST_PATHS", "TIMELINE")
    declared = declare(**{**memory, **dict.fromkeys(names, Support.UNSUPPORTED)})
    limited = type("LimitedBackend", (MemoryBackend,), {"CAPABILITIES": declared})

    def build(records: Iterable[Record] = ()) -> CaseStore:
        store = CaseStore(limited())
        for record in records:
            store.create(record)
        return store

    return build


UNSUPPORTED_CALLS: list[tuple[str, Callable[[CaseStore], object]]] = [
    ("GRAPH_SHORTEST_PATHS", lambda s: s.shortest_paths("a", "b")),
    ("GRAPH_NEIGHBOURHOOD", lambda s: s.neighbourhood("a")),
    ("GRAPH_EXPAND", lambda s: s.expand("a")),
    ("TIMELINE", lambda s: s.timeline(entity_ids=["a"])),
    ("SEARCH_FILTER", lambda s: s.search(SearchQuery(filter=Eq("label", "a")))),
    ("SEARCH_TEXT", lambda s: s.search(SearchQuery(filter=Text("a")))),
    ("SEARCH_ORDER", lambda s: s.search(SearchQuery(order_by=(OrderKey(field="label"),)))),
    ("BULK_UPSERT", lambda s: s.upsert_many([person("c")])),
    ("BULK_EXPORT", lambda s: list(s.export())),
    ("CASES", lambda s: s.create(Case(id="c-1", reference="OP", title="T"))),
    ("CASES", lambda s: s.get(Case, "c-1")),
    ("CASES", lambda s: s.list_records(Case)),
    ("INTELLIGENCE_REPORTS", lambda s: s.create(report())),
    ("EXHIBITS", lambda s: s.get_many(Exhibit, ["x-1"])),
    ("EXHIBITS", lambda s: list(s.export([RecordType.EXHIBIT]))),
]


@pytest.mark.parametrize(
    ("capability", "call"),
    [
        pytest.param(name, call, id=f"{name}-{i}")
        for i, (name, call) in enumerate(UNSUPPORTED_CALLS)
    ],
)
def test_unsupported_capability_raises_not_supported_naming_it(
    capability: str, call: Callable[[CaseStore], object]
) -> None:
    """Calling what the adapter declares unsupported raises NotSupported with its name."""
    store = _without(capability)()
    store.create(person("a"))
    store.create(person("b"))
    assert not store.supports(Capability[capability])
    with pytest.raises(NotSupported) as caught:
        call(store)
    assert caught.value.capability == Capability[capability].value
    assert caught.value.adapter == "memory"
    assert Capability[capability].value in str(caught.value)


def test_search_without_text_support_still_filters() -> None:
    """Lacking text search only refuses Text; other filters and plain listing work."""
    limited = _without("SEARCH_TEXT")([person("a"), person("b")])
    assert [e.id for e in limited.search(SearchQuery(filter=Eq("label", "b"))).items] == ["b"]
    assert len(limited.search().items) == 2


def test_export_skips_unsupported_record_types_unless_asked() -> None:
    """A full export leaves out types the adapter lacks instead of failing."""
    limited = _without("CASES", "EXHIBITS")([person("a")])
    assert [record.id for record in limited.export()] == ["a"]


# ---------------------------------------------------------------------------- asyncio twin


def test_async_store_mirrors_the_synchronous_one() -> None:
    """Every AsyncCaseStore method gives the synchronous answer, errors included."""

    async def scenario() -> dict[str, Any]:
        store = InMemoryCaseStore().asynchronous()
        assert isinstance(store, AsyncCaseStore)
        await store.create(person("a"))
        created = await store.create(person("b"))
        await store.create(link("l1", "a", "b"))
        await store.create(event("ev", T0))
        await store.create(Link(id="l2", type="PARTY_TO", source_id="b", target_id="ev"))
        updated = await store.update(created.revise(description="x"), expected_version=1)
        results = {
            "get": await store.get(Entity, "b"),
            "updated": updated,
            "many": await store.get_many(Entity, iter(["b", "a"])),
            "search": await store.search(SearchQuery(filter=Eq("description", "x"))),
            "expand": await store.expand("a", direction="out"),
            "neighbourhood": await store.neighbourhood("a", depth=2),
            "paths": await store.shortest_paths("a", "ev"),
            "timeline": await store.timeline(entity_ids=["a", "b"]),
            "bulk": await store.upsert_many([person("c")]),
            "export": [record.id async for record in store.export(chunk=2)],
        }
        try:
            await store.get(Entity, "nobody")
        except NotFound as exc:
            results["error"] = exc.record_id
        await store.aclose()
        return results

    results = asyncio.run(scenario())
    assert results["get"] == results["updated"]
    assert results["get"].version == 2
    assert [e.id for e in results["many"]] == ["b", "a"]
    assert [e.id for e in results["search"].items] == ["b"]
    assert [hop.neighbour.id for hop in results["expand"]] == ["b"]
    assert [e.id for e in results["neighbourhood"].entities] == ["a", "b", "ev"]
    assert [path.entity_ids for path in results["paths"]] == [("a", "b", "ev")]
    assert [entry.event.id for entry in results["timeline"]] == ["ev"]
    assert results["bulk"].created == 1
    assert results["export"] == ["a", "b", "c", "ev", "l1", "l2"]
    assert results["error"] == "nobody"


def test_async_store_exposes_the_synchronous_store() -> None:
    """``sync`` gives back the store the twin wraps."""
    store = InMemoryCaseStore()
    assert AsyncCaseStore(store).sync is store


# ---------------------------------------------------------------------------- coverage of types


@pytest.mark.parametrize("record_type", list(RecordType))
def test_every_record_type_can_be_created_and_read_back(
    store: CaseStore, record_type: RecordType
) -> None:
    """The memory store keeps each record type the contract defines."""
    samples: dict[RecordType, Record] = {
        RecordType.ENTITY: person("s-1"),
        RecordType.LINK: link("s-1", "p-1", "p-2"),
        RecordType.CASE: Case(id="s-1", reference="OP", title="T"),
        RecordType.INTELLIGENCE_REPORT: report("s-1"),
        RecordType.EXHIBIT: exhibit("s-1"),
    }
    store.create(person("p-1"))
    store.create(person("p-2"))
    created = store.create(samples[record_type])
    assert store.get(RECORD_CLASSES[record_type], "s-1") == created


_NOT_MIRRORED = {"asynchronous", "backend", "close", "known_deviations", "write_faults", "clock"}
"""Facade members the async twin does not repeat: lifecycle (``aclose``, ``sync``) and tests."""
_ASYNC_ONLY = {("export", "chunk")}
"""Parameters only the async twin has: how many records each worker-thread read brings."""


def test_the_async_twin_mirrors_every_operation_with_the_same_parameters() -> None:
    """Each public operation has an async twin of the same parameters, kinds and defaults."""
    import inspect

    from contracts.store import AsyncCaseStore

    for name, member in inspect.getmembers(CaseStore):
        if name.startswith("_") or name in _NOT_MIRRORED or not callable(member):
            continue
        twin = getattr(AsyncCaseStore, name, None)
        assert twin is not None, f"AsyncCaseStore has no {name}"
        ours = [(p.name, p.kind, p.default) for p in inspect.signature(member).parameters.values()]
        theirs = [
            (p.name, p.kind, p.default)
            for p in inspect.signature(twin).parameters.values()
            if (name, p.name) not in _ASYNC_ONLY
        ]
        assert ours == theirs, name
        if name not in ("capabilities", "capability_notes", "supports", "plan_search"):
            assert inspect.iscoroutinefunction(twin) or inspect.isasyncgenfunction(twin), name
