"""No lost updates across processes and threads, and no torn batches after SIGKILL."""

from __future__ import annotations

import itertools
import multiprocessing
import random
import sqlite3
import threading
import time
from typing import Any

import pytest

import adapters.sql
from caseport.generate import generate
from contracts.errors import Conflict
from contracts.models import Entity, EntityKind
from contracts.results import BulkReport

COUNTER_ID = "counter"
_SPAWN = multiprocessing.get_context("spawn")


def increment(url_or_store: Any, times: int) -> None:
    """Add one to the counter ``times`` times, each by an optimistic read-modify-write."""
    store = url_or_store
    owned = isinstance(url_or_store, str)
    if owned:
        store = adapters.sql.from_url(url_or_store, {})
    try:
        for _ in range(times):
            while True:
                current = store.get(Entity, COUNTER_ID)
                value = current.properties["n"]
                changed = current.revise(properties={"n": value + 1})
                try:
                    store.update(changed, expected_version=current.version)
                    break
                except Conflict:
                    continue
    finally:
        if owned:
            store.close()


def create_counter(url: str) -> None:
    with adapters.sql.from_url(url, {}) as store:
        store.create(
            Entity(
                id=COUNTER_ID,
                kind=EntityKind.OBJECT,
                subtype="counter",
                label="Counter",
                properties={"n": 0},
            )
        )


def read_counter(url: str) -> tuple[int, int]:
    with adapters.sql.from_url(url, {}) as store:
        counter = store.get(Entity, COUNTER_ID)
        value = counter.properties["n"]
        assert isinstance(value, int)
        return value, counter.version


def test_processes_incrementing_one_record_lose_no_update(sql_url: str) -> None:
    """Four processes doing 40 optimistic increments each leave the counter at 160."""
    create_counter(sql_url)
    workers = [_SPAWN.Process(target=increment, args=(sql_url, 40)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert read_counter(sql_url) == (160, 161)


def test_threads_sharing_one_store_lose_no_update(sql_url: str) -> None:
    """Twelve threads on one store (a small PostgreSQL pool) leave the counter exact."""
    create_counter(sql_url)
    with adapters.sql.from_url(
        sql_url, {"pool_max": "3"} if "postgresql" in sql_url else {}
    ) as store:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                increment(store, 15)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert errors == []
    assert read_counter(sql_url) == (180, 181)


BATCH = 250


def import_forever(url: str, committed: Any) -> None:
    """Bulk-import a large generated data set, counting committed batches."""

    def note(report: BulkReport) -> None:
        committed.value = report.batches

    with adapters.sql.from_url(url, {}) as store:
        store.upsert_many(generate(200_000, seed=1), batch_size=BATCH, on_batch=note)


def stored_records(path: str) -> int:
    connection = sqlite3.connect(path)
    try:
        total = 0
        for table in ("entities", "links", "documents"):
            total += connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return total
    finally:
        connection.close()


def integrity(path: str) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
        fts = connection.execute(
            "INSERT INTO entity_fts (entity_fts, rank) VALUES ('integrity-check', 1)"
        )
        fts.close()
        return [row[0] for row in rows]
    finally:
        connection.close()


@pytest.mark.parametrize("kill_round", [0, 1, 2])
def test_a_bulk_import_killed_midway_leaves_only_whole_batches(
    sqlite_url: str, kill_round: int
) -> None:
    """SIGKILL during an import leaves a sound file holding whole batches; resuming completes."""
    committed = _SPAWN.Value("i", 0)
    child = _SPAWN.Process(target=import_forever, args=(sqlite_url, committed))
    child.start()
    deadline = time.monotonic() + 120
    while committed.value < 2 + kill_round and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(random.Random(kill_round).uniform(0.0, 0.05))
    child.kill()
    child.join(30)
    assert child.exitcode == -9
    path = sqlite_url.removeprefix("sqlite:///")
    assert integrity(path) == ["ok"]
    stored = stored_records(path)
    assert stored % BATCH == 0
    assert stored >= (2 + kill_round) * BATCH
    with adapters.sql.from_url(sqlite_url, {}) as store:
        again = itertools.islice(generate(200_000, seed=1), stored + 2 * BATCH)
        resumed = store.upsert_many(again, batch_size=BATCH)
    # The stored records are exactly the first whole batches of the stream.
    assert (resumed.unchanged, resumed.created, resumed.updated) == (stored, 2 * BATCH, 0)
    assert integrity(path) == ["ok"]
