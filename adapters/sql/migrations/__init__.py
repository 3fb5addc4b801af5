"""Numbered, forward-only schema migrations, recorded in the database they changed.

The table ``schema_migrations`` holds one row per applied migration (version, name, time).
:func:`migrate` applies the missing ones in order, each in its own transaction under the
database's migration lock, so several processes opening one database at once apply each
migration exactly once. A database whose schema is newer than this code is refused rather than
misread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from adapters.sql.engine import Engine, Session
from adapters.sql.migrations import (
    m0001_base,
    m0002_event_interval,
    m0003_text_value_key,
    m0004_append_ordered_bodies,
    m0005_provenance_values,
    m0006_record_search_indexes,
)
from adapters.sql.migrations.model import Migration
from contracts.errors import ConfigurationError

__all__ = [
    "HEAD",
    "MIGRATIONS",
    "AppliedMigration",
    "Migration",
    "SchemaStatus",
    "migrate",
    "schema_status",
]

MIGRATIONS: Final[tuple[Migration, ...]] = (
    m0001_base.MIGRATION,
    m0002_event_interval.MIGRATION,
    m0003_text_value_key.MIGRATION,
    m0004_append_ordered_bodies.MIGRATION,
    m0005_provenance_values.MIGRATION,
    m0006_record_search_indexes.MIGRATION,
)
"""Every migration, in order; versions are 1, 2, ... without gaps."""

HEAD: Final = MIGRATIONS[-1].version
"""The schema version this code reads and writes."""

_CREATE_TABLE: Final = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """A migration recorded as applied: its version, name and when (UTC, ISO 8601)."""

    version: int
    name: str
    applied_at: str


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    """Where a database's schema stands against this code."""

    current: int
    head: int
    applied: tuple[AppliedMigration, ...]
    pending: tuple[Migration, ...]

    @property
    def up_to_date(self) -> bool:
        """Whether every migration is applied."""
        return self.current == self.head


def _exists(session: Session) -> bool:
    if session.dialect.name == "sqlite":
        found = session.one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        )
        return found is not None
    found = session.one("SELECT to_regclass('schema_migrations') IS NOT NULL")
    return bool(found and found[0])


def _applied(session: Session) -> tuple[AppliedMigration, ...]:
    if not _exists(session):
        return ()
    rows = session.rows("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
    return tuple(AppliedMigration(int(v), str(n), str(a)) for v, n, a in rows)


def _check_known(current: int) -> None:
    if current > HEAD:
        raise ConfigurationError(
            f"the database schema is at version {current}, newer than this caseport knows "
            f"({HEAD}); upgrade caseport to use it"
        )


def _apply_next(session: Session, target: int) -> Migration | None:
    session.lock_for_migration()
    session.execute(_CREATE_TABLE)
    found = session.one("SELECT max(version) FROM schema_migrations")
    current = int(found[0]) if found and found[0] is not None else 0
    _check_known(current)
    if current >= target:
        return None
    migration = MIGRATIONS[current]
    for statement in migration.statements[session.dialect.name]:
        session.execute(statement)
    session.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (migration.version, migration.name, datetime.now(UTC).isoformat()),
    )
    return migration


def schema_status(engine: Engine) -> SchemaStatus:
    """The applied and pending migrations of the database behind ``engine``.

    Raises:
        ConfigurationError: the schema is newer than this code.
    """
    applied = engine.run(_applied, write=False)
    current = applied[-1].version if applied else 0
    _check_known(current)
    return SchemaStatus(
        current=current, head=HEAD, applied=applied, pending=tuple(MIGRATIONS[current:])
    )


def migrate(engine: Engine, target: int | None = None) -> Sequence[Migration]:
    """Apply the missing migrations up to ``target`` (the head by default); return them.

    Raises:
        ConfigurationError: the schema is newer than this code, or ``target`` is unknown.
    """
    goal = HEAD if target is None else target
    if not 0 <= goal <= HEAD:
        raise ConfigurationError(f"there is no schema version {goal}; the newest is {HEAD}")
    done: list[Migration] = []
    while (step := engine.run(lambda session: _apply_next(session, goal), write=True)) is not None:
        done.append(step)
    return done
