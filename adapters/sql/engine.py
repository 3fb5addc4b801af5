"""The connection layer the SQL adapter runs on: transactions, streaming and bulk rows.

An :class:`Engine` owns the connections to one database and runs units of work in
transactions; a :class:`Session` is the handle a unit of work gets. Both are backend-neutral;
:mod:`adapters.sql.sqlite` and :mod:`adapters.sql.postgres` implement them. Engines translate
every driver exception into a :mod:`contracts.errors` class before it leaves them.

Every engine has a :class:`WriteFaultPoint`, for the conformance kit's tests of atomicity under
failing writes: once armed, it makes a statement of a write transaction fail with an injected
driver error, which the engine translates and rolls back like a real one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from adapters._write_faults import WriteFaultCounter
from adapters.sql.dialects import Dialect, Fragment
from contracts.errors import ConfigurationError, PermissionDenied

if TYPE_CHECKING:
    pass

__all__ = [
    "Engine",
    "OpenMode",
    "Row",
    "Session",
    "WriteFaultPoint",
    "missing_store",
    "open_mode",
]

T = TypeVar("T")
Row = tuple[Any, ...]


class OpenMode(StrEnum):
    """How a store opens its database: the ``mode`` option, with SQLite's names for it."""

    CREATE = "rwc"
    """Read and write, creating the database (SQLite file, PostgreSQL schema and tables) when
    it is missing and applying pending migrations; the default."""
    EXISTING = "rw"
    """Read and write a store that must already exist: nothing is created; pending migrations
    are applied unless ``upgrade=false``."""
    READ_ONLY = "ro"
    """Read a store that must already exist at this code's schema version: nothing is created,
    migrated or written (writes raise :class:`~contracts.errors.PermissionDenied`)."""


def open_mode(options: Mapping[str, str]) -> OpenMode:
    """The ``mode`` option (``rwc`` when absent).

    Raises:
        ConfigurationError: any other value.
    """
    raw = options.get("mode", OpenMode.CREATE.value)
    try:
        return OpenMode(raw.strip().lower())
    except ValueError:
        known = ", ".join(mode.value for mode in OpenMode)
        raise ConfigurationError(f"option mode must be one of {known}") from None


def missing_store(location: str, reason: str) -> ConfigurationError:
    """The error for a store that must exist and does not (modes ``rw`` and ``ro``)."""
    return ConfigurationError(
        f"no caseport store at {location}: {reason}; check the URL, or create the store by "
        "writing to it (or with: caseport db upgrade URL)"
    )


class WriteFaultPoint(WriteFaultCounter):
    """Fails the statements of one engine's write transactions on demand: conformance testing only.

    The :class:`~contracts.conformance.stores.WriteFaults` of a SQL store (its
    ``write_faults()``): a backend write is one statement run inside a write transaction.
    Unarmed (always, unless a test arms it) it does nothing. Armed with
    :meth:`fail_writes_after`, it lets that many statements of write transactions run, then
    makes every later one raise the backend's injected driver error (an I/O error), which the
    engine translates and rolls back like a real one. Reads are never failed. Thread safe.
    """


class Session(ABC):
    """One transaction's access to the database; valid only inside :meth:`Engine.run`."""

    dialect: Dialect

    @abstractmethod
    def rows(self, sql: str | Fragment, params: Sequence[Any] = ()) -> list[Row]:
        """Run a statement and return every row it produces."""

    @abstractmethod
    def execute(self, sql: str | Fragment, params: Sequence[Any] = ()) -> int:
        """Run a statement; return the number of rows it changed."""

    @abstractmethod
    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""

    @abstractmethod
    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Append ``rows`` to ``table`` (no conflict expected), the fastest way the backend has."""

    @abstractmethod
    def next_ids(self, table: str, count: int) -> list[int]:
        """Reserve ``count`` new values of ``table.rid`` (inside a write transaction)."""

    @abstractmethod
    def lock_for_migration(self) -> None:
        """Hold the database's migration lock until the transaction ends."""

    def one(self, sql: str | Fragment, params: Sequence[Any] = ()) -> Row | None:
        """The first row of a statement, or ``None``."""
        found = self.rows(sql, params)
        return found[0] if found else None


class Engine(ABC):
    """Connections to one database and the way to run work against it."""

    dialect: Dialect
    kind: Literal["embedded", "server"]
    overlaps_writes: bool = False
    """Whether a bulk write gains by preparing the next batch while this engine writes one."""
    mode: OpenMode = OpenMode.CREATE
    """How the database was opened; the store reads it to decide whether it may migrate."""
    location: str = ""
    """Where the database is, for messages: a file path or server and schema, no secrets."""
    write_faults: WriteFaultPoint
    """Fails statements of write transactions when armed (conformance testing only)."""

    @abstractmethod
    def run(self, work: Callable[[Session], T], *, write: bool) -> T:
        """Run ``work`` in one transaction and commit it; roll back if it raises.

        Writes take the write lock up front (SQLite) or are retried a bounded number of times
        on serialisation failures and deadlocks (PostgreSQL); ``work`` must therefore be safe to
        run again. Reads see one consistent snapshot. An engine opened with ``mode=ro`` refuses
        every write with :class:`~contracts.errors.PermissionDenied` before touching the database.
        """

    @abstractmethod
    def stream(
        self, statements: Sequence[Fragment], *, chunk: int = 500
    ) -> Iterator[tuple[int, Row]]:
        """The rows of several queries, each tagged with its query's position, from one snapshot.

        Rows are fetched ``chunk`` at a time, so memory stays bounded however many there are;
        every query sees the database as it was when the first one started.
        """

    def _check_writable(self, write: bool) -> None:
        """Refuse a write transaction on an engine opened with ``mode=ro``.

        Raises:
            PermissionDenied: ``write`` is true and the engine is read-only.
        """
        if write and self.mode is OpenMode.READ_ONLY:
            raise PermissionDenied(
                f"the store at {self.location} is open read-only (mode=ro); nothing is written"
            )

    def wrote(self, rows: int) -> None:
        """Note that a committed bulk batch created or changed ``rows`` records.

        Indexes and planner statistics may lag behind a bulk load; an engine may catch up here.
        """

    @abstractmethod
    def describe(self) -> str:
        """A one-line description of the database, without secrets."""

    @abstractmethod
    def close(self) -> None:
        """Close every connection; calling it twice is harmless."""
