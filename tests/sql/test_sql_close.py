"""Closing a store ends unfinished exports cleanly and leaves other threads' work alone."""

from __future__ import annotations

import gc
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sql_postgres import SKIP_POSTGRES, postgres_base_url, with_schema

import adapters.sql
from adapters.sql.engine import Session
from adapters.sql.sqlite import SqliteEngine
from contracts import ConfigurationError, Entity, EntityKind, Record
from contracts.errors import ValidationFailed

_ROWS = 1_200  # more than one fetch of the stream, so some rows are still on the server
_LIVENESS_SECONDS = 60


def _filled(url: str) -> adapters.sql.SqlCaseStore:
    store = adapters.sql.from_url(url, {})
    store.upsert_many(
        [
            Entity(id=f"e{n:05}", kind=EntityKind.PERSON, subtype="p", label="x")
            for n in range(_ROWS)
        ]
    )
    return store


def _started(store: adapters.sql.SqlCaseStore) -> Iterator[Record]:
    export = store.export()
    for _ in range(_ROWS // 2):
        next(export)
    return export


def _schema_exists(base: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(base) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    return bool(row and row[0])


def test_an_export_resumed_after_close_says_the_store_is_closed(sql_url: str) -> None:
    """The next record of an export begun before close() raises ConfigurationError."""
    store = _filled(sql_url)
    export = _started(store)
    store.close()
    with pytest.raises(ConfigurationError, match="closed"):
        next(export)


def test_an_export_started_after_close_says_the_store_is_closed(sql_url: str) -> None:
    """An export of a closed store raises ConfigurationError, not a driver exception."""
    store = _filled(sql_url)
    store.close()
    with pytest.raises(ConfigurationError, match="closed"):
        next(store.export())


def test_an_abandoned_export_collected_after_close_raises_nothing(
    sql_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Garbage-collecting an unfinished export of a closed store reports no exception."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    store = _filled(sql_url)
    export = _started(store)
    store.close()
    del export
    gc.collect()
    assert unraisable == []


@pytest.mark.skipif(bool(SKIP_POSTGRES), reason=SKIP_POSTGRES or "runs")
def test_closing_a_temporary_store_with_an_unfinished_export_drops_its_schema() -> None:
    """close() ends the export's snapshot instead of waiting on it, then drops the schema."""
    base = postgres_base_url()
    assert base is not None
    schema = f"tmp_{uuid.uuid4().hex}"
    store = _filled(with_schema(base, schema) + "&temporary=true")
    export = _started(store)
    closer = threading.Thread(target=store.close, daemon=True)
    closer.start()
    closer.join(_LIVENESS_SECONDS)
    assert not closer.is_alive(), "close() waited on the unfinished export"
    assert not _schema_exists(base, schema)
    with pytest.raises(ConfigurationError, match="closed"):
        next(export)


def test_closing_leaves_a_connection_in_use_by_another_thread_open(tmp_path: Path) -> None:
    """Work running on another thread when the store closes finishes on its own connection."""
    engine = SqliteEngine(tmp_path / "store.db")
    started, resume = threading.Event(), threading.Event()
    results: list[Any] = []

    def work(session: Session) -> Any:
        started.set()
        resume.wait(_LIVENESS_SECONDS)
        return session.rows("SELECT 41 + 1")

    def worker() -> None:
        try:
            results.append(engine.run(work, write=False))
        except BaseException as exc:  # reported through results
            results.append(exc)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert started.wait(_LIVENESS_SECONDS)
    engine.close()
    resume.set()
    thread.join(_LIVENESS_SECONDS)
    assert results == [[(42,)]]
    with pytest.raises(ConfigurationError, match="closed"):
        engine.run(lambda session: session.rows("SELECT 1"), write=False)


def test_an_integer_sqlite_cannot_hold_is_a_validation_failure(tmp_path: Path) -> None:
    """An integer past 64 bits reaching SQLite raises ValidationFailed, not OverflowError."""
    engine = SqliteEngine(tmp_path / "store.db")
    try:
        with pytest.raises(ValidationFailed, match="64 bits") as raised:
            engine.run(lambda session: session.rows("SELECT ?", (2**70,)), write=False)
        assert isinstance(raised.value.__cause__, OverflowError)
    finally:
        engine.close()
