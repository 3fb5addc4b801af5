"""Search filters, orderings and keyset positions translated to SQL.

The SQL returns exactly the entities :func:`contracts.evaluation.matches` accepts, in the order
of :func:`contracts.evaluation.sort_entities`:

- every leaf yields true or false, never NULL (a missing value makes a leaf false, so ``Not``
  of it is true, as in Python);
- values compare only with values of their own kind: single-valued fields sit in typed columns
  of ``entities``; multi-valued fields and properties sit in ``entity_values``, where text,
  numbers and booleans have separate columns;
- missing values sort last in either direction and ``id`` breaks ties.

Every value is a parameter; column names come from :mod:`adapters.sql.schema`, never from the
query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adapters.sql.dialects import FALSE, TEXT_KEY_CHARS, TRUE, Dialect, Fragment
from adapters.sql.schema import column_for, instant
from contracts.paging import SortPosition
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, Text

__all__ = ["search_statement", "where"]

_BOUNDS = (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<="))


def _column_value(value: Any) -> Any:
    return instant(value) if isinstance(value, datetime) else value


def _value_column(value: Any) -> str:
    """The ``entity_values`` column that holds values of the kind of ``value``."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int | float):
        return "n"
    return "s"


def _side_value(value: Any, dialect: Dialect) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return dialect.number(value)
    return _column_value(value)


def _text_key(dialect: Dialect) -> str | None:
    """The indexed key of ``v.s`` when the index holds only its leading characters."""
    return None if dialect.text_key is None else dialect.text_key.format("v.s")


def _keyed(narrowing: Fragment, exact: Fragment) -> Fragment:
    """``exact`` after a test of the indexed key that it implies, so the index serves it."""
    return Fragment(f"{narrowing.sql} AND {exact.sql}", (*narrowing.params, *exact.params))


def _side(field: str, predicate: Fragment) -> Fragment:
    return Fragment(
        "e.rid IN (SELECT v.rid FROM entity_values v WHERE v.field = ? AND " + predicate.sql + ")",
        (field, *predicate.params),
    )


def _eq(condition: Eq, dialect: Dialect) -> Fragment:
    column = column_for(condition.field)
    if column is not None:
        return Fragment(
            f"(e.{column} IS NOT NULL AND e.{column} = ?)", (_column_value(condition.value),)
        )
    target = _value_column(condition.value)
    value = _side_value(condition.value, dialect)
    test = Fragment(f"v.{target} = ?", (value,))
    key = _text_key(dialect)
    if target == "s" and key is not None:
        test = _keyed(Fragment(f"{key} = ?", (value[:TEXT_KEY_CHARS],)), test)
    return _side(condition.field, test)


def _in(condition: In, dialect: Dialect) -> Fragment:
    """Membership as one array or JSON parameter per kind of value, never one per value.

    A filter may hold :data:`~contracts.query.MAX_FILTER_LEAVES` lists of
    :data:`~contracts.query.MAX_IN_VALUES` values each, more than either backend accepts as
    separate parameters.
    """
    column = column_for(condition.field)
    groups: dict[str, list[Any]] = {}
    for value in condition.values:
        converted = _column_value(value) if column is not None else _side_value(value, dialect)
        groups.setdefault(_value_column(value), []).append(converted)
    if column is not None:
        tests = [dialect.in_list(f"e.{column}", values) for _, values in sorted(groups.items())]
        inner = Fragment.join(" OR ", tests).wrapped()
        return Fragment(f"(e.{column} IS NOT NULL AND {inner.sql})", inner.params)
    parts = []
    key = _text_key(dialect)
    for target, values in sorted(groups.items()):
        test = dialect.in_list(f"v.{target}", values)
        if target == "s" and key is not None:
            keys = sorted({value[:TEXT_KEY_CHARS] for value in values})
            test = _keyed(dialect.in_list(key, keys), test)
        parts.append(test.wrapped())
    return _side(condition.field, Fragment.join(" OR ", parts).wrapped())


def _range(condition: Range, dialect: Dialect) -> Fragment:
    bounds = [
        (operator, getattr(condition, name))
        for name, operator in _BOUNDS
        if getattr(condition, name) is not None
    ]
    column = column_for(condition.field)
    if column is not None:
        tests = " AND ".join(f"e.{column} {operator} ?" for operator, _ in bounds)
        params = tuple(_column_value(bound) for _, bound in bounds)
        return Fragment(f"(e.{column} IS NOT NULL AND {tests})", params)
    target = _value_column(bounds[0][1])
    tests = " AND ".join(f"v.{target} {operator} ?" for operator, _ in bounds)
    params = tuple(_side_value(bound, dialect) for _, bound in bounds)
    test = Fragment(f"v.{target} IS NOT NULL AND {tests}", params)
    key = _text_key(dialect)
    if target == "s" and key is not None:
        # Cutting text to its leading characters never reverses an order, so the keys of the
        # values within the bounds lie within the cut bounds, inclusive.
        narrowing = Fragment(
            " AND ".join(f"{key} {operator[0]}= ?" for operator, _ in bounds),
            tuple(param[:TEXT_KEY_CHARS] for param in params),
        )
        test = _keyed(narrowing, test)
    return _side(condition.field, test)


def _prefix(condition: Prefix, dialect: Dialect) -> Fragment:
    column = column_for(condition.field)
    if column is not None:
        test = dialect.starts_with(f"e.{column}", condition.value)
        return Fragment(f"(e.{column} IS NOT NULL AND {test.sql})", test.params)
    test = dialect.starts_with("v.s", condition.value)
    exact = Fragment(f"v.s IS NOT NULL AND {test.sql}", test.params)
    key = _text_key(dialect)
    if key is not None:
        exact = _keyed(dialect.starts_with(key, condition.value[:TEXT_KEY_CHARS]), exact)
    return _side(condition.field, exact)


def where(condition: Filter | None, dialect: Dialect) -> Fragment:
    """The SQL condition on the entity ``e`` that holds exactly when ``condition`` does."""
    if condition is None:
        return TRUE
    if isinstance(condition, And):
        if not condition.filters:
            return TRUE
        return Fragment.join(" AND ", (where(c, dialect) for c in condition.filters)).wrapped()
    if isinstance(condition, Or):
        if not condition.filters:
            return FALSE
        return Fragment.join(" OR ", (where(c, dialect) for c in condition.filters)).wrapped()
    if isinstance(condition, Not):
        inner = where(condition.filter, dialect)
        return Fragment(f"(NOT {inner.sql})", inner.params)
    if isinstance(condition, Text):
        terms = condition.terms
        # A query with no terms (only punctuation, say) matches nothing.
        return dialect.text_match(terms) if terms else FALSE
    if isinstance(condition, Eq):
        return _eq(condition, dialect)
    if isinstance(condition, In):
        return _in(condition, dialect)
    if isinstance(condition, Range):
        return _range(condition, dialect)
    if isinstance(condition, Prefix):
        return _prefix(condition, dialect)
    raise TypeError(f"unknown filter node {type(condition).__name__}")


def _sort_column(key: OrderKey) -> str:
    column = column_for(key.field)
    if column is None:  # OrderKey only admits sortable fields, which are all single-valued
        raise TypeError(f"{key.field} has no column to sort by")
    return f"e.{column}"


def _order(order_by: Sequence[OrderKey]) -> str:
    keys = [
        f"{_sort_column(key)} {'DESC' if key.descending else 'ASC'} NULLS LAST" for key in order_by
    ]
    return ", ".join([*keys, "e.id ASC"])


def _after(order_by: Sequence[OrderKey], position: SortPosition) -> Fragment:
    """Entities strictly after ``position`` in the order.

    A disjunction over the first key that differs, with missing values last and ``id`` as the
    final tie-break.
    """
    options: list[Fragment] = []
    equal: list[Fragment] = []
    for key, value in zip(order_by, position.values, strict=True):
        column = _sort_column(key)
        if value is not None:
            operator = "<" if key.descending else ">"
            later = Fragment(
                f"({column} {operator} ? OR {column} IS NULL)", (_column_value(value),)
            )
            options.append(Fragment.join(" AND ", [*equal, later]))
            equal.append(Fragment(f"{column} = ?", (_column_value(value),)))
        else:
            # Nothing sorts after a missing value but other missing values, tied by id.
            equal.append(Fragment(f"{column} IS NULL"))
    options.append(Fragment.join(" AND ", [*equal, Fragment("e.id > ?", (position.id,))]))
    return Fragment.join(" OR ", (option.wrapped() for option in options)).wrapped()


def search_statement(
    condition: Filter | None,
    order_by: Sequence[OrderKey],
    after: SortPosition | None,
    limit: int,
    dialect: Dialect,
) -> Fragment:
    """``SELECT e.body`` of up to ``limit`` matching entities, in order, after ``after``."""
    test = where(condition, dialect)
    if after is not None:
        test = Fragment.join(" AND ", [test, _after(order_by, after)])
    return Fragment(
        f"SELECT e.body FROM entities e WHERE {test.sql} ORDER BY {_order(order_by)} LIMIT ?",
        (*test.params, limit),
    )
