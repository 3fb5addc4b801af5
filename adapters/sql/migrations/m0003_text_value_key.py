"""Migration 3: index property text by its first 200 characters on PostgreSQL.

A btree entry holds at most about 2,700 bytes, so indexing ``entity_values.s`` whole refused
a property of 10,000 characters, which the contract accepts. The index now holds the leading
200 characters (at most 800 bytes); queries narrow by that key through the index and re-check
the whole value (:data:`adapters.sql.dialects.TEXT_KEY_CHARS`). SQLite has no such limit and
keeps its index.

Frozen once released: later changes to the schema are new migrations.
"""

from __future__ import annotations

from typing import Final

from adapters.sql.migrations.model import Migration

__all__ = ["MIGRATION"]

MIGRATION: Final = Migration(
    version=3,
    name="property text indexed by its leading characters",
    statements={
        "sqlite": (),
        "postgresql": (
            "DROP INDEX entity_values_s",
            "CREATE INDEX entity_values_s ON entity_values (field, left(s, 200)) INCLUDE (rid)"
            " WHERE s IS NOT NULL",
        ),
    },
)
