"""Constrained field types shared by every model.

Each type states, in one place, what the contract accepts for one kind of value, so that every
adapter sees the same clean data: no NUL bytes and no lone surrogates (neither survives a round
trip through SQLite, PostgreSQL or JSON), bounded lengths (oversized payloads are refused at the
door, not truncated somewhere downstream), and datetimes that always carry a time zone and are
normalised to UTC (so ``==`` and ordering mean the same instant on every backend).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
)

__all__ = [
    "MAX_LIST_ITEMS",
    "INT64_MAX",
    "INT64_MIN",
    "Code",
    "Int64",
    "LongText",
    "Name",
    "PartialDate",
    "PropertyName",
    "PropertyValue",
    "Properties",
    "RecordId",
    "Sha256Hex",
    "Text",
    "UtcDatetime",
    "check_clean_text",
    "to_utc",
]

MAX_LIST_ITEMS: Final = 200
"""Upper bound on any list inside a record (aliases, members, custody events, ...)."""

INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1

MAX_PROPERTIES: Final = 200
"""Upper bound on the number of free properties on one record."""


def check_clean_text(value: str) -> str:
    """Refuse text that no backend can store faithfully.

    Raises:
        ValueError: the text holds a NUL byte or a lone surrogate.
    """
    if "\x00" in value:
        raise ValueError("text must not contain NUL bytes")
    if value.isascii():  # a quick scan that proves there is no surrogate, without a copy
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


def _check_calendar_date(value: str) -> str:
    """Refuse a date that is not on the calendar (``0000``, ``2023-02-29``, ``2024-04-31``)."""
    if value.startswith("0000"):
        raise ValueError("there is no year 0000")
    if len(value) == len("YYYY-MM-DD"):
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("the date is not on the calendar") from None
    return value


def to_utc(value: datetime) -> datetime:
    """The same instant in UTC.

    Raises:
        ValueError: the instant falls outside the years 1 to 9999 once expressed in UTC.
    """
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the datetime is out of range once expressed in UTC") from None


_Clean = AfterValidator(check_clean_text)

RecordId = Annotated[
    str,
    Field(
        strict=True,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
        description="Client-chosen id: letters, digits and . _ : - (UUIDv7 by default).",
    ),
]
Name = Annotated[str, Field(strict=True, min_length=1, max_length=500), _Clean]
Text = Annotated[str, Field(strict=True, max_length=10_000), _Clean]
LongText = Annotated[str, Field(strict=True, max_length=1_000_000), _Clean]
Code = Annotated[
    str,
    Field(
        strict=True,
        min_length=1,
        max_length=64,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="A lower_snake_case code from an open vocabulary (subtypes, roles).",
    ),
]
PropertyName = Annotated[
    str, Field(strict=True, min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")
]
PartialDate = Annotated[
    str,
    Field(
        strict=True,
        pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
        description="A date that may be partial: YYYY, YYYY-MM or YYYY-MM-DD.",
    ),
    AfterValidator(_check_calendar_date),
]
Sha256Hex = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
UtcDatetime = Annotated[AwareDatetime, Field(strict=True), AfterValidator(to_utc)]

Int64 = Annotated[StrictInt, Field(ge=INT64_MIN, le=INT64_MAX)]
"""An integer every backend stores exactly (SQLite INTEGER, PostgreSQL bigint, Foundry long)."""

_Scalar = Annotated[str, Field(strict=True, max_length=10_000), _Clean] | Int64 | StrictBool


def _not_an_integer(value: object) -> object:
    # pydantic lets an int through as a float even in strict mode; an integer that is not a
    # 64-bit integer must be refused, not silently turned into an approximate float.
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("integers must be within the 64-bit signed range")
    return value


_FiniteFloat = Annotated[StrictFloat, Field(allow_inf_nan=False), BeforeValidator(_not_an_integer)]
PropertyValue = _Scalar | _FiniteFloat
Properties = Annotated[
    dict[
        PropertyName,
        PropertyValue | Annotated[tuple[PropertyValue, ...], Field(max_length=MAX_LIST_ITEMS)],
    ],
    Field(max_length=MAX_PROPERTIES),
]
