"""Counts and grouped aggregates as Foundry aggregate requests, and their answers read back.

:func:`plan_aggregate` turns an :class:`~contracts.aggregation.AggregateQuery` into aggregate
requests whose answers give exactly what :func:`contracts.aggregation.aggregate_records`
computes, or ``None`` when Foundry's semantics cannot be made to match (the layer then
aggregates the search's results):

- the filter must compile exactly (see :mod:`adapters.foundry.where`);
- each grouping field must be a single-valued typed property of text, boolean or number
  (timestamps are kept to the millisecond by Foundry and arrays group undocumentedly);
- metrics are taken of single-valued numeric properties: ``min`` and ``max`` of integers and
  doubles, ``sum`` and ``avg`` of integers only (a double sum depends on the order Foundry adds
  in). Foundry answers doubles, so an integer result is kept only while it is exact
  (below 2^53, bounded through the hidden ``min`` and ``max`` of the group).

Exact grouping leaves out objects holding no value, so one request is sent per pattern of
missing grouping values (``isNull`` true or false on each grouping property, at most eight
for three fields), the missing ones forming the reference's group of ``None``. Every request
asks for ``REQUIRE_ACCURATE``; an approximate answer, excluded items or a refusal for too
many groups make :meth:`AggregatePlan.read` (or the store) answer ``None``. Groups are
ordered, limited and marked truncated here, as the reference does.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from adapters.foundry.mapping import MappedProperty, RecordLayout
from adapters.foundry.where import Compiled, compile_search, field_property
from adapters.foundry.wire import AggregateAnswer, AggregateItem, decode_long
from contracts.aggregation import (
    AggregateQuery,
    Aggregation,
    Group,
    GroupValue,
    Metric,
    ordered_aggregation,
)
from contracts.errors import UpstreamContractError
from contracts.query import Filter

__all__ = ["EXACT_LIMIT", "AggregatePlan", "count_body", "plan_aggregate", "read_count"]

EXACT_LIMIT: Final = 2**53
"""Integers below this in magnitude survive a trip through a double unchanged."""
_COUNT: Final = "count"
_GROUPABLE: Final = frozenset({"string", "boolean", "long", "integer", "double"})
_INTEGER: Final = frozenset({"long", "integer"})


def count_body(where: dict[str, Any] | None) -> dict[str, Any]:
    """The body of an aggregate request counting the objects ``where`` matches."""
    body: dict[str, Any] = {
        "aggregation": [{"type": "count", "name": _COUNT}],
        "groupBy": [],
        "accuracy": "REQUIRE_ACCURATE",
    }
    if where is not None:
        body["where"] = where
    return body


def read_count(answer: AggregateAnswer) -> int | None:
    """The count an ungrouped answer gives; ``None`` when it is not exact."""
    if not _accurate(answer):
        return None
    if not answer.data:
        return 0
    return _count_of(answer.data[0])


@dataclass(frozen=True, slots=True)
class _Request:
    """One aggregate request: the grouping properties sent and those pinned to missing."""

    body: dict[str, Any]
    grouped: tuple[MappedProperty | None, ...]
    """Per grouping field: its property when grouped, ``None`` when it is missing here."""


@dataclass(frozen=True, slots=True)
class AggregatePlan:
    """The requests of one aggregate and how their answers become the reference's result.

    Attributes:
        requests: the aggregate request bodies, one per pattern of missing grouping values.
        nothing: no object can match; no request is needed.
    """

    query: AggregateQuery
    metrics: tuple[tuple[Metric, MappedProperty], ...]
    patterns: tuple[_Request, ...]
    nothing: bool = False

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The aggregate request bodies to send, in order."""
        return [pattern.body for pattern in self.patterns]

    def read(self, answers: Sequence[AggregateAnswer]) -> Aggregation | None:
        """The aggregate from the answers to :attr:`requests`; ``None`` when one is inexact."""
        groups: list[Group] = []
        for pattern, answer in zip(self.patterns, answers, strict=True):
            if not _accurate(answer):
                return None
            for item in answer.data:
                count = _count_of(item)
                if count is None:
                    return None
                if not count:
                    continue  # an ungrouped answer over no objects
                group = self._group(pattern, item, count)
                if group is None:
                    return None
                groups.append(group)
        total = sum(group.count for group in groups)
        return ordered_aggregation(groups, total, self.query)

    def _group(self, pattern: _Request, item: AggregateItem, count: int) -> Group | None:
        key: list[GroupValue] = []
        for prop in pattern.grouped:
            if prop is None:
                key.append(None)
                continue
            if prop.api_name not in item.group:
                raise UpstreamContractError(
                    f"aggregate: Foundry's group {item.group!r} lacks {prop.api_name!r}"
                )
            value = _group_value(prop, item.group[prop.api_name])
            if value is _INEXACT:
                return None
            key.append(value)
        metrics = {metric.name: metric.value for metric in item.metrics}
        values: dict[str, GroupValue] = {}
        for metric, prop in self.metrics:
            value = _metric_value(metric, prop, metrics, count)
            if value is _INEXACT:
                return None
            values[metric.name] = value
        return Group(key=tuple(key), count=count, values=values)


_INEXACT: Final[Any] = object()
"""A value Foundry gave that cannot be the exact reference value."""


def plan_aggregate(
    query: AggregateQuery,
    layout: RecordLayout,
    *,
    max_depth: int,
    max_groups: int,
) -> AggregatePlan | None:
    """The aggregate requests answering ``query`` exactly, or ``None`` when none can."""
    grouped: list[MappedProperty] = []
    for name in query.group_by:
        prop = field_property(layout, name)
        if prop is None or prop.multi or prop.scalar_type not in _GROUPABLE:
            return None
        grouped.append(prop)
    metrics: list[tuple[Metric, MappedProperty]] = []
    wanted: dict[str, dict[str, Any]] = {_COUNT: {"type": "count", "name": _COUNT}}
    for metric in query.metrics:
        prop = field_property(layout, metric.field)
        if prop is None or prop.multi:
            return None
        integer = prop.scalar_type in _INTEGER
        if not integer and (prop.scalar_type != "double" or metric.op in ("sum", "avg")):
            return None
        metrics.append((metric, prop))
        ops = [metric.op] if metric.op in ("min", "max") else [metric.op, "min", "max", "sum"]
        for op in ops:
            name = _metric_name(op, prop)
            wanted[name] = {"type": op, "field": prop.api_name, "name": name}
    patterns: list[_Request] = []
    for missing in itertools.product((False, True), repeat=len(grouped)):
        pairs = list(zip(grouped, missing, strict=True))
        checks = [("isNull", prop.api_name, gone) for prop, gone in pairs]
        compiled = _compiled(query.filter, layout, checks, max_depth)
        if compiled is None:
            return None
        if compiled.nothing:
            continue
        body: dict[str, Any] = {
            "aggregation": list(wanted.values()),
            "groupBy": [
                {"type": "exact", "field": prop.api_name, "maxGroupCount": max_groups}
                for prop, gone in pairs
                if not gone
            ],
            "accuracy": "REQUIRE_ACCURATE",
        }
        if compiled.where is not None:
            body["where"] = compiled.where
        shown = tuple(None if gone else prop for prop, gone in pairs)
        patterns.append(_Request(body, shown))
    return AggregatePlan(query, tuple(metrics), tuple(patterns), nothing=not patterns)


def _compiled(
    condition: Filter | None,
    layout: RecordLayout,
    checks: Sequence[tuple[str, str, Any]],
    max_depth: int,
) -> Compiled | None:
    compiled = compile_search(condition, layout, max_depth=max_depth, leaves=checks)
    return compiled if compiled.exact or compiled.nothing else None


def _metric_name(op: str, prop: MappedProperty) -> str:
    return f"{op}:{prop.api_name}"


def _accurate(answer: AggregateAnswer) -> bool:
    return answer.accuracy in (None, "ACCURATE") and not answer.excluded_items


def _count_of(item: AggregateItem) -> int | None:
    """A group's count; ``None`` when a double may have rounded it."""
    for metric in item.metrics:
        if metric.name == _COUNT:
            number = _integer(metric.value)
            if number is _INEXACT:
                return None
            if number is None or number < 0:
                raise UpstreamContractError(f"aggregate: Foundry's count is {metric.value!r}")
            return int(number)
    raise UpstreamContractError("aggregate: Foundry's answer has no count")


def _integer(value: object) -> Any:
    """An integral number Foundry sent, exactly; ``_INEXACT`` when a double may have rounded it."""
    if value is None:
        return None
    try:
        number = decode_long(value)
    except ValueError:
        raise UpstreamContractError(f"aggregate: {value!r} is not an integer") from None
    if isinstance(value, float) and abs(number) >= EXACT_LIMIT:
        return _INEXACT
    return number


def _group_value(prop: MappedProperty, value: object) -> Any:
    kind = prop.scalar_type
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind in _INTEGER and not isinstance(value, bool):
        return _integer(value)
    if kind == "double" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise UpstreamContractError(f"aggregate: {value!r} is not a {kind} group value")


def _metric_value(
    metric: Metric, prop: MappedProperty, metrics: Mapping[str, Any], count: int
) -> Any:
    """The reference value of ``metric`` from a group's metrics, or ``_INEXACT``."""

    def number(op: str) -> Any:
        value = metrics.get(_metric_name(op, prop))
        if isinstance(value, str | bool):
            raise UpstreamContractError(f"aggregate: {op} of {prop.api_name} is {value!r}")
        return value

    if prop.scalar_type == "double":
        found = number(metric.op)
        return None if found is None else float(found)
    if metric.op in ("min", "max"):
        return _integer(number(metric.op))
    low, high = _integer(number("min")), _integer(number("max"))
    if low is None or high is None:
        return None  # the group holds no value of the field
    if low is _INEXACT or high is _INEXACT or count * max(abs(low), abs(high)) >= EXACT_LIMIT:
        return _INEXACT  # the sum may have been rounded on its way through a double
    total = _integer(number("sum"))
    if total is None or total is _INEXACT:
        return _INEXACT
    if metric.op == "sum":
        return total
    average = number("avg")
    if total == 0:
        return 0.0
    if not average:
        return _INEXACT
    # Foundry's average is a double; the reference divides the exact sum by the number of
    # values, which the two give back exactly while it is far below 2^53.
    values = round(total / float(average))
    if not 1 <= values <= count:
        return _INEXACT
    return total / values
