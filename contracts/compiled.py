"""The reference semantics compiled once per query into plain Python functions.

:func:`contracts.evaluation.matches` reads a filter tree anew for every record; a store that
tests many records against one filter compiles it with :func:`compile_filter` instead, which
resolves each field path and each comparison up front. Both give the same answer for every
record and filter (``tests/contracts/test_contracts_compiled.py`` checks it), so the compiled
form is the reference too, only faster.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Set
from typing import Any

from contracts.evaluation import Scalar, field_values, text_terms
from contracts.models.common import Record
from contracts.query import RECORD_FIELDS, And, Eq, Filter, In, Not, Or, Prefix, Range, Text

__all__ = ["Accessor", "Predicate", "accessor", "compile_filter"]

Accessor = Callable[[Record], list[Scalar]]
"""Every value a record holds for one field (see :func:`contracts.evaluation.field_values`)."""

Predicate = Callable[[Any], bool]
"""Whether a record matches a compiled filter."""


def _family(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return 1
    if isinstance(value, str):
        return 2
    return 3


@functools.lru_cache(maxsize=1_024)
def accessor(path: str) -> Accessor:
    """A function giving ``field_values(record, path)``, with the path resolved once."""
    head, _, rest = path.partition(".")
    if head in ("properties", "identifiers") or "." in rest:
        return lambda record: field_values(record, path)
    if not rest:

        def single(record: Record) -> list[Scalar]:
            value = getattr(record, head, None)
            if value is None:
                return []
            if isinstance(value, tuple):
                return [item for item in value if item is not None]
            return [getattr(value, "value", value) if hasattr(value, "_value_") else value]

        return single
    return lambda record: field_values(record, path)


def _plain(path: str) -> bool:
    """Whether ``path`` is one top-level attribute holding one value in every record type."""
    if "." in path:
        return False
    specs = [catalog.get(path) for catalog in RECORD_FIELDS.values()]
    return all(spec is None or not spec.multi for spec in specs)


def _always(_record: object) -> bool:
    return True


def compile_filter(
    condition: Filter | None,
    terms_of: Callable[[Any], Set[str]] = text_terms,
) -> Predicate:
    """A function telling, for any record, what ``matches(record, condition, terms_of)`` does."""
    if condition is None:
        return _always
    if isinstance(condition, And):
        parts = [compile_filter(child, terms_of) for child in condition.filters]
        return lambda record: all(part(record) for part in parts)
    if isinstance(condition, Or):
        parts = [compile_filter(child, terms_of) for child in condition.filters]
        return lambda record: any(part(record) for part in parts)
    if isinstance(condition, Not):
        inner = compile_filter(condition.filter, terms_of)
        return lambda record: not inner(record)
    if isinstance(condition, Text):
        terms = condition.terms
        if not terms:
            return lambda _record: False
        return lambda record: all(term in terms_of(record) for term in terms)
    values_of = accessor(condition.field)
    if isinstance(condition, Eq) and isinstance(condition.value, str) and _plain(condition.field):
        # A text value equals only text, so one comparison of the attribute decides.
        head, text = condition.field, condition.value
        return lambda record: getattr(record, head, None) == text
    if isinstance(condition, Eq):
        wanted, family = condition.value, _family(condition.value)
        return lambda record: any(
            _family(value) == family and value == wanted for value in values_of(record)
        )
    if isinstance(condition, In):
        options = [(_family(value), value) for value in condition.values]
        return lambda record: any(
            _family(value) == family and value == option
            for value in values_of(record)
            for family, option in options
        )
    if isinstance(condition, Prefix):
        start = condition.value
        return lambda record: any(
            isinstance(value, str) and value.startswith(start) for value in values_of(record)
        )
    if isinstance(condition, Range):
        return _range(condition, values_of)
    raise TypeError(f"unknown filter node {type(condition).__name__}")


def _range(condition: Range, values_of: Accessor) -> Predicate:
    bounds = [
        (name, bound, _family(bound))
        for name, bound in (
            ("gt", condition.gt),
            ("gte", condition.gte),
            ("lt", condition.lt),
            ("lte", condition.lte),
        )
        if bound is not None
    ]

    def within(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        family = _family(value)
        for name, bound, bound_family in bounds:
            if family != bound_family:
                return False
            if name == "gt" and not value > bound:
                return False
            if name == "gte" and not value >= bound:
                return False
            if name == "lt" and not value < bound:
                return False
            if name == "lte" and not value <= bound:
                return False
        return True

    return lambda record: any(within(value) for value in values_of(record))
