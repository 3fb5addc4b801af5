"""Fixtures giving one fresh, empty store of every backend in turn, for tests across backends.

A test directory's conftest imports :func:`store_url` and :func:`store` to use them. The
PostgreSQL store is a schema of its own on the server named by ``CASEPORT_TEST_POSTGRES_URL``,
dropped afterwards; without that variable its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import adapters
from contracts.store import CaseStore

BACKENDS = ("memory", "sqlite", "postgresql", "foundry")
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


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty store of each backend in turn."""
    backend = request.param
    if backend == "memory":
        yield "memory://"
    elif backend == "sqlite":
        yield f"sqlite:///{tmp_path}/store.db"
    elif backend == "foundry":
        yield "foundry+fake://"
    else:
        base = postgres_base()
        schema = f"t_{uuid.uuid4().hex[:16]}"
        try:
            yield with_schema(base, schema)
        finally:
            drop_schema(base, schema)


@pytest.fixture
def store(store_url: str) -> Iterator[CaseStore]:
    """A fresh store of each backend in turn, closed afterwards."""
    opened = adapters.connect(store_url)
    try:
        yield opened
    finally:
        opened.close()
