"""Opaque cursors for keyset paging.

A cursor records the sort key of the last item a page returned and a fingerprint of the query
it belongs to. The next page starts strictly after that key, so records created or changed
elsewhere in the order never make a page repeat or skip the rest. Cursors are opaque to callers
(base64url JSON) but not secret: they hold the last item's sort values and id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from contracts.errors import InvalidCursor
from contracts.models._fields import INT64_MAX, INT64_MIN, RecordId, check_clean_text, to_utc

__all__ = ["MAX_CURSOR_LENGTH", "SortPosition", "decode_cursor", "encode_cursor"]

_CURSOR_FORMAT = 1
_PAYLOAD_KEYS: Final = frozenset({"f", "s", "k", "i"})
_ALPHABET: Final = re.compile(r"[A-Za-z0-9_-]*")
"""Unpadded base64url, all :func:`encode_cursor` writes (the decoder would skip other
characters rather than refuse them)."""
_RECORD_ID: Final = TypeAdapter(RecordId)

MAX_CURSOR_LENGTH: Final = 16_384
"""Longest cursor accepted: well above the longest a store issues, since a sort value is at
most 500 characters (the longest sortable text field), escaped in JSON, then base64-encoded."""

SortValue = str | int | float | bool | datetime | None


@dataclass(frozen=True, slots=True)
class SortPosition:
    """Where a page ended: the last item's values for each order key, then its id."""

    values: tuple[SortValue, ...]
    id: str


def _scope_digest(scope: str) -> str:
    return hashlib.sha256(scope.encode("utf-8")).hexdigest()[:16]


def _encode_value(value: SortValue) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    return value


def _decode_value(value: Any) -> SortValue:
    """A sort value read back from a cursor, refused unless a stored entity could hold it.

    Every value a store sorts by is clean text, a 64-bit integer, a finite float or a datetime
    within the years 1 to 9999 in UTC; anything else can only be forged, and would reach an
    adapter's SQL or JSON as something it cannot bind.
    """
    if isinstance(value, dict):
        if set(value) != {"dt"} or not isinstance(value["dt"], str):
            raise InvalidCursor("cursor holds an unknown value")
        try:
            moment = datetime.fromisoformat(value["dt"])
        except ValueError:
            raise InvalidCursor("cursor holds a malformed datetime") from None
        if moment.tzinfo is None:
            raise InvalidCursor("cursor holds a datetime without a time zone")
        try:
            return to_utc(moment)
        except ValueError:
            raise InvalidCursor("cursor holds a datetime out of range") from None
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidCursor("cursor holds an integer out of range")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidCursor("cursor holds a number that is not finite")
        return value
    if isinstance(value, str):
        return _clean(value)
    raise InvalidCursor("cursor holds an unknown value")


def _clean(text: str) -> str:
    try:
        return check_clean_text(text)
    except ValueError:
        raise InvalidCursor("cursor holds text no store keeps") from None


def encode_cursor(scope: str, position: SortPosition) -> str:
    """Make the cursor that continues ``scope`` (a query fingerprint) after ``position``."""
    payload = {
        "f": _CURSOR_FORMAT,
        "s": _scope_digest(scope),
        "k": [_encode_value(value) for value in position.values],
        "i": position.id,
    }
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: object, scope: str, key_count: int) -> SortPosition:
    """Read a cursor made by :func:`encode_cursor` for the same ``scope``.

    Cursors are not signed, so everything in one is checked: whatever a caller forges either
    decodes to a position some stored entity could have, or is refused here.

    Raises:
        InvalidCursor: the cursor is not a string, is malformed or too long, holds values no
            entity could have, or was made for another query or listing.
    """
    if (
        not isinstance(cursor, str)
        or len(cursor) > MAX_CURSOR_LENGTH
        or not _ALPHABET.fullmatch(cursor)
    ):
        raise InvalidCursor("cursor is not one this store issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, RecursionError):
        # Deeply nested JSON in a forged cursor exhausts the parser's recursion limit; a
        # 5,000-digit number exceeds the limit on converting digits to an int (ValueError).
        raise InvalidCursor("cursor is not one this store issued") from None
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_KEYS:
        raise InvalidCursor("cursor is not one this store issued")
    version = payload["f"]
    if isinstance(version, bool) or version != _CURSOR_FORMAT:
        raise InvalidCursor("cursor is not one this store issued")
    if payload["s"] != _scope_digest(scope):
        raise InvalidCursor("cursor belongs to a different query; start again without it")
    keys, last_id = payload["k"], payload["i"]
    if not isinstance(keys, list) or len(keys) != key_count or not isinstance(last_id, str):
        raise InvalidCursor("cursor is not one this store issued")
    try:
        _RECORD_ID.validate_python(last_id)
    except ValidationError:
        raise InvalidCursor("cursor holds an id no record can have") from None
    return SortPosition(tuple(_decode_value(value) for value in keys), last_id)
