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
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from contracts.errors import InvalidCursor

__all__ = ["MAX_CURSOR_LENGTH", "SortPosition", "decode_cursor", "encode_cursor"]

_CURSOR_FORMAT = 1

MAX_CURSOR_LENGTH: Final = 4_096
"""Longest cursor accepted; every cursor this module makes is far shorter."""

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
    if isinstance(value, dict):
        if set(value) != {"dt"} or not isinstance(value["dt"], str):
            raise InvalidCursor("cursor holds an unknown value")
        try:
            return datetime.fromisoformat(value["dt"])
        except ValueError:
            raise InvalidCursor("cursor holds a malformed datetime") from None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise InvalidCursor("cursor holds an unknown value")


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


def decode_cursor(cursor: str, scope: str, key_count: int) -> SortPosition:
    """Read a cursor made by :func:`encode_cursor` for the same ``scope``.

    Raises:
        InvalidCursor: the cursor is malformed, too long, or was made for another query or
            listing.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("cursor is not one this store issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        # Deeply nested JSON in a forged cursor exhausts the parser's recursion limit.
        raise InvalidCursor("cursor is not one this store issued") from None
    if not isinstance(payload, dict) or payload.get("f") != _CURSOR_FORMAT:
        raise InvalidCursor("cursor is not one this store issued")
    if payload.get("s") != _scope_digest(scope):
        raise InvalidCursor("cursor belongs to a different query; start again without it")
    keys, last_id = payload.get("k"), payload.get("i")
    if not isinstance(keys, list) or len(keys) != key_count or not isinstance(last_id, str):
        raise InvalidCursor("cursor is not one this store issued")
    return SortPosition(tuple(_decode_value(value) for value in keys), last_id)
