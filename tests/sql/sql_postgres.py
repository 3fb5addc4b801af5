"""PostgreSQL for the SQL adapter tests: the server from the environment, schemas of their own."""

from __future__ import annotations

import importlib.util
import os
import random
from collections.abc import Iterator

import pytest

import adapters.sql
from contracts.store import CaseStore

POSTGRES_ENV = "CASEPORT_TEST_POSTGRES_URL"


def _postgres_skip_reason() -> str:
    if not os.environ.get(POSTGRES_ENV):
        return f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql://postgres@127.0.0.1/test"
    if any(importlib.util.find_spec(name) is None for name in ("psycopg", "psycopg_pool")):
        return "PostgreSQL tests need psycopg and psycopg-pool: pip install 'caseport[postgres]'"
    return ""


SKIP_POSTGRES = _postgres_skip_reason()
"""Why the PostgreSQL tests are skipped; empty when they run."""


def postgres_base_url() -> str | None:
    """The server the PostgreSQL tests use, or ``None`` when they are to be skipped."""
    return None if SKIP_POSTGRES else os.environ[POSTGRES_ENV]


def with_schema(base: str, schema: str) -> str:
    """``base`` with the ``schema`` option added."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}schema={schema}"


def drop_schema(base: str, schema: str) -> None:
    """Remove a test schema and everything in it."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def open_sql_store(
    dialect: str, tmp_path_factory: pytest.TempPathFactory, label: str
) -> Iterator[CaseStore]:
    """A new SQL store of ``dialect`` (``sqlite`` or ``postgresql``) for a module's tests.

    The PostgreSQL one lives in a schema of its own, dropped afterwards; without a server the
    calling test is skipped with the reason.
    """
    if dialect == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp(label)}/store.db"
        with adapters.sql.from_url(url, {}) as sql_store:
            yield sql_store
        return
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    schema = f"sqlt_{label}_" + random.Random().randbytes(6).hex()
    try:
        with adapters.sql.from_url(with_schema(base, schema), {}) as sql_store:
            yield sql_store
    finally:
        drop_schema(base, schema)
