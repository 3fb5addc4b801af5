"""Edge cases at the contract's boundary: extreme datetimes, forged cursors, odd arguments."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters import InMemoryCaseStore
from contracts import (
    Capability,
    Entity,
    EntityKind,
    EventFields,
    Grading3x5x2,
    IntelligenceReport,
    InvalidCursor,
    Link,
    Range,
    SearchQuery,
    Support,
    ValidationFailed,
    declare,
    parse_record,
)


def _person(entity_id: str) -> Entity:
    return Entity(id=entity_id, kind=EntityKind.PERSON, subtype="person", label=entity_id)


def _store() -> InMemoryCaseStore:
    store = InMemoryCaseStore()
    for entity_id in ("a", "b"):
        store.create(_person(entity_id))
    store.create(Link(id="ab", type="KNOWS", source_id="a", target_id="b"))
    return store


def test_a_datetime_that_overflows_in_utc_is_a_validation_failure() -> None:
    """A time zone pushing an instant past year 9999 in UTC is refused, not an OverflowError."""
    line = (
        '{"record_type":"entity","id":"e1","kind":"EVENT","subtype":"crime","label":"x",'
        '"event":{"occurred_from":"9999-12-31T23:30:00-05:00"}}'
    )
    with pytest.raises(ValidationFailed, match="out of range"):
        parse_record(line)


def test_a_filter_bound_that_overflows_in_utc_is_refused() -> None:
    """A datetime bound before year 1 in UTC is refused when the filter is built."""
    with pytest.raises(ValueError, match="out of range"):
        Range(field="event.occurred_from", gte="0001-01-01T00:00:00+01:00")


def test_a_timeline_bound_that_overflows_in_utc_is_a_validation_failure() -> None:
    """Timeline bounds that cannot be expressed in UTC raise ValidationFailed."""
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValidationFailed, match="timeline bound"):
        _store().timeline(entity_ids=["a"], start=early)


def test_range_accepts_an_iso_string_and_a_datetime_as_bounds_of_one_field() -> None:
    """Bounds of a datetime field may mix ISO strings and datetimes; both become datetimes."""
    condition = Range(
        field="event.occurred_from", gte="2024-01-01T00:00:00Z", lt=datetime(2025, 1, 1, tzinfo=UTC)
    )
    assert condition.gte == datetime(2024, 1, 1, tzinfo=UTC)
    store = InMemoryCaseStore()
    inside = datetime(2024, 6, 1, tzinfo=UTC)
    store.create(
        Entity(
            id="e",
            kind=EntityKind.EVENT,
            subtype="crime",
            label="e",
            event=EventFields(occurred_from=inside),
        )
    )
    assert [e.id for e in store.search(SearchQuery(filter=condition)).items] == ["e"]


@pytest.mark.parametrize(
    "cursor",
    [
        base64.urlsafe_b64encode(b"[" * 3000).decode(),
        "x" * 5000,
        "%%%not-base64%%%",
    ],
    ids=["deeply-nested-json", "oversized", "not-base64"],
)
def test_a_forged_cursor_is_an_invalid_cursor_for_search_and_listing(cursor: str) -> None:
    """Forged cursors raise InvalidCursor, never a recursion or decoding error."""
    store = _store()
    with pytest.raises(InvalidCursor):
        store.list_records(Entity, cursor=cursor)
    if len(cursor) <= 4096:
        with pytest.raises(InvalidCursor):
            store.search(SearchQuery(cursor=cursor))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.neighbourhood("a", max_entities=0), "max_entities"),
        (lambda s: s.neighbourhood("a", max_entities="5"), "max_entities"),
        (lambda s: s.shortest_paths("a", "b", max_paths="3"), "max_paths"),
        (lambda s: s.upsert_many([], batch_size="10"), "batch_size"),
        (lambda s: s.upsert_many([], batch_size=True), "batch_size"),
        (lambda s: s.neighbourhood("a", neighbour_kinds=["person"]), "kind"),
        (lambda s: s.shortest_paths("a", "b", via_kinds=["nobody"]), "kind"),
        (lambda s: s.get_many(Entity, "ab"), "list"),
        (lambda s: s.timeline(entity_ids="ab"), "list"),
        (lambda s: list(s.export(["bogus"])), "record type"),
    ],
    ids=[
        "zero-max-entities",
        "string-max-entities",
        "string-max-paths",
        "string-batch-size",
        "bool-batch-size",
        "lowercase-kind",
        "unknown-kind",
        "bare-string-ids",
        "bare-string-timeline-ids",
        "unknown-export-type",
    ],
)
def test_malformed_arguments_raise_validation_failed(call: object, message: str) -> None:
    """Wrongly typed or out-of-range arguments are refused with a message naming them."""
    with pytest.raises(ValidationFailed, match=message):
        call(_store())  # type: ignore[operator]


def test_kinds_may_be_given_as_their_string_values() -> None:
    """Kind filters accept the enum's string values as well as the enum."""
    store = _store()
    hops = store.expand("a", neighbour_kinds=["PERSON"])
    assert [hop.neighbour.id for hop in hops] == ["b"]


def test_an_export_started_before_a_write_does_not_see_half_of_it() -> None:
    """An export is one snapshot: a link written mid-export never appears without its entity."""
    store = _store()
    stream = store.export()
    first = next(stream)
    store.create(_person("c"))
    store.create(Link(id="ac", type="KNOWS", source_id="a", target_id="c"))
    rest = [(record.RECORD_TYPE.value, record.id) for record in stream]
    assert (first.RECORD_TYPE.value, first.id) == ("entity", "a")
    assert rest == [("entity", "b"), ("link", "ab")]
    copy = InMemoryCaseStore()
    copy.upsert_many(store.export())
    assert len(list(copy.export())) == 5


def test_upserting_an_unstamped_record_again_keeps_its_creation_time() -> None:
    """A bulk write of a stored record without timestamps keeps the stored created_at."""
    now = [datetime(2024, 1, 1, tzinfo=UTC)]
    store = InMemoryCaseStore()
    store.clock = lambda: now[0]  # type: ignore[method-assign]
    store.upsert_many([_person("e")])
    now[0] += timedelta(days=30)
    report = store.upsert_many([_person("e").revise(label="renamed")])
    stored = store.get(Entity, "e")
    assert report.updated == 1
    assert stored.created_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert stored.updated_at == datetime(2024, 1, 31, tzinfo=UTC)


def test_emulating_a_graph_operation_needs_expand() -> None:
    """Declaring an emulated capability while expand is unsupported is refused."""
    support = {capability.name: Support.NATIVE for capability in Capability}
    support[Capability.GRAPH_EXPAND.name] = Support.UNSUPPORTED
    support[Capability.GRAPH_SHORTEST_PATHS.name] = Support.EMULATED
    with pytest.raises(ValueError, match=r"graph\.expand"):
        declare(**support)


def test_regrading_with_an_empty_author_is_a_validation_failure() -> None:
    """IntelligenceReport.regraded raises the contract's error, not pydantic's."""
    report = IntelligenceReport(
        reference="IR/1",
        submitted_at=datetime(2024, 1, 1, tzinfo=UTC),
        submitted_by="DC 1",
        grading=Grading3x5x2(source_evaluation="1", intelligence_assessment="A", handling_code="P"),
        text="seen at the address",
    )
    new = Grading3x5x2(source_evaluation="2", intelligence_assessment="B", handling_code="P")
    with pytest.raises(ValidationFailed, match="changed_by"):
        report.regraded(new, by="", rationale="corroborated")


def test_the_async_twin_mirrors_listing_paged_search_and_declarations() -> None:
    """AsyncCaseStore offers list_records, iter_search, info, capabilities and supports."""
    store = _store()
    for index in range(5):
        store.create(_person(f"p{index}"))
    twin = store.asynchronous()

    async def run() -> tuple[list[str], list[str]]:
        listed = await twin.list_records(Entity, page_size=3)
        found = [entity.id async for entity in twin.iter_search(SearchQuery(page_size=2))]
        return [entity.id for entity in listed.items], found

    listed, found = asyncio.run(run())
    assert listed == ["a", "b", "p0"]
    assert found == ["a", "b", "p0", "p1", "p2", "p3", "p4"]
    assert twin.info.name == "memory"
    assert twin.supports(Capability.TIMELINE)
    assert twin.capabilities()[Capability.GRAPH_EXPAND] is Support.NATIVE


def test_transient_errors_sit_under_backend_errors_and_carry_retry_after() -> None:
    """RateLimited is Unavailable is TransientError is BackendError, keeping retry_after."""
    from contracts import BackendError, CaseportError, RateLimited, TransientError, Unavailable

    error = RateLimited("slow down", retry_after=2.5)
    assert isinstance(error, Unavailable)
    assert isinstance(error, TransientError)
    assert isinstance(error, BackendError)
    assert isinstance(error, CaseportError)
    assert error.retry_after == 2.5
    assert "retry after 2.5 s" in str(error)


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 10**400])
def test_integers_outside_64_bits_are_refused_in_records_and_filters(value: int) -> None:
    """Every backend stores 64-bit integers exactly, so larger ones are refused at the door."""
    from contracts import Eq

    with pytest.raises(ValueError, match="64-bit"):
        Entity(id="e", kind=EntityKind.PERSON, subtype="p", label="e", properties={"n": value})
    with pytest.raises(ValueError, match="64-bit"):
        Eq("properties.n", value)
    with pytest.raises(ValueError, match="64-bit"):
        Range(field="version", gt=value)


def test_the_64_bit_limits_themselves_are_kept() -> None:
    """The largest and smallest 64-bit integers are valid property values and filter values."""
    from contracts import Eq

    store = InMemoryCaseStore()
    store.create(
        Entity(
            id="e",
            kind=EntityKind.PERSON,
            subtype="p",
            label="e",
            properties={"hi": 2**63 - 1, "lo": -(2**63)},
        )
    )
    found = store.search(SearchQuery(filter=Eq("properties.hi", 2**63 - 1))).items
    assert [entity.id for entity in found] == ["e"]
