"""Round trips of every record type through the canonical JSON Lines form, and markings."""

from __future__ import annotations

import json
from typing import Any

import pytest
from contracts_strategies import (
    cases,
    entities_of,
    exhibits,
    filters,
    full_markings,
    gradings_3x5x2,
    gradings_5x5x5,
    links,
    order_keys,
    reports,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter

from contracts import (
    AnyRecord,
    Case,
    Classification,
    Entity,
    EntityKind,
    Exhibit,
    Filter,
    IntelligenceReport,
    Link,
    Markings,
    OrderKey,
    Record,
    RecordType,
    SearchQuery,
    ValidationFailed,
    parse_record,
    record_class,
    to_json_line,
)
from contracts.models import RECORD_CLASSES

ROUND_TRIP_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

all_records = st.one_of(
    *(entities_of(kind) for kind in EntityKind),
    links(),
    cases(),
    reports(gradings_3x5x2),
    reports(gradings_5x5x5),
    exhibits(),
)


def _assert_round_trips(record: Record) -> None:
    line = to_json_line(record)
    assert "\n" not in line
    parsed = parse_record(line)
    assert type(parsed) is type(record)
    assert parsed == record
    assert to_json_line(parsed) == line


@pytest.mark.parametrize("kind", list(EntityKind))
@ROUND_TRIP_SETTINGS
@given(data=st.data())
def test_entity_of_each_kind_survives_the_json_line_round_trip(
    kind: EntityKind, data: st.DataObject
) -> None:
    """An entity of any kind, with its well-known block, parses back equal to itself."""
    _assert_round_trips(data.draw(entities_of(kind)))


@ROUND_TRIP_SETTINGS
@given(link=links())
def test_link_survives_the_json_line_round_trip(link: Link) -> None:
    """A link, directed or not, with validity and properties, parses back equal."""
    _assert_round_trips(link)


@ROUND_TRIP_SETTINGS
@given(case=cases())
def test_case_survives_the_json_line_round_trip(case: Case) -> None:
    """A case with members and status parses back equal."""
    _assert_round_trips(case)


@ROUND_TRIP_SETTINGS
@given(report=reports(gradings_3x5x2))
def test_3x5x2_report_survives_the_json_line_round_trip(report: IntelligenceReport) -> None:
    """A 3x5x2-graded report with history parses back equal, grade scheme intact."""
    _assert_round_trips(report)
    assert parse_record(to_json_line(report)).grading.scheme == "3x5x2"  # type: ignore[union-attr]


@ROUND_TRIP_SETTINGS
@given(report=reports(gradings_5x5x5))
def test_5x5x5_report_survives_the_json_line_round_trip(report: IntelligenceReport) -> None:
    """A legacy 5x5x5-graded report parses back equal and is not converted."""
    _assert_round_trips(report)
    assert parse_record(to_json_line(report)).grading.scheme == "5x5x5"  # type: ignore[union-attr]


@ROUND_TRIP_SETTINGS
@given(exhibit=exhibits())
def test_exhibit_survives_the_json_line_round_trip_with_custody_order(exhibit: Exhibit) -> None:
    """An exhibit parses back equal, its chain of custody in the same order."""
    _assert_round_trips(exhibit)
    parsed = parse_record(to_json_line(exhibit))
    assert isinstance(parsed, Exhibit)
    assert [event.at for event in parsed.custody] == sorted(event.at for event in exhibit.custody)


@ROUND_TRIP_SETTINGS
@given(record=all_records)
def test_record_round_trips_through_python_dump_and_type_adapter(record: Record) -> None:
    """``model_dump`` into the ``AnyRecord`` union gives the same record back."""
    adapter: TypeAdapter[Any] = TypeAdapter(AnyRecord)
    assert adapter.validate_python(record.model_dump()) == record
    assert adapter.validate_json(json.dumps(record.model_dump(mode="json"))) == record


@ROUND_TRIP_SETTINGS
@given(record=all_records)
def test_timestamps_are_stored_in_utc(record: Record) -> None:
    """Every datetime a record holds is normalised to UTC, whatever offset it was given."""
    parsed = parse_record(to_json_line(record))
    for stamp in (parsed.created_at, parsed.updated_at):
        assert stamp is None or (stamp.utcoffset() is not None and not stamp.utcoffset())


@ROUND_TRIP_SETTINGS
@given(record=all_records)
def test_content_ignores_bookkeeping_fields(record: Record) -> None:
    """Records differing only in version and timestamps state the same fact."""
    bumped = record.model_copy(update={"version": record.version + 1, "created_at": None})
    assert bumped.same_content(record)
    assert "version" not in record.content()


@pytest.mark.parametrize(
    "model",
    [*RECORD_CLASSES.values(), Markings, SearchQuery],
    ids=lambda model: model.__name__,
)
def test_model_json_schema_is_a_json_object_schema(model: type[BaseModel]) -> None:
    """Every record model, markings and the search query produce a JSON schema."""
    schema = model.model_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    json.dumps(schema)


def test_any_record_union_has_a_json_schema_with_every_record_type() -> None:
    """The union schema names each record type once, keyed by the discriminator."""
    schema = TypeAdapter(AnyRecord).json_schema()
    mapping = schema["discriminator"]["mapping"]
    assert set(mapping) == {record_type.value for record_type in RecordType}


@pytest.mark.parametrize("record_type", list(RecordType))
def test_record_class_maps_each_record_type_to_its_model(record_type: RecordType) -> None:
    """``record_class`` accepts the enum member or its value and returns the model."""
    model = record_class(record_type.value)
    assert model is record_class(record_type)
    assert model.RECORD_TYPE is record_type


def test_record_class_refuses_an_unknown_type() -> None:
    """An unknown record type is a validation failure, not a KeyError."""
    with pytest.raises(ValidationFailed, match="unknown record type"):
        record_class("person")


# ---------------------------------------------------------------------------- markings

CLASSIFICATION_ORDER = ["OFFICIAL", "SECRET", "TOP_SECRET"]


@settings(max_examples=150, deadline=None)
@given(markings=st.lists(full_markings, max_size=4))
def test_combined_markings_take_the_highest_tier_and_union_the_rest(
    markings: list[Markings],
) -> None:
    """``Markings.combine`` is max-classification, any-sensitive and sorted unions."""
    combined = Markings.combine(*markings)
    tiers = [CLASSIFICATION_ORDER.index(m.classification.value) for m in markings]
    expected_tier = CLASSIFICATION_ORDER[max(tiers, default=0)]
    assert combined.classification == Classification(expected_tier)
    assert combined.sensitive == any(m.sensitive for m in markings)
    assert combined.caveats == tuple(sorted({c for m in markings for c in m.caveats}))
    assert combined.compartments == tuple(sorted({c for m in markings for c in m.compartments}))
    instructions: list[str] = []
    for marking in markings:
        text = marking.handling_instructions
        if text is not None and text not in instructions:
            instructions.append(text)
    assert combined.handling_instructions == ("\n".join(instructions) or None)
    assert combined.legacy_gpms is None


@settings(max_examples=100, deadline=None)
@given(first=full_markings, second=full_markings)
def test_combining_markings_is_order_independent_except_for_instructions(
    first: Markings, second: Markings
) -> None:
    """Swapping the inputs changes at most the order of handling instructions."""
    forward = Markings.combine(first, second)
    backward = Markings.combine(second, first)
    ignore = {"handling_instructions"}
    assert forward.model_dump(exclude=ignore) == backward.model_dump(exclude=ignore)


def test_markings_label_reads_as_people_write_it() -> None:
    """OFFICIAL with ``sensitive`` reads OFFICIAL-SENSITIVE, caveats in brackets."""
    marking = Markings(sensitive=True, caveats=("UK EYES ONLY",))
    assert marking.label == "OFFICIAL-SENSITIVE [UK EYES ONLY]"
    assert Markings(classification=Classification.TOP_SECRET).label == "TOP SECRET"


def test_markings_keep_caveats_sorted_and_unique() -> None:
    """Two markings listing the same caveats in another order compare equal."""
    assert Markings(caveats=("B", "A", "B")) == Markings(caveats=("A", "B"))


# ---------------------------------------------------------------------------- queries


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(condition=st.none() | filters, order_by=order_keys, page_size=st.integers(1, 1_000))
def test_search_query_travels_as_json_unchanged(
    condition: Filter | None, order_by: tuple[OrderKey, ...], page_size: int
) -> None:
    """A query serialised to JSON validates back to an equal query."""
    query = SearchQuery(filter=condition, order_by=order_by, page_size=page_size)
    assert SearchQuery.model_validate_json(query.model_dump_json()) == query
    assert (
        query.fingerprint_source()
        == SearchQuery.model_validate_json(query.model_dump_json()).fingerprint_source()
    )


def test_entity_built_in_python_and_parsed_from_json_agree() -> None:
    """Keyword construction and JSON parsing produce the same entity."""
    built = Entity(id="p-1", kind=EntityKind.PERSON, subtype="suspect", label="Ann")
    line = json.dumps(
        {
            "record_type": "entity",
            "id": "p-1",
            "kind": "PERSON",
            "subtype": "suspect",
            "label": "Ann",
        }
    )
    assert parse_record(line) == built
