"""PostgreSQL for the hostile-input tests: the server from the environment, schemas of their own."""

from __future__ import annotations

import os

import pytest

from contracts.models import Entity, EntityKind, PersonFields

POSTGRES_ENV = "CASEPORT_TEST_POSTGRES_URL"


def postgres_base() -> str:
    """The server's URL; skips the calling test when none is configured."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql://postgres@127.0.0.1/test"
        )
    return base


def drop_schema(base: str, schema: str) -> None:
    """Remove a test schema and everything in it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def with_schema(base: str, schema: str) -> str:
    """``base`` with the ``schema`` option added."""
    return f"{base}{'&' if '?' in base else '?'}schema={schema}"


def person(record_id: str, label: str) -> Entity:
    """A person entity whose family name is the last word of ``label``."""
    return Entity(
        id=record_id,
        kind=EntityKind.PERSON,
        subtype="person",
        label=label,
        person=PersonFields(family_name=label.split()[-1]),
    )
