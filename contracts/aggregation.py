"""Counts and grouped aggregates over the records a filter selects, and their reference meaning.

An :class:`AggregateQuery` groups the matching records by up to three fields and computes
metrics per group::

    AggregateQuery(filter=Eq("subtype", "crime"), group_by=("event.category",))
    AggregateQuery(group_by=("type",), metrics=(Metric(op="max", field="confidence"),))

A record falls in one group per distinct value of each grouping field (a multi-valued field
puts it in several, so group counts may add up to more than the total) and in the group of
``None`` for a field it holds no value of. :func:`aggregate_records` is the reference
computation every backend must agree with.
"""

from __future__ import annotations

import collections
import functools
import itertools
import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.compiled import accessor
from contracts.errors import ValidationFailed
from contracts.models.common import Record, RecordType, StrictModel
from contracts.query import Filter, field_spec

__all__ = [
    "AggregateQuery",
    "Aggregation",
    "Group",
    "GroupValue",
    "Metric",
    "aggregate_records",
    "aggregate_problem",
    "ordered_aggregation",
]

GroupValue = str | int | float | bool | datetime | None
"""One grouping value, or ``None`` for records holding no value of the field."""

MetricOp = Literal["min", "max", "sum", "avg"]


class Metric(StrictModel):
    """A value computed over a group: ``min``, ``max``, ``sum`` or ``avg`` of ``field``.

    ``sum`` and ``avg`` take numbers (integers and floats, never booleans); ``min`` and ``max``
    take values of the field's own kind (text by code point, numbers, datetimes) and, for
    ``properties.<name>``, numbers only. A group with no such value gets ``None``.
    """

    op: MetricOp
    field: str = Field(strict=True, max_length=100)

    @property
    def name(self) -> str:
        """How the metric is keyed in :attr:`Group.values`: ``op(field)``."""
        return f"{self.op}({self.field})"


class AggregateQuery(StrictModel):
    """Which records to aggregate, how to group them, what to compute and which groups to keep.

    Attributes:
        filter: the records (``None``: all of the record type).
        group_by: up to three fields; none puts every record in one group.
        metrics: computed per group besides its count.
        order: ``count``: largest groups first, ties by key; ``key``: by key, missing last.
        limit: the most groups returned; :attr:`Aggregation.truncated` says when more exist.
    """

    filter: Filter | None = None
    group_by: tuple[str, ...] = Field(default=(), max_length=3)
    metrics: tuple[Metric, ...] = Field(default=(), max_length=10)
    order: Literal["count", "key"] = "count"
    limit: int = Field(default=100, ge=1, le=10_000, strict=True)


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Group(_Result):
    """One group: its key (one value per grouping field), its size and its metrics by name."""

    key: tuple[GroupValue, ...]
    count: int
    values: dict[str, GroupValue] = Field(default_factory=dict)


class Aggregation(_Result):
    """The groups of an aggregate, in order, and how many records matched."""

    groups: tuple[Group, ...]
    total: int
    truncated: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.total < 0 or any(group.count < 1 for group in self.groups):
            raise ValueError("counts are positive and the total is not negative")
        return self


def aggregate_problem(query: AggregateQuery, record_type: RecordType) -> str | None:
    """Why ``query`` does not fit ``record_type``'s fields, or ``None``."""
    for name in (*query.group_by, *(metric.field for metric in query.metrics)):
        try:
            field_spec(name, record_type)
        except ValidationFailed as exc:
            return str(exc)
    for metric in query.metrics:
        spec = field_spec(metric.field, record_type)
        if spec is None:
            continue
        if metric.op in ("sum", "avg") and spec.kind not in ("int", "float"):
            return f"{metric.op} needs a numeric field; {metric.field} holds {spec.kind}"
        if spec.kind == "bool":
            return f"{metric.op} cannot be taken of {metric.field}, which holds booleans"
    return None


def _metric_values(record: Record, metric: Metric, numeric: bool) -> list[GroupValue]:
    values = accessor(metric.field)(record)
    if numeric:
        return [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    return [v for v in values if not isinstance(v, bool)]


def _compute(metric: Metric, values: list[GroupValue]) -> GroupValue:
    if not values:
        return None
    if metric.op == "min":
        return min(values)  # type: ignore[type-var]
    if metric.op == "max":
        return max(values)  # type: ignore[type-var]
    # A float sum is exactly rounded, so it does not depend on the order the values come in.
    whole = all(isinstance(value, int) for value in values)
    total = sum(values) if whole else math.fsum(values)  # type: ignore[arg-type]
    if metric.op == "sum":
        return total
    return float(total) / len(values)


def _compare_keys(left: tuple[GroupValue, ...], right: tuple[GroupValue, ...]) -> int:
    for a, b in zip(left, right, strict=True):
        if a is None or b is None:
            if (a is None) != (b is None):
                return 1 if a is None else -1
            continue
        if _family(a) == _family(b) and a == b:  # 1 and 1.0 are one number; True is not
            continue
        ka, kb = _family(a), _family(b)
        if ka != kb:
            return -1 if ka < kb else 1
        return -1 if a < b else 1  # type: ignore[operator]
    return 0


def _family(value: GroupValue) -> str:
    if isinstance(value, bool):
        return "0bool"
    if isinstance(value, int | float):
        return "1number"
    if isinstance(value, str):
        return "2str"
    return "3datetime"


def aggregate_records(records: Iterable[Record], query: AggregateQuery) -> Aggregation:
    """The reference aggregate of ``records`` (already filtered by the query's filter).

    Groups of equal keys are merged by value and type (``1`` and ``1.0`` are one number,
    ``True`` is not ``1``). Metrics with ``properties.<name>`` take numbers only.
    """
    counts: dict[tuple[object, ...], int] = {}
    keys: dict[tuple[object, ...], tuple[GroupValue, ...]] = {}
    collected: dict[tuple[object, ...], list[list[GroupValue]]] = {}
    numeric = [
        metric.op in ("sum", "avg") or metric.field.startswith("properties.")
        for metric in query.metrics
    ]
    if len(query.group_by) == 1 and not query.metrics:
        return _single_counts(records, query)
    total = 0
    readers = [accessor(name) for name in query.group_by]
    for record in records:
        total += 1
        choices: list[Sequence[GroupValue]] = []
        for read in readers:
            found = read(record)
            choices.append((_distinct(found) if len(found) > 1 else found) or (None,))
        for key in itertools.product(*choices):
            identity = tuple((_family(value), value) for value in key)
            counts[identity] = counts.get(identity, 0) + 1
            keys.setdefault(identity, key)
            lists = collected.setdefault(identity, [[] for _ in query.metrics])
            for index, metric in enumerate(query.metrics):
                lists[index].extend(_metric_values(record, metric, numeric[index]))
    groups = [
        Group(
            key=keys[identity],
            count=count,
            values={
                metric.name: _compute(metric, collected[identity][index])
                for index, metric in enumerate(query.metrics)
            },
        )
        for identity, count in counts.items()
    ]
    return ordered_aggregation(groups, total, query)


def _single_counts(records: Iterable[Record], query: AggregateQuery) -> Aggregation:
    """Counts by one field with no metrics: the common case, without the general bookkeeping."""
    read = accessor(query.group_by[0])
    counts: collections.Counter[tuple[int, GroupValue]] = collections.Counter()
    total = 0
    for record in records:
        total += 1
        found = read(record)
        if len(found) == 1:
            counts[(_rank(found[0]), found[0])] += 1
        else:
            for value in _distinct(found) or [None]:
                counts[(_rank(value), value)] += 1
    groups = [Group(key=(value,), count=count) for (_, value), count in counts.items()]
    return ordered_aggregation(groups, total, query)


def _rank(value: GroupValue) -> int:
    # Keeps True apart from 1 and 1.0 in the counter, as the key comparison does.
    return 0 if isinstance(value, bool) else 1


def ordered_aggregation(groups: list[Group], total: int, query: AggregateQuery) -> Aggregation:
    """The groups in the query's order, cut at its limit, with ``truncated`` set.

    The one ordering every backend uses: count, largest first, then key (or key alone), keys
    compared value by value by kind (booleans, numbers, text, datetimes), missing last.
    """

    def by_key(a: Group, b: Group) -> int:
        return _compare_keys(a.key, b.key)

    def by_count(a: Group, b: Group) -> int:
        return (b.count > a.count) - (b.count < a.count) or by_key(a, b)

    order = by_count if query.order == "count" else by_key
    groups.sort(key=functools.cmp_to_key(order))
    return Aggregation(
        groups=tuple(groups[: query.limit]), total=total, truncated=len(groups) > query.limit
    )


def _distinct(values: Sequence[GroupValue]) -> list[GroupValue]:
    seen: dict[tuple[str, GroupValue], GroupValue] = {}
    for value in values:
        seen.setdefault((_family(value), value), value)
    return list(seen.values())
