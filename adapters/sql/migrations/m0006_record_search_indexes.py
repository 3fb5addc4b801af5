"""Migration 6: indexes for searches of links by type and of documents by reference.

Searches of links, cases, reports and exhibits run in SQL (:mod:`adapters.sql.records`).
Two of them are common enough to deserve an index: links of one type, in id order (the order
a search pages in), and a case, report or exhibit by its reference (``CASE/25/000001``), read
from the JSON body by the same expression the search compiles. Both end with the id, so the
index also gives a search its order and its next page. Link endpoints are indexed since
migration 1.

Frozen once released: later changes to the schema are new migrations.
"""

from __future__ import annotations

from typing import Final

from adapters.sql.migrations.model import Migration

__all__ = ["MIGRATION"]

_LINK_TYPE: Final = "CREATE INDEX links_type ON links (type, id)"

MIGRATION: Final = Migration(
    version=6,
    name="indexes for link types and document references",
    statements={
        "sqlite": (
            _LINK_TYPE,
            "CREATE INDEX documents_reference"
            " ON documents (record_type, json_extract(body, '$.reference'), id)",
        ),
        "postgresql": (
            _LINK_TYPE,
            "CREATE INDEX documents_reference ON documents"
            " (record_type, ((CAST(body AS json) #>> '{reference}') COLLATE \"C\"), id)",
        ),
    },
)
