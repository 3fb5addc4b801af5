"""Migration 5: the provenance search fields of stored entities, as ``entity_values`` rows.

``provenance.source_system``, ``provenance.source_record_id`` and ``provenance.source_dataset``
became search fields (how an importer finds what it loaded before); entities written from now on
carry a row per distinct value of each (:func:`adapters.sql.schema.multi_values`). This fills
them in for the entities stored before, from their bodies, numbered in the order their values
first appear as the writer numbers them. A body whose provenance is empty is recognised by its
text and not parsed; anything in a body that is not a provenance entry with text values is
skipped, as the writer would never have derived it.

Frozen once released: later changes to the schema are new migrations.
"""

from __future__ import annotations

from typing import Final

from adapters.sql.migrations.model import Migration

__all__ = ["MIGRATION"]

_FIELDS: Final = (
    ("provenance.source_system", "source_system"),
    ("provenance.source_record_id", "source_record_id"),
    ("provenance.source_dataset", "source_dataset"),
)

# The stored form is compact JSON, so an empty provenance reads exactly so; inside a JSON string
# every quote is escaped, so the text cannot appear there.
_EMPTY: Final = "'\"provenance\":[]'"

_SQLITE_FIELDS: Final = " UNION ALL ".join(
    f"SELECT '{field}' AS field, '$.{key}' AS path" for field, key in _FIELDS
)
SQLITE: Final = (
    f"""INSERT INTO entity_values (rid, field, seq, s)
SELECT rid, field, row_number() OVER (PARTITION BY rid, field ORDER BY first) - 1, value
FROM (
    SELECT e.rid AS rid, f.field AS field, json_extract(p.value, f.path) AS value,
        min(p.key) AS first
    FROM entities e
    JOIN json_each(CASE WHEN json_valid(e.body) THEN e.body ELSE '{{}}' END, '$.provenance') p
    JOIN ({_SQLITE_FIELDS}) f
    WHERE instr(e.body, {_EMPTY}) = 0
        AND p.type = 'object'
        AND json_type(p.value, f.path) = 'text'
    GROUP BY e.rid, f.field, json_extract(p.value, f.path)
)""",
)

_POSTGRESQL_FIELDS: Final = ", ".join(f"('{field}', '{key}')" for field, key in _FIELDS)
POSTGRESQL: Final = (
    f"""INSERT INTO entity_values (rid, field, seq, s)
SELECT rid, field, row_number() OVER (PARTITION BY rid, field ORDER BY first) - 1, value
FROM (
    SELECT e.rid AS rid, f.field AS field, p.entry ->> f.key AS value, min(p.position) AS first
    FROM entities e
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE WHEN jsonb_typeof(e.body::jsonb -> 'provenance') = 'array'
        THEN e.body::jsonb -> 'provenance' ELSE '[]'::jsonb END
    ) WITH ORDINALITY AS p(entry, position)
    CROSS JOIN (VALUES {_POSTGRESQL_FIELDS}) AS f(field, key)
    WHERE strpos(e.body, {_EMPTY}) = 0
        AND jsonb_typeof(p.entry) = 'object'
        AND jsonb_typeof(p.entry -> f.key) = 'string'
    GROUP BY e.rid, f.field, p.entry ->> f.key
) found""",
)

MIGRATION: Final = Migration(
    version=5,
    name="provenance search values of stored entities",
    statements={"sqlite": SQLITE, "postgresql": POSTGRESQL},
)
