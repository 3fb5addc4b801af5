"""The in-house SQL store: SQLite embedded by default, PostgreSQL at scale, one adapter.

``sqlite:///caseport.db`` opens (and creates) a SQLite file; ``postgresql://host/db?schema=s``
a PostgreSQL schema (needs the ``postgres`` extra). Both are :class:`SqlCaseStore` with every
capability native. :func:`upgrade` and :func:`status` manage the schema's numbered migrations.
"""

from adapters.sql.connect import open_engine, status, upgrade
from adapters.sql.migrations import HEAD, MIGRATIONS, AppliedMigration, Migration, SchemaStatus
from adapters.sql.store import SqlCaseStore, from_url

__all__ = [
    "HEAD",
    "MIGRATIONS",
    "AppliedMigration",
    "Migration",
    "SchemaStatus",
    "SqlCaseStore",
    "from_url",
    "open_engine",
    "status",
    "upgrade",
]
