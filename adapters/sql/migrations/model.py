"""What a schema migration is: a numbered, named list of statements per dialect."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Migration"]


@dataclass(frozen=True, slots=True)
class Migration:
    """One forward-only step of the schema.

    Attributes:
        version: its number; migrations apply in order, each exactly once.
        name: what it does, in a few words (recorded in ``schema_migrations``).
        statements: the SQL it runs, keyed by dialect name (``sqlite``, ``postgresql``).
            Statements run in one transaction with the row that records the migration, so a
            migration is applied whole or not at all.
    """

    version: int
    name: str
    statements: Mapping[str, tuple[str, ...]]
