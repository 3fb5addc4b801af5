"""Fixtures for the SQL adapter: a fresh SQLite file, a fresh PostgreSQL schema, or either."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL of a SQLite file that does not exist yet."""
    return f"sqlite:///{tmp_path}/store.db"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL of a PostgreSQL schema of its own, dropped afterwards."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    schema = f"sqlt_{uuid.uuid4().hex[:16]}"
    try:
        yield with_schema(base, schema)
    finally:
        drop_schema(base, schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def sql_url(request: pytest.FixtureRequest) -> str:
    """Each backend's fresh database in turn."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url
