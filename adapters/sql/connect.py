"""From a URL to an engine, the options of SQL stores, and the schema commands.

``sqlite:///relative/file.db`` (relative to the working directory),
``sqlite:////absolute/file.db`` and ``postgresql://user@host:5432/db?schema=NAME`` are
understood; :class:`SqliteOptions` and :class:`PostgresqlOptions` are their options;
:func:`upgrade` and :func:`status` back ``caseport db upgrade`` and ``caseport db status``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Final, Literal, Self

from pydantic import field_validator, model_validator

from adapters._connect import store_arguments
from adapters._options import AdapterOptions, Flag, Whole, Word, option
from adapters._registry import missing_dependency
from adapters._url import StoreURL
from adapters.sql.engine import Engine, OpenMode
from adapters.sql.migrations import Migration, SchemaStatus, migrate, schema_status
from adapters.sql.sqlite import (
    DEFAULT_BUSY_TIMEOUT_MS,
    DEFAULT_SYNCHRONOUS,
    MAX_BUSY_TIMEOUT_MS,
    SqliteEngine,
    sqlite_path,
)
from contracts.errors import ConfigurationError

__all__ = [
    "SCHEMES",
    "PostgresqlOptions",
    "SqlOptions",
    "SqliteOptions",
    "engine_for",
    "open_engine",
    "sql_arguments",
    "status",
    "upgrade",
]

SCHEMES: Final = ("sqlite", "postgresql")
_MAX_POOL: Final = 1_000
_SCHEMA_NAME_LIMIT: Final = 63


class SqlOptions(AdapterOptions):
    """The options every SQL store reads."""

    mode: Annotated[Literal["rwc", "rw", "ro"], Word] = option(
        "rwc", "rwc creates a missing store; rw opens only an existing one; ro also only reads"
    )
    upgrade: Flag = option(True, "apply pending schema migrations on open")


class SqliteOptions(SqlOptions):
    """The options of ``sqlite:///`` URLs."""

    busy_timeout_ms: Whole = option(
        DEFAULT_BUSY_TIMEOUT_MS,
        "how long to wait for a lock another connection holds",
        ge=0,
        le=MAX_BUSY_TIMEOUT_MS,
        unit="milliseconds",
    )
    synchronous: Annotated[Literal["off", "normal", "full", "extra"], Word] = option(
        DEFAULT_SYNCHRONOUS, "how hard SQLite makes each commit durable (PRAGMA synchronous)"
    )

    @classmethod
    def check_url(cls, url: StoreURL) -> None:
        """Refuse a host, a missing path or an in-memory database (see :func:`sqlite_path`)."""
        sqlite_path(url.text)


class PostgresqlOptions(SqlOptions):
    """The options of ``postgresql://`` URLs; any other is a libpq connection parameter."""

    PASSTHROUGH = "libpq"

    schema_name: str | None = option(
        None,
        "the schema holding the store's tables, created when missing",
        alias="schema",
        form="1-63 letters, digits or underscores, not starting with a digit or pg_",
    )
    pool_min: Whole = option(1, "connections kept open", ge=1, le=_MAX_POOL)
    pool_max: Whole = option(10, "most connections open at once", ge=1, le=_MAX_POOL)
    temporary: Flag = option(
        False, "create the schema, and drop it with everything in it when the store closes"
    )
    libpq: dict[str, str] = option(
        {},
        "passed to libpq once checked: sslmode, connect_timeout (10), application_name...",
        form="a libpq connection parameter, never a secret (PGPASSWORD or .pgpass hold those)",
    )

    @field_validator("schema_name")
    @classmethod
    def _schema_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        valid = value.replace("_", "a").isalnum() and value.isascii() and not value[:1].isdigit()
        if not valid or len(value) > _SCHEMA_NAME_LIMIT or value.lower().startswith("pg_"):
            raise ValueError("not a schema name")
        return value

    @field_validator("libpq")
    @classmethod
    def _libpq_parameters(cls, value: dict[str, str]) -> dict[str, str]:
        # Only the installed libpq knows which parameters exist, so the engine's module checks
        # them; psycopg is there, since the registry looked for the extra before validating.
        try:
            from adapters.sql.postgres import _check_libpq_options
        except ImportError as exc:
            raise missing_dependency("postgresql", exc.name or "psycopg") from exc
        _check_libpq_options(value)
        return value

    @model_validator(mode="after")
    def _pool_fits(self) -> Self:
        if self.pool_min > self.pool_max:
            most = self.pool_max
            raise ValueError(
                f"option pool_min must be a whole number from 1 to {most} (at most pool_max)"
            )
        return self


def sql_arguments(
    url: StoreURL | str, options: Mapping[str, str] | SqlOptions
) -> tuple[StoreURL, SqlOptions]:
    """The parsed URL and its validated options, for either SQL scheme.

    Raises:
        ConfigurationError: a bad URL, another scheme, an unknown option or a bad value.
    """
    parsed = url if isinstance(url, StoreURL) else StoreURL.parse(url)
    if parsed.scheme == "sqlite":
        return store_arguments(parsed, options, SqliteOptions)
    if parsed.scheme == "postgresql":
        return store_arguments(parsed, options, PostgresqlOptions)
    raise ConfigurationError(
        f"the SQL adapter serves {', '.join(s + '://' for s in SCHEMES)}, not {parsed.scheme}://"
    )


def _describe_server(url: StoreURL) -> str:
    host = url.host or "localhost (socket)"
    port = f":{url.port}" if url.port else ""
    return f"at {host}{port}{url.path or '/'}"


def engine_for(url: StoreURL, options: SqlOptions) -> Engine:
    """The engine for a parsed ``sqlite:`` or ``postgresql:`` URL and its validated options.

    Raises:
        ConfigurationError: a bad path or schema, or psycopg missing.
        Unavailable: the PostgreSQL server cannot be reached.
    """
    mode = OpenMode(options.mode)
    if isinstance(options, SqliteOptions):
        return SqliteEngine(
            sqlite_path(url.text),
            busy_timeout_ms=options.busy_timeout_ms,
            synchronous=options.synchronous,
            mode=mode,
        )
    if not isinstance(options, PostgresqlOptions):
        raise ConfigurationError(f"no SQL engine takes {type(options).__name__}")
    try:
        from adapters.sql.postgres import PostgresEngine, _conninfo  # psycopg is optional
    except ImportError as exc:
        raise missing_dependency("postgresql", exc.name or "psycopg") from exc
    return PostgresEngine(
        _conninfo(url.text, options.libpq),
        schema=options.schema_name,
        description=_describe_server(url),
        pool_min=options.pool_min,
        pool_max=options.pool_max,
        temporary=options.temporary,
        mode=mode,
    )


def open_engine(url: str | StoreURL, options: Mapping[str, str] | None = None) -> Engine:
    """The engine for a ``sqlite:`` or ``postgresql:`` URL.

    ``options`` are added to the URL's own query parameters (and win over them).

    Raises:
        ConfigurationError: unknown scheme or option, a bad path, or psycopg missing.
        Unavailable: the PostgreSQL server cannot be reached.
    """
    return engine_for(*sql_arguments(url, options or {}))


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
