"""The SQLite engine: a file in WAL mode shared safely by threads and processes.

Each connection is used by one thread at a time (idle ones are kept for reuse) and is set up
with ``journal_mode=WAL`` (readers never block the writer), ``busy_timeout`` (a writer waits for
the lock instead of failing), ``foreign_keys=ON``, the configured ``synchronous`` level and a
write-ahead log of up to :data:`WAL_BYTES`; new files get pages of :data:`PAGE_BYTES`.
Transactions are explicit: the driver's own transaction handling is switched off
(``isolation_level=None``) and every unit of work runs between ``BEGIN IMMEDIATE`` (writes take
the write lock before reading, so a read-modify-write cannot be overtaken) or ``BEGIN`` (reads
see one snapshot) and ``COMMIT``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any, Final, Literal, TypeVar
from urllib.parse import unquote, urlsplit

from adapters._options import OptionReader
from adapters.sql.dialects import SQLITE, Dialect, Fragment
from adapters.sql.engine import (
    Engine,
    OpenMode,
    Row,
    Session,
    WriteFaultPoint,
    missing_store,
    open_mode,
)
from adapters.sql.errors import sqlite_error
from contracts.errors import ConfigurationError, ValidationFailed

__all__ = ["PAGE_BYTES", "WAL_BYTES", "SqliteEngine", "sqlite_path"]

T = TypeVar("T")

SYNCHRONOUS_LEVELS: Final = ("off", "normal", "full", "extra")
DEFAULT_BUSY_TIMEOUT_MS: Final = 10_000
MAX_BUSY_TIMEOUT_MS: Final = 3_600_000
"""Longest busy timeout accepted: an hour; a longer wait is a mistake, not a setting."""
DEFAULT_SYNCHRONOUS: Final = "full"
_CACHE_KIB: Final = 32 * 1024
PAGE_BYTES: Final = 16 * 1024
"""Page size of new files: records of about a kilobyte fill 4 KiB pages poorly, and bulk writes
of them go faster on larger pages."""
WAL_BYTES: Final = 64 * 2**20
"""How much the write-ahead log grows before it is copied into the database, and the size it is
cut back to afterwards (SQLite would otherwise keep the file at its largest). With SQLite's
default of 1,000 pages the pages a bulk batch changed were copied after nearly every batch; a
larger log lets a page changed by several batches be copied once."""
_SQLITE_BUSY: Final = 5
_SQLITE_IOERR: Final = 10
_FIRST_PAUSE_S: Final = 0.001
_LAST_PAUSE_S: Final = 0.05


def sqlite_path(url: str) -> Path:
    """The database file named by a ``sqlite:///`` URL, made absolute against the cwd.

    ``sqlite:///caseport.db`` is ``./caseport.db``; ``sqlite:////var/lib/x.db`` is absolute.

    Raises:
        ConfigurationError: the URL names a host, no file, or an in-memory database.
    """
    parts = urlsplit(url)
    if parts.netloc:
        raise ConfigurationError(
            f"sqlite URLs name a local file and no host: sqlite:///relative.db or "
            f"sqlite:////absolute/path.db (got host {parts.netloc!r})"
        )
    raw = unquote(parts.path)
    path = raw[1:] if raw.startswith("/") else raw
    if not path:
        raise ConfigurationError("a sqlite URL needs a file path, e.g. sqlite:///caseport.db")
    if path == ":memory:" or path.startswith("file:"):
        raise ConfigurationError(
            "in-memory SQLite is not supported; use memory:// for a store that lives in memory"
        )
    return Path.cwd() / path


def _sql(statement: str | Fragment, params: Sequence[Any]) -> tuple[str, Sequence[Any]]:
    if isinstance(statement, Fragment):
        return statement.sql, statement.params
    return statement, params


def _injected_io_error() -> sqlite3.OperationalError:
    """The driver error the write fault point raises: a disk I/O error, as SQLite reports one."""
    error = sqlite3.OperationalError("disk I/O error (injected by the write fault point)")
    error.sqlite_errorcode = _SQLITE_IOERR
    error.sqlite_errorname = "SQLITE_IOERR"
    return error


class SqliteSession(Session):
    """A transaction on one SQLite connection.

    Args:
        cursor: the cursor of the transaction's connection.
        faults: the engine's write fault point, for a write transaction; ``None`` for a read.
    """

    dialect: Dialect = SQLITE

    def __init__(self, cursor: sqlite3.Cursor, faults: WriteFaultPoint | None = None) -> None:
        self._cursor = cursor
        self._faults = faults

    def _statement(self) -> None:
        """Count a statement with the write fault point; raise its error when it says so."""
        if self._faults is not None and self._faults.fails_next():
            raise _injected_io_error()

    def rows(self, sql: str | Fragment, params: Sequence[Any] = ()) -> list[Row]:
        """See :meth:`Session.rows`."""
        text, values = _sql(sql, params)
        self._statement()
        return self._cursor.execute(text, values).fetchall()

    def execute(self, sql: str | Fragment, params: Sequence[Any] = ()) -> int:
        """See :meth:`Session.execute`."""
        text, values = _sql(sql, params)
        self._statement()
        return self._cursor.execute(text, values).rowcount

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """See :meth:`Session.executemany`."""
        self._statement()
        self._cursor.executemany(sql, rows)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """See :meth:`Session.insert_rows`: one prepared INSERT run for every row."""
        if rows:
            marks = ", ".join("?" for _ in columns)
            names = ", ".join(columns)
            self._statement()
            self._cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def next_ids(self, table: str, count: int) -> list[int]:
        """See :meth:`Session.next_ids`: safe because the write lock is held."""
        self._statement()
        row = self._cursor.execute(f"SELECT coalesce(max(rid), 0) FROM {table}").fetchone()
        start = int(row[0]) + 1
        return list(range(start, start + count))

    def lock_for_migration(self) -> None:
        """See :meth:`Session.lock_for_migration`: ``BEGIN IMMEDIATE`` already holds it."""


class SqliteEngine(Engine):
    """Connections to one SQLite file.

    Args:
        path: the database file; created on first use (its directory must exist) unless
            ``mode`` says it must exist.
        busy_timeout_ms: how long a writer waits for another to finish before failing with
            :class:`~contracts.errors.Unavailable`.
        synchronous: SQLite's ``synchronous`` level; ``full`` (the default) makes every
            committed transaction survive power loss, ``normal`` only a crash of the process.
        mode: ``rwc`` creates the file when missing; ``rw`` and ``ro`` open only an existing
            file (SQLite's own ``mode=rw``/``mode=ro``, so a file deleted meanwhile is not
            created either). With ``ro`` the file is never written: the journal mode and page
            size are left as they are, and writes are refused. Reading a WAL file still needs
            its ``-wal`` and ``-shm`` companions, which SQLite creates beside it when missing
            and a read-only connection cannot remove.

    Raises:
        ConfigurationError: a bad setting, a missing directory, or (``rw``, ``ro``) a missing
            file.
    """

    dialect: Dialect = SQLITE
    kind: Literal["embedded", "server"] = "embedded"
    # SQLite works in this process and takes the GIL back for every row, so preparing the next
    # batch alongside it slows both (measured with benchmarks/sql_bench.py).
    overlaps_writes = False

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        synchronous: str = DEFAULT_SYNCHRONOUS,
        mode: OpenMode = OpenMode.CREATE,
    ) -> None:
        if synchronous not in SYNCHRONOUS_LEVELS:
            raise ConfigurationError(f"synchronous must be one of {', '.join(SYNCHRONOUS_LEVELS)}")
        if busy_timeout_ms < 0:
            raise ConfigurationError("busy_timeout_ms must not be negative")
        if mode is not OpenMode.CREATE and not path.is_file():
            raise missing_store(str(path), "the file does not exist")
        if not path.parent.is_dir():
            raise ConfigurationError(
                f"cannot create {path}: directory {path.parent} does not exist"
            )
        self.path = path
        self.mode = mode
        self.location = str(path)
        self.write_faults = WriteFaultPoint()
        self._busy_timeout_ms = busy_timeout_ms
        self._synchronous = synchronous
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._open: set[sqlite3.Connection] = set()
        self._closed = False
        # Open one connection now so a bad path or a file that is not a database fails here.
        with self._connection():
            pass

    @classmethod
    def from_options(cls, url: str, options: Mapping[str, str]) -> SqliteEngine:
        """Build an engine from a ``sqlite:///`` URL and its options.

        Options: ``busy_timeout_ms`` (default 10000, at most 3600000: an hour), ``synchronous``
        (``off``, ``normal``, ``full`` or ``extra``; default ``full``) and
        ``mode`` (``rwc``, ``rw`` or ``ro``; see :class:`~adapters.sql.engine.OpenMode`).

        Raises:
            ConfigurationError: a bad URL or option value.
        """
        read = OptionReader("sqlite", options)
        busy = read.whole(
            "busy_timeout_ms", DEFAULT_BUSY_TIMEOUT_MS, 0, MAX_BUSY_TIMEOUT_MS, " milliseconds"
        )
        synchronous = read.choice("synchronous", DEFAULT_SYNCHRONOUS, SYNCHRONOUS_LEVELS)
        return cls(
            sqlite_path(url), busy_timeout_ms=busy, synchronous=synchronous, mode=open_mode(options)
        )

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            error = sqlite_error(exc)
            if isinstance(error, ConfigurationError):
                raise ConfigurationError(f"{error} (database file {self.path})") from exc
            raise error from exc
        except UnicodeEncodeError as exc:
            # Only a value that bypassed the models (a tampered cursor, say) can get here.
            raise ValidationFailed("text must be valid Unicode (no lone surrogates)") from exc
        except OverflowError as exc:
            # Likewise: the models refuse integers beyond SQLite's 64 bits before they get here.
            raise ValidationFailed("integers must fit in 64 bits") from exc

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this store is closed")

    def _connect(self) -> sqlite3.Connection:
        # Only mode rwc may create the file; the others name SQLite's own open mode, so a file
        # removed since __init__ checked it is not created either.
        target = self.path if self.mode is OpenMode.CREATE else self._uri()
        connection = sqlite3.connect(
            target,
            timeout=self._busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
            uri=self.mode is not OpenMode.CREATE,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}").close()
            if self.mode is not OpenMode.READ_ONLY:
                # Takes effect only when the file is new (before its first table); a no-op after.
                connection.execute(f"PRAGMA page_size = {PAGE_BYTES}").close()
                self._use_wal(connection)
            with closing(connection.execute("PRAGMA page_size")) as cursor:
                (page_bytes,) = cursor.fetchone()
            for pragma in (
                "PRAGMA foreign_keys = ON",
                f"PRAGMA synchronous = {self._synchronous.upper()}",
                f"PRAGMA cache_size = -{_CACHE_KIB}",
                "PRAGMA temp_store = MEMORY",
                f"PRAGMA wal_autocheckpoint = {WAL_BYTES // int(page_bytes)}",
                f"PRAGMA journal_size_limit = {WAL_BYTES}",
            ):
                connection.execute(pragma).close()
        except BaseException:
            connection.close()
            raise
        return connection

    def _uri(self) -> str:
        """The file as a SQLite URI naming this engine's open mode (``rw`` or ``ro``)."""
        return f"{self.path.as_uri()}?mode={self.mode.value}"

    def _use_wal(self, connection: sqlite3.Connection) -> None:
        """Put the database in WAL mode, waiting up to the busy timeout for the lock it needs.

        Switching a new file to WAL takes an exclusive lock, and SQLite answers ``SQLITE_BUSY`` at
        once (without calling the busy handler) when processes opening the file together collide
        there, so the switch is retried here. WAL mode is stored in the file: once one connection
        has set it the others only read it, which takes no lock.
        """
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        pause = _FIRST_PAUSE_S
        while True:
            try:
                with closing(connection.execute("PRAGMA journal_mode")) as cursor:
                    (mode,) = cursor.fetchone()
                if str(mode).lower() == "wal":
                    return
                connection.execute("PRAGMA journal_mode = WAL").close()
                return
            except sqlite3.OperationalError as exc:
                busy = getattr(exc, "sqlite_errorcode", 0) & 0xFF == _SQLITE_BUSY
                if not busy or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, _LAST_PAUSE_S)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._translated():
            with self._lock:
                if self._closed:
                    raise ConfigurationError("this store is closed")
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = self._connect()
                with self._lock:
                    self._open.add(connection)
        healthy = False
        try:
            yield connection
            healthy = not connection.in_transaction
        finally:
            self._release(connection, healthy)

    def _release(self, connection: sqlite3.Connection, healthy: bool) -> None:
        with self._lock:
            if healthy and not self._closed:
                self._idle.append(connection)
                return
            self._open.discard(connection)
        # Closing a connection is safe even if close() of the engine got to it first.
        connection.close()

    def run(self, work: Callable[[Session], T], *, write: bool) -> T:
        """See :meth:`Engine.run`."""
        self._check_writable(write)
        with self._connection() as connection, closing(connection.cursor()) as cursor:
            with self._translated():
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                with self._translated():
                    result = work(SqliteSession(cursor, self.write_faults if write else None))
                    cursor.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    # If even the rollback fails the connection is discarded on release; the
                    # first error is the one worth reporting.
                    with suppress(sqlite3.Error):
                        connection.rollback()
                raise
            return result

    def stream(
        self, statements: Sequence[Fragment], *, chunk: int = 500
    ) -> Iterator[tuple[int, Row]]:
        """See :meth:`Engine.stream`: one read transaction, one snapshot in WAL mode."""
        with self._connection() as connection:
            cursor = connection.cursor()
            try:
                with self._translated():
                    cursor.execute("BEGIN")
                for index, statement in enumerate(statements):
                    with self._translated():
                        cursor.execute(statement.sql, statement.params)
                        rows = cursor.fetchmany(chunk)
                    while rows:
                        for row in rows:
                            yield index, row
                            # The consumer may have closed the store while it held this row.
                            self._check_open()
                        with self._translated():
                            rows = cursor.fetchmany(chunk)
            finally:
                # Also when the consumer stops early: end the snapshot before the connection
                # goes back to the pool. The store closes only idle connections, but a
                # connection closed anyway must not turn cleanup into an error of its own.
                with suppress(sqlite3.Error):
                    cursor.close()
                    if connection.in_transaction:
                        connection.rollback()

    def describe(self) -> str:
        """See :meth:`Engine.describe`."""
        access = "read-only" if self.mode is OpenMode.READ_ONLY else "WAL"
        return f"SQLite {sqlite3.sqlite_version} file {self.path} ({access})"

    def close(self) -> None:
        """See :meth:`Engine.close`: idle connections now, those in use when they are released.

        A connection another thread is using (or an unfinished export holds) is left to its
        user, which finds the store closed and closes the connection when it lets go of it.
        """
        with self._lock:
            self._closed = True
            idle = list(self._idle)
            self._idle.clear()
            self._open.difference_update(idle)
        for connection in idle:
            connection.close()
