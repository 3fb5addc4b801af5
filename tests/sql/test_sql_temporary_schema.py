"""A PostgreSQL store opened with temporary=true removes its schema when it closes."""

from __future__ import annotations

import uuid

import pytest
from sql_postgres import SKIP_POSTGRES, postgres_base_url, with_schema

from adapters import connect
from contracts import ConfigurationError, Entity, EntityKind

pytestmark = pytest.mark.skipif(bool(SKIP_POSTGRES), reason=SKIP_POSTGRES or "runs")


def _schema_exists(base: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(base) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    return bool(row and row[0])


def test_a_temporary_store_drops_its_schema_on_close() -> None:
    """The schema exists while the store is open and is gone, with its data, after close()."""
    base = postgres_base_url()
    assert base is not None
    schema = f"tmp_{uuid.uuid4().hex}"
    store = connect(with_schema(base, schema) + "&temporary=true")
    store.create(Entity(id="p", kind=EntityKind.PERSON, subtype="person", label="P"))
    assert _schema_exists(base, schema)
    store.close()
    assert not _schema_exists(base, schema)


def test_temporary_needs_a_schema_of_its_own() -> None:
    """temporary=true without a schema, or on public, is refused before anything is dropped."""
    base = postgres_base_url()
    assert base is not None
    separator = "&" if "?" in base else "?"
    with pytest.raises(ConfigurationError, match="own schema"):
        connect(f"{base}{separator}temporary=true")
    with pytest.raises(ConfigurationError, match="own schema"):
        connect(with_schema(base, "public") + "&temporary=true")
