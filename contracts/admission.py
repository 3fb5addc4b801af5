"""What the layer admits: every record and argument checked where it enters a store.

A pydantic model can be built around its own validation (``model_construct``,
``model_copy(update=...)``, ``object.__setattr__`` on a frozen model), and Python passes any
object in any argument position. A store that trusted either could keep a record no backend can
read back, and such a record blocks every later read of it and every export of the store. So
:class:`~contracts.store.CaseStore` runs each record through the checks here, whatever way it was
built, and each argument through a check of its type and range. Everything refused raises
:class:`~contracts.errors.ValidationFailed` and nothing reaches the backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Final, TypeVar

from pydantic import BaseModel

from contracts.errors import InvalidCursor, ValidationFailed
from contracts.models._fields import INT64_MAX, INT64_MIN, check_clean_text
from contracts.models.common import Record, RecordType
from contracts.models.entities import EntityKind
from contracts.models.links import LINK_TYPE_PATTERN
from contracts.models.records import RECORD_CLASSES
from contracts.query import Filter, SearchQuery
from contracts.validation import validated

__all__ = [
    "admitted_filter",
    "admitted_query",
    "admitted_record",
    "checked_int",
    "checked_text",
    "checked_record_class",
    "expected_version",
    "is_record_id",
    "kinds",
    "link_types",
    "optional_datetime",
    "record_id",
    "record_ids",
]

R = TypeVar("R", bound=Record)

_RECORD_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
"""The shape of every id a store can hold (see ``RecordId`` and ID-001)."""
_CLASS_NAMES: Final = ", ".join(cls.__name__ for cls in RECORD_CLASSES.values())
_KINDS: Final = frozenset(kind.value for kind in EntityKind)


def _type_name(value: object) -> str:
    return type(value).__name__


def admitted_record(record: R) -> R:
    """``record`` validated afresh as its canonical class, whatever way it was built.

    Returns a new, fully validated instance of the record class of its ``RECORD_TYPE`` (a
    subclass's own fields and behaviour are not kept), equal to ``record`` when ``record`` was
    valid.

    Raises:
        ValidationFailed: ``record`` is not a caseport record, or any of its values breaks the
            contract (the message names the fields, never the values).
    """
    candidate: object = record
    record_type = getattr(type(candidate), "RECORD_TYPE", None)
    if not isinstance(candidate, Record) or not isinstance(record_type, RecordType):
        raise ValidationFailed(f"expected a caseport record, got {_type_name(candidate)}")
    canonical = RECORD_CLASSES[record_type]
    try:
        # Python mode keeps every value as it is held (a NaN stays a float, a huge int an int),
        # so validation sees exactly what a backend would be asked to store.
        data = record.model_dump(warnings=False)
    except Exception as exc:  # any object can hide in a record built without validation
        problem = f"invalid {record_type.value}: its fields cannot be read ({_type_name(exc)})"
    else:
        return validated(lambda: canonical.model_validate(data), record_type.value)  # type: ignore[return-value]
    raise ValidationFailed(problem)


def checked_record_class(record_type: object) -> type[Record]:
    """``record_type`` if it is a record class such as ``Entity``.

    Raises:
        ValidationFailed: anything else, a record type name included.
    """
    if (
        isinstance(record_type, type)
        and issubclass(record_type, Record)
        and isinstance(getattr(record_type, "RECORD_TYPE", None), RecordType)
    ):
        return record_type
    raise ValidationFailed(
        f"expected a record class ({_CLASS_NAMES}), got {_type_name(record_type)}"
    )


def is_record_id(value: str) -> bool:
    """Whether ``value`` has the shape of an id a store can hold."""
    return _RECORD_ID.fullmatch(value) is not None


def record_id(value: object, name: str = "id") -> str:
    """``value`` if it is a string; an id of an impossible shape is left for NotFound.

    Raises:
        ValidationFailed: ``value`` is not a string.
    """
    if not isinstance(value, str):
        raise ValidationFailed(f"{name} must be a string, not {_type_name(value)}")
    return value


def record_ids(values: object, name: str = "ids") -> list[str]:
    """The ids in ``values``, a collection of strings (not a single string).

    Raises:
        ValidationFailed: ``values`` is a string, not iterable, or holds a non-string.
    """
    if isinstance(values, str | bytes):
        raise ValidationFailed(f"give {name} as a list, not a single string")
    if not isinstance(values, Iterable):
        raise ValidationFailed(f"{name} must be a list of strings, not {_type_name(values)}")
    ids = list(values)
    for value in ids:
        record_id(value, f"each of {name}")
    return ids


def checked_text(value: object, name: str, max_length: int = 500) -> str:
    """``value`` when it is a non-empty string of clean text of at most ``max_length``.

    Raises:
        ValidationFailed: it is not.
    """
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise ValidationFailed(f"{name} must be text of 1 to {max_length} characters")
    try:
        check_clean_text(value)
    except ValueError as exc:
        raise ValidationFailed(f"{name}: {exc}") from None
    return value


def checked_int(value: object, name: str, low: int, high: int) -> int:
    """``value`` if it is a whole number (not a bool) from ``low`` to ``high``.

    Raises:
        ValidationFailed: anything else.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}")
    return value


def expected_version(value: object) -> int:
    """An update's expected version: a 64-bit whole number the next version can follow.

    One below 1 matches no stored version, so the update meets ``Conflict`` like any stale one.

    Raises:
        ValidationFailed: not a whole number from -2**63 to 2**63 - 2.
    """
    return checked_int(value, "expected_version", INT64_MIN, INT64_MAX - 1)


def link_types(values: object) -> frozenset[str] | None:
    """The link types to follow: ``None`` for all, one type, or a collection of them.

    Raises:
        ValidationFailed: not a string or a collection of strings.
    """
    if values is None:
        return None
    if isinstance(values, str):
        return frozenset([values])
    if not isinstance(values, Iterable) or isinstance(values, bytes):
        raise ValidationFailed(f"link_types must be a list of strings, not {_type_name(values)}")
    chosen = list(values)
    if not all(isinstance(value, str) for value in chosen):
        raise ValidationFailed("link_types must be a list of strings")
    for value in chosen:
        _link_type(value)
    return frozenset(chosen)


def _link_type(value: str) -> None:
    """Refuse a link type no link can have: it would silently match nothing."""
    if not re.fullmatch(LINK_TYPE_PATTERN, value):
        hint = f"; did you mean {value.upper()!r}?" if value.upper() != value else ""
        raise ValidationFailed(
            f"link types are UPPER_SNAKE_CASE, so {value[:64]!r} names no link{hint}"
        )


def kinds(values: object, name: str) -> frozenset[EntityKind] | None:
    """The entity kinds to keep: ``None`` for all, one kind, or a collection of them.

    Raises:
        ValidationFailed: an unknown kind, or not a collection.
    """
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable) or isinstance(values, bytes):
        raise ValidationFailed(f"{name} must be a list of entity kinds, not {_type_name(values)}")
    chosen = set()
    for value in values:
        if not isinstance(value, str) or value not in _KINDS:
            known = ", ".join(kind.value for kind in EntityKind)
            raise ValidationFailed(f"{name}: unknown entity kind; use {known}")
        chosen.add(EntityKind(value))
    return frozenset(chosen)


def optional_datetime(value: object, name: str) -> datetime | None:
    """``value`` if it is ``None`` or a datetime (its time zone is checked by the caller).

    Raises:
        ValidationFailed: anything else.
    """
    if value is None or isinstance(value, datetime):
        return value
    raise ValidationFailed(f"{name} must be a datetime, not {_type_name(value)}")


def admitted_filter(condition: object) -> Filter:
    """``condition`` validated afresh as a filter of the search language, within its limits.

    Raises:
        ValidationFailed: it is not a filter, or breaks the search language's rules.
    """
    if isinstance(condition, BaseModel):
        # Validated from a copy: the caller's object is never changed by the validators.
        try:
            condition = condition.model_dump(warnings=False)
        except Exception:  # any object can hide in a filter built without validation
            raise ValidationFailed("invalid filter: its fields cannot be read") from None
    data = {"filter": condition}
    query = validated(lambda: SearchQuery.model_validate(data), "filter")
    if query.filter is None:
        raise ValidationFailed("a filter is needed here, not None")
    admitted = admitted_query(query).filter
    assert admitted is not None
    return admitted


def admitted_query(query: object) -> SearchQuery:
    """``query`` validated afresh, whatever way it was built.

    Raises:
        ValidationFailed: not a :class:`~contracts.query.SearchQuery`, or a value in it breaks
            the search language's rules.
    """
    if not isinstance(query, SearchQuery):
        raise ValidationFailed(f"search() takes a SearchQuery, not {_type_name(query)}")
    try:
        data = query.model_dump(warnings=False)
    except Exception as exc:  # any object can hide in a query built without validation
        problem = f"invalid search query: its fields cannot be read ({_type_name(exc)})"
    else:
        try:
            return validated(lambda: SearchQuery.model_validate(data), "search query")
        except ValidationFailed as refused:
            if not refused.problems or any(
                where.split(".")[0] != "cursor" for where, _ in refused.problems
            ):
                raise
            # Only the cursor is wrong: a forged or damaged cursor, whatever its form.
            failure = InvalidCursor(str(refused), problems=refused.problems)
        raise failure
    raise ValidationFailed(problem)
