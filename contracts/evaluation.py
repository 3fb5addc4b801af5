"""The reference meaning of the search language, evaluated in Python.

The in-memory adapter searches with these functions, and other adapters must return what they
would. Keep them plain: they define the semantics that ``contracts/SPEC.md`` states in prose.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.paging import SortPosition, SortValue
from contracts.query import (
    RECORD_TEXT_FIELDS,
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    OrderKey,
    Prefix,
    Range,
    Text,
    tokenize,
)

__all__ = [
    "compare_positions",
    "field_values",
    "matches",
    "sort_entities",
    "sort_position",
    "text_terms",
]

Scalar = str | int | float | bool | datetime
R = TypeVar("R", bound=Record)

_BLOCKS = ("person", "organisation", "object", "location", "event")


def _flatten(value: Any) -> list[Scalar]:
    if value is None:
        return []
    if isinstance(value, tuple | list):
        return [item for item in value if item is not None]
    if isinstance(value, StrEnum):
        return [value.value]
    return [value]


def field_values(entity: Record, path: str) -> list[Scalar]:
    """All values ``entity`` (any record) holds for the field ``path`` (empty when none).

    A dotted path walks attributes; where a step holds several items (a case's members, a
    record's provenance) it collects the value of each.
    """
    if path.startswith("properties."):
        properties = getattr(entity, "properties", {})
        return _flatten(properties.get(path.removeprefix("properties.")))
    if path.startswith("identifiers.") and isinstance(entity, Entity):
        attribute = path.removeprefix("identifiers.")
        values: list[Scalar] = []
        for block_name in _BLOCKS:
            block = getattr(entity, block_name)
            for identifier in getattr(block, "identifiers", ()) if block else ():
                values.append(getattr(identifier, attribute))
        return values
    head, _, rest = path.partition(".")
    value: Any = getattr(entity, head, None)
    if not rest:
        return _flatten(value)
    items = value if isinstance(value, tuple) else (value,)
    found: list[Scalar] = []
    for item in items:
        if item is not None:
            found.extend(_flatten(getattr(item, rest, None)))
    return found


def _kind(value: Scalar) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "str"
    return "datetime"


def _equal(left: Scalar, right: Scalar) -> bool:
    return _kind(left) == _kind(right) and left == right


_BOUND_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _in_range(value: Scalar, condition: Range) -> bool:
    for name, accept in _BOUND_TESTS.items():
        bound = getattr(condition, name)
        if bound is None:
            continue
        if _kind(value) != _kind(bound) or isinstance(value, bool):
            return False
        if not accept(value, bound):
            return False
    return True


def text_terms(entity: Record) -> frozenset[str]:
    """Every search term in the record's text fields and string property values."""
    terms: set[str] = set()
    for path in RECORD_TEXT_FIELDS[entity.RECORD_TYPE]:
        for value in field_values(entity, path):
            if isinstance(value, str):
                terms.update(tokenize(value))
    properties: dict[str, Any] = getattr(entity, "properties", {})
    for raw in properties.values():
        for value in _flatten(raw):
            if isinstance(value, str):
                terms.update(tokenize(value))
    return frozenset(terms)


def matches(
    entity: R,
    condition: Filter | None,
    terms_of: Callable[[R], AbstractSet[str]] = text_terms,
) -> bool:
    """Whether ``entity`` (any record) satisfies ``condition`` (``None`` matches every one).

    ``terms_of`` gives an entity's search terms; a store may pass a cached equivalent of
    :func:`text_terms` so that text is not tokenised again for every query.
    """
    if condition is None:
        return True
    if isinstance(condition, And):
        return all(matches(entity, child, terms_of) for child in condition.filters)
    if isinstance(condition, Or):
        return any(matches(entity, child, terms_of) for child in condition.filters)
    if isinstance(condition, Not):
        return not matches(entity, condition.filter, terms_of)
    if isinstance(condition, Text):
        terms = condition.terms
        found = terms_of(entity)
        return bool(terms) and all(term in found for term in terms)
    values = field_values(entity, condition.field)
    if isinstance(condition, Eq):
        return any(_equal(value, condition.value) for value in values)
    if isinstance(condition, In):
        return any(_equal(v, wanted) for v in values for wanted in condition.values)
    if isinstance(condition, Prefix):
        return any(isinstance(v, str) and v.startswith(condition.value) for v in values)
    if isinstance(condition, Range):
        return any(_in_range(value, condition) for value in values)
    raise TypeError(f"unknown filter node {type(condition).__name__}")


def sort_position(entity: Record, order_by: Sequence[OrderKey]) -> SortPosition:
    """The record's place in an ordering: its value for each key (or ``None``) and its id."""
    values: list[SortValue] = []
    for key in order_by:
        found = field_values(entity, key.field)
        values.append(found[0] if found else None)
    return SortPosition(tuple(values), entity.id)


def _compare_values(left: SortValue, right: SortValue, descending: bool) -> int:
    if left is None or right is None:
        # Missing values sort last in both directions.
        return (left is None) - (right is None)
    if left == right:
        return 0
    smaller = left < right  # type: ignore[operator]
    return (1 if smaller else -1) if descending else (-1 if smaller else 1)


def compare_positions(left: SortPosition, right: SortPosition, order_by: Sequence[OrderKey]) -> int:
    """Three-way comparison of two positions under ``order_by`` with ``id`` as tie-break."""
    for key, a, b in zip(order_by, left.values, right.values, strict=True):
        result = _compare_values(a, b, key.descending)
        if result:
            return result
    return (left.id > right.id) - (left.id < right.id)


def sort_entities(entities: Sequence[R], order_by: Sequence[OrderKey]) -> list[R]:
    """``entities`` (records of one type) in the order a search with ``order_by`` returns them."""
    positions = {entity.id: sort_position(entity, order_by) for entity in entities}

    def compare(a: R, b: R) -> int:
        return compare_positions(positions[a.id], positions[b.id], order_by)

    return sorted(entities, key=functools.cmp_to_key(compare))
