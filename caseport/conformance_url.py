"""Checking, before the kit runs, that a URL gives every conformance test a store of its own.

The kit builds a new store for every test by connecting to the URL afresh, with ``{tmp}``
replaced by a new temporary directory and ``{uid}`` by a unique token each time
(:func:`contracts.conformance.stores.default_store_factory`). A URL that names one place, such
as ``sqlite:///fresh.db``, gives every test the same store: after the first test writes to it,
each later one finds it not empty and fails. Such a URL is refused here in one line that gives
the fixed URL, instead of a hundred failures.

Only the built-in adapters whose URL names where the data lives are checked; ``memory://`` and
``foundry+fake://`` build a new store on every connection, and third-party adapters are left to
the kit's own check.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import urlsplit

from adapters import redact_url, split_url
from contracts.errors import ConfigurationError

__all__ = ["PLACEHOLDERS", "check_fresh_stores"]

PLACEHOLDERS: Final = ("{tmp}", "{uid}")
"""What the kit fills in afresh for every store it builds."""

_STORE_NAME: Final = "store.db"


def _query_without(query: str, names: frozenset[str]) -> list[str]:
    # Kept as typed, not decoded and encoded again: the braces of {uid} must stay braces.
    return [part for part in query.split("&") if part and part.partition("=")[0] not in names]


def _sqlite_fix(url: str) -> str:
    parts = urlsplit(url)
    name = parts.path.rstrip("/").rpartition("/")[2] or _STORE_NAME
    query = f"?{parts.query}" if parts.query else ""
    return f"sqlite:///{{tmp}}/{name}{query}"


def _postgresql_fix(url: str) -> str:
    base, _, query = url.partition("?")
    kept = _query_without(query, frozenset({"schema", "temporary"}))
    return f"{base}?" + "&".join([*kept, "schema=c_{uid}", "temporary=true"])


def _memory_fix(url: str) -> str:
    _, _, query = url.partition("?")
    kept = _query_without(query, frozenset({"load"}))
    return "memory://" + (f"?{'&'.join(kept)}" if kept else "")


def check_fresh_stores(url: str) -> None:
    """Refuse ``url`` when every store the kit builds from it would be the same, or not empty.

    Raises:
        ConfigurationError: ``url`` names one SQLite file or one PostgreSQL schema and has no
            ``{tmp}`` or ``{uid}``, or is ``memory://`` loading a file; the message gives the
            URL to use instead.
    """
    if any(placeholder in url for placeholder in PLACEHOLDERS):
        return
    scheme, options = split_url(url)
    shown = redact_url(url)
    placeholders = (
        "{tmp} in the URL becomes a new directory and {uid} a unique token for each store"
    )
    if scheme == "sqlite":
        problem = f"{shown} names one SQLite file for all of them; {placeholders}"
        fix = _sqlite_fix(shown)
    elif scheme == "postgresql":
        problem = f"{shown} names one PostgreSQL schema for all of them; {placeholders}"
        fix = _postgresql_fix(shown)
    elif scheme == "memory" and "load" in options:
        problem = f"{shown} starts every store with the records of a file"
        fix = _memory_fix(shown)
    else:
        return
    raise ConfigurationError(
        f"the conformance kit needs a new, empty store for every test, but {problem}; "
        f"run: caseport conformance '{fix}'"
    )
