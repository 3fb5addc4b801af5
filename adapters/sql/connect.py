"""From a URL to an engine, and the schema commands that need only an engine.

``sqlite:///relative/file.db`` (relative to the working directory),
``sqlite:////absolute/file.db`` and ``postgresql://user@host:5432/db?schema=NAME`` are
understood; :func:`upgrade` and :func:`status` back ``caseport db upgrade`` and
``caseport db status``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final
from urllib.parse import urlsplit

from adapters._connect import split_url
from adapters.sql.engine import Engine
from adapters.sql.migrations import Migration, SchemaStatus, migrate, schema_status
from adapters.sql.sqlite import SqliteEngine, sqlite_path
from contracts.errors import ConfigurationError

__all__ = ["SCHEMES", "open_engine", "status", "upgrade"]

SCHEMES: Final = ("sqlite", "postgresql")
STORE_OPTIONS: Final = frozenset({"upgrade"})
"""Options the store reads itself; the engine gets the rest."""
_SQLITE_OPTIONS: Final = frozenset({"busy_timeout_ms", "synchronous", "mode"})


def _describe_server(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "localhost (socket)"
    port = f":{parts.port}" if parts.port else ""
    return f"at {host}{port}{parts.path or '/'}"


def open_engine(url: str, options: Mapping[str, str] | None = None) -> Engine:
    """The engine for a ``sqlite:`` or ``postgresql:`` URL.

    ``options`` are added to the URL's own query parameters (and win over them).

    Raises:
        ConfigurationError: unknown scheme or option, a bad path, or psycopg missing.
        Unavailable: the PostgreSQL server cannot be reached.
    """
    scheme, url_options = split_url(url)
    merged = {**url_options, **(options or {})}
    engine_options = {k: v for k, v in merged.items() if k not in STORE_OPTIONS}
    if scheme == "sqlite":
        sqlite_path(url)  # a bad path says more than an option it does not know
        unknown = sorted(set(engine_options) - _SQLITE_OPTIONS)
        if unknown:
            known = ", ".join(sorted(_SQLITE_OPTIONS | STORE_OPTIONS))
            raise ConfigurationError(f"unknown sqlite:// option {unknown[0]!r}; known: {known}")
        return SqliteEngine.from_options(url, engine_options)
    if scheme == "postgresql":
        try:
            from adapters.sql.postgres import PostgresEngine  # psycopg is optional
        except ImportError as exc:
            raise ConfigurationError(
                f"the postgresql:// adapter needs the package {exc.name or 'psycopg'!r}, which "
                "is not installed; run: pip install 'caseport[postgres]'"
            ) from exc
        return PostgresEngine.from_options(url, engine_options, _describe_server(url))
    raise ConfigurationError(
        f"the SQL adapter serves {', '.join(s + '://' for s in SCHEMES)}, not {scheme}://"
    )


def upgrade(url: str, target: int | None = None) -> Sequence[Migration]:
    """Bring the database at ``url`` to schema version ``target`` (the newest by default).

    A missing database (SQLite file, PostgreSQL schema) is created, unless the URL says
    ``mode=rw``.

    Returns:
        The migrations applied, in order (none when it was up to date).

    Raises:
        ConfigurationError: bad URL, unknown target, or a schema newer than this code.
    """
    engine = open_engine(url)
    try:
        return migrate(engine, target)
    finally:
        engine.close()


def status(url: str) -> SchemaStatus:
    """The applied and pending schema migrations of the database at ``url``.

    Only reads: the database is opened with ``mode=ro``, so it must exist (a SQLite file, a
    PostgreSQL schema) and nothing is created or changed. A database that exists but holds no
    caseport tables yet is at version 0, with every migration pending.

    Raises:
        ConfigurationError: bad URL, no such database, or a schema newer than this code.
    """
    engine = open_engine(url, {"mode": "ro"})
    try:
        return schema_status(engine)
    finally:
        engine.close()
