"""The search language: exact comparisons, literal text terms, total order and safe paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import InvalidCursor, ValidationFailed
from contracts.models.common import Markings
from contracts.models.entities import Entity, EntityKind, Identifier
from contracts.paging import MAX_CURSOR_LENGTH
from contracts.query import (
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    OrderKey,
    Prefix,
    Range,
    SearchQuery,
    Text,
)
from contracts.store import CaseStore

FILTER = pytest.mark.capability(Capability.SEARCH_FILTER)
TEXT = pytest.mark.capability(Capability.SEARCH_FILTER, Capability.SEARCH_TEXT)
ORDER = pytest.mark.capability(Capability.SEARCH_ORDER)


def _found(store: CaseStore, condition: Filter | None = None, *order: OrderKey) -> list[str]:
    query = SearchQuery(filter=condition, order_by=order, page_size=1000)
    page = store.search(query)
    assert page.next_cursor is None
    return [entity.id for entity in page.items]


def _key(field: str, descending: bool = False) -> OrderKey:
    return OrderKey(field=field, descending=descending)


@pytest.mark.requirement("SRCH-001")
def test_a_search_without_a_filter_returns_every_entity_by_id(store: CaseStore) -> None:
    """No filter matches every entity, ordered by id; links are not searched."""
    for entity_id in ("s-3", "s-1", "s-2"):
        store.create(data.entity(entity_id))
    store.create(data.link("s-0", "s-1", "s-2"))
    assert [entity.id for entity in store.search().items] == ["s-1", "s-2", "s-3"]
    assert [entity.id for entity in store.search(SearchQuery()).items] == ["s-1", "s-2", "s-3"]
    assert store.search(SearchQuery()).items == tuple(store.get_many(Entity, ["s-1", "s-2", "s-3"]))


@pytest.mark.requirement("SRCH-002")
@FILTER
def test_eq_and_in_match_exact_values_of_the_same_type(store: CaseStore) -> None:
    """Text matches exactly and case-sensitively; numbers numerically; never across types."""
    rows: list[tuple[str, str, Any]] = [
        ("q-1", "Smith", 1),
        ("q-2", "smith", "1"),
        ("q-3", "Smith ", True),
        ("q-4", "Smithson", 1.0),
        ("q-5", "Jones", 2),
    ]
    for entity_id, label, code in rows:
        store.create(data.entity(entity_id, label=label, properties={"code": code}))
    assert _found(store, Eq("label", "Smith")) == ["q-1"]
    assert _found(store, Eq("label", "smith")) == ["q-2"]
    assert _found(store, Eq("properties.code", 1)) == ["q-1", "q-4"]
    assert _found(store, Eq("properties.code", 1.0)) == ["q-1", "q-4"]
    assert _found(store, Eq("properties.code", "1")) == ["q-2"]
    assert _found(store, Eq("properties.code", True)) == ["q-3"]
    assert _found(store, Eq("properties.code", 0)) == []
    assert _found(store, In("label", ("Smith", "Jones"))) == ["q-1", "q-5"]
    assert _found(store, In("properties.code", (2, "1"))) == ["q-2", "q-5"]
    assert _found(store, Eq("kind", "PERSON")) == ["q-1", "q-2", "q-3", "q-4", "q-5"]
    assert _found(store, Eq("id", "q-3")) == ["q-3"]


@pytest.mark.requirement("SRCH-003")
@FILTER
def test_range_compares_values_of_one_type(store: CaseStore) -> None:
    """Numbers compare numerically, text by code point; other types never match."""
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("r-1", "alpha", {"score": 1}),
        ("r-2", "Bravo", {"score": 2.5}),
        ("r-3", "Charlie", {"score": 10}),
        ("r-4", "Delta", {"score": "10"}),
        ("r-5", "bravo", {"score": True}),
        ("r-6", "Echo", {}),
    ]
    for entity_id, label, properties in rows:
        store.create(data.entity(entity_id, label=label, properties=properties))
    assert _found(store, Range(field="properties.score", gte=2, lt=10)) == ["r-2"]
    assert _found(store, Range(field="properties.score", gt=1)) == ["r-2", "r-3"]
    assert _found(store, Range(field="properties.score", lte=10)) == ["r-1", "r-2", "r-3"]
    assert _found(store, Range(field="properties.score", gte=1.0, lte=1.0)) == ["r-1"]
    assert _found(store, Range(field="properties.score", gte="1")) == ["r-4"]
    assert _found(store, Range(field="label", gte="B", lt="D")) == ["r-2", "r-3"]
    assert _found(store, Range(field="label", gt="Delta")) == ["r-1", "r-5", "r-6"]
    assert _found(store, Range(field="version", gte=1, lt=2)) == [row[0] for row in rows]
    with pytest.raises(ValueError, match="booleans"):
        Range(field="properties.score", gte=True)


@pytest.mark.requirement("SRCH-008", "SRCH-003")
@FILTER
def test_datetime_fields_compare_instants(store: CaseStore) -> None:
    """Datetimes in any zone, or as ISO-8601 strings, compare as instants; naive ones fail."""
    data.set_clock(store, data.at(5))
    for hours in (0, 1, 2):
        store.create(data.event(f"d-{hours}", data.at(hours)))
    store.create(data.event("d-x", None))
    india = timezone(timedelta(hours=5, minutes=30))
    new_york = timezone(timedelta(hours=-5))
    field = "event.occurred_from"
    assert _found(store, Range(field=field, gte="2024-03-01T11:00:00+01:00")) == ["d-1", "d-2"]
    assert _found(store, Range(field=field, lt=datetime(2024, 3, 1, 15, 30, tzinfo=india))) == [
        "d-0"
    ]
    assert _found(store, Eq(field, datetime(2024, 3, 1, 4, 0, tzinfo=new_york))) == ["d-0"]
    assert _found(store, Eq("created_at", data.at(5))) == ["d-0", "d-1", "d-2", "d-x"]
    for naive in ("2024-03-01T09:00:00", datetime(2024, 3, 1, 9, 0)):
        with pytest.raises(ValueError, match="time zone"):
            Eq(field, naive)


@pytest.mark.requirement("SRCH-004", "INPUT-005")
@FILTER
def test_prefix_is_literal_and_case_sensitive(store: CaseStore) -> None:
    """%, _ and * in a prefix are ordinary characters, and case matters."""
    labels = ["100% cotton", "100 percent", "a_b", "axb", "Abc", "abc", "*star", "a%b"]
    for number, label in enumerate(labels, start=1):
        store.create(data.entity(f"x-{number}", label=label))
    assert _found(store, Prefix("label", "100%")) == ["x-1"]
    assert _found(store, Prefix("label", "100")) == ["x-1", "x-2"]
    assert _found(store, Prefix("label", "a_")) == ["x-3"]
    assert _found(store, Prefix("label", "a%")) == ["x-8"]
    assert _found(store, Prefix("label", "a")) == ["x-3", "x-4", "x-6", "x-8"]
    assert _found(store, Prefix("label", "A")) == ["x-5"]
    assert _found(store, Prefix("label", "*")) == ["x-7"]
    assert _found(store, Prefix("label", "%")) == []
    assert _found(store, Prefix("label", "_")) == []


@pytest.mark.requirement("SRCH-005")
@FILTER
def test_a_field_with_several_values_matches_when_any_does(store: CaseStore) -> None:
    """Aliases, given names, nationalities, caveats and tuple properties match by any value."""
    store.create(
        data.entity(
            "mv-1",
            aliases=("Smudge", "Tiny"),
            person={"given_names": ("Ann", "Marie"), "nationalities": ("GB",)},
            properties={"tags": ("red", "blue")},
            markings=Markings(caveats=("A", "B")),
        )
    )
    store.create(
        data.entity(
            "mv-2",
            aliases=("Tiny",),
            person={"given_names": ("Marie",), "nationalities": ("IE", "GB")},
            properties={"tags": ("green",)},
            markings=Markings(caveats=("B",)),
        )
    )
    store.create(data.entity("mv-3"))
    assert _found(store, Eq("aliases", "Tiny")) == ["mv-1", "mv-2"]
    assert _found(store, Eq("aliases", "Smudge")) == ["mv-1"]
    assert _found(store, Prefix("aliases", "Sm")) == ["mv-1"]
    assert _found(store, Eq("person.given_names", "Marie")) == ["mv-1", "mv-2"]
    assert _found(store, Eq("person.nationalities", "IE")) == ["mv-2"]
    assert _found(store, In("properties.tags", ("blue", "green"))) == ["mv-1", "mv-2"]
    assert _found(store, Eq("properties.tags", "red")) == ["mv-1"]
    assert _found(store, Eq("markings.caveats", "B")) == ["mv-1", "mv-2"]
    assert _found(store, Not(Eq("aliases", "Tiny"))) == ["mv-3"]


@pytest.mark.requirement("SRCH-006")
@FILTER
def test_and_or_not_combine_conditions(store: CaseStore) -> None:
    """And needs all, Or any, Not none; an empty And holds always, an empty Or never."""
    store.create(data.entity("b-1", label="Ann"))
    store.create(data.entity("b-2", label="Bob"))
    store.create(data.entity("b-3", EntityKind.OBJECT, label="Ann's van"))
    store.create(data.entity("b-4", EntityKind.LOCATION, label="Bob's house"))
    person = Eq("kind", "PERSON")
    assert _found(store, And(person, Prefix("label", "A"))) == ["b-1"]
    assert _found(store, Or(Eq("kind", "OBJECT"), Eq("label", "Bob"))) == ["b-2", "b-3"]
    assert _found(store, Not(person)) == ["b-3", "b-4"]
    assert _found(store, And(filters=())) == ["b-1", "b-2", "b-3", "b-4"]
    assert _found(store, Or(filters=())) == []
    assert _found(store, Not(Or(filters=()))) == ["b-1", "b-2", "b-3", "b-4"]
    assert _found(store, Not(And(filters=()))) == []
    either = Or(Prefix("label", "Ann"), Prefix("label", "Bob"))
    assert _found(store, And(either, Not(person))) == ["b-3", "b-4"]
    assert _found(store, Not(Not(person))) == ["b-1", "b-2"]


@pytest.mark.requirement("SRCH-007")
@FILTER
def test_a_missing_field_fails_every_leaf_and_passes_its_negation(store: CaseStore) -> None:
    """Entities without a value are matched by no leaf and by the Not of every leaf."""
    store.create(data.entity("n-1", person={"family_name": "Smith"}))
    store.create(data.entity("n-2"))
    store.create(data.entity("n-3", EntityKind.OBJECT))
    store.create(data.entity("n-4", person={"given_names": ("Ann",)}))
    family = "person.family_name"
    for leaf in (
        Eq(family, "Smith"),
        In(family, ("Smith", "Jones")),
        Range(field=family, gte="A"),
        Prefix(family, "S"),
    ):
        assert _found(store, leaf) == ["n-1"]
        assert _found(store, Not(leaf)) == ["n-2", "n-3", "n-4"]
    assert _found(store, Eq("properties.missing", 1)) == []
    assert _found(store, Not(Eq("properties.missing", 1))) == ["n-1", "n-2", "n-3", "n-4"]
    assert _found(store, Not(Range(field="event.occurred_from", lt=data.at(0)))) == [
        "n-1",
        "n-2",
        "n-3",
        "n-4",
    ]


_TEXT_ROWS: list[tuple[str, EntityKind, dict[str, Any], str]] = [
    ("t-label", EntityKind.PERSON, {"label": "Kestrel"}, "kestrel"),
    ("t-alias", EntityKind.PERSON, {"aliases": ("Osprey",)}, "osprey"),
    ("t-desc", EntityKind.PERSON, {"description": "the merlin was seen"}, "merlin"),
    (
        "t-ident",
        EntityKind.OBJECT,
        {"object": {"identifiers": (Identifier(scheme="vrm", value="HOBBY77"),)}},
        "hobby77",
    ),
    ("t-given", EntityKind.PERSON, {"person": {"given_names": ("Falco",)}}, "falco"),
    ("t-family", EntityKind.PERSON, {"person": {"family_name": "Peregrine"}}, "peregrine"),
    (
        "t-orgreg",
        EntityKind.ORGANISATION,
        {"organisation": {"registration_number": "GOSHAWK"}},
        "goshawk",
    ),
    ("t-make", EntityKind.OBJECT, {"object": {"make": "Buzzard"}}, "buzzard"),
    ("t-model", EntityKind.OBJECT, {"object": {"model": "Kite"}}, "kite"),
    ("t-colour", EntityKind.OBJECT, {"object": {"colour": "Saker"}}, "saker"),
    ("t-address", EntityKind.LOCATION, {"location": {"address": "12 Harrier Road"}}, "harrier"),
    ("t-postcode", EntityKind.LOCATION, {"location": {"postcode": "EAGLE1"}}, "eagle1"),
    ("t-area", EntityKind.LOCATION, {"location": {"area_code": "Condor"}}, "condor"),
    ("t-ref", EntityKind.EVENT, {"event": {"reference": "Vulture-7"}}, "vulture"),
    ("t-cat", EntityKind.EVENT, {"event": {"category": "Hawk"}}, "hawk"),
    ("t-outcome", EntityKind.EVENT, {"event": {"outcome": "Eyrie"}}, "eyrie"),
    ("t-prop", EntityKind.PERSON, {"properties": {"note": "Gyrfalcon", "count": 5}}, "gyrfalcon"),
]


@pytest.mark.requirement("SRCH-009")
@TEXT
def test_text_matches_whole_terms_in_every_text_field_only(store: CaseStore) -> None:
    """Each text field is searched, by whole terms, ignoring case; other fields are not."""
    for entity_id, kind, fields, _term in _TEXT_ROWS:
        fields = {"label": "Plain", **fields}
        store.create(data.entity(entity_id, kind, **fields))
    store.create(
        data.entity(
            "t-hidden",
            label="Plain",
            subtype="albatross",
            person={"identifiers": (Identifier(scheme="pelican", value="PLAIN"),)},
            markings=Markings(caveats=("CORMORANT",), handling_instructions="gannet"),
            provenance=(),
        )
    )
    for entity_id, _kind, _fields, term in _TEXT_ROWS:
        assert _found(store, Text(term)) == [entity_id], term
        assert _found(store, Text(term.upper())) == [entity_id], term
    assert _found(store, Text("kestre")) == []
    assert _found(store, Text("harrier road")) == ["t-address"]
    assert _found(store, Text("harrier kestrel")) == []
    for hidden in ("albatross", "pelican", "cormorant", "gannet", "5", "person"):
        assert _found(store, Text(hidden)) == [], hidden


@pytest.mark.requirement("SRCH-010", "INPUT-007")
@TEXT
def test_text_terms_are_normalised_and_case_folded(store: CaseStore) -> None:
    """Terms are NFKC-normalised and case-folded runs of letters and digits."""
    store.create(data.entity("u-1", label="Plain", description="Hauptstraße 5"))
    store.create(data.entity("u-2", label="\uff46\uff55\uff4c\uff4c width"))  # fullwidth
    store.create(data.entity("u-3", label="alpha_beta x-ray"))
    store.create(data.entity("u-4", label="naïve café"))
    store.create(data.entity("u-5", label="cafe\u0301 noir"))
    store.create(data.entity("u-6", label="AB12CDE"))
    expectations = {
        "HAUPTSTRASSE": ["u-1"],
        "hauptstraße": ["u-1"],
        "full": ["u-2"],
        "\uff26\uff35\uff2c\uff2c": ["u-2"],  # fullwidth FULL
        "alpha": ["u-3"],
        "beta": ["u-3"],
        "alpha_beta": ["u-3"],
        "x-ray": ["u-3"],
        "ray": ["u-3"],
        "naive": [],
        "NAÏVE": ["u-4"],
        "café": ["u-4", "u-5"],
        "cafe\u0301": ["u-4", "u-5"],
        "cafe": [],
        "ab12cde": ["u-6"],
        "ab12": [],
    }
    for query, expected in expectations.items():
        assert _found(store, Text(query)) == expected, query


@pytest.mark.requirement("SRCH-011", "INPUT-005")
@TEXT
def test_hostile_text_is_matched_as_the_plain_terms_it_contains(store: CaseStore) -> None:
    """Quotes, wildcards, operators, SQL and markup have no meaning; no terms match nothing."""
    store.create(data.entity("h-1", label="first", description="choose 1 or 2"))
    store.create(data.entity("h-2", label="Robert'); DROP TABLE entities;--"))
    store.create(data.entity("h-3", label="third", description="near a b"))
    store.create(data.entity("h-4", label="title x"))
    store.create(data.entity("h-5", label="plain"))
    expectations: dict[str, list[str]] = {
        "' OR 1=1 --": ["h-1"],
        "' OR ''='": ["h-1"],
        "OR": ["h-1"],
        '"': [],
        "*": [],
        "%": [],
        "_": [],
        "\\": [],
        "": [],
        "   ": [],
        "NEAR(a b)": ["h-3"],
        '"near a"': ["h-3"],
        "title:x": ["h-4"],
        "Robert'); DROP TABLE entities;--": ["h-2"],
        "<script>alert(1)</script>": [],
        "plain*": ["h-5"],
        "pla*": [],
        "x " * 5_000: ["h-4"],
        "%" * 10_000: [],
    }
    for query, expected in expectations.items():
        assert _found(store, Text(query)) == expected, query[:40]
    assert _found(store) == ["h-1", "h-2", "h-3", "h-4", "h-5"]


@pytest.mark.requirement("SRCH-012")
@ORDER
def test_results_follow_the_order_keys_then_the_id(store: CaseStore) -> None:
    """Each key sorts ascending or descending; ties fall back to the id, ascending."""
    rows = [
        ("o-1", EntityKind.PERSON, "b"),
        ("o-2", EntityKind.PERSON, "a"),
        ("o-3", EntityKind.OBJECT, "b"),
        ("o-4", EntityKind.OBJECT, "a"),
        ("o-5", EntityKind.PERSON, "c"),
    ]
    for entity_id, kind, label in rows:
        store.create(data.entity(entity_id, kind, label=label))
    assert _found(store, None, _key("label")) == ["o-2", "o-4", "o-1", "o-3", "o-5"]
    assert _found(store, None, _key("label", True)) == ["o-5", "o-1", "o-3", "o-2", "o-4"]
    assert _found(store, None, _key("kind"), _key("label", True)) == [
        "o-3",
        "o-4",
        "o-5",
        "o-1",
        "o-2",
    ]
    assert _found(store, None, _key("id", True)) == ["o-5", "o-4", "o-3", "o-2", "o-1"]
    with pytest.raises(ValueError, match="cannot sort"):
        _key("aliases")
    with pytest.raises(ValueError, match="at most 4"):
        SearchQuery(order_by=tuple(_key("label") for _ in range(5)))


@pytest.mark.requirement("SRCH-013")
@ORDER
def test_missing_values_sort_last_in_both_directions(store: CaseStore) -> None:
    """Entities without a value for the key come after the rest, ascending or descending."""
    store.create(data.entity("s-1", person={"family_name": "Smith"}))
    store.create(data.entity("s-2"))
    store.create(data.entity("s-3", person={"family_name": "Adams"}))
    store.create(data.entity("s-4", person={"given_names": ("Ann",)}))
    store.create(data.entity("s-5", person={"family_name": "Jones"}))
    store.create(data.entity("s-6", EntityKind.OBJECT))
    family = "person.family_name"
    assert _found(store, None, _key(family)) == ["s-3", "s-5", "s-1", "s-2", "s-4", "s-6"]
    assert _found(store, None, _key(family, True)) == ["s-1", "s-5", "s-3", "s-2", "s-4", "s-6"]
    when = "event.occurred_from"
    assert _found(store, None, _key(when, True)) == ["s-1", "s-2", "s-3", "s-4", "s-5", "s-6"]


def _paging_rows() -> list[Entity]:
    rows = []
    for number in range(25):
        person = None if number % 5 == 0 else {"family_name": f"F{number % 4}"}
        rows.append(
            data.entity(f"pg-{number:02d}", label=f"L{(number * 7) % 25:02d}", person=person)
        )
    return rows


def _family(entity: Entity) -> str | None:
    return entity.person.family_name if entity.person else None


def _by_family(
    entities: Sequence[Entity], descending: bool, then: Callable[[Entity], Any] = lambda e: e.id
) -> list[Entity]:
    """Family name first (missing ones last), ties in the order of ``then``."""
    known = sorted((e for e in entities if _family(e) is not None), key=then)
    known.sort(key=lambda e: _family(e) or "", reverse=descending)  # stable: ties keep order
    return known + sorted((e for e in entities if _family(e) is None), key=then)


_ORDERS: list[tuple[str, tuple[OrderKey, ...], Callable[[list[Entity]], list[Entity]]]] = [
    ("id", (), lambda rows: sorted(rows, key=lambda e: e.id)),
    ("label", (_key("label"),), lambda rows: sorted(rows, key=lambda e: e.label)),
    (
        "label-desc",
        (_key("label", True),),
        lambda rows: sorted(rows, key=lambda e: e.label, reverse=True),
    ),
    ("family", (_key("person.family_name"),), lambda rows: _by_family(rows, False)),
    ("family-desc", (_key("person.family_name", True),), lambda rows: _by_family(rows, True)),
    (
        "family-desc-label",
        (_key("person.family_name", True), _key("label")),
        lambda rows: _by_family(rows, True, then=lambda e: (e.label, e.id)),
    ),
]


@pytest.mark.requirement("SRCH-014")
@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        pytest.param(order, expect, id=name, marks=[ORDER] if order else [])
        for name, order, expect in _ORDERS
    ],
)
@pytest.mark.parametrize("page_size", [7, 1, 25])
def test_paging_a_search_returns_each_entity_once_in_order(
    store: CaseStore,
    order_by: tuple[OrderKey, ...],
    expected: Callable[[list[Entity]], list[Entity]],
    page_size: int,
) -> None:
    """Following cursors over 25 entities yields each exactly once, in the query's order."""
    rows = _paging_rows()
    for number in data.SHUFFLED_25:
        store.create(rows[number])
    want = [entity.id for entity in expected(rows)]
    query = SearchQuery(order_by=order_by, page_size=page_size)
    seen: list[str] = []
    sizes: list[int] = []
    while True:
        page = store.search(query)
        seen.extend(entity.id for entity in page.items)
        sizes.append(len(page.items))
        if page.next_cursor is None:
            break
        query = query.model_copy(update={"cursor": page.next_cursor})
    assert seen == want
    assert sizes[:-1] == [page_size] * (len(sizes) - 1)
    assert 1 <= sizes[-1] <= page_size
    iterated = store.iter_search(SearchQuery(order_by=order_by, page_size=page_size))
    assert [entity.id for entity in iterated] == want


@pytest.mark.requirement("SRCH-015", "READ-006")
@pytest.mark.capability(Capability.SEARCH_FILTER, Capability.SEARCH_ORDER)
def test_a_search_cursor_only_continues_the_same_query(store: CaseStore) -> None:
    """Another filter or order refuses the cursor; another page size continues it."""
    for number in range(10):
        store.create(data.entity(f"c-{number}", label=f"L{9 - number}"))
    store.create(data.entity("c-object", EntityKind.OBJECT))
    query = SearchQuery(filter=Eq("kind", "PERSON"), order_by=(_key("label"),), page_size=3)
    first = store.search(query)
    assert [e.id for e in first.items] == ["c-9", "c-8", "c-7"]
    cursor = first.next_cursor
    assert cursor is not None
    for other in (
        query.model_copy(update={"filter": Eq("kind", "OBJECT")}),
        query.model_copy(update={"order_by": (_key("label", True),)}),
        query.model_copy(update={"order_by": ()}),
        query.model_copy(update={"filter": None}),
    ):
        with pytest.raises(InvalidCursor):
            store.search(other.model_copy(update={"cursor": cursor}))
    listing = store.list_records(Entity, page_size=1).next_cursor
    with pytest.raises(InvalidCursor):
        store.search(query.model_copy(update={"cursor": listing}))
    wider = store.search(query.model_copy(update={"cursor": cursor, "page_size": 5}))
    assert [e.id for e in wider.items] == ["c-6", "c-5", "c-4", "c-3", "c-2"]


@pytest.mark.requirement("SRCH-016")
@TEXT
def test_malformed_queries_are_refused_and_queries_at_the_limits_answered(
    store: CaseStore,
) -> None:
    """Unknown fields, wrong types and oversized queries fail; queries at the limits work."""
    store.create(data.entity("v-42", label="v42"))
    store.create(data.entity("v-other", label="other"))
    refused: list[Callable[[], object]] = [
        lambda: Eq("nickname", "x"),
        lambda: Eq("version", "1"),
        lambda: Eq("version", True),
        lambda: Eq("label", 1),
        lambda: Eq("properties.Bad", 1),
        lambda: Eq("properties.when", data.at(0)),
        lambda: Prefix("version", "1"),
        lambda: Range(field="label"),
        lambda: Range(field="properties.x", gte=1, lt="b"),
        lambda: In("label", ()),
        lambda: In("label", tuple(f"v{number}" for number in range(1_001))),
        lambda: Text("x" * 10_001),
        lambda: Text("nul\x00"),
        lambda: SearchQuery(filter=_nested(8)),
        lambda: SearchQuery(filter=Or(*[Eq("label", f"v{n}") for n in range(101)])),
        lambda: SearchQuery(page_size=0),
        lambda: SearchQuery(page_size=1_001),
        lambda: SearchQuery(cursor="x" * (MAX_CURSOR_LENGTH + 1)),
    ]
    for number, build in enumerate(refused):
        try:
            build()
        except ValueError:  # pydantic's ValidationError or ValidationFailed
            continue
        pytest.fail(f"malformed query number {number} was accepted")
    at_limits: list[Filter] = [
        _nested(7),
        Or(*[Eq("label", f"v{number}") for number in range(100)]),
        In("label", tuple(f"v{number}" for number in range(1_000))),
        Text("v42 " * 2_500),
        And(Eq("label", "v42"), Not(Eq("label", "x" * 500))),
    ]
    for condition in at_limits:
        assert _found(store, condition) == ["v-42"]
    keys = (_key("kind"), _key("label", True), _key("version"), _key("created_at"))
    page = store.search(SearchQuery(order_by=keys, page_size=1_000))
    assert [entity.id for entity in page.items] == ["v-42", "v-other"]


def _nested(wraps: int) -> Filter:
    """``label == "v42"`` under ``wraps`` levels of ``Not(Not(...))`` and ``And``."""
    condition: Filter = Eq("label", "v42")
    for _ in range(wraps // 2):
        condition = Not(Not(condition))
    return And(condition) if wraps % 2 else condition


@pytest.mark.requirement("SRCH-017")
@pytest.mark.capability(Capability.SEARCH_FILTER, Capability.SEARCH_TEXT, Capability.SEARCH_ORDER)
def test_a_query_travels_as_json_unchanged(store: CaseStore) -> None:
    """A query parsed back from its JSON is equal and gives the same pages."""
    data.set_clock(store, data.at(1))
    store.create(data.entity("j-1", label="Ann", properties={"n": 1}))
    store.create(data.entity("j-2", label="Bob", description="blue van", properties={"n": 2.5}))
    store.create(data.entity("j-3", label="Al", properties={"n": "x"}))
    store.create(data.entity("j-4", EntityKind.OBJECT, label="Ann's van", properties={"n": True}))
    store.create(data.entity("j-5", label="Cy", properties={"n": True}))
    store.create(data.entity("j-6", label="Ava", properties={"n": 3}))
    query = SearchQuery(
        filter=And(
            Eq("kind", "PERSON"),
            Or(Prefix("label", "A"), Text("van")),
            Not(Range(field="created_at", lt=data.at(0))),
            In("properties.n", (1, 2.5, "x", True)),
        ),
        order_by=(_key("label", True),),
        page_size=2,
    )
    parsed = SearchQuery.model_validate_json(query.model_dump_json())
    assert parsed == query
    first = store.search(query)
    assert [e.id for e in first.items] == ["j-2", "j-1"]
    assert store.search(parsed) == first
    rest = store.search(parsed.model_copy(update={"cursor": first.next_cursor}))
    assert [e.id for e in rest.items] == ["j-3"]
    assert rest.next_cursor is None


@pytest.mark.requirement("SRCH-024")
def test_a_value_no_record_can_hold_is_refused_where_the_model_closes_the_field() -> None:
    """Kinds, link types and roles that cannot exist are refused; properties take any type."""
    with pytest.raises(ValueError, match="PERSON"):
        Eq("kind", "person")
    with pytest.raises(ValueError, match="KNOWS"):
        In("type", ("knows",))
    with pytest.raises(ValueError, match="suspect"):
        Eq("role", "SUSPECT")
    for field, value in [
        ("markings.classification", "Secret"),
        ("status", "OPEN"),
        ("role_of", "both"),
        ("grading.scheme", "4x4"),
        ("fact_or_assessment", "opinion"),
    ]:
        with pytest.raises(ValueError, match="holds one of"):
            In(field, (value,))
    assert Range(field="kind", gte="L").gte == "L"
    assert Prefix("kind", "PER").value == "PER"
    assert Eq("properties.rank", "3").value == "3"


@pytest.mark.requirement("SRCH-024")
@pytest.mark.capability(Capability.GRAPH_EXPAND)
def test_a_link_type_no_link_can_have_is_refused_by_graph_operations(store: CaseStore) -> None:
    """A lower-case link type would match nothing: it is refused with the spelling meant."""
    store.create(data.entity("e-1"))
    with pytest.raises(ValidationFailed, match="KNOWS"):
        store.expand("e-1", link_types=["knows"])
