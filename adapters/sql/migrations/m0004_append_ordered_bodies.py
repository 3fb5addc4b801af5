"""Migration 4: SQLite keeps link and document bodies in write order.

Migration 1 made ``links`` and ``documents`` ``WITHOUT ROWID`` tables, which store each row,
body included, inside the b-tree of its text key. Ids that are not written in key order
(imported ids, random UUIDs) then land all over that tree: every batch rewrote pages across the
whole table, and page splits left it about half full, so a bulk import wrote several times its
data and slowed as the table grew. As rowid tables the bodies are appended in write order and
only the small key index takes scattered inserts. PostgreSQL tables are heaps already.

Frozen once released: later changes to the schema are new migrations.
"""

from __future__ import annotations

from typing import Final

from adapters.sql.migrations.model import Migration

__all__ = ["MIGRATION"]

_LINK_COLUMNS: Final = "id, version, type, source_id, target_id, directed, body"
_DOCUMENT_COLUMNS: Final = "record_type, id, version, body"

SQLITE: Final = (
    """CREATE TABLE links_by_rowid (
    id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES entities (id),
    target_id TEXT NOT NULL REFERENCES entities (id),
    directed INTEGER NOT NULL,
    body TEXT NOT NULL
)""",
    f"INSERT INTO links_by_rowid ({_LINK_COLUMNS}) SELECT {_LINK_COLUMNS} FROM links",
    "DROP TABLE links",
    "ALTER TABLE links_by_rowid RENAME TO links",
    "CREATE INDEX links_source ON links (source_id)",
    "CREATE INDEX links_target ON links (target_id)",
    """CREATE TABLE documents_by_rowid (
    record_type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (record_type, id)
)""",
    f"INSERT INTO documents_by_rowid ({_DOCUMENT_COLUMNS}) SELECT {_DOCUMENT_COLUMNS}"
    " FROM documents",
    "DROP TABLE documents",
    "ALTER TABLE documents_by_rowid RENAME TO documents",
)

MIGRATION: Final = Migration(
    version=4,
    name="link and document bodies in write order (SQLite)",
    statements={"sqlite": SQLITE, "postgresql": ()},
)
