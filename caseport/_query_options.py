"""Turning command-line options into contract queries, with clear errors for bad input.

Everything here raises :class:`~contracts.errors.ValidationFailed` (never a pydantic error),
naming the option that was wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from pydantic import TypeAdapter

from contracts.errors import ValidationFailed
from contracts.models.entities import EntityKind
from contracts.query import (
    And,
    Eq,
    Filter,
    OrderKey,
    SearchQuery,
    Text,
    field_spec,
)
from contracts.validation import validated

__all__ = [
    "build_search_query",
    "parse_datetime",
    "parse_filter",
    "parse_kind",
    "parse_order",
    "parse_where",
]

_FILTER: Final[TypeAdapter[Filter]] = TypeAdapter(Filter)
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


def _typed_value(field: str, text: str) -> str | int | float | bool | datetime:
    spec = field_spec(field)
    kind = "str" if spec is None else spec.kind
    where = f"--where {field}"
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


def parse_where(conditions: Sequence[str]) -> list[Filter]:
    """Read ``FIELD=VALUE`` conditions as equality filters, typed by the field.

    Raises:
        ValidationFailed: a condition has no ``=``, names an unknown field or has a value
            of the wrong type.
    """
    filters: list[Filter] = []
    for condition in conditions:
        field, sep, text = condition.partition("=")
        field = field.strip()
        if not sep or not field:
            raise ValidationFailed(
                f"--where {condition[:60]!r}: expected FIELD=VALUE, "
                "e.g. --where person.family_name=Smith"
            )
        filters.append(_equals(field, _typed_value(field, text)))
    return filters


def _equals(field: str, value: str | int | float | bool | datetime) -> Filter:
    return validated(lambda: Eq(field, value), f"--where {field}")


def parse_filter(text: str) -> Filter:
    """Read a filter in its JSON form, e.g. ``{"op": "prefix", "field": "label", "value": "Sm"}``.

    Raises:
        ValidationFailed: the text is not JSON or not a valid filter.
    """
    return validated(lambda: _FILTER.validate_json(text), "--filter")


def parse_order(keys: Sequence[str]) -> tuple[OrderKey, ...]:
    """Read ``FIELD`` or ``FIELD:desc`` (or ``:asc``) sort keys.

    Raises:
        ValidationFailed: a field cannot be sorted on or the direction is not asc or desc.
    """
    order: list[OrderKey] = []
    for key in keys:
        field, _, direction = key.partition(":")
        direction = direction.strip().lower() or "asc"
        if direction not in {"asc", "desc"}:
            raise ValidationFailed(f"--order {key[:60]!r}: the direction must be asc or desc")
        order.append(_order_key(field.strip(), descending=direction == "desc"))
    return tuple(order)


def _order_key(field: str, *, descending: bool) -> OrderKey:
    return validated(lambda: OrderKey(field=field, descending=descending), "--order")


def build_search_query(
    *,
    text: str | None = None,
    kind: str | None = None,
    subtype: str | None = None,
    where: Sequence[str] = (),
    filter_json: str | None = None,
    order: Sequence[str] = (),
    limit: int = 50,
    cursor: str | None = None,
) -> SearchQuery:
    """A search matching every given condition (they are combined with AND).

    Raises:
        ValidationFailed: any option is malformed or the query breaks the contract's limits.
    """
    conditions: list[Filter] = []
    if text is not None:
        conditions.append(validated(lambda: Text(text), "--text"))
    if kind is not None:
        conditions.append(Eq("kind", parse_kind(kind).value))
    if subtype is not None:
        conditions.append(validated(lambda: Eq("subtype", subtype), "--subtype"))
    conditions.extend(parse_where(where))
    if filter_json is not None:
        conditions.append(parse_filter(filter_json))
    combined: Filter | None = None
    if len(conditions) == 1:
        combined = conditions[0]
    elif conditions:
        combined = And(*conditions)
    return validated(
        lambda: SearchQuery(
            filter=combined, order_by=parse_order(order), page_size=limit, cursor=cursor
        ),
        "search",
    )
