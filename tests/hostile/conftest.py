"""Fixtures for the hostile-input tests: one fresh store of every backend in turn."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import adapters
from contracts.store import CaseStore

POSTGRES_ENV = "CASEPORT_TEST_POSTGRES_URL"
BACKENDS = ("memory", "sqlite", "postgresql", "foundry")


def _postgres_base() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, e.g. postgresql://postgres@127.0.0.1/test"
        )
    return base


def _drop_schema(base: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty store of each backend in turn."""
    backend = request.param
    if backend == "memory":
        yield "memory://"
    elif backend == "sqlite":
        yield f"sqlite:///{tmp_path}/hostile.db"
    elif backend == "foundry":
        yield "foundry+fake://"
    else:
        base = _postgres_base()
        schema = f"hostile_{uuid.uuid4().hex[:16]}"
        separator = "&" if "?" in base else "?"
        try:
            yield f"{base}{separator}schema={schema}"
        finally:
            _drop_schema(base, schema)


@pytest.fixture
def store(store_url: str) -> Iterator[CaseStore]:
    """A fresh store of each backend in turn, closed afterwards."""
    opened = adapters.connect(store_url)
    try:
        yield opened
    finally:
        opened.close()
