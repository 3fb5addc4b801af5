"""Client-generated record identifiers.

Ids are chosen by the client, never by the backend, so that a retried create is idempotent and a
migration keeps every id. The default is a UUIDv7 (RFC 9562): time-ordered, so ids created
together sort together and index well, with 74 random bits so independent clients do not
collide. Python 3.11 has no ``uuid.uuid7``; :func:`new_id` builds one from the standard library.
"""

from __future__ import annotations

import secrets
import time
import uuid

__all__ = ["new_id"]

_UNIX_MS_BITS = 48
_RAND_A_BITS = 12
_RAND_B_BITS = 62


def new_id() -> str:
    """Return a new UUIDv7 as its canonical lowercase string.

    Ids made within the same millisecond are unique but not ordered among themselves.
    """
    unix_ms = time.time_ns() // 1_000_000 & ((1 << _UNIX_MS_BITS) - 1)
    rand = secrets.randbits(_RAND_A_BITS + _RAND_B_BITS)
    rand_a = rand >> _RAND_B_BITS
    rand_b = rand & ((1 << _RAND_B_BITS) - 1)
    value = (unix_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    return str(uuid.UUID(int=value))
