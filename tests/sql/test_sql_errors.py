"""Driver exceptions never escape: each maps to the most specific contract error."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sql_postgres import SKIP_POSTGRES, postgres_base_url

import adapters.sql
from adapters.sql.errors import (
    POSTGRES_SQLSTATE_CLASSES,
    POSTGRES_SQLSTATES,
    SQLITE_CLASSES,
    lock_timed_out,
    postgres_classes,
    postgres_error,
    sqlite_error,
)
from contracts.errors import (
    BackendError,
    CaseportError,
    ConfigurationError,
    DeadlineExceeded,
    PermissionDenied,
    TransientError,
    Unavailable,
    ValidationFailed,
)
from contracts.models import Entity, EntityKind


def exception_classes(module: ModuleType, prefix: str) -> list[type[BaseException]]:
    """The exception classes a driver module defines (not the ones it re-exports)."""
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException)
        and cls.__module__.startswith(prefix)
        and not cls.__name__.startswith("_")
    ]


def test_every_sqlite3_exception_class_has_a_mapping() -> None:
    """Each sqlite3 exception class is listed and maps to a contract error."""
    classes = exception_classes(sqlite3, "sqlite3")
    assert len(classes) >= 10
    missing = [cls.__name__ for cls in classes if cls not in SQLITE_CLASSES]
    assert missing == []
    for cls in classes:
        assert isinstance(sqlite_error(cls("boom")), CaseportError)  # type: ignore[arg-type]


def test_every_psycopg_exception_class_has_a_mapping() -> None:
    """Each psycopg and psycopg_pool exception class has a class or SQLSTATE entry."""
    psycopg = pytest.importorskip("psycopg")
    psycopg_pool = pytest.importorskip("psycopg_pool")
    classes = exception_classes(psycopg.errors, "psycopg")
    classes += exception_classes(psycopg, "psycopg")
    classes += exception_classes(psycopg_pool, "psycopg_pool")
    assert len(classes) > 200
    missing = []
    for cls in set(classes):
        sqlstate = getattr(cls, "sqlstate", None)
        if sqlstate:
            known = sqlstate in POSTGRES_SQLSTATES or sqlstate[:2] in POSTGRES_SQLSTATE_CLASSES
        else:
            known = cls in postgres_classes()
        if not known:
            missing.append(cls.__name__)
        assert isinstance(postgres_error(cls("boom")), CaseportError)
    assert sorted(missing) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (5, Unavailable),
        (8, PermissionDenied),
        (9, DeadlineExceeded),
        (14, ConfigurationError),
        (19, ValidationFailed),
        (26, ConfigurationError),
        (10 | (13 << 8), BackendError),
    ],
)
def test_sqlite_result_codes_pick_the_error(code: int, expected: type[CaseportError]) -> None:
    """Result codes (extended ones by their primary code) decide the class."""
    exc = sqlite3.OperationalError("boom")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    assert type(sqlite_error(exc)) is expected


@pytest.mark.parametrize(
    ("sqlstate", "expected"),
    [
        ("40001", TransientError),
        ("40P01", TransientError),
        ("23505", ValidationFailed),
        ("42501", PermissionDenied),
        ("57014", DeadlineExceeded),
        ("08006", Unavailable),
        ("3D000", ConfigurationError),
        ("54000", ValidationFailed),
        ("XX000", BackendError),
    ],
)
def test_sqlstates_pick_the_error(sqlstate: str, expected: type[CaseportError]) -> None:
    """Exact SQLSTATEs win over their class."""
    psycopg = pytest.importorskip("psycopg")
    assert type(postgres_error(psycopg.errors.lookup(sqlstate)("boom"))) is expected


def _mapped(exc: BaseException) -> CaseportError:
    """The contract error for ``exc``, chained to it as the engines raise it."""
    error = sqlite_error(exc) if isinstance(exc, sqlite3.Error) else postgres_error(exc)
    error.__cause__ = exc
    return error


@pytest.mark.parametrize(("code", "expected"), [(5, True), (6, True), (5 | (1 << 8), True)])
def test_sqlite_lock_codes_count_as_a_lock_timeout(code: int, expected: bool) -> None:
    """SQLITE_BUSY and SQLITE_LOCKED, extended codes included, are lock timeouts."""
    exc = sqlite3.OperationalError("database is locked")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    assert lock_timed_out(_mapped(exc)) is expected


@pytest.mark.parametrize("code", [7, 10, 13, 15])
def test_other_unavailable_sqlite_errors_are_not_lock_timeouts(code: int) -> None:
    """Out of memory, I/O errors, a full disk or a protocol error keep their own meaning."""
    exc = sqlite3.OperationalError("boom")
    exc.sqlite_errorcode = code  # type: ignore[attr-defined]
    assert not lock_timed_out(_mapped(exc))


@pytest.mark.parametrize(
    ("sqlstate", "expected"), [("55P03", True), ("57P01", False), ("53100", False)]
)
def test_only_lock_not_available_is_a_postgresql_lock_timeout(
    sqlstate: str, expected: bool
) -> None:
    """A lock wait that gave up is one; a shutdown or a full disk is not."""
    psycopg = pytest.importorskip("psycopg")
    assert lock_timed_out(_mapped(psycopg.errors.lookup(sqlstate)("boom"))) is expected
    assert not lock_timed_out(Unavailable("no cause"))


def test_a_file_that_is_not_a_database_is_a_configuration_error(tmp_path: Path) -> None:
    """Opening a text file as SQLite raises ConfigurationError naming the file."""
    path = tmp_path / "notes.db"
    path.write_text("not a database " * 100)
    with pytest.raises(ConfigurationError, match=r"notes\.db"):
        adapters.sql.from_url(f"sqlite:///{path}", {})


def test_a_writer_kept_waiting_past_the_busy_timeout_is_unavailable(sqlite_url: str) -> None:
    """Another connection holding the write lock makes a write fail with Unavailable."""
    with adapters.sql.from_url(sqlite_url, {"busy_timeout_ms": "50"}) as store:
        path = sqlite_url.removeprefix("sqlite:///")
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(Unavailable) as raised:
                store.create(Entity(kind=EntityKind.PERSON, subtype="p", label="Blocked"))
            assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
            assert lock_timed_out(raised.value)
        finally:
            holder.rollback()
            holder.close()
        store.create(Entity(kind=EntityKind.PERSON, subtype="p", label="Later"))


def test_a_closed_store_raises_a_contract_error(sql_url: str) -> None:
    """Calls after close() raise a CaseportError, not a driver exception."""
    store = adapters.sql.from_url(sql_url, {})
    store.close()
    store.close()
    with pytest.raises(CaseportError):
        store.get(Entity, "anything")


def test_an_unreachable_server_is_unavailable() -> None:
    """Nothing listening on the port gives Unavailable at open."""
    pytest.importorskip("psycopg")
    with pytest.raises(Unavailable):
        adapters.sql.from_url("postgresql://postgres@127.0.0.1:9/test?connect_timeout=2", {})


def test_a_missing_database_is_a_configuration_error() -> None:
    """A database name the server does not have gives ConfigurationError."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    host = base.rsplit("/", 1)[0]
    with pytest.raises(ConfigurationError):
        adapters.sql.from_url(f"{host}/caseport_no_such_database", {})


def test_serialisation_failures_are_retried_then_reported_as_transient(postgres_url: str) -> None:
    """A transaction failing twice is retried to success; one that always fails is transient."""
    import psycopg

    from adapters.sql.postgres import MAX_ATTEMPTS

    engine = adapters.sql.open_engine(postgres_url)
    try:
        calls = 0

        def flaky(session: Any) -> str:
            nonlocal calls
            calls += 1
            if calls < 3:
                raise psycopg.errors.SerializationFailure("conflict")
            return "done"

        assert engine.run(flaky, write=True) == "done"
        assert calls == 3

        def hopeless(session: Any) -> None:
            raise psycopg.errors.DeadlockDetected("deadlock")

        with pytest.raises(TransientError, match=rf"after {MAX_ATTEMPTS} attempts"):
            engine.run(hopeless, write=True)
    finally:
        engine.close()


def test_a_real_deadlock_is_retried_until_both_writers_finish(postgres_url: str) -> None:
    """Two transactions locking two rows in opposite orders both commit in the end."""
    engine = adapters.sql.open_engine(postgres_url)
    try:
        engine.run(
            lambda s: s.execute("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)"),
            write=True,
        )
        engine.run(lambda s: s.execute("INSERT INTO counters VALUES (1, 0), (2, 0)"), write=True)
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def transfer(first: int, second: int) -> None:
            attempts = 0

            def work(session: Any) -> None:
                nonlocal attempts
                attempts += 1
                session.execute("UPDATE counters SET n = n + 1 WHERE id = ?", (first,))
                if attempts == 1:
                    barrier.wait(10)
                session.execute("UPDATE counters SET n = n + 1 WHERE id = ?", (second,))

            try:
                engine.run(work, write=True)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [
            threading.Thread(target=transfer, args=(1, 2)),
            threading.Thread(target=transfer, args=(2, 1)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        rows = engine.run(lambda s: s.rows("SELECT id, n FROM counters ORDER BY id"), write=False)
        assert [tuple(row) for row in rows] == [(1, 2), (2, 2)]
    finally:
        engine.close()
