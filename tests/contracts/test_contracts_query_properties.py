"""Property tests: the in-memory store's search agrees with an oracle written from the spec.

The oracle below is deliberately independent of ``contracts.evaluation``: it reads entity
fields through ``model_dump`` and restates each documented rule in plain Python.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import pytest
from contracts_strategies import (
    filters_for,
    order_keys,
    raw_queries,
    search_entities,
    values_at,
)
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from run_profile import by_profile

from adapters import InMemoryCaseStore
from contracts import (
    And,
    Entity,
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
from contracts.query import TEXT_FIELDS

PROPERTY_SETTINGS = settings(
    max_examples=by_profile(quick=40, ci=100, soak=1_000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _family(value: Any) -> str:
    """Which values may be compared: bool is its own family, never a number."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    assert isinstance(value, datetime)
    return "instant"


def equal(stored: Any, wanted: Any) -> bool:
    """Equality across the value families (1 == 1.0, True != 1, strings exact)."""
    return _family(stored) == _family(wanted) and stored == wanted


def within(stored: Any, condition: Range) -> bool:
    """Whether one stored value lies within every bound of ``condition``."""
    checks = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
    }
    for name, check in checks.items():
        bound = getattr(condition, name)
        if bound is None:
            continue
        if isinstance(stored, bool) or _family(stored) != _family(bound):
            return False
        if not check(stored, bound):
            return False
    return True


def terms_of(text: str) -> list[str]:
    """Runs of letters and digits of the NFKC, casefolded text."""
    found, current = [], ""
    for char in unicodedata.normalize("NFKC", text).casefold():
        if char.isalnum():
            current += char
        elif current:
            found.append(current)
            current = ""
    if current:
        found.append(current)
    return found


def entity_terms(entity: Entity) -> set[str]:
    """Every term in the text fields and string properties of ``entity``."""
    terms: set[str] = set()
    paths = list(TEXT_FIELDS) + [f"properties.{name}" for name in entity.properties]
    for path in paths:
        for value in values_at(entity, path):
            if isinstance(value, str):
                terms.update(terms_of(value))
    return terms


def oracle_matches(entity: Entity, node: Filter | None) -> bool:
    """The documented meaning of ``node`` for one entity."""
    if node is None:
        return True
    if isinstance(node, And):
        return all(oracle_matches(entity, child) for child in node.filters)
    if isinstance(node, Or):
        return any(oracle_matches(entity, child) for child in node.filters)
    if isinstance(node, Not):
        return not oracle_matches(entity, node.filter)
    if isinstance(node, Text):
        wanted = set(terms_of(node.query))
        return bool(wanted) and wanted <= entity_terms(entity)
    stored = values_at(entity, node.field)
    if isinstance(node, Eq):
        return any(equal(value, node.value) for value in stored)
    if isinstance(node, In):
        return any(equal(value, wanted) for value in stored for wanted in node.values)
    if isinstance(node, Prefix):
        return any(isinstance(value, str) and value.startswith(node.value) for value in stored)
    assert isinstance(node, Range)
    return any(within(value, node) for value in stored)


def oracle_order(entities: list[Entity], order_by: tuple[OrderKey, ...]) -> list[str]:
    """Ids in search order: each key ascending or descending, missing last, then id."""
    ordered = sorted(entities, key=lambda entity: entity.id)
    for key in reversed(order_by):

        def first(entity: Entity, field: str = key.field) -> Any:
            found = values_at(entity, field)
            return found[0] if found else None

        present = [entity for entity in ordered if first(entity) is not None]
        missing = [entity for entity in ordered if first(entity) is None]
        present.sort(key=first, reverse=key.descending)  # stable, also when reversed
        ordered = present + missing
    return [entity.id for entity in ordered]


# ---------------------------------------------------------------------------- tests

scenarios = search_entities(min_size=2).flatmap(lambda es: st.tuples(st.just(es), filters_for(es)))
"""Entities and a filter whose leaves mostly compare values those entities hold."""


@PROPERTY_SETTINGS
@given(scenario=scenarios)
def test_search_returns_exactly_the_entities_the_oracle_accepts(
    scenario: tuple[list[Entity], Filter],
) -> None:
    """Every filter tree, and its negation, selects in the store what the oracle selects."""
    entities, condition = scenario
    store = InMemoryCaseStore(entities)
    found = {entity.id for entity in store.iter_search(SearchQuery(filter=condition))}
    expected = {entity.id for entity in entities if oracle_matches(entity, condition)}
    assert found == expected
    negated = {entity.id for entity in store.iter_search(SearchQuery(filter=Not(condition)))}
    assert negated == {entity.id for entity in entities} - expected


@PROPERTY_SETTINGS
@given(
    scenario=search_entities(min_size=2).flatmap(
        lambda es: st.tuples(st.just(es), filters_for(es, trees=False))
    )
)
def test_each_leaf_condition_selects_what_the_oracle_accepts(
    scenario: tuple[list[Entity], Filter],
) -> None:
    """A single Eq, In, Range, Prefix or Text agrees with the oracle on its own."""
    entities, condition = scenario
    store = InMemoryCaseStore(entities)
    found = {entity.id for entity in store.iter_search(SearchQuery(filter=condition))}
    assert found == {entity.id for entity in entities if oracle_matches(entity, condition)}


@PROPERTY_SETTINGS
@given(
    scenario=search_entities().flatmap(
        lambda es: st.tuples(st.just(es), st.none() | filters_for(es))
    ),
    order_by=order_keys,
    page_size=st.integers(1, 7),
)
def test_pages_concatenate_to_the_full_ordering_without_repeats(
    scenario: tuple[list[Entity], Filter | None],
    order_by: tuple[OrderKey, ...],
    page_size: int,
) -> None:
    """Following cursors page by page yields the oracle's order exactly once each."""
    entities, condition = scenario
    store = InMemoryCaseStore(entities)
    query = SearchQuery(filter=condition, order_by=order_by, page_size=page_size)
    seen: list[str] = []
    while True:
        page = store.search(query)
        assert len(page.items) <= page_size
        assert page.items or not seen, "only the first page may be empty"
        seen.extend(entity.id for entity in page.items)
        if page.next_cursor is None:
            break
        assert len(page.items) == page_size
        query = query.model_copy(update={"cursor": page.next_cursor})
    matching = [entity for entity in entities if oracle_matches(entity, condition)]
    assert seen == oracle_order(matching, order_by)
    assert len(seen) == len(set(seen))
    whole = store.search(query.model_copy(update={"cursor": None, "page_size": 1_000}))
    assert [entity.id for entity in whole.items] == seen


def _entity(entity_id: str, **fields: Any) -> Entity:
    fields.setdefault("kind", "OBJECT")
    fields.setdefault("subtype", "thing")
    fields.setdefault("label", entity_id)
    return Entity(id=entity_id, **fields)


RULE_DATA = [
    _entity("t", properties={"v": True}),
    _entity("one", properties={"v": 1}),
    _entity("onef", properties={"v": 1.0}),
    _entity("two", properties={"v": (2, "x")}),
    _entity("s", label="Straße van", properties={"v": "1"}),
    _entity("up", label="SMITH", aliases=("Zed",)),
    _entity("low", label="smith", description="\ufb01sh and chips"),
    _entity("acc", label="\u00e9clair"),
    _entity("none"),
]
RULES: list[tuple[str, Filter, set[str]]] = [
    ("bool never equals 1", Eq("properties.v", True), {"t"}),
    ("1 never equals True", Eq("properties.v", 1), {"one", "onef"}),
    ("int and float are equal numbers", Eq("properties.v", 1.0), {"one", "onef"}),
    ("string '1' is not the number 1", Eq("properties.v", "1"), {"s"}),
    ("any value of a tuple matches", Eq("properties.v", 2), {"two"}),
    ("In matches any listed value", In("properties.v", ("x", True)), {"two", "t"}),
    ("numeric range skips bools", Range(field="properties.v", gte=0, lte=1), {"one", "onef"}),
    ("range over floats and ints", Range(field="properties.v", gt=1.5), {"two"}),
    (
        "string range by code point",
        Range(field="label", gte="a", lt="z"),
        {"t", "one", "onef", "two", "low", "none"},
    ),
    ("accents sort after ASCII", Range(field="label", gt="z"), {"acc"}),
    ("prefix is case-sensitive", Prefix("label", "sm"), {"low"}),
    ("eq is case-sensitive", Eq("label", "SMITH"), {"up"}),
    ("text ignores case", Text("smith"), {"up", "low"}),
    ("text casefolds sharp s", Text("STRASSE"), {"s"}),
    ("text applies NFKC to the data", Text("fish"), {"low"}),
    ("text needs whole terms", Text("smi"), set()),
    ("text needs every term", Text("smith zed"), {"up"}),
    ("text reads aliases", Text("zed"), {"up"}),
    ("text without terms matches nothing", Text("-- * ^"), set()),
    ("empty And matches all", And(filters=()), {e.id for e in RULE_DATA}),
    ("empty Or matches none", Or(filters=()), set()),
    ("missing value never equals", Eq("description", "x"), set()),
    (
        "Not of a missing value",
        Not(Prefix("description", "\ufb01")),
        {e.id for e in RULE_DATA if e.id != "low"},
    ),
]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [pytest.param(condition, expected, id=name) for name, condition, expected in RULES],
)
def test_documented_rule_holds_in_the_store_and_the_oracle(
    condition: Filter, expected: set[str]
) -> None:
    """Each spelled-out rule of the language gives the listed ids, in store and oracle alike."""
    store = InMemoryCaseStore(RULE_DATA)
    found = {entity.id for entity in store.iter_search(SearchQuery(filter=condition))}
    assert found == expected
    assert {entity.id for entity in RULE_DATA if oracle_matches(entity, condition)} == expected


def test_missing_sort_values_come_last_in_both_directions() -> None:
    """Entities without a value for the order key follow all others, ascending or not."""
    entities = [
        _entity("a", kind="PERSON", person={"family_name": "Young"}),
        _entity("b", kind="PERSON"),
        _entity("c", kind="PERSON", person={"family_name": "Adams"}),
        _entity("d", kind="PERSON", person={"family_name": "Adams"}),
    ]
    store = InMemoryCaseStore(entities)
    for descending, expected in ((False, ["c", "d", "a", "b"]), (True, ["a", "c", "d", "b"])):
        order = (OrderKey(field="person.family_name", descending=descending),)
        ids = [entity.id for entity in store.iter_search(SearchQuery(order_by=order))]
        assert ids == expected
        assert oracle_order(entities, order) == expected


def test_oracle_tokenises_compatibility_forms_and_case_like_the_spec() -> None:
    """The oracle's own term rule: NFKC first, then casefold, letters and digits only."""
    assert terms_of("\ufb01sh, STRASSE x_y \u216b") == ["fish", "strasse", "x", "y", "xii"]
    assert terms_of("' OR 1=1 --") == ["or", "1", "1"]
    assert terms_of('"*^') == []


@settings(PROPERTY_SETTINGS, max_examples=by_profile(quick=150, ci=500, soak=5_000))
@given(raw=raw_queries)
def test_every_query_that_builds_reads_back_equal_from_its_json(raw: dict[str, Any]) -> None:
    """SRCH-017: whatever values a query is built from, its JSON form builds the same query.

    The JSON also builds the same fingerprint, so a cursor issued for the query continues it.
    """
    try:
        query = SearchQuery.model_validate(raw)
    except ValidationError:
        reject()
    text = query.model_dump_json()
    again = SearchQuery.model_validate_json(text)
    assert again == query
    assert again.model_dump_json() == text
    assert again.fingerprint_source() == query.fingerprint_source()
