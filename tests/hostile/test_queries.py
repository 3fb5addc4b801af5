"""Hostile queries: values no backend can compare, and the largest queries the language allows.

Every backend must answer a valid query exactly as the in-memory reference does, and a query
holding a value that no backend compares alike (NaN, an infinity, an integer past 64 bits, a
Decimal rounded into a float) must be refused when it is built, before any backend sees it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

import adapters
from contracts import Entity, EntityKind
from contracts.errors import ValidationFailed
from contracts.models._fields import INT64_MAX, INT64_MIN
from contracts.query import (
    MAX_FILTER_DEPTH,
    MAX_FILTER_LEAVES,
    MAX_IN_VALUES,
    MAX_TEXT_LENGTH,
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    Range,
    SearchQuery,
    Text,
    _measure,
)
from contracts.store import CaseStore
from contracts.validation import validated

_WHEN = datetime(2024, 1, 1, tzinfo=UTC)


def _entity(entity_id: str, **fields: Any) -> Entity:
    fields.setdefault("kind", EntityKind.PERSON)
    fields.setdefault("subtype", "p")
    fields.setdefault("label", entity_id)
    return Entity(id=entity_id, created_at=_WHEN, updated_at=_WHEN, **fields)


def _place(entity_id: str, latitude: float) -> Entity:
    return _entity(
        entity_id,
        kind=EntityKind.LOCATION,
        location={"latitude": latitude, "longitude": 0.0},
    )


def _stock(store: CaseStore, entities: list[Entity]) -> CaseStore:
    """``store`` holding ``entities``, and the in-memory reference holding the same."""
    store.upsert_many(entities)
    reference = adapters.connect("memory://")
    reference.upsert_many(entities)
    return reference


def _ids(store: CaseStore, condition: Filter) -> list[str]:
    return sorted(entity.id for entity in store.iter_search(SearchQuery(filter=condition)))


def _snapshot(store: CaseStore) -> list[Any]:
    """The whole store, by way of the export that must keep working."""
    return sorted(store.export(), key=lambda record: (type(record).__name__, record.id))


# ---------------------------------------------------------------------------- built

_NON_FINITE = (math.nan, math.inf, -math.inf)
_REFUSED: list[Any] = [
    *(
        pytest.param(build, id=f"{name} {value}")
        for value in _NON_FINITE
        for name, build in (
            ("range lt", lambda v=value: Range(field="properties.n", lt=v)),
            ("range gte", lambda v=value: Range(field="location.latitude", gte=v)),
            ("eq", lambda v=value: Eq("properties.n", v)),
            ("in", lambda v=value: In("properties.n", (1, v))),
        )
    ),
    *(
        pytest.param(lambda t=text: SearchQuery.model_validate_json(t), id=f"json {bound}")
        for bound in ("NaN", "Infinity", "-Infinity", "1e999")
        for text in ('{"filter": {"op": "range", "field": "properties.n", "lt": ' + bound + "}}",)
    ),
    pytest.param(lambda: Eq("properties.n", 2**63), id="int past 64 bits"),
    pytest.param(lambda: Range(field="properties.n", gt=-(2**63) - 1), id="int below 64 bits"),
    pytest.param(
        lambda: SearchQuery.model_validate_json(
            '{"filter": {"op": "eq", "field": "properties.n", "value": 9223372036854775808}}'
        ),
        id="json int past 64 bits",
    ),
    pytest.param(lambda: Eq("properties.n", Decimal("0.1")), id="decimal"),
    pytest.param(lambda: Eq("properties.n", Decimal("NaN")), id="decimal nan"),
    pytest.param(lambda: Eq("version", True), id="bool for an int field"),
    pytest.param(lambda: Eq("location.latitude", False), id="bool for a float field"),
    pytest.param(lambda: Range(field="properties.n", lt=True), id="bool bound"),
    pytest.param(lambda: SearchQuery(cursor=b"abc"), id="bytes cursor"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("build", _REFUSED)
def test_values_no_backend_compares_alike_are_refused_when_the_query_is_built(
    build: Callable[[], object],
) -> None:
    """NaN, infinities, integers past 64 bits, Decimals and bools for numbers: all refused.

    Building raises pydantic's ValidationError (REC-003); the layer's conversion of it is a
    ValidationFailed that never quotes the value.
    """
    with pytest.raises(ValidationError):
        build()
    with pytest.raises(ValidationFailed) as caught:
        validated(build, "search")
    assert "9223372036854775808" not in str(caught.value)


def test_a_query_built_around_validation_is_refused_by_every_store(store: CaseStore) -> None:
    """A NaN bound slipped in with model_copy or model_construct never reaches a backend.

    Before, PostgreSQL answered ``lt=NaN`` with every row and memory with none.
    """
    _stock(store, [_entity("one", properties={"n": 1}), _entity("two", properties={"n": 2})])
    before = _snapshot(store)
    forged = Range.model_construct(field="properties.n", lt=math.nan)
    smuggled = [
        SearchQuery().model_copy(update={"filter": forged}),
        SearchQuery.model_construct(filter=forged),
        SearchQuery(filter=And(Eq("label", "one"))).model_copy(
            update={"filter": Not.model_construct(filter=forged)}
        ),
    ]
    for query in smuggled:
        with pytest.raises(ValidationFailed):
            store.search(query)
    assert _snapshot(store) == before
    assert _ids(store, Range(field="properties.n", lt=2)) == ["one"]


# ---------------------------------------------------------------------------- 64-bit bounds

_EXTREMES = [
    _entity("top", properties={"n": INT64_MAX}),
    _entity("bottom", properties={"n": INT64_MIN}),
    _entity("below-top", properties={"n": INT64_MAX - 1}),
    _entity("zero", properties={"n": 0, "f": 1.7976931348623157e308}),
    _entity("half", properties={"n": 0.5, "f": -1.7976931348623157e308}),
    _entity("text", properties={"n": "9223372036854775807"}),
    _place("north", 90.0),
    _place("south", -90.0),
]
_EXTREME_CASES: list[tuple[Filter, list[str]]] = [
    (
        Range(field="properties.n", gte=INT64_MIN, lte=INT64_MAX),
        ["below-top", "bottom", "half", "top", "zero"],
    ),
    (Range(field="properties.n", gt=INT64_MIN, lt=INT64_MAX), ["below-top", "half", "zero"]),
    (Range(field="properties.n", gt=INT64_MAX), []),
    (Range(field="properties.n", lt=INT64_MIN), []),
    (Range(field="properties.n", gte=INT64_MAX), ["top"]),
    (Range(field="properties.n", lte=INT64_MIN), ["bottom"]),
    (Eq("properties.n", INT64_MAX), ["top"]),
    (Eq("properties.n", INT64_MIN), ["bottom"]),
    (In("properties.n", (INT64_MIN, INT64_MAX, INT64_MAX - 1)), ["below-top", "bottom", "top"]),
    (Not(Eq("properties.n", INT64_MAX)), [e.id for e in _EXTREMES if e.id != "top"]),
    (Range(field="properties.f", gte=-1.7976931348623157e308, lt=0.0), ["half"]),
    (Range(field="version", gte=INT64_MIN, lte=INT64_MAX), [e.id for e in _EXTREMES]),
    (Range(field="version", gt=INT64_MAX), []),
    (Range(field="location.latitude", gt=INT64_MIN, lt=INT64_MAX), ["north", "south"]),
    (Range(field="location.latitude", gte=0, lte=INT64_MAX), ["north"]),
    (Eq("location.latitude", INT64_MIN), []),
]


def test_bounds_at_the_64_bit_extremes_are_answered_alike_everywhere(store: CaseStore) -> None:
    """Integers at both ends of the 64-bit range compare exactly on every backend."""
    reference = _stock(store, _EXTREMES)
    before = _snapshot(store)
    for condition, expected in _EXTREME_CASES:
        assert _ids(store, condition) == sorted(expected), condition
        assert _ids(reference, condition) == sorted(expected), condition
    assert _snapshot(store) == before


# ---------------------------------------------------------------------------- largest queries


def _long_text(seed: int) -> str:
    """A text of exactly MAX_TEXT_LENGTH characters holding as many distinct terms as fit."""
    words: list[str] = []
    size = -1
    while size + len(f" t{seed}x{len(words)}") <= MAX_TEXT_LENGTH - 2:
        words.append(f"t{seed}x{len(words)}")
        size += len(words[-1]) + 1
    text = " ".join(words) + " "
    return text + "z" * (MAX_TEXT_LENGTH - len(text))


_TEXTS = [_long_text(seed) for seed in range(MAX_FILTER_LEAVES)]


def _texts_or() -> Filter:
    """MAX_FILTER_LEAVES texts of MAX_TEXT_LENGTH characters, over a thousand terms each."""
    return Or(*(Text(text) for text in _TEXTS))


def _in_or() -> Filter:
    """MAX_FILTER_LEAVES lists of MAX_IN_VALUES values, of every kind a property holds."""
    leaves: list[Filter] = []
    for leaf in range(MAX_FILTER_LEAVES):
        if leaf % 2:
            leaves.append(In("label", tuple(f"L{leaf}-{n}" for n in range(MAX_IN_VALUES))))
        else:
            values = (True, "seven", 7.5, *range(10_000 * leaf, 10_000 * leaf + MAX_IN_VALUES - 3))
            leaves.append(In("properties.code", values))
    return Or(*leaves)


def _deep() -> Filter:
    """MAX_FILTER_DEPTH levels of and / or / not, MAX_FILTER_LEAVES conditions in all."""
    wrappers = MAX_FILTER_DEPTH - 2  # an Or and its leaves lie beneath them
    ands = (wrappers + 1) // 2  # each And adds a leaf beside the Or
    condition: Filter = Or(
        *(Eq("properties.code", n) for n in range(MAX_FILTER_LEAVES - ands - 2)),
        Text(_TEXTS[0]),
        Range(field="properties.code", gt=INT64_MAX - 1),
    )
    for level in range(wrappers):
        condition = Not(condition) if level % 2 else And(condition, Not(Eq("label", "never")))
    return condition


_LARGE: dict[str, tuple[Callable[[], Filter], list[str]]] = {
    "or of the longest texts": (_texts_or, ["wordy"]),
    "or of the longest in lists": (_in_or, ["code-7", "code-20007", "label-hit"]),
    "deepest and widest": (_deep, ["code-20007", "code-7", "label-hit", "miss"]),
}
_LARGE_DATA = [
    _entity("wordy", properties={"note": _TEXTS[0], "code": INT64_MAX}),
    _entity("code-7", properties={"code": 7.5}),
    _entity("code-20007", properties={"code": (20_007, "other")}),
    _entity("label-hit", label="L9-999"),
    _entity("miss", label="nothing", properties={"code": 1_000_000_000}),
]


@pytest.mark.parametrize("name", list(_LARGE))
def test_the_largest_queries_the_language_allows_are_answered_alike_everywhere(
    store: CaseStore, name: str
) -> None:
    """SRCH-016: a query at every limit at once is answered, by every backend the same.

    Before, PostgreSQL refused the texts with ValidationFailed (one parameter per term).
    """
    build, expected = _LARGE[name]
    condition = build()
    query = SearchQuery(filter=condition)
    assert _measure(condition) in {(2, MAX_FILTER_LEAVES), (MAX_FILTER_DEPTH, MAX_FILTER_LEAVES)}
    assert query.filter == condition
    reference = _stock(store, _LARGE_DATA)
    before = _snapshot(store)
    assert _ids(reference, condition) == sorted(expected)
    assert _ids(store, condition) == sorted(expected)
    negated = condition.filter if isinstance(condition, Not) else Not(condition)
    assert _ids(store, negated) == sorted({e.id for e in _LARGE_DATA} - set(expected))
    assert _snapshot(store) == before
