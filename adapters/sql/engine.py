"""The connection layer the SQL adapter runs on: transactions, streaming and bulk rows.

An :class:`Engine` owns the connections to one database and runs units of work in
transactions; a :class:`Session` is the handle a unit of work gets. Both are backend-neutral;
:mod:`adapters.sql.sqlite` and :mod:`adapters.sql.postgres` implement them. Engines translate
every driver exception into a :mod:`contracts.errors` class before it leaves them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal, TypeVar

from adapters.sql.dialects import Dialect, Fragment

__all__ = ["Engine", "Row", "Session"]

T = TypeVar("T")
Row = tuple[Any, ...]


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

    @abstractmethod
    def run(self, work: Callable[[Session], T], *, write: bool) -> T:
        """Run ``work`` in one transaction and commit it; roll back if it raises.

        Writes take the write lock up front (SQLite) or are retried a bounded number of times
        on serialisation failures and deadlocks (PostgreSQL); ``work`` must therefore be safe to
        run again. Reads see one consistent snapshot.
        """

    @abstractmethod
    def stream(
        self, statements: Sequence[Fragment], *, chunk: int = 500
    ) -> Iterator[tuple[int, Row]]:
        """The rows of several queries, each tagged with its query's position, from one snapshot.

        Rows are fetched ``chunk`` at a time, so memory stays bounded however many there are;
        every query sees the database as it was when the first one started.
        """

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
