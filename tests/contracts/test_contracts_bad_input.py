"""A corpus of malformed records and hostile queries, each refused or defused.

Every malformed record must fail twice: as a JSON line through ``parse_record`` (raising the
contract's ``ValidationFailed``) and when built directly from Python values (raising pydantic's
``ValidationError``). Hostile search text must be read as literal terms, never as syntax.
"""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from adapters import InMemoryCaseStore
from contracts import (
    And,
    Entity,
    Eq,
    In,
    Markings,
    Not,
    Prefix,
    SearchQuery,
    Text,
    ValidationFailed,
    parse_record,
    record_class,
)
from contracts.paging import MAX_CURSOR_LENGTH
from contracts.query import field_spec

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)

ENTITY: dict[str, Any] = {
    "record_type": "entity",
    "id": "e-1",
    "kind": "PERSON",
    "subtype": "suspect",
    "label": "Ann Smith",
    "person": {"family_name": "Smith", "date_of_birth": "1980-05-17"},
    "properties": {"height_cm": 170, "tags": ["a", "b"]},
}
LOCATION: dict[str, Any] = {
    "record_type": "entity",
    "id": "loc-1",
    "kind": "LOCATION",
    "subtype": "address",
    "label": "1 High Street",
    "location": {"postcode": "AB1 2CD", "latitude": 51.5, "longitude": -0.1},
}
EVENT: dict[str, Any] = {
    "record_type": "entity",
    "id": "ev-1",
    "kind": "EVENT",
    "subtype": "crime",
    "label": "Burglary",
    "event": {"occurred_from": T0, "occurred_to": T0 + timedelta(hours=1)},
}
LINK: dict[str, Any] = {
    "record_type": "link",
    "id": "l-1",
    "type": "ASSOCIATE_OF",
    "source_id": "e-1",
    "target_id": "e-2",
    "confidence": 0.5,
    "valid_from": T0,
}
CASE: dict[str, Any] = {
    "record_type": "case",
    "id": "c-1",
    "reference": "OP-1",
    "title": "Operation One",
    "opened_at": T0,
    "members": [{"entity_id": "e-1", "role": "suspect"}, {"entity_id": "e-1", "role": "witness"}],
}
REPORT: dict[str, Any] = {
    "record_type": "intelligence_report",
    "id": "r-1",
    "reference": "IR-1",
    "submitted_at": T0,
    "submitted_by": "DC 1",
    "text": "Seen at the address.",
    "grading": {
        "scheme": "3x5x2",
        "source_evaluation": "1",
        "intelligence_assessment": "A",
        "handling_code": "P",
    },
}
LEGACY_REPORT: dict[str, Any] = {
    **REPORT,
    "grading": {
        "scheme": "5x5x5",
        "source_evaluation": "B",
        "intelligence_evaluation": "2",
        "handling_code": "1",
    },
}
EXHIBIT: dict[str, Any] = {
    "record_type": "exhibit",
    "id": "x-1",
    "reference": "EX-1",
    "description": "Mobile phone",
    "content_hash": "ab" * 32,
    "size_bytes": 1024,
    "custody": [
        {"at": T0, "from_holder": "PC 1", "to_holder": "Store", "purpose": "storage"},
        {
            "at": T0 + timedelta(days=1),
            "from_holder": "Store",
            "to_holder": "Lab",
            "purpose": "exam",
        },
    ],
}
BASELINES = {
    "entity": ENTITY,
    "location": LOCATION,
    "event": EVENT,
    "link": LINK,
    "case": CASE,
    "report": REPORT,
    "legacy_report": LEGACY_REPORT,
    "exhibit": EXHIBIT,
}


def _variant(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied; dotted keys reach into nested objects and lists."""
    data = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return data


def _json_default(value: object) -> str:
    assert isinstance(value, datetime)
    return value.isoformat()


def _json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, default=_json_default)


def _build(data: dict[str, Any]) -> object:
    return record_class(data["record_type"])(**data)


NAIVE = datetime(2024, 3, 1, 9, 30)
ORDERED_CUSTODY = EXHIBIT["custody"]

CORPUS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    # wrong types
    ("version as a string", ENTITY, {"version": "1"}),
    ("version as a float", ENTITY, {"version": 1.0}),
    ("version as a bool", ENTITY, {"version": True}),
    ("version zero", ENTITY, {"version": 0}),
    ("label as a number", ENTITY, {"label": 1}),
    ("aliases as one string", ENTITY, {"aliases": "Annie"}),
    ("directed as yes", LINK, {"directed": "yes"}),
    ("directed as 1", LINK, {"directed": 1}),
    ("sensitive as yes", ENTITY, {"markings": {"sensitive": "yes"}}),
    ("sanitised as yes", REPORT, {"sanitised": "yes"}),
    ("confidence as a string", LINK, {"confidence": "0.5"}),
    ("latitude as a string", LOCATION, {"location.latitude": "51.5"}),
    ("size in bytes as a string", EXHIBIT, {"size_bytes": "1024"}),
    ("property value null", ENTITY, {"properties": {"height_cm": None}}),
    ("property value an object", ENTITY, {"properties": {"address": {"line": "x"}}}),
    ("property list of lists", ENTITY, {"properties": {"tags": [["a"]]}}),
    ("kind not a kind", ENTITY, {"kind": "PEOPLE"}),
    ("kind in lower case", ENTITY, {"kind": "person"}),
    ("record type unknown", ENTITY, {"record_type": "person"}),
    # unknown fields
    ("unknown top-level field", ENTITY, {"nickname": "Annie"}),
    ("unknown field in person", ENTITY, {"person.nickname": "Annie"}),
    ("unknown field in markings", ENTITY, {"markings": {"colour": "red"}}),
    ("unknown field in grading", REPORT, {"grading.confidence": "high"}),
    ("5x5x5 field on a 3x5x2 grade", REPORT, {"grading.intelligence_evaluation": "2"}),
    ("unknown field in custody", EXHIBIT, {"custody.0.signature": "x"}),
    ("unknown field in a member", CASE, {"members.0.since": "2024"}),
    ("unknown field in provenance", ENTITY, {"provenance": [{"source_system": "x", "y": 1}]}),
    ("bookkeeping field misspelt", ENTITY, {"created": T0}),
    # oversized
    ("label of 501 characters", ENTITY, {"label": "x" * 501}),
    ("description over 10,000 characters", ENTITY, {"description": "x" * 10_001}),
    ("51 aliases", ENTITY, {"aliases": [f"alias {i}" for i in range(51)]}),
    ("201 properties", ENTITY, {"properties": {f"p{i}": i for i in range(201)}}),
    ("property list of 201 values", ENTITY, {"properties": {"tags": list(range(201))}}),
    ("property string over 10,000", ENTITY, {"properties": {"note": "x" * 10_001}}),
    ("property name over 64", ENTITY, {"properties": {"p" * 65: 1}}),
    ("id of 129 characters", ENTITY, {"id": "a" * 129}),
    ("subtype of 65 characters", ENTITY, {"subtype": "a" * 65}),
    ("21 given names", ENTITY, {"person.given_names": ["Ann"] * 21}),
    # text no backend keeps faithfully
    ("NUL in label", ENTITY, {"label": "Ann\x00Smith"}),
    ("NUL in description", ENTITY, {"description": "\x00"}),
    ("NUL in alias", ENTITY, {"aliases": ["ok", "a\x00"]}),
    ("NUL in property value", ENTITY, {"properties": {"note": "a\x00b"}}),
    ("NUL in property list", ENTITY, {"properties": {"tags": ["a", "\x00"]}}),
    ("NUL in property name", ENTITY, {"properties": {"no\x00te": "x"}}),
    ("NUL in report text", REPORT, {"text": "line\x00"}),
    ("NUL beside non-ASCII text", ENTITY, {"label": "Zoë\x00"}),
    ("lone surrogate in label", ENTITY, {"label": "Ann \ud800"}),
    ("lone low surrogate in property", ENTITY, {"properties": {"note": "\udfff"}}),
    ("lone surrogate in custody purpose", EXHIBIT, {"custody.0.purpose": "\ud83d"}),
    # dates
    ("month 13", ENTITY, {"person.date_of_birth": "2024-13-01"}),
    ("30 February", ENTITY, {"person.date_of_birth": "2024-02-30"}),
    ("29 February of a common year", ENTITY, {"person.date_of_birth": "2023-02-29"}),
    ("date of birth in words", ENTITY, {"person.date_of_birth": "not a date"}),
    ("date of birth with a time", ENTITY, {"person.date_of_birth": "1980-05-17T00:00"}),
    ("naive created_at", ENTITY, {"created_at": NAIVE}),
    ("naive submitted_at", REPORT, {"submitted_at": NAIVE}),
    ("naive custody time", EXHIBIT, {"custody.0.at": NAIVE}),
    ("created_at in words", ENTITY, {"created_at": "not a date"}),
    ("occurred_from in words", EVENT, {"event.occurred_from": "not a date"}),
    ("occurred_to without occurred_from", EVENT, {"event.occurred_from": None}),
    ("event ends before it starts", EVENT, {"event.occurred_to": T0 - timedelta(seconds=1)}),
    ("link valid_to before valid_from", LINK, {"valid_to": T0 - timedelta(days=1)}),
    ("case closed before opened", CASE, {"closed_at": T0 - timedelta(days=1)}),
    # gradings
    ("3x5x2 with source A", REPORT, {"grading.source_evaluation": "A"}),
    ("3x5x2 with intelligence F", REPORT, {"grading.intelligence_assessment": "F"}),
    ("3x5x2 with handling 1", REPORT, {"grading.handling_code": "1"}),
    ("5x5x5 with handling P", LEGACY_REPORT, {"grading.handling_code": "P"}),
    ("5x5x5 with source 1", LEGACY_REPORT, {"grading.source_evaluation": "1"}),
    ("handling code C without conditions", REPORT, {"grading.handling_code": "C"}),
    ("unknown grading scheme", REPORT, {"grading.scheme": "4x4"}),
    ("grading without a scheme", REPORT, {"grading": {"source_evaluation": "1"}}),
    ("grade as a compact code", REPORT, {"grading": "1AP"}),
    # location
    ("latitude without longitude", LOCATION, {"location.longitude": None}),
    ("longitude without latitude", LOCATION, {"location.latitude": None}),
    ("latitude 91", LOCATION, {"location.latitude": 91.0}),
    ("longitude -181", LOCATION, {"location.longitude": -181.0}),
    ("location block on a person", ENTITY, {"location": {"postcode": "AB1"}}),
    ("person block on an event", EVENT, {"person": {"family_name": "Smith"}}),
    # custody
    ("custody out of time order", EXHIBIT, {"custody": list(reversed(ORDERED_CUSTODY))}),
    ("content hash in upper case", EXHIBIT, {"content_hash": "AB" * 32}),
    ("content hash too short", EXHIBIT, {"content_hash": "ab" * 31}),
    ("negative size", EXHIBIT, {"size_bytes": -1}),
    # ids and codes
    ("id with a space", ENTITY, {"id": "e 1"}),
    ("id with a slash", ENTITY, {"id": "e/1"}),
    ("id with a leading dash", ENTITY, {"id": "-e1"}),
    ("empty id", ENTITY, {"id": ""}),
    ("id outside ASCII", ENTITY, {"id": "é1"}),
    ("link source with a slash", LINK, {"source_id": "../e-1"}),
    ("member id with a space", CASE, {"members.0.entity_id": "e 1"}),
    ("subtype in upper case", ENTITY, {"subtype": "Suspect"}),
    ("link type in lower case", LINK, {"type": "associate_of"}),
    ("link type in mixed case", LINK, {"type": "Associate_Of"}),
    ("link type with a space", LINK, {"type": "ASSOCIATE OF"}),
    ("empty label", ENTITY, {"label": ""}),
    # case members
    ("duplicate case members", CASE, {"members.1.role": "suspect"}),
    ("member role not a code", CASE, {"members.0.role": "Prime Suspect"}),
    # non-finite numbers
    ("NaN property", ENTITY, {"properties": {"score": math.nan}}),
    ("infinite property", ENTITY, {"properties": {"score": math.inf}}),
    ("negative infinite property", ENTITY, {"properties": {"score": -math.inf}}),
    ("NaN inside a property list", ENTITY, {"properties": {"tags": [1.0, math.nan]}}),
    ("NaN latitude", LOCATION, {"location.latitude": math.nan}),
    ("infinite confidence", LINK, {"confidence": math.inf}),
    ("confidence above one", LINK, {"confidence": 1.5}),
]


@pytest.mark.parametrize("base", list(BASELINES.values()), ids=list(BASELINES))
def test_every_baseline_record_is_valid_both_ways(base: dict[str, Any]) -> None:
    """The records the corpus mutates are themselves valid, so each failure is the mutation's."""
    built = _build(copy.deepcopy(base))
    assert parse_record(_json_line(base)) == built


@pytest.mark.parametrize(
    ("base", "changes"),
    [pytest.param(base, changes, id=name) for name, base, changes in CORPUS],
)
def test_malformed_json_line_raises_validation_failed(
    base: dict[str, Any], changes: dict[str, Any]
) -> None:
    """``parse_record`` refuses the malformed record with the contract's own error."""
    with pytest.raises(ValidationFailed, match=r"^invalid record: "):
        parse_record(_json_line(_variant(base, changes)))


@pytest.mark.parametrize(
    ("base", "changes"),
    [pytest.param(base, changes, id=name) for name, base, changes in CORPUS],
)
def test_malformed_record_built_directly_raises_validation_error(
    base: dict[str, Any], changes: dict[str, Any]
) -> None:
    """Building the malformed record from Python values raises pydantic's ValidationError."""
    model = record_class(base["record_type"])
    with pytest.raises(ValidationError):
        model(**_variant(base, changes))


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("", id="empty"),
        pytest.param("{", id="truncated"),
        pytest.param("[]", id="array"),
        pytest.param("null", id="null"),
        pytest.param('"entity"', id="string"),
        pytest.param("{}", id="no record type"),
        pytest.param(b"\xff\xfe{}", id="not UTF-8"),
        pytest.param('{"record_type": "entity"} trailing', id="trailing text"),
        pytest.param(json.dumps(ENTITY, default=str) + "\n" + "{}", id="two records"),
    ],
)
def test_line_that_is_not_one_json_record_raises_validation_failed(line: str | bytes) -> None:
    """Anything but one JSON object per line is refused as invalid."""
    with pytest.raises(ValidationFailed):
        parse_record(line)


# ---------------------------------------------------------------------------- error messages

HOSTILE = "Q" * 10_000


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(_variant(ENTITY, {"label": HOSTILE}), id="oversized label"),
        pytest.param(_variant(ENTITY, {"description": HOSTILE * 2}), id="oversized description"),
        pytest.param(_variant(ENTITY, {HOSTILE: 1}), id="oversized unknown field"),
        pytest.param(_variant(ENTITY, {"properties": {HOSTILE: 1}}), id="oversized property key"),
        pytest.param(_variant(ENTITY, {"record_type": HOSTILE}), id="oversized record type"),
        pytest.param(_variant(REPORT, {"grading.scheme": HOSTILE}), id="oversized grade scheme"),
        pytest.param(_variant(ENTITY, {"kind": HOSTILE}), id="oversized kind"),
        pytest.param(_variant(ENTITY, {"person.date_of_birth": HOSTILE}), id="oversized date"),
        pytest.param(_variant(LINK, {"type": HOSTILE}), id="oversized link type"),
    ],
)
def test_error_message_never_echoes_hostile_input(data: dict[str, Any]) -> None:
    """The ``ValidationFailed`` message names the problem without repeating the input."""
    with pytest.raises(ValidationFailed) as caught:
        parse_record(_json_line(data))
    message = str(caught.value)
    assert "Q" * 20 not in message
    assert len(message) < 1_000


def test_error_message_hides_unprintable_keys() -> None:
    """A property key holding control characters is described, not printed."""
    with pytest.raises(ValidationFailed) as caught:
        parse_record(_json_line(_variant(ENTITY, {"properties": {"a\x00\x1b[2J": 1}})))
    message = str(caught.value)
    assert "\x00" not in message
    assert "\x1b" not in message
    assert "properties" in message


def test_error_message_names_the_failing_field() -> None:
    """The message says where the problem is, so the caller can fix it."""
    with pytest.raises(ValidationFailed, match=r"entity\.person\.date_of_birth"):
        parse_record(_json_line(_variant(ENTITY, {"person.date_of_birth": "2024-13-01"})))


def test_error_message_reports_at_most_five_problems() -> None:
    """Many problems are summarised, with a count of the rest."""
    data = _variant(ENTITY, {f"unknown_{i}": i for i in range(12)})
    with pytest.raises(ValidationFailed, match=r"and 7 more$"):
        parse_record(_json_line(data))


def test_unknown_search_field_message_is_bounded() -> None:
    """An unknown field name in a query is cut short in the message."""
    with pytest.raises(ValidationFailed) as caught:
        field_spec(HOSTILE)
    assert HOSTILE[:100] not in str(caught.value)


# ---------------------------------------------------------------------------- store entry points


@pytest.mark.parametrize(
    "thing",
    [
        pytest.param({"record_type": "entity", "kind": "PERSON"}, id="dict"),
        pytest.param(_json_line(ENTITY), id="json string"),
        pytest.param(Markings(), id="a model that is not a record"),
        pytest.param(None, id="None"),
    ],
)
def test_store_create_refuses_anything_but_a_record(thing: object) -> None:
    """``create`` with a dict, a string or another model raises ValidationFailed."""
    store = InMemoryCaseStore()
    with pytest.raises(ValidationFailed, match="expected a caseport record"):
        store.create(thing)  # type: ignore[type-var]
    assert list(store.export()) == []


def test_store_search_refuses_a_filter_in_place_of_a_query() -> None:
    """``search`` takes a SearchQuery; a bare filter or a string is refused."""
    store = InMemoryCaseStore()
    with pytest.raises(ValidationFailed, match="SearchQuery"):
        store.search(Text("x"))  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="SearchQuery"):
        store.search("label = 'x'")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- hostile search text

LONG_QUERY = ("a b " * 2_500)[:10_000]


def _labelled(entity_id: str, label: str, **fields: Any) -> Entity:
    return Entity(id=entity_id, kind="OBJECT", subtype="thing", label=label, **fields)


HOSTILE_DATA = [
    _labelled("sql", "' OR 1=1 --"),
    _labelled("or-words", "Smith or 1 more"),
    _labelled("near", "NEAR(a b)"),
    _labelled("title", "title:x"),
    _labelled("and", "a AND b"),
    _labelled("dash", "-x"),
    _labelled("star", "*"),
    _labelled("quote", '"'),
    _labelled("caret", "^"),
    _labelled("long", "long", description="a " * 4_999 + "z"),
    _labelled("percent", "100%_off"),
    _labelled("plain", "plain"),
]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("' OR 1=1 --", {"sql", "or-words"}, id="sql injection"),
        pytest.param('"', set(), id="lone quote"),
        pytest.param("*", set(), id="wildcard"),
        pytest.param("NEAR(a b)", {"near"}, id="proximity operator"),
        pytest.param("title:x", {"title"}, id="field syntax"),
        pytest.param("a AND b", {"and"}, id="boolean operator"),
        pytest.param("-x", {"title", "dash"}, id="negation prefix"),
        pytest.param("^", set(), id="boost operator"),
        pytest.param("%", set(), id="LIKE wildcard"),
        pytest.param("off _", {"percent"}, id="underscore separates"),
        pytest.param(LONG_QUERY, {"near", "and"}, id="10,000 characters"),
        pytest.param("a z", {"long"}, id="terms deep in a long text"),
    ],
)
def test_hostile_text_search_matches_only_its_literal_terms(query: str, expected: set[str]) -> None:
    """Query syntax of any engine has no meaning: only whole literal terms must appear."""
    store = InMemoryCaseStore(HOSTILE_DATA)
    found = {entity.id for entity in store.iter_search(SearchQuery(filter=Text(query)))}
    assert found == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param(Eq("label", "' OR 1=1 --"), {"sql"}, id="eq with quotes"),
        pytest.param(Eq("label", "*"), {"star"}, id="eq with a wildcard"),
        pytest.param(Prefix("label", "'"), {"sql"}, id="prefix quote"),
        pytest.param(Prefix("label", "%"), set(), id="prefix LIKE percent"),
        pytest.param(Prefix("label", "_"), set(), id="prefix LIKE underscore"),
        pytest.param(Prefix("label", "100%"), {"percent"}, id="prefix holding percent"),
        pytest.param(In("label", ('"', "^", "')")), {"quote", "caret"}, id="in with quotes"),
        pytest.param(Not(Eq("label", "' OR 1=1 --")), None, id="not eq with quotes"),
    ],
)
def test_hostile_literal_values_compare_exactly(condition: Any, expected: set[str] | None) -> None:
    """Quotes and wildcards inside Eq, Prefix and In values are plain characters."""
    store = InMemoryCaseStore(HOSTILE_DATA)
    found = {entity.id for entity in store.iter_search(SearchQuery(filter=condition))}
    if expected is None:
        expected = {entity.id for entity in HOSTILE_DATA} - {"sql"}
    assert found == expected


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: Text("a" * 10_001), id="text of 10,001 characters"),
        pytest.param(lambda: Text("a\x00b"), id="text with NUL"),
        pytest.param(lambda: Text("a\ud800"), id="text with a lone surrogate"),
        pytest.param(lambda: Eq("label", "a\x00"), id="eq value with NUL"),
        pytest.param(lambda: Prefix("label", "\x00"), id="prefix with NUL"),
        pytest.param(lambda: Prefix("label", "x" * 501), id="prefix of 501 characters"),
        pytest.param(lambda: In("label", tuple(map(str, range(1_001)))), id="in with 1,001"),
        pytest.param(lambda: Eq("label; DROP TABLE entity", "x"), id="unknown field"),
        pytest.param(lambda: Eq("properties.Bad-Name", "x"), id="bad property path"),
        pytest.param(lambda: Eq("version", "1"), id="string for an int field"),
        pytest.param(lambda: Eq("markings.sensitive", 1), id="number for a bool field"),
        pytest.param(lambda: Prefix("version", "1"), id="prefix on a number field"),
        pytest.param(lambda: Eq("created_at", NAIVE), id="naive datetime"),
        pytest.param(lambda: SearchQuery(filter=_nested(9)), id="nesting 9 deep"),
        pytest.param(lambda: SearchQuery(filter=_wide(101)), id="101 conditions"),
        pytest.param(lambda: SearchQuery(page_size=1_001), id="page of 1,001"),
        pytest.param(lambda: SearchQuery(page_size="10"), id="page size as a string"),
        pytest.param(
            lambda: SearchQuery(cursor="c" * (MAX_CURSOR_LENGTH + 1)), id="oversized cursor"
        ),
    ],
)
def test_hostile_query_is_refused_when_built(build: Any) -> None:
    """Oversized, unclean or ill-typed queries fail at construction with ValidationError."""
    with pytest.raises(ValidationError):
        build()


def _nested(depth: int) -> Any:
    condition: Any = Eq("label", "x")
    for _ in range(depth - 1):
        condition = Not(condition)
    return condition


def _wide(leaves: int) -> Any:
    return And(*(Eq("label", str(i)) for i in range(leaves)))


def test_query_at_the_limits_is_accepted() -> None:
    """Exactly 10,000 characters, 8 levels and 100 conditions are still allowed."""
    store = InMemoryCaseStore(HOSTILE_DATA)
    assert store.search(SearchQuery(filter=Text("x" * 10_000))).items == ()
    assert store.search(SearchQuery(filter=_nested(8))).items
    assert store.search(SearchQuery(filter=_wide(100))).items == ()
