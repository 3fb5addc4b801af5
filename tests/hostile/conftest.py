"""Fixtures for the hostile-input tests: one fresh store of every backend in turn."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_support import drop_schema, postgres_base, with_schema

import adapters
from contracts.store import CaseStore

BACKENDS = ("memory", "sqlite", "postgresql", "foundry")


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
        base = postgres_base()
        schema = f"hostile_{uuid.uuid4().hex[:16]}"
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
