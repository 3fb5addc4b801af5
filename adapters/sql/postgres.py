"""The PostgreSQL engine: a thread-safe psycopg 3 connection pool, one schema per store.

Writes run at READ COMMITTED (compare-and-set updates re-check the version on the row they
lock); reads that span several statements run in a REPEATABLE READ, READ ONLY transaction so
they see one snapshot. A transaction that fails with a serialisation failure or a deadlock was
rolled back whole, so it is run again, at most :data:`MAX_ATTEMPTS` times with jittered
backoff. ``?schema=NAME`` keeps the store's tables in their own schema, created when missing
(``mode=rwc``, the default) or required to exist (``mode=rw``, ``mode=ro``). With
``temporary=true`` the store creates its schema itself and drops it when it closes; it refuses
a schema that exists already, so it never drops one it did not create.
"""

from __future__ import annotations

import functools
import hashlib
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import suppress
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlsplit

import psycopg
import psycopg_pool
from psycopg import pq
from psycopg import sql as pgsql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from adapters._options import OptionReader, is_secret_name, option_label, suggestion
from adapters.sql.dialects import POSTGRESQL, Dialect, Fragment
from adapters.sql.engine import (
    Engine,
    OpenMode,
    Row,
    Session,
    WriteFaultPoint,
    missing_store,
    open_mode,
)
from adapters.sql.errors import postgres_connect_error, postgres_error
from contracts.errors import (
    CaseportError,
    ConfigurationError,
    PermissionDenied,
    TransientError,
    ValidationFailed,
)

__all__ = ["MAX_ATTEMPTS", "PostgresEngine"]

T = TypeVar("T")

MAX_ATTEMPTS: Final = 5
"""Most times one transaction is tried when it keeps meeting serialisation failures."""
OWN_OPTIONS: Final = frozenset({"schema", "pool_min", "pool_max", "upgrade", "temporary", "mode"})
"""URL options the adapter reads; every other query parameter goes to libpq."""
_RETRYABLE: Final = (
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    # The adapter only inserts ids it found missing in the same transaction, so a duplicate
    # means another transaction inserted the id meanwhile; the retry then sees it.
    psycopg.errors.UniqueViolation,
)
_BACKOFF_BASE: Final = 0.01
_BACKOFF_CAP: Final = 0.5
_DEFAULT_CONNECT_TIMEOUT: Final = 10
_DEFAULT_POOL_MAX: Final = 10
_MAX_POOL: Final = 1_000
_SECRET_LIBPQ: Final = frozenset(
    {"password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"}
)
"""libpq parameters that hold a secret: never accepted in a URL or an option."""
_REFUSED_LIBPQ: Final = {
    "replication": "a replication connection cannot run the store's queries",
    "sslkeylogfile": "it writes the TLS session keys to a file, which would expose the traffic",
}
_LIBPQ_CHOICES: Final[dict[str, tuple[str, ...]]] = {
    "channel_binding": ("disable", "prefer", "require"),
    "gssencmode": ("disable", "prefer", "require"),
    "keepalives": ("0", "1"),
    "load_balance_hosts": ("disable", "random"),
    "sslcertmode": ("disable", "allow", "require"),
    "sslcompression": ("0", "1"),
    "sslmode": ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
    "sslnegotiation": ("postgres", "direct"),
    "sslsni": ("0", "1"),
    "ssl_max_protocol_version": ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
    "ssl_min_protocol_version": ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
    "target_session_attrs": (
        "any",
        "read-write",
        "read-only",
        "primary",
        "standby",
        "prefer-standby",
    ),
}
"""libpq parameters with a fixed set of values (libpq itself would only fail at connect)."""
_LIBPQ_WHOLE: Final[dict[str, tuple[int, int, str]]] = {
    "connect_timeout": (1, 3_600, " seconds"),
    "keepalives_count": (0, 1_000, ""),
    "keepalives_idle": (0, 86_400, " seconds"),
    "keepalives_interval": (0, 86_400, " seconds"),
    "tcp_user_timeout": (0, 3_600_000, " milliseconds"),
}
"""libpq parameters holding a whole number, with the bounds accepted."""
_FIRST_ANALYZE: Final = 1_000
_ANALYZE: Final = "ANALYZE entities, links, entity_values, documents"
_SNAPSHOT: Final = psycopg.IsolationLevel.REPEATABLE_READ
_MERGE_PENDING_TERMS: Final = "SELECT gin_clean_pending_list('entities_terms'::regclass)"
_SCHEMA_NAME_LIMIT: Final = 63
_DROP_LOCK_TIMEOUT: Final = "30s"
TEMPORARY_MARK: Final = "caseport temporary schema: dropped when the store that created it closes"
"""The comment on a schema a ``temporary=true`` store created; no other store opens it."""


@functools.lru_cache(maxsize=512)
def _placeholders(statement: str) -> str:
    """Shared SQL (``?`` placeholders) in psycopg's spelling (``%s``, literal ``%`` doubled)."""
    return statement.replace("%", "%%").replace("?", "%s")


def _sql(statement: str | Fragment, params: Sequence[Any]) -> tuple[str, Sequence[Any]]:
    if isinstance(statement, Fragment):
        return _placeholders(statement.sql), statement.params
    return _placeholders(statement), params


def _advisory_key(name: str) -> int:
    digest = hashlib.sha256(f"caseport.schema:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresSession(Session):
    """A transaction on one pooled connection.

    Args:
        cursor: the cursor of the transaction's connection.
        schema: the store's schema.
        faults: the engine's write fault point, for a write transaction; ``None`` for a read.
    """

    dialect: Dialect = POSTGRESQL

    def __init__(
        self, cursor: psycopg.Cursor[Any], schema: str, faults: WriteFaultPoint | None = None
    ) -> None:
        self._cursor = cursor
        self._schema = schema
        self._faults = faults

    def _statement(self) -> None:
        """Count a statement with the write fault point; raise its error when it says so."""
        if self._faults is not None and self._faults.fails_next():
            raise psycopg.errors.IoError("could not write (injected by the write fault point)")

    def rows(self, sql: str | Fragment, params: Sequence[Any] = ()) -> list[Row]:
        """See :meth:`Session.rows`."""
        text, values = _sql(sql, params)
        self._statement()
        self._cursor.execute(text, values)
        if self._cursor.description is None:
            return []
        return self._cursor.fetchall()

    def execute(self, sql: str | Fragment, params: Sequence[Any] = ()) -> int:
        """See :meth:`Session.execute`."""
        text, values = _sql(sql, params)
        self._statement()
        self._cursor.execute(text, values)
        return self._cursor.rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """See :meth:`Session.executemany`."""
        self._statement()
        self._cursor.executemany(_placeholders(sql), rows)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """See :meth:`Session.insert_rows`: ``COPY ... FROM STDIN``."""
        if not rows:
            return
        statement = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(map(pgsql.Identifier, columns))
        )
        self._statement()
        with self._cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)

    def next_ids(self, table: str, count: int) -> list[int]:
        """See :meth:`Session.next_ids`: values drawn from the table's identity sequence."""
        self._statement()
        self._cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'rid')) FROM generate_series(1, %s)",
            (table, count),
        )
        return [int(row[0]) for row in self._cursor.fetchall()]

    def lock_for_migration(self) -> None:
        """See :meth:`Session.lock_for_migration`: a transaction-scoped advisory lock."""
        self._statement()
        self._cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_advisory_key(self._schema),))


def _schema_name(options: Mapping[str, str]) -> str | None:
    schema = options.get("schema")
    if schema is None:
        return None
    valid = schema.replace("_", "a").isalnum() and schema.isascii() and not schema[:1].isdigit()
    if not valid or len(schema) > _SCHEMA_NAME_LIMIT or schema.lower().startswith("pg_"):
        raise ConfigurationError(
            "schema must be 1-63 letters, digits or underscores, not starting with a digit or pg_"
        )
    return schema


def _flag(options: Mapping[str, str], name: str) -> bool:
    return OptionReader("postgresql", options).flag(name, False)


@functools.cache
def _libpq_options() -> frozenset[str]:
    """The connection parameters the installed libpq knows."""
    return frozenset(option.keyword.decode() for option in pq.Conninfo.get_defaults())


def _check_libpq_options(options: Mapping[str, str]) -> None:
    """Refuse secrets, unknown parameters and malformed values before libpq sees them.

    Raises:
        ConfigurationError: naming the parameter and what it accepts, never the value.
    """
    read = OptionReader("postgresql", options)
    known = _libpq_options() - _REFUSED_LIBPQ.keys()
    for name in sorted(options):
        if name in OWN_OPTIONS:
            continue
        if name in _SECRET_LIBPQ or is_secret_name(name):
            raise ConfigurationError(
                f"postgresql:// option {name} would put a secret in the URL or the options; "
                "put the password in the PGPASSWORD environment variable or a .pgpass file "
                "(or name one with passfile=), which libpq reads"
            )
        if name in _REFUSED_LIBPQ:
            raise ConfigurationError(
                f"postgresql:// option {name} is not accepted: {_REFUSED_LIBPQ[name]}"
            )
        if name not in known:
            raise ConfigurationError(
                f"unknown postgresql:// option {option_label(name)}"
                f"{suggestion(name, known | OWN_OPTIONS)} (the store's own options are "
                f"{', '.join(sorted(OWN_OPTIONS))}; any other must be a libpq connection "
                "parameter)"
            )
        if name in _LIBPQ_CHOICES:
            read.choice(name, "", _LIBPQ_CHOICES[name])
        elif name in _LIBPQ_WHOLE:
            minimum, maximum, unit = _LIBPQ_WHOLE[name]
            read.whole(name, 0, minimum, maximum, unit)
        elif name == "port":
            for part in options[name].split(","):
                OptionReader("postgresql", {"port": part}).whole("port", 0, 1, 65535)


def _conninfo(url: str, options: Mapping[str, str]) -> str:
    """The libpq connection string: the URL's host, user and database, and its options.

    ``options`` already hold the URL's query parameters (merged, later sources winning);
    the adapter's own options are left out.

    Raises:
        ConfigurationError: a secret, an unknown libpq parameter or a malformed value; the
            message never repeats a value.
    """
    _check_libpq_options(options)
    base = urlsplit(url)._replace(scheme="postgresql", query="", fragment="").geturl()
    extra = {key: value for key, value in options.items() if key not in OWN_OPTIONS}
    extra.setdefault("connect_timeout", str(_DEFAULT_CONNECT_TIMEOUT))
    try:
        conninfo = make_conninfo(base, **extra)
        settings = conninfo_to_dict(conninfo)
    except psycopg.ProgrammingError:
        # libpq's message quotes the part it could not read, which may be anything; raised
        # below, outside this block, so that it does not stay attached as __context__.
        conninfo, settings = "", {}
    if not conninfo:
        raise ConfigurationError(
            "libpq cannot read the PostgreSQL connection settings: check the URL's "
            "percent-encoded parts (%XX) and its options"
        )
    if _SECRET_LIBPQ & settings.keys():
        raise ConfigurationError(
            "the PostgreSQL connection settings carry a password; put it in the PGPASSWORD "
            "environment variable or a .pgpass file, which libpq reads"
        )
    return conninfo


def _pool_size(options: Mapping[str, str], name: str, default: int) -> int:
    read = OptionReader("postgresql", options)
    if name == "pool_min":
        most = read.whole("pool_max", _DEFAULT_POOL_MAX, 1, _MAX_POOL)
        return read.whole(name, default, 1, most, f" (and at most pool_max, {most})")
    return read.whole(name, default, 1, _MAX_POOL)


class PostgresEngine(Engine):
    """A connection pool to one PostgreSQL database and schema.

    Args:
        conninfo: the libpq connection string.
        schema: the schema holding the store's tables (created when missing), or ``None`` for
            the connection's default ``search_path``.
        description: how to name the database in messages, without secrets.
        pool_min: connections kept open.
        pool_max: most connections open at once; more callers wait for one.
        temporary: create ``schema`` here and drop it, with everything in it, on :meth:`close`.
            Only a schema this engine created is ever dropped: an existing one is refused, and
            so is a temporary schema of another store opened without ``temporary``.
        mode: ``rwc`` creates a missing schema; ``rw`` and ``ro`` need it to exist, and ``ro``
            refuses every write (see :class:`~adapters.sql.engine.OpenMode`).

    Raises:
        ConfigurationError: a bad setting; ``temporary`` without a schema of its own, with a
            schema that exists, or with ``rw``/``ro``; a missing schema with ``rw``/``ro``; a
            temporary schema of another store.
        Unavailable: the server cannot be reached.
        PermissionDenied: the server refused the credentials or the schema's creation.
    """

    dialect: Dialect = POSTGRESQL
    kind: Literal["embedded", "server"] = "server"

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str | None,
        description: str,
        pool_min: int = 1,
        pool_max: int = 10,
        temporary: bool = False,
        mode: OpenMode = OpenMode.CREATE,
    ) -> None:
        if temporary and schema in (None, "public"):
            raise ConfigurationError("temporary=true needs its own schema (?schema=NAME)")
        if temporary and mode is not OpenMode.CREATE:
            raise ConfigurationError(
                f"temporary=true creates its schema, so it cannot open with mode={mode.value}"
            )
        self._temporary = temporary
        self._created_schema = False
        """Whether this engine's CREATE SCHEMA made ``schema``: the one case it may drop it."""
        self._description = description
        self._conninfo = conninfo
        self.schema = schema
        self.mode = mode
        self.location = f"PostgreSQL {description}, " + (
            f"schema {schema}" if schema else "default schema"
        )
        self.write_faults = WriteFaultPoint()
        self._closed = False
        self._streams: dict[psycopg.Connection[Any], bool] = {}
        """Connections of unfinished streams, each ``True`` while a thread is fetching on it."""
        self._streams_lock = threading.Lock()
        self._written = 0
        # The server does its share of a batch in its own process while the next one is
        # prepared here, which reads through a second connection of the pool.
        self.overlaps_writes = pool_max >= 2
        self._analyze_at = _FIRST_ANALYZE
        self._may_merge_terms = True
        self._stats_lock = threading.Lock()
        timeout = float(conninfo_to_dict(conninfo).get("connect_timeout") or 10)
        self._prepare_schema()
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = (
            psycopg_pool.ConnectionPool(
                conninfo,
                min_size=min(pool_min, pool_max),
                max_size=pool_max,
                open=False,
                configure=self._configure,
                name="caseport",
            )
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
        except psycopg.Error as exc:
            self._pool.close()
            self._drop_created_schema_quietly()
            raise postgres_error(exc) from exc

    @classmethod
    def from_options(cls, url: str, options: Mapping[str, str], description: str) -> PostgresEngine:
        """Build an engine from a ``postgresql://`` URL and its options.

        Options: ``schema``, ``pool_min`` (default 1), ``pool_max`` (default 10), ``mode``
        (``rwc``, ``rw`` or ``ro``; see :class:`~adapters.sql.engine.OpenMode`), ``temporary``
        (``true``: the store creates the schema and drops it, with everything in it, when it
        closes; for conformance runs and tests with ``?schema=c_{uid}``. Only a schema the store
        created itself is dropped: a schema that exists already is refused); any other is passed
        to libpq (``sslmode``, ``connect_timeout``, ``application_name``, ...) once checked: it
        must be a libpq parameter, not one that holds a secret (``password``, ``sslpassword``:
        libpq reads those from ``PGPASSWORD`` or ``.pgpass``), and ``sslmode``,
        ``connect_timeout`` (1 to 3600 seconds), ``port`` and the other parameters of a fixed
        form must have a valid value. ``pool_min`` and ``pool_max`` are 1 to 1000.

        Raises:
            ConfigurationError: a bad option.
            Unavailable: the server cannot be reached.
            PermissionDenied: the server refused the credentials.
        """
        pool_max = _pool_size(options, "pool_max", 10)
        return cls(
            _conninfo(url, options),
            schema=_schema_name(options),
            description=description,
            pool_min=_pool_size(options, "pool_min", 1),
            pool_max=pool_max,
            temporary=_flag(options, "temporary"),
            mode=open_mode(options),
        )

    def _prepare_schema(self) -> None:
        """Check the server answers and the schema is usable; create it when this mode may.

        Every caseport store that may create the schema takes its advisory lock first, so the
        check and the creation happen as one step among them (``rw`` and ``ro`` only look,
        which also works on a read-only standby). CREATE SCHEMA is never IF NOT EXISTS: a
        schema made meanwhile by anyone else fails it (duplicate_schema) rather than being
        taken for this store's own, which matters most for ``temporary``.
        """
        try:
            with psycopg.connect(self._conninfo) as connection:
                if self.schema is not None:
                    if self.mode is OpenMode.CREATE:
                        connection.execute(
                            "SELECT pg_advisory_xact_lock(%s)", (_advisory_key(self.schema),)
                        )
                    self._use_schema(connection, self.schema)
        except psycopg.errors.DuplicateSchema:
            # Created by someone outside caseport between the check and CREATE SCHEMA.
            if self._temporary:
                raise self._temporary_refused() from None
        except psycopg.Error as exc:
            raise postgres_connect_error(exc) from exc

    def _use_schema(self, connection: psycopg.Connection[Any], schema: str) -> None:
        found = connection.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
        if self._temporary:
            if found is not None:
                raise self._temporary_refused()
            connection.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(schema)))
            connection.execute(
                pgsql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                    pgsql.Identifier(schema), pgsql.Literal(TEMPORARY_MARK)
                )
            )
            connection.commit()
            self._created_schema = True
            return
        if found is None:
            if self.mode is not OpenMode.CREATE:
                raise missing_store(self.location, "the schema does not exist")
            # Only a missing schema is created: CREATE SCHEMA IF NOT EXISTS would need the
            # CREATE privilege even when the schema exists, which a role that only reads and
            # writes the store's tables does not have.
            connection.execute(pgsql.SQL("CREATE SCHEMA {}").format(pgsql.Identifier(schema)))
        elif found[0] == TEMPORARY_MARK:
            raise ConfigurationError(
                f"schema {schema} belongs to a store opened with temporary=true, which drops it "
                "when it closes; use another schema (or drop this one if that store is gone)"
            )

    def _temporary_refused(self) -> ConfigurationError:
        return ConfigurationError(
            f"schema {self.schema} exists already, and temporary=true only applies to a schema "
            "the store creates itself (it is dropped on close); name a new schema, e.g. "
            "?schema=c_{uid} in a conformance run, or leave out temporary=true to keep it"
        )

    def _configure(self, connection: psycopg.Connection[Any]) -> None:
        if self.schema is not None:
            connection.execute(
                pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(self.schema))
            )
        if self.mode is OpenMode.READ_ONLY:
            # run() refuses writes already; the server refuses any that got past it.
            connection.execute("SET default_transaction_read_only = on")
        connection.commit()

    def run(self, work: Callable[[Session], T], *, write: bool) -> T:
        """See :meth:`Engine.run`."""
        self._check_open()
        self._check_writable(write)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with self._pool.connection() as connection:
                    # Read in one snapshot; said in the BEGIN psycopg sends with the first
                    # statement, which saves a round trip over SET TRANSACTION.
                    connection.isolation_level = None if write else _SNAPSHOT
                    connection.read_only = None if write else True
                    with connection.cursor() as cursor:
                        session = PostgresSession(
                            cursor, self.schema or "public", self.write_faults if write else None
                        )
                        return work(session)
            except _RETRYABLE as exc:
                if attempt == MAX_ATTEMPTS:
                    raise TransientError(
                        f"PostgreSQL kept aborting the transaction ({exc.sqlstate}) after "
                        f"{MAX_ATTEMPTS} attempts; try again later"
                    ) from exc
                time.sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)))
            except psycopg.Error as exc:
                if self._closed:
                    raise ConfigurationError("this store is closed") from exc
                raise postgres_error(exc) from exc
            except UnicodeEncodeError as exc:
                # Only a value that bypassed the models (a tampered cursor, say) can get here.
                raise ValidationFailed("text must be valid Unicode (no lone surrogates)") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(
        self, statements: Sequence[Fragment], *, chunk: int = 500
    ) -> Iterator[tuple[int, Row]]:
        """See :meth:`Engine.stream`: server-side cursors in one read-only snapshot."""
        self._check_open()
        try:
            with self._pool.connection() as connection:
                with self._streams_lock:
                    self._check_open()
                    self._streams[connection] = True
                try:
                    yield from self._stream_on(connection, statements, chunk)
                finally:
                    with self._streams_lock:
                        self._streams.pop(connection, None)
        except psycopg.Error as exc:
            if self._closed:
                raise ConfigurationError("this store is closed") from exc
            raise postgres_error(exc) from exc

    def _stream_on(
        self, connection: psycopg.Connection[Any], statements: Sequence[Fragment], chunk: int
    ) -> Iterator[tuple[int, Row]]:
        """The rows of :meth:`stream` on a registered connection, marked busy while fetching.

        :meth:`close` closes the connection of a stream suspended between rows (no thread is
        using it) and cancels the query of one that is fetching.
        """
        with connection.cursor() as setup:
            setup.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for index, statement in enumerate(statements):
            text, values = _sql(statement, ())
            with connection.cursor(name=f"caseport_stream_{index}") as cursor:
                cursor.itersize = chunk
                cursor.execute(text, values)
                while rows := cursor.fetchmany(chunk):
                    for row in rows:
                        with self._streams_lock:
                            self._streams[connection] = False
                        yield index, row
                        with self._streams_lock:
                            # The consumer may have closed the store while it held this row.
                            self._check_open()
                            self._streams[connection] = True

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this store is closed")

    def wrote(self, rows: int) -> None:
        """See :meth:`Engine.wrote`: merge new search terms into their index, ``ANALYZE`` often.

        A bulk batch leaves its entities' search terms in the GIN index's pending list, which
        every text search reads in full until it is merged (milliseconds per search after a
        large import), so it is merged after each batch; a role not allowed to do that leaves
        it to autovacuum. A bulk load also outruns autovacuum's statistics, and a planner that
        still believes the tables empty turns index lookups into sequential scans, so the
        tables are analysed each time this store's writes double (logarithmically many times).
        """
        if rows <= 0:
            return
        with self._stats_lock:
            self._written += rows
            analyze = self._written >= self._analyze_at
            if analyze:
                self._analyze_at = 2 * self._written
            merge = self._may_merge_terms
        # Upkeep only: the batch is committed already, so no failure here may fail it.
        if merge:
            try:
                self.run(lambda session: session.execute(_MERGE_PENDING_TERMS), write=True)
            except PermissionDenied:
                with self._stats_lock:
                    self._may_merge_terms = False  # not the owner: do not ask on every batch
            except CaseportError:
                pass
        if analyze:
            with suppress(CaseportError):
                self.run(lambda session: session.execute(_ANALYZE), write=True)

    def describe(self) -> str:
        """See :meth:`Engine.describe`."""
        where = f" schema {self.schema}" if self.schema else ""
        return f"PostgreSQL {self._description}{where}"

    def close(self) -> None:
        """See :meth:`Engine.close`.

        Unfinished exports end too: the connection of one waiting for its consumer is closed
        (ending its snapshot and the locks it holds), the query of one that is fetching is
        cancelled; either then fails with :class:`~contracts.errors.ConfigurationError`.
        """
        with self._streams_lock:
            if self._closed:
                return
            self._closed = True
            streams = list(self._streams.items())
        for connection, busy in streams:
            with suppress(psycopg.Error):
                if busy:
                    # cancel_safe() is psycopg 3.2's; 3.1, which pyproject allows, has cancel().
                    getattr(connection, "cancel_safe", connection.cancel)()
                else:
                    connection.close()
        self._pool.close()
        if self._created_schema and self.schema is not None:
            self._drop_schema(self.schema)

    def _drop_created_schema_quietly(self) -> None:
        """Drop the schema this engine created, when opening failed after creating it."""
        if self._created_schema and self.schema is not None:
            with suppress(CaseportError):
                self._drop_schema(self.schema)

    def _drop_schema(self, schema: str) -> None:
        # Only ever called for a schema this engine created (``_created_schema``).
        self._created_schema = False
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as connection:
                # A transaction still holding the schema's tables must not hang close() forever.
                connection.execute(f"SET lock_timeout = '{_DROP_LOCK_TIMEOUT}'")
                connection.execute(
                    pgsql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgsql.Identifier(schema))
                )
        except psycopg.Error as exc:
            raise postgres_error(exc) from exc
