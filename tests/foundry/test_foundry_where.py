"""The filter compiler: exact where it can be, always sound, never deeper than Foundry allows."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from foundry_support import fake_store
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from run_profile import by_profile

from adapters.foundry.codec import action_parameters
from adapters.foundry.fake_ontology import FakeOntology, _stored
from adapters.foundry.mapping import load_mapping
from adapters.foundry.where import compile_search, depth, to_json
from adapters.memory import InMemoryCaseStore
from contracts.evaluation import matches
from contracts.models import Entity, EventFields, LocationFields, PersonFields
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

MAPPING = load_mapping()
LAYOUT = MAPPING.entity
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def compiled(condition: Filter) -> Any:
    return compile_search(condition, LAYOUT)


def test_equality_on_a_single_valued_field_is_an_exact_eq() -> None:
    """Eq on a string field compiles to eq."""
    result = compiled(Eq("kind", "PERSON"))
    assert result.where == {"type": "eq", "field": "kind", "value": "PERSON"}
    assert result.exact


def test_multi_valued_fields_use_contains() -> None:
    """Eq and In on array properties compile to contains."""
    assert compiled(Eq("aliases", "Jo")).where == {
        "type": "contains",
        "field": "aliases",
        "value": "Jo",
    }
    assert compiled(In("aliases", ("a", "b"))).where == {
        "type": "or",
        "value": [
            {"type": "contains", "field": "aliases", "value": "a"},
            {"type": "contains", "field": "aliases", "value": "b"},
        ],
    }


def test_in_on_a_single_valued_field_is_in() -> None:
    """In compiles to the in leaf."""
    assert compiled(In("subtype", ("van", "car"))).where == {
        "type": "in",
        "field": "subtype",
        "value": ["van", "car"],
    }


def test_prefix_becomes_a_code_point_range() -> None:
    """Prefix('Sm') is gte 'Sm' and lt 'Sn'."""
    assert compiled(Prefix("label", "Sm")).where == {
        "type": "and",
        "value": [
            {"type": "gte", "field": "label", "value": "Sm"},
            {"type": "lt", "field": "label", "value": "Sn"},
        ],
    }


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [("a\ud7ff", "a\ue000"), ("a\U0010ffff", "b"), ("\U0010ffff", None)],
)
def test_prefix_successors_skip_surrogates_and_carry(prefix: str, upper: str | None) -> None:
    """The successor of a prefix is a valid string, or none at the top of Unicode."""
    from adapters.foundry.where import _successor

    assert _successor(prefix) == upper


def test_text_uses_the_search_terms_property() -> None:
    """Text('Blue  VAN!') needs both caseport terms in searchTerms."""
    assert compiled(Text("Blue  VAN!")).where == {
        "type": "and",
        "value": [
            {"type": "contains", "field": "searchTerms", "value": "blue"},
            {"type": "contains", "field": "searchTerms", "value": "van"},
        ],
    }


def test_text_without_terms_matches_nothing_and_sends_nothing() -> None:
    """A query of only punctuation matches nothing; no request is needed."""
    assert compiled(Text("!!! ---")).nothing


def test_datetimes_are_widened_to_whole_milliseconds() -> None:
    """Foundry keeps milliseconds, so bounds are rounded outwards."""
    moment = T0 + timedelta(microseconds=1500)
    result = compiled(Range(field="created_at", gt=moment))
    assert result.where == {
        "type": "gte",
        "field": "createdAt",
        "value": "2024-01-01T00:00:00.001000Z",
    }
    assert not result.exact
    eq = compiled(Eq("created_at", moment)).where
    assert eq is not None
    assert [leaf["value"] for leaf in eq["value"]] == [
        "2024-01-01T00:00:00.001000Z",
        "2024-01-01T00:00:00.002000Z",
    ]


def test_unmapped_fields_and_free_properties_send_no_clause() -> None:
    """Conditions Foundry cannot see are left to the store's exact filter."""
    result = compiled(And(Eq("properties.colour", "red"), Eq("kind", "OBJECT")))
    assert result.where == {"type": "eq", "field": "kind", "value": "OBJECT"}
    assert not result.exact


def test_a_negated_widened_clause_is_dropped_not_negated() -> None:
    """Not of an inexact clause would lose matches, so it becomes no clause."""
    assert compiled(Not(Eq("properties.colour", "red"))).where is None
    assert compiled(Not(Eq("kind", "PERSON"))).where == {
        "type": "not",
        "value": {"type": "eq", "field": "kind", "value": "PERSON"},
    }


def test_deep_filters_are_cut_to_three_levels() -> None:
    """Eight levels of nesting compile to at most three, keeping what fits."""
    deep: Filter = Eq("kind", "PERSON")
    for level in range(7):
        deep = And(Eq("subtype", f"s{level}"), Or(deep, Eq("label", f"l{level}")))
    result = compiled(deep)
    assert result.where is not None
    assert _depth(result.where) <= 3
    assert not result.exact


def _depth(clause: dict[str, Any]) -> int:
    if clause["type"] in ("and", "or"):
        return 1 + max(_depth(child) for child in clause["value"])
    if clause["type"] == "not":
        return 1 + _depth(clause["value"])
    return 1


# ---------------------------------------------------------------------------- soundness

WORDS = ["Smith", "smith", "Jones", "blue", "Blue van", "Ann", "Zoë", "a-b", "10"]
SUBTYPES = ["person", "vehicle", "crime", "address"]
KINDS = ["PERSON", "OBJECT", "EVENT", "LOCATION"]


@st.composite
def entities(draw: st.DrawFn) -> Entity:
    kind = draw(st.sampled_from(KINDS))
    blocks: dict[str, Any] = {}
    if kind == "PERSON" and draw(st.booleans()):
        blocks["person"] = PersonFields(
            family_name=draw(st.sampled_from(WORDS)),
            given_names=tuple(draw(st.lists(st.sampled_from(WORDS), max_size=2))),
        )
    if kind == "LOCATION" and draw(st.booleans()):
        lat = draw(st.floats(-90, 90, allow_nan=False))
        blocks["location"] = LocationFields(latitude=lat, longitude=0.0, postcode="AB1")
    if kind == "EVENT" and draw(st.booleans()):
        start = T0 + timedelta(microseconds=draw(st.integers(0, 5_000)))
        blocks["event"] = EventFields(occurred_from=start)
    stamp = T0 + timedelta(microseconds=draw(st.integers(0, 5_000)))
    return Entity(
        id=f"e-{draw(st.integers(0, 10**6)):07d}",
        kind=kind,
        subtype=draw(st.sampled_from(SUBTYPES)),
        label=draw(st.sampled_from(WORDS)),
        aliases=tuple(draw(st.lists(st.sampled_from(WORDS), max_size=2, unique=True))),
        version=draw(st.integers(1, 4)),
        created_at=stamp,
        updated_at=stamp,
        properties=draw(st.sampled_from([{}, {"colour": "red"}, {"n": 3}])),
        **blocks,
    )


def _leaves() -> st.SearchStrategy[Filter]:
    moment = st.integers(0, 5_000).map(lambda us: T0 + timedelta(microseconds=us))
    return st.one_of(
        st.builds(Eq, st.just("kind"), st.sampled_from(KINDS)),
        st.builds(Eq, st.sampled_from(["label", "subtype", "aliases"]), st.sampled_from(WORDS)),
        st.builds(
            In, st.just("subtype"), st.lists(st.sampled_from(SUBTYPES), min_size=1).map(tuple)
        ),
        st.builds(In, st.just("aliases"), st.lists(st.sampled_from(WORDS), min_size=1).map(tuple)),
        st.builds(
            Prefix,
            st.sampled_from(["label", "person.family_name", "aliases"]),
            st.sampled_from(["S", "Sm", "b", "Z", "a-"]),
        ),
        st.builds(lambda v: Range(field="version", gte=v), st.integers(0, 5)),
        st.builds(lambda v: Range(field="created_at", lt=v), moment),
        st.builds(lambda v: Eq("event.occurred_from", v), moment),
        st.builds(lambda v: Range(field="location.latitude", gt=v), st.floats(-90, 90)),
        st.builds(lambda v: Range(field="label", gte=v), st.sampled_from(WORDS)),
        st.builds(Eq, st.just("properties.colour"), st.just("red")),
        st.builds(Text, st.sampled_from(["smith", "blue VAN", "zoë", "a", "!!"])),
    )  # fmt: skip


filters = st.recursive(
    _leaves(),
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda fs: And(filters=tuple(fs))),
        st.lists(children, max_size=3).map(lambda fs: Or(filters=tuple(fs))),
        children.map(Not),
    ),
    max_leaves=12,
)


def _stored_object(ontology: FakeOntology, entity: Entity) -> dict[str, Any]:
    params = action_parameters(LAYOUT, entity)
    type_def = ontology.object_types[LAYOUT.object_type]
    return {
        name: _stored(type_def.properties[name], params.get(name)) for name in type_def.properties
    }


@settings(
    max_examples=by_profile(quick=120, ci=400, soak=4_000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(entities(), max_size=8), filters)
def test_the_compiled_clause_never_drops_a_match(batch: list[Entity], condition: Filter) -> None:
    """Every entity the caseport filter matches also matches the clause Foundry receives."""
    query = SearchQuery(filter=condition)  # checks the contract's own limits
    result = compile_search(query.filter, LAYOUT)
    ontology = FakeOntology.from_mapping(MAPPING, "o", lambda: 0.0)
    type_def = ontology.object_types[LAYOUT.object_type]
    for entity in batch:
        if not matches(entity, condition):
            continue
        assert not result.nothing
        if result.where is not None:
            ontology._depth(result.where, 1)
            assert ontology.matches(type_def, result.where, _stored_object(ontology, entity))


@settings(
    max_examples=by_profile(quick=60, ci=200, soak=2_000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(entities(), max_size=12, unique_by=lambda e: e.id),
    filters,
    st.lists(
        st.builds(
            OrderKey,
            field=st.sampled_from(["label", "created_at", "version", "kind", "location.latitude"]),
            descending=st.booleans(),
        ),
        max_size=2,
        unique_by=lambda k: k.field,
    ),
    st.integers(1, 5),
)
def test_searches_return_what_the_reference_returns(
    batch: list[Entity], condition: Filter, order: list[OrderKey], page_size: int
) -> None:
    """Paged search through Foundry equals the in-memory reference, page by page."""
    _, store = fake_store()
    reference = InMemoryCaseStore()
    store.upsert_many(batch)
    reference.upsert_many(batch)
    query = SearchQuery(filter=condition, order_by=tuple(order), page_size=page_size)
    ours = [entity.id for entity in store.iter_search(query)]
    theirs = [entity.id for entity in reference.iter_search(query)]
    assert ours == theirs
    first = store.search(query)
    assert first.items == reference.search(query).items


def test_depth_counts_leaves_as_one_level() -> None:
    """depth() agrees with the grammar's nesting rule."""
    from adapters.foundry.where import _And, _Leaf, _Not

    leaf = _Leaf.of("eq", "a", 1)
    assert depth(leaf) == 1
    assert depth(_And((leaf, _Not(leaf)))) == 3
    assert to_json(_Not(leaf)) == {"type": "not", "value": {"type": "eq", "field": "a", "value": 1}}


_LAST = datetime(9999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)


def test_a_timestamp_bound_without_a_millisecond_above_it_is_dropped_not_overflowed() -> None:
    """Bounds in the last millisecond of 9999 compile without OverflowError, inexactly."""
    assert compiled(Range(field="created_at", lte=_LAST)).where is None
    eq = compiled(Eq("created_at", _LAST))
    assert eq.where == {"type": "gte", "field": "createdAt", "value": "9999-12-31T23:59:59.999000Z"}
    assert not eq.exact
    assert compiled(In("created_at", (T0, _LAST))).where == {
        "type": "gte",
        "field": "createdAt",
        "value": "2024-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    "condition",
    [
        Range(field="event.occurred_from", gte=_LAST),
        Range(field="event.occurred_from", lte=_LAST),
        Range(field="event.occurred_from", lt=_LAST),
        Range(field="event.occurred_from", gt=_LAST - timedelta(microseconds=2)),
        Eq("event.occurred_from", _LAST),
        Eq("event.occurred_from", _LAST - timedelta(microseconds=500)),
        In("event.occurred_from", (_LAST, _LAST - timedelta(microseconds=1001))),
        Not(Eq("event.occurred_from", _LAST)),
    ],
)
@pytest.mark.parametrize("descending", [None, False, True])
def test_searches_near_the_end_of_time_equal_the_reference(
    condition: Filter, descending: bool | None
) -> None:
    """Bounds and keyset positions in year 9999's last millisecond match the reference."""
    batch = [
        Entity(
            id=f"e{n}",
            kind="EVENT",
            subtype="ev",
            label=f"e{n}",
            event=EventFields(occurred_from=_LAST - timedelta(microseconds=back)),
        )
        for n, back in enumerate([0, 1, 500, 999, 1000, 1001, 2000])
    ]
    order = (
        ()
        if descending is None
        else (OrderKey(field="event.occurred_from", descending=descending),)
    )
    _, store = fake_store()
    reference = InMemoryCaseStore()
    store.upsert_many(batch)
    reference.upsert_many(batch)
    query = SearchQuery(filter=condition, order_by=order, page_size=1)
    ours = [entity.id for entity in store.iter_search(query)]
    assert ours == [entity.id for entity in reference.iter_search(query)]
    assert ours


# ---------------------------------------------------------------------------- strict JSON

_INT64 = (-(2**63), 2**63 - 1)
_numbers = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from((math.nan, math.inf, -math.inf)),  # a query must refuse these when built
    st.sampled_from((*_INT64, -(2**63) - 1, 2**63, 1.7976931348623157e308)),
)
_edge_moments = st.datetimes(
    timezones=st.sampled_from((UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))))
)


@st.composite
def _edge_leaves(draw: st.DrawFn) -> dict[str, Any]:
    """Leaves on Foundry-mapped numeric and timestamp fields, at or past every edge."""
    field, values = draw(
        st.sampled_from(
            [
                ("version", _numbers),
                ("location.latitude", _numbers),
                ("created_at", _edge_moments),
                ("event.occurred_from", _edge_moments),
            ]
        )
    )
    op = draw(st.sampled_from(("eq", "in", "range")))
    if op == "eq":
        return {"op": op, "field": field, "value": draw(values)}
    if op == "in":
        return {"op": op, "field": field, "values": draw(st.lists(values, min_size=1, max_size=3))}
    bounds = st.dictionaries(st.sampled_from(("gt", "gte", "lt", "lte")), values, min_size=1)
    return {"op": op, "field": field, **draw(bounds)}


@settings(
    max_examples=by_profile(quick=100, ci=300, soak=3_000),
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much],
)
@given(
    raw=st.recursive(
        _edge_leaves(),
        lambda children: (
            st.lists(children, max_size=3).map(lambda fs: {"op": "or", "filters": fs})
            | children.map(lambda f: {"op": "not", "filter": f})
        ),
        max_leaves=4,
    )
)
def test_every_clause_of_a_query_that_builds_is_strict_json(raw: dict[str, Any]) -> None:
    """No query that builds puts NaN, an infinity or an unbounded integer in ``where``.

    Foundry reads strict JSON; a NaN bound used to be sent as ``NaN`` and fail inside the
    request instead of when the query was built.
    """
    try:
        query = SearchQuery.model_validate({"filter": raw})
    except ValidationError:
        reject()
    result = compile_search(query.filter, LAYOUT)
    if result.where is not None:
        json.dumps(result.where, allow_nan=False)
        numbers = _numbers_in(result.where)
        assert all(_INT64[0] <= n <= _INT64[1] for n in numbers if isinstance(n, int))


def _numbers_in(clause: Any) -> list[Any]:
    if isinstance(clause, dict):
        return [n for value in clause.values() for n in _numbers_in(value)]
    if isinstance(clause, list):
        return [n for value in clause for n in _numbers_in(value)]
    return [clause] if isinstance(clause, int | float) and not isinstance(clause, bool) else []
