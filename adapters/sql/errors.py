"""Turning ``sqlite3`` and ``psycopg`` exceptions into the contract's errors.

Every driver exception class has an explicit entry: sqlite3's by class and by result code,
psycopg's by class and by SQLSTATE (exact code first, then its two-character class). A test
walks the drivers' exception classes and fails when one has no entry, so a driver upgrade that
adds a class is noticed. Messages name what failed, never the SQL or its parameters.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import Final

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

__all__ = [
    "POSTGRES_SQLSTATE_CLASSES",
    "POSTGRES_SQLSTATES",
    "SQLITE_CLASSES",
    "SQLITE_CODES",
    "lock_timed_out",
    "postgres_classes",
    "postgres_connect_error",
    "postgres_error",
    "sqlite_error",
]

ErrorClass = type[CaseportError]

SQLITE_CLASSES: Final[dict[type[BaseException], ErrorClass]] = {
    sqlite3.Warning: BackendError,
    sqlite3.Error: BackendError,
    sqlite3.InterfaceError: BackendError,
    sqlite3.DatabaseError: BackendError,
    sqlite3.DataError: ValidationFailed,
    sqlite3.OperationalError: BackendError,
    sqlite3.IntegrityError: ValidationFailed,
    sqlite3.InternalError: BackendError,
    sqlite3.ProgrammingError: BackendError,
    sqlite3.NotSupportedError: BackendError,
}
"""Every sqlite3 exception class, for errors that carry no SQLite result code."""

SQLITE_CODES: Final[dict[int, ErrorClass]] = {
    3: PermissionDenied,  # SQLITE_PERM
    4: TransientError,  # SQLITE_ABORT: a statement was aborted by a rollback
    5: Unavailable,  # SQLITE_BUSY: another connection holds the lock past busy_timeout
    6: Unavailable,  # SQLITE_LOCKED
    7: Unavailable,  # SQLITE_NOMEM
    8: PermissionDenied,  # SQLITE_READONLY
    9: DeadlineExceeded,  # SQLITE_INTERRUPT
    10: BackendError,  # SQLITE_IOERR
    11: BackendError,  # SQLITE_CORRUPT
    13: BackendError,  # SQLITE_FULL
    14: ConfigurationError,  # SQLITE_CANTOPEN: the path cannot be opened
    15: Unavailable,  # SQLITE_PROTOCOL
    18: ValidationFailed,  # SQLITE_TOOBIG
    19: ValidationFailed,  # SQLITE_CONSTRAINT
    20: ValidationFailed,  # SQLITE_MISMATCH
    23: PermissionDenied,  # SQLITE_AUTH
    26: ConfigurationError,  # SQLITE_NOTADB: the file is not a database
}
"""Primary SQLite result codes that say more than the exception class."""


def _most_specific(exc: BaseException, table: dict[type[BaseException], ErrorClass]) -> ErrorClass:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return BackendError


def sqlite_error(exc: sqlite3.Error) -> CaseportError:
    """The contract error for a sqlite3 exception."""
    code = getattr(exc, "sqlite_errorcode", None)
    target = None
    if isinstance(code, int):
        target = SQLITE_CODES.get(code & 0xFF)
    if target is None:
        target = _most_specific(exc, SQLITE_CLASSES)
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    if "too many SQL variables" in str(exc):
        return ValidationFailed("the query has more parameters than SQLite accepts")
    return target(f"SQLite failed ({name}): {exc}")


POSTGRES_SQLSTATES: Final[dict[str, ErrorClass]] = {
    "25006": PermissionDenied,  # read_only_sql_transaction: a standby or read-only role
    "40001": TransientError,  # serialization_failure
    "40P01": TransientError,  # deadlock_detected
    "42501": PermissionDenied,  # insufficient_privilege
    "55P03": Unavailable,  # lock_not_available
    "57014": DeadlineExceeded,  # query_canceled (statement_timeout)
    "57P01": Unavailable,  # admin_shutdown
    "57P02": Unavailable,  # crash_shutdown
    "57P03": Unavailable,  # cannot_connect_now
}
"""SQLSTATEs mapped more precisely than their class."""

POSTGRES_SQLSTATE_CLASSES: Final[dict[str, ErrorClass]] = {
    "01": BackendError,  # warning
    "02": BackendError,  # no data
    "03": BackendError,  # statement not yet complete
    "08": Unavailable,  # connection exception
    "09": BackendError,  # triggered action exception
    "0A": BackendError,  # feature not supported
    "0B": BackendError,  # invalid transaction initiation
    "0F": BackendError,  # locator exception
    "0L": PermissionDenied,  # invalid grantor
    "0P": PermissionDenied,  # invalid role specification
    "0Z": BackendError,  # diagnostics exception
    "10": ValidationFailed,  # XQuery error
    "20": BackendError,  # case not found
    "21": BackendError,  # cardinality violation
    "22": ValidationFailed,  # data exception
    "23": ValidationFailed,  # integrity constraint violation
    "24": BackendError,  # invalid cursor state
    "25": BackendError,  # invalid transaction state
    "26": BackendError,  # invalid SQL statement name
    "27": BackendError,  # triggered data change violation
    "28": PermissionDenied,  # invalid authorization specification
    "2B": BackendError,  # dependent privilege descriptors still exist
    "2D": BackendError,  # invalid transaction termination
    "2F": BackendError,  # SQL routine exception
    "34": BackendError,  # invalid cursor name
    "38": BackendError,  # external routine exception
    "39": BackendError,  # external routine invocation exception
    "3B": BackendError,  # savepoint exception
    "3D": ConfigurationError,  # invalid catalog name: the database does not exist
    "3F": ConfigurationError,  # invalid schema name
    "40": TransientError,  # transaction rollback
    "42": BackendError,  # syntax error or access rule violation
    "44": ValidationFailed,  # WITH CHECK OPTION violation
    "53": Unavailable,  # insufficient resources
    "54": ValidationFailed,  # program limit exceeded (e.g. a record too large to index)
    "55": Unavailable,  # object not in prerequisite state
    "57": Unavailable,  # operator intervention
    "58": BackendError,  # system error
    "72": TransientError,  # snapshot failure
    "F0": BackendError,  # configuration file error
    "HV": BackendError,  # foreign data wrapper error
    "P0": BackendError,  # PL/pgSQL error
    "XX": BackendError,  # internal error
}
"""Every SQLSTATE class PostgreSQL defines."""


@functools.cache
def postgres_classes() -> dict[type[BaseException], ErrorClass]:
    """The exception classes of psycopg and psycopg_pool that carry no SQLSTATE.

    Built on first use so that importing this module never needs psycopg.
    """
    import psycopg  # imported here: psycopg is an optional dependency
    import psycopg_pool

    return {
        psycopg.Warning: BackendError,
        psycopg.Error: BackendError,
        psycopg.InterfaceError: BackendError,
        psycopg.DatabaseError: BackendError,
        psycopg.DataError: ValidationFailed,
        psycopg.OperationalError: Unavailable,
        psycopg.IntegrityError: ValidationFailed,
        psycopg.InternalError: BackendError,
        psycopg.ProgrammingError: BackendError,
        psycopg.NotSupportedError: BackendError,
        psycopg.Rollback: BackendError,
        psycopg.errors.ConnectionTimeout: Unavailable,
        psycopg.errors.CancellationTimeout: DeadlineExceeded,
        psycopg.errors.PipelineAborted: BackendError,
        psycopg_pool.PoolTimeout: Unavailable,
        psycopg_pool.TooManyRequests: Unavailable,
        psycopg_pool.PoolClosed: BackendError,
    }


_MAX_MESSAGE: Final = 300
_VALUE_ECHOING_CLASSES: Final = frozenset({"22", "23", "54"})
"""SQLSTATE classes (data exception, integrity violation, program limit) whose text may quote
the value that caused them."""
_TOO_MANY_PARAMETERS: Final = "number of parameters must be between"
"""psycopg's client-side refusal of a statement with more than 65535 parameters."""


_SQLITE_LOCK_CODES: Final = frozenset({5, 6})
"""SQLITE_BUSY (another connection holds the database) and SQLITE_LOCKED (this one does)."""
_POSTGRES_LOCK_SQLSTATES: Final = frozenset({"55P03"})
"""lock_not_available: a lock wait gave up (``lock_timeout``, ``NOWAIT``)."""


def lock_timed_out(error: BaseException) -> bool:
    """Whether ``error`` is a contract error raised because a database lock was not granted."""
    cause = error.__cause__
    if isinstance(cause, sqlite3.Error):
        code = getattr(cause, "sqlite_errorcode", None)
        return isinstance(code, int) and code & 0xFF in _SQLITE_LOCK_CODES
    return getattr(cause, "sqlstate", None) in _POSTGRES_LOCK_SQLSTATES


def postgres_error(exc: BaseException) -> CaseportError:
    """The contract error for a psycopg or psycopg_pool exception."""
    sqlstate = getattr(exc, "sqlstate", None)
    target = None
    if isinstance(sqlstate, str) and sqlstate:
        target = POSTGRES_SQLSTATES.get(sqlstate) or POSTGRES_SQLSTATE_CLASSES.get(sqlstate[:2])
    if target is None:
        target = _most_specific(exc, postgres_classes())
    if isinstance(sqlstate, str) and sqlstate[:2] in _VALUE_ECHOING_CLASSES:
        # The server's text for these quotes the offending value (a key, a too-long string):
        # report only which condition it was.
        return target(f"PostgreSQL refused the data ({sqlstate} {_condition(exc)})")
    if sqlstate is None and _TOO_MANY_PARAMETERS in str(exc):
        return ValidationFailed("the query has more parameters than PostgreSQL accepts")
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc).split("\n", 1)[0]
    label = sqlstate or type(exc).__name__
    return target(f"PostgreSQL failed ({label}): {primary[:_MAX_MESSAGE]}")


def _condition(exc: BaseException) -> str:
    """The SQLSTATE condition name of a psycopg error, from its class name."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


_STARTUP_REFUSALS: Final = (
    ("does not exist", ConfigurationError),  # the database or the role
    ("authentication failed", PermissionDenied),
    ("pg_hba.conf", PermissionDenied),
    ("permission denied", PermissionDenied),
)


def postgres_connect_error(exc: BaseException) -> CaseportError:
    """The contract error for a failure to open a connection.

    libpq reports a server's refusal during connection startup (a missing database, a
    rejected login) as text without a SQLSTATE, so the text decides; anything else is the
    server being unreachable.
    """
    if getattr(exc, "sqlstate", None):
        return postgres_error(exc)
    text = str(exc)
    for marker, target in _STARTUP_REFUSALS:
        if marker in text:
            return target(f"PostgreSQL refused the connection: {text.strip()[-_MAX_MESSAGE:]}")
    return postgres_error(exc)
