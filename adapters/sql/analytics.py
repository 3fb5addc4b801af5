"""Counts and grouped aggregates in SQL, equal to :func:`contracts.aggregation.aggregate_records`.

One statement counts the records a filter selects (``SELECT count(*)``); one groups them
(``GROUP BY``) and computes the metrics it can compute exactly. Python only decodes the grouped
rows, orders them and cuts them at the limit, with the reference's rules. Where SQL cannot give
the reference's answer exactly, the functions here return ``None`` and the layer computes it:

- entities group by their columns (single-valued fields) and by ``entity_values`` rows
  (multi-valued fields and properties), where a record falls in one group per distinct value
  (``1`` and ``1.0`` are one value, ``True`` another) and in the ``None`` group without one;
  links and documents group by the fields kept in columns of their own;
- ``min`` and ``max`` of a column, or of a multi-valued text field, are SQL's; ``sum`` and
  ``avg`` of an integer column are summed exactly (SQLite in two 32-bit halves, so no sum
  overflows), the average divided in Python as the reference divides;
- left to the layer: sums and averages of floats (their rounding depends on the order of
  addition), properties' metrics, and on PostgreSQL numeric property keys (its ``numeric``
  column keeps no difference between ``2`` and ``2.0``);
- counts and filters of links and documents are compiled by :mod:`adapters.sql.records` when it
  decides them exactly (never a ``Text`` condition).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from adapters.sql import records
from adapters.sql.dialects import Fragment
from adapters.sql.engine import Session
from adapters.sql.query import where
from adapters.sql.schema import column_for
from contracts.aggregation import (
    AggregateQuery,
    Aggregation,
    Group,
    GroupValue,
    Metric,
    ordered_aggregation,
)
from contracts.models.common import RecordType
from contracts.query import FIELDS, RECORD_FIELDS, Filter

__all__ = ["aggregate", "count"]

_PROPERTY: Final = "properties."
_LOW_BITS: Final = 2**32
_RECORD_COLUMNS: Final[dict[RecordType, frozenset[str]]] = {
    RecordType.LINK: frozenset({"id", "version", "type", "source_id", "target_id", "directed"}),
}
"""Fields of links and documents kept in a column (``id`` and ``version`` of every table)."""


@dataclass(frozen=True, slots=True)
class _Source:
    """The rows of one record type that a filter selects: ``FROM``, alias and ``WHERE``."""

    table: str
    alias: str
    test: Fragment


def _source(session: Session, record_type: RecordType, condition: Filter | None) -> _Source | None:
    """The selected rows, or ``None`` when SQL cannot decide ``condition`` exactly."""
    dialect = session.dialect
    if record_type is RecordType.ENTITY:
        return _Source("entities", "e", where(condition, dialect))
    if condition is not None and not records.compiles(record_type, condition):
        return None
    test = records.where(record_type, condition, dialect)
    if record_type is RecordType.LINK:
        return _Source("links", "r", test)
    scope = Fragment("r.record_type = ?", (record_type.value,))
    return _Source("documents", "r", Fragment.join(" AND ", [scope, test]))


def count(session: Session, record_type: RecordType, condition: Filter | None) -> int | None:
    """How many records of ``record_type`` match ``condition``; ``None`` if SQL cannot say."""
    source = _source(session, record_type, condition)
    if source is None:
        return None
    found = session.one(
        f"SELECT count(*) FROM {source.table} {source.alias} WHERE {source.test.sql}",
        source.test.params,
    )
    return int(found[0]) if found else 0


@dataclass(frozen=True, slots=True)
class _Key:
    """How one grouping field is read: a column of the row, or its ``entity_values`` rows."""

    kind: str
    column: str | None  # None: the field's values are entity_values rows


def _key(record_type: RecordType, field: str) -> _Key | None:
    if record_type is RecordType.ENTITY:
        if field.startswith(_PROPERTY):
            return _Key("any", None)
        spec = FIELDS[field]
        column = column_for(field)
        return _Key(spec.kind, column) if column is not None else _Key(spec.kind, None)
    found = RECORD_FIELDS[record_type].get(field)
    columns = _RECORD_COLUMNS.get(record_type, frozenset()) | {"id", "version"}
    if found is None or field not in columns:
        return None
    return _Key(found.kind, field)


@dataclass(frozen=True, slots=True)
class _Plan:
    """The per-row select list and the grouped select list of one aggregate."""

    row_columns: list[Fragment]
    joins: list[Fragment]
    group_columns: list[str]
    outputs: list[str]


def _metric_columns(
    record_type: RecordType, metric: Metric, index: int, alias: str, session: Session
) -> tuple[list[Fragment], list[str]] | None:
    """The per-row columns and grouped expressions of a metric, or ``None`` if not exact."""
    name = f"m{index}"
    postgresql = session.dialect.name == "postgresql"
    if metric.field.startswith(_PROPERTY):
        if postgresql or metric.op not in ("min", "max"):
            return None
        value = Fragment(
            f"(SELECT {metric.op}(x.n) FROM entity_values x WHERE x.rid = {alias}.rid"
            f" AND x.field = ? AND x.n IS NOT NULL) AS {name}",
            (metric.field,),
        )
        return [value], [f"{metric.op}(g.{name})"]
    key = _key(record_type, metric.field)
    if key is None:
        return None
    if key.column is None:  # a multi-valued field of entities: all text
        if metric.op not in ("min", "max"):
            return None
        value = Fragment(
            f"(SELECT {metric.op}(x.s) FROM entity_values x WHERE x.rid = {alias}.rid"
            f" AND x.field = ?) AS {name}",
            (metric.field,),
        )
        return [value], [f"{metric.op}(g.{name})"]
    column = f"{alias}.{key.column}"
    if metric.op in ("min", "max"):
        return [Fragment(f"{column} AS {name}")], [f"{metric.op}(g.{name})"]
    if key.kind != "int":
        return None
    if postgresql:  # sum(bigint) is an exact numeric
        return [Fragment(f"{column} AS {name}")], [f"sum(g.{name})", "NULL", f"count(g.{name})"]
    # SQLite's integer sum fails on overflow: the halves of 64-bit values never overflow it.
    halves = [Fragment(f"{column} >> 32 AS {name}h"), Fragment(f"{column} & 4294967295 AS {name}l")]
    return halves, [f"sum(g.{name}h)", f"sum(g.{name}l)", f"count(g.{name}h)"]


def _plan(
    session: Session, record_type: RecordType, query: AggregateQuery, alias: str
) -> tuple[_Plan, list[_Key]] | None:
    keys: list[_Key] = []
    row_columns = [Fragment(f"{alias}.rid AS rid" if alias == "e" else f"{alias}.id AS rid")]
    joins: list[Fragment] = []
    group_columns: list[str] = []
    for index, field in enumerate(query.group_by):
        key = _key(record_type, field)
        if key is None:
            return None
        keys.append(key)
        if key.column is not None:
            row_columns.append(Fragment(f"{alias}.{key.column} AS k{index}"))
            group_columns.append(f"g.k{index}")
            continue
        side = f"v{index}"
        joins.append(
            Fragment(
                f" LEFT JOIN entity_values {side} ON {side}.rid = {alias}.rid AND {side}.field = ?",
                (field,),
            )
        )
        for part in ("s", "n", "b"):
            row_columns.append(Fragment(f"{side}.{part} AS k{index}{part}"))
            group_columns.append(f"g.k{index}{part}")
    outputs = [*group_columns, "count(*)"]
    for index, metric in enumerate(query.metrics):
        found = _metric_columns(record_type, metric, index, alias, session)
        if found is None:
            return None
        row_columns.extend(found[0])
        outputs.extend(found[1])
    return _Plan(row_columns, joins, group_columns, outputs), keys


def aggregate(
    session: Session, record_type: RecordType, query: AggregateQuery
) -> Aggregation | None:
    """The reference aggregate of ``query`` in SQL, or ``None`` where SQL cannot be exact."""
    source = _source(session, record_type, query.filter)
    if source is None:
        return None
    planned = _plan(session, record_type, query, source.alias)
    if planned is None:
        return None
    plan, keys = planned
    multi = any(key.column is None for key in keys)
    selected = Fragment.join(", ", plan.row_columns)
    joined = Fragment.join("", plan.joins)
    # Equal values (1 and 1.0) are separate rows of entity_values: one of them per record.
    distinct = "DISTINCT " if multi else ""
    inner = Fragment(
        f"SELECT {distinct}{selected.sql} FROM {source.table} {source.alias}{joined.sql}"
        f" WHERE {source.test.sql}",
        (*selected.params, *joined.params, *source.test.params),
    )
    grouping = f" GROUP BY {', '.join(plan.group_columns)}" if plan.group_columns else ""
    statement = Fragment(
        f"SELECT {', '.join(plan.outputs)} FROM ({inner.sql}) g{grouping}", inner.params
    )
    rows = session.rows(statement)
    postgresql = session.dialect.name == "postgresql"
    decoded: list[tuple[tuple[GroupValue, ...], int, dict[str, GroupValue]]] = []
    for row in rows:
        position = 0
        key: list[GroupValue] = []
        for spec in keys:
            if spec.column is not None:
                key.append(_decoded(row[position], spec.kind))
                position += 1
                continue
            text, number, flag = row[position : position + 3]
            position += 3
            if number is not None and postgresql and isinstance(number, Decimal):
                return None  # numeric keeps no difference between 2 and 2.0
            key.append(text if text is not None else number if number is not None else _flag(flag))
        size = int(row[position])
        position += 1
        if size == 0:
            continue  # no group_by and no matching record: no group at all
        values: dict[str, GroupValue] = {}
        for metric in query.metrics:
            values[metric.name], position = _metric_value(record_type, metric, row, position)
        decoded.append((tuple(key), size, values))
    if multi:
        total = count(session, record_type, query.filter) or 0
    else:
        total = sum(size for _, size, _ in decoded)
    groups = [Group(key=key, count=size, values=values) for key, size, values in decoded]
    return ordered_aggregation(groups, total, query)


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _decoded(value: Any, kind: str) -> GroupValue:
    """A column's value as the record holds it."""
    if value is None:
        return None
    if kind == "datetime":
        return datetime.fromisoformat(str(value))
    if kind == "bool":
        return bool(value)
    if kind == "int":
        return int(value)
    if kind == "float":
        return float(value)
    return value  # type: ignore[no-any-return]


def _metric_value(
    record_type: RecordType, metric: Metric, row: Sequence[Any], position: int
) -> tuple[GroupValue, int]:
    """The metric read from ``row`` at ``position``, and the position after it."""
    if metric.op in ("min", "max"):
        value = row[position]
        if metric.field.startswith(_PROPERTY):
            return value, position + 1
        key = _key(record_type, metric.field)
        return _decoded(value, key.kind if key else "str"), position + 1
    high, low, size = row[position : position + 3]
    if not size:
        return None, position + 3
    total = int(high) if low is None else int(high) * _LOW_BITS + int(low)
    if metric.op == "sum":
        return total, position + 3
    return float(total) / int(size), position + 3
