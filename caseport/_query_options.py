"""Turning command-line options into contract queries, with clear errors for bad input.

Everything here raises :class:`~contracts.errors.ValidationFailed` (never a pydantic error),
naming the option that was wrong.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter

from contracts.aggregation import AggregateQuery, Metric
from contracts.errors import ValidationFailed
from contracts.models.common import RecordType
from contracts.models.entities import EntityKind
from contracts.query import (
    RECORD_FIELDS,
    WITH_PROPERTIES,
    And,
    Eq,
    FieldSpec,
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
from contracts.validation import validated

__all__ = [
    "METRIC_OPS",
    "build_aggregate_query",
    "build_filter",
    "build_search_query",
    "check_field",
    "parse_datetime",
    "parse_filter",
    "parse_kind",
    "parse_metric",
    "parse_order",
    "parse_where",
]

METRIC_OPS: Final = ("min", "max", "sum", "avg")
"""The metrics ``--metric OP:FIELD`` takes, besides the count every group has."""

_FILTER: Final[TypeAdapter[Filter]] = TypeAdapter(Filter)
_PROPERTY: Final = re.compile(r"properties\.[a-z][a-z0-9_]{0,63}")
"""A free property's path, as the search language names it."""
_MAX_GROUP_FIELDS: Final = 3
_MAX_METRICS: Final = 10
"""The contract's bounds on an aggregate's grouping fields and metrics."""
_TRUE: Final = frozenset({"true", "yes", "1"})
_FALSE: Final = frozenset({"false", "no", "0"})


def parse_datetime(text: str, option: str) -> datetime:
    """Read an ISO-8601 date or datetime; one without a time zone is read as UTC.

    The moment must also exist in UTC: ``0001-01-01T00:00:00+01:00`` is a valid ISO-8601
    string, but an hour before the first moment Python can represent, so it is refused here
    rather than overflowing later in a store.

    Raises:
        ValidationFailed: ``text`` is not ISO-8601, or the moment is out of range in UTC.
    """
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        raise ValidationFailed(
            f"{option}: {text[:40]!r} is not an ISO-8601 date or datetime "
            "(e.g. 2024-03-01 or 2024-03-01T18:30:00Z)"
        ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        value.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationFailed(
            f"{option}: {text[:40]!r} is out of range once expressed in UTC (years 0001 to 9999)"
        ) from None
    return value


def parse_kind(text: str, option: str = "--kind") -> EntityKind:
    """Read an entity kind, ignoring case.

    Raises:
        ValidationFailed: ``text`` names no kind.
    """
    try:
        return EntityKind(text.strip().upper())
    except ValueError:
        kinds = ", ".join(kind.value for kind in EntityKind)
        raise ValidationFailed(
            f"{option}: {text[:40]!r} is not a kind; use one of {kinds}"
        ) from None


def _article(record_type: RecordType) -> str:
    name = record_type.value.replace("_", " ")
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def check_field(
    field: str, record_type: RecordType, option: str, *, sortable: bool = False
) -> FieldSpec | None:
    """The spec of ``record_type``'s ``field``; ``None`` for ``properties.<name>``.

    An unknown field is refused in one line naming the record type and the known fields it is
    closest to, whole (``refrence``) or by the part after the dot (``famly_name``).

    Raises:
        ValidationFailed: ``record_type`` has no such field, or (with ``sortable``) it cannot
            be sorted on.
    """
    catalog = RECORD_FIELDS[record_type]
    spec = catalog.get(field)
    noun = record_type.value.replace("_", " ")
    typed = field[:80]
    if spec is None and record_type in WITH_PROPERTIES and _is_property(field):
        if sortable:
            raise ValidationFailed(f"{option}: cannot sort by a property ({typed})")
        return None
    if spec is None:
        raise ValidationFailed(
            f"{option}: unknown {noun} field {typed!r}; {_suggest(typed, record_type)}"
        )
    if sortable and not spec.sortable:
        names = [name for name, known in catalog.items() if known.sortable]
        raise ValidationFailed(
            f"{option}: {noun} field {typed!r} cannot be sorted on; sortable: {', '.join(names)}"
        )
    return spec


def _is_property(field: str) -> bool:
    return _PROPERTY.fullmatch(field) is not None


def _suggest(typed: str, record_type: RecordType) -> str:
    catalog = RECORD_FIELDS[record_type]
    tail = " (or properties.<name> for a property)" if record_type in WITH_PROPERTIES else ""
    leaves: dict[str, str] = {}
    for known in catalog:
        leaves.setdefault(known.rpartition(".")[2], known)
    close = difflib.get_close_matches(typed, catalog, n=3) + [
        leaves[leaf] for leaf in difflib.get_close_matches(typed.rpartition(".")[2], leaves, n=3)
    ]
    suggestions = list(dict.fromkeys(close))[:3]
    if suggestions:
        return f"did you mean {' or '.join(suggestions)}?{tail}"
    return f"use one of {', '.join(sorted(catalog))}{tail}"


def _typed_value(
    field: str, text: str, record_type: RecordType, option: str
) -> str | int | float | bool | datetime:
    where = f"{option} {field}"
    spec = check_field(field, record_type, option)
    kind = "str" if spec is None else spec.kind
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValidationFailed(f"{where}: {text[:40]!r} is not a whole number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValidationFailed(f"{where}: {text[:40]!r} is not a number") from None
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValidationFailed(f"{where}: {text[:40]!r} is not true or false")
    if kind == "datetime":
        return parse_datetime(text, where)
    return text


def parse_where(
    conditions: Sequence[str],
    record_type: RecordType = RecordType.ENTITY,
    option: str = "--where",
) -> list[Filter]:
    """Read ``FIELD=VALUE`` conditions on ``record_type``'s fields as equality filters.

    Each value is typed by its field: numbers, booleans and datetimes are read as such (a
    datetime without a zone is UTC), anything else is text.

    Raises:
        ValidationFailed: a condition has no ``=``, names a field the record type does not
            have or has a value of the wrong type.
    """
    filters: list[Filter] = []
    for condition in conditions:
        field, sep, text = condition.partition("=")
        field = field.strip()
        if not sep or not field:
            raise ValidationFailed(
                f"{option} {condition[:60]!r}: expected FIELD=VALUE, "
                "e.g. --where person.family_name=Smith"
            )
        filters.append(_equals(field, _typed_value(field, text, record_type, option), option))
    return filters


def _equals(field: str, value: str | int | float | bool | datetime, option: str) -> Filter:
    return validated(lambda: Eq(field, value), f"{option} {field}")


def _check_filter_fields(node: Filter, record_type: RecordType) -> None:
    if isinstance(node, And | Or):
        for child in node.filters:
            _check_filter_fields(child, record_type)
    elif isinstance(node, Not):
        _check_filter_fields(node.filter, record_type)
    elif isinstance(node, Eq | In | Range | Prefix):
        check_field(node.field, record_type, "--filter")


def parse_filter(text: str, record_type: RecordType = RecordType.ENTITY) -> Filter:
    """Read a filter in its JSON form, e.g. ``{"op": "prefix", "field": "label", "value": "Sm"}``.

    Raises:
        ValidationFailed: the text is not JSON, not a valid filter, or names a field
            ``record_type`` does not have.
    """
    parsed = validated(lambda: _FILTER.validate_json(text), "--filter")
    _check_filter_fields(parsed, record_type)
    return parsed


def parse_order(
    keys: Sequence[str], record_type: RecordType = RecordType.ENTITY
) -> tuple[OrderKey, ...]:
    """Read ``FIELD`` or ``FIELD:desc`` (or ``:asc``) sort keys on ``record_type``'s fields.

    Raises:
        ValidationFailed: a field cannot be sorted on or the direction is not asc or desc.
    """
    order: list[OrderKey] = []
    for key in keys:
        field, _, direction = key.partition(":")
        direction = direction.strip().lower() or "asc"
        if direction not in {"asc", "desc"}:
            raise ValidationFailed(f"--order {key[:60]!r}: the direction must be asc or desc")
        check_field(field.strip(), record_type, "--order", sortable=True)
        order.append(_order_key(field.strip(), descending=direction == "desc"))
    return tuple(order)


def _order_key(field: str, *, descending: bool) -> OrderKey:
    return validated(lambda: OrderKey(field=field, descending=descending), "--order")


def build_filter(
    *,
    record_type: RecordType = RecordType.ENTITY,
    text: str | None = None,
    kind: str | None = None,
    subtype: str | None = None,
    where: Sequence[str] = (),
    filter_json: str | None = None,
) -> Filter | None:
    """One filter matching every given condition (combined with AND); ``None`` for none.

    ``kind`` and ``subtype`` are entity fields; for another record type they are refused,
    pointing at ``--where``.

    Raises:
        ValidationFailed: any option is malformed or names a field the record type lacks.
    """
    if record_type is not RecordType.ENTITY:
        for option, value in (("--kind", kind), ("--subtype", subtype)):
            if value is not None:
                raise ValidationFailed(
                    f"{option} applies to entities, not to {_article(record_type)}; "
                    f"use --where FIELD=VALUE with {_article(record_type)}'s fields"
                )
    conditions: list[Filter] = []
    if text is not None:
        conditions.append(validated(lambda: Text(text), "--text"))
    if kind is not None:
        conditions.append(Eq("kind", parse_kind(kind).value))
    if subtype is not None:
        conditions.append(validated(lambda: Eq("subtype", subtype), "--subtype"))
    conditions.extend(parse_where(where, record_type))
    if filter_json is not None:
        conditions.append(parse_filter(filter_json, record_type))
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return validated(lambda: And(*conditions), "the conditions")


def build_search_query(
    *,
    record_type: RecordType = RecordType.ENTITY,
    text: str | None = None,
    kind: str | None = None,
    subtype: str | None = None,
    where: Sequence[str] = (),
    filter_json: str | None = None,
    order: Sequence[str] = (),
    limit: int = 50,
    cursor: str | None = None,
) -> SearchQuery:
    """A search of ``record_type`` matching every given condition (combined with AND).

    Raises:
        ValidationFailed: any option is malformed or the query breaks the contract's limits.
    """
    combined = build_filter(
        record_type=record_type,
        text=text,
        kind=kind,
        subtype=subtype,
        where=where,
        filter_json=filter_json,
    )
    order_by = parse_order(order, record_type)
    return validated(
        lambda: SearchQuery(filter=combined, order_by=order_by, page_size=limit, cursor=cursor),
        "search",
    )


def parse_metric(text: str, record_type: RecordType = RecordType.ENTITY) -> Metric:
    """Read ``OP:FIELD`` (``sum:properties.value``, ``max:event.occurred_from``) as a metric.

    Raises:
        ValidationFailed: no ``:``, an operation other than min, max, sum or avg, or a field
            ``record_type`` does not have.
    """
    op, sep, field = text.partition(":")
    op, field = op.strip().lower(), field.strip()
    if not sep or not field:
        raise ValidationFailed(
            f"--metric {text[:60]!r}: expected OP:FIELD, e.g. --metric max:event.occurred_from"
        )
    if op not in METRIC_OPS:
        raise ValidationFailed(
            f"--metric {text[:60]!r}: {op[:20]!r} is not a metric; use one of "
            f"{', '.join(METRIC_OPS)} (every group has its count)"
        )
    spec = check_field(field, record_type, "--metric")
    numeric = spec is None or spec.kind in ("int", "float")
    if (spec is not None and spec.kind == "bool") or (op in ("sum", "avg") and not numeric):
        held = "booleans" if spec is not None and spec.kind == "bool" else "no numbers"
        raise ValidationFailed(
            f"--metric {text[:60]}: {op} cannot be taken of {field}: it holds {held}"
        )
    return validated(lambda: Metric(op=op, field=field), "--metric")


def build_aggregate_query(
    *,
    record_type: RecordType = RecordType.ENTITY,
    by: Sequence[str] = (),
    metrics: Sequence[str] = (),
    filter: Filter | None = None,
    order: str = "count",
    limit: int = 100,
) -> AggregateQuery:
    """Group ``record_type``'s records matching ``filter`` by ``by``, computing ``metrics``.

    Raises:
        ValidationFailed: an unknown field, a malformed metric or a limit out of range.
    """
    if len(by) > _MAX_GROUP_FIELDS:
        raise ValidationFailed(f"--by: at most {_MAX_GROUP_FIELDS} fields, not {len(by)}")
    if len(metrics) > _MAX_METRICS:
        raise ValidationFailed(f"--metric: at most {_MAX_METRICS} metrics, not {len(metrics)}")
    for field in by:
        check_field(field, record_type, "--by")
    parsed = tuple(parse_metric(metric, record_type) for metric in metrics)
    return validated(
        lambda: AggregateQuery(
            filter=filter,
            group_by=tuple(by),
            metrics=parsed,
            order=order,
            limit=limit,
        ),
        "aggregate",
    )
