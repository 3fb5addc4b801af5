"""Benchmark of the analyst's operations: search paging, counts and group-bys, beside baselines.

Run from the repository root::

    python benchmarks/analytics_bench.py --quick             # 20,000 entities, about a minute
    python benchmarks/analytics_bench.py                     # 1,000,000 entities
    python benchmarks/analytics_bench.py --quick --json out.json

Measured in one run on the same generated data (``caseport.generate``, seed 0), each figure the
median of interleaved rounds:

- one page of a filtered, ordered search (people by family name, 50 a page, the next page
  through its cursor), on the in-memory store against the same page from a SQLite store
  (target: memory within 3x of SQLite);
- ``count`` of crimes and a group-by of entities by ``kind`` on the in-memory store against
  ``collections.Counter`` over the same records (target: within 2x);
- the same count and group-by on SQLite against the same SQL statement run directly with
  ``sqlite3`` on the store's file (target: within 2x);
- when ``CASEPORT_TEST_POSTGRES_URL`` is set, the same on PostgreSQL (a temporary schema)
  against the same statement run directly with ``psycopg`` (target: within 2x).

No figure is asserted; the ratios are printed and, with ``--json``, written.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import InMemoryCaseStore, connect
from caseport.generate import generate
from caseport.tuning import collection_paused
from contracts import AggregateQuery, CaseStore, Entity, Eq, OrderKey, SearchQuery
from contracts.models import Record

ROUNDS = 5
RAW_COUNT = "SELECT count(*) FROM entities WHERE subtype = 'crime'"
RAW_GROUP = "SELECT kind, count(*) FROM entities GROUP BY kind"
PG_WARMUPS = 10
CRIMES = Eq("subtype", "crime")
BY_KIND = AggregateQuery(group_by=("kind",))
PAGE_QUERY = SearchQuery(
    filter=Eq("kind", "PERSON"), order_by=(OrderKey(field="person.family_name"),), page_size=50
)


def median_seconds(call: Callable[[], Any], rounds: int = ROUNDS, warmups: int = 1) -> float:
    """Median wall time of ``call`` over ``rounds``, after ``warmups`` warm-up calls."""
    for _ in range(warmups):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def pages(store: CaseStore, count: int) -> Callable[[], None]:
    """Read ``count`` consecutive pages of the paging query, following cursors."""

    def read() -> None:
        query = PAGE_QUERY
        for _ in range(count):
            page = store.search(query)
            if page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    return read


def raw_sql(path: Path, statement: str) -> Callable[[], Any]:
    """The statement run directly with sqlite3 on the store's file."""
    connection = sqlite3.connect(path)

    def run() -> Any:
        return connection.execute(statement).fetchall()

    return run


def postgres_figures(base: str, records: list[Record]) -> dict[str, float]:
    """Count and group-by on a PostgreSQL store beside the same statements run with psycopg."""
    import psycopg
    from psycopg import sql

    schema = "bench_" + secrets.token_hex(6)
    separator = "&" if "?" in base else "?"
    print(f"loading {len(records):,} records into PostgreSQL ...", flush=True)
    store = connect(f"{base}{separator}schema={schema}&temporary=true")
    figures: dict[str, float] = {}
    try:
        with collection_paused():
            store.upsert_many(records, batch_size=5_000)
        with psycopg.connect(base, autocommit=True) as connection:
            # A fresh load leaves hint bits to be set by the first scans: settle them first.
            connection.execute(sql.SQL("VACUUM ANALYZE {}.entities").format(sql.Identifier(schema)))
            connection.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))

            def raw(statement: str) -> Callable[[], Any]:
                return lambda: connection.execute(statement).fetchall()

            def settled(call: Callable[[], Any]) -> float:
                # psycopg prepares a statement on its sixth run on a connection, and the
                # server's caches warm over the first few: both sides are timed after them.
                return median_seconds(call, rounds=9, warmups=PG_WARMUPS)

            figures["postgres_count_s"] = settled(lambda: store.count(CRIMES))
            figures["raw_pg_count_s"] = settled(raw(RAW_COUNT))
            figures["postgres_group_s"] = settled(lambda: store.aggregate(BY_KIND))
            figures["raw_pg_group_s"] = settled(raw(RAW_GROUP))
            assert store.count(CRIMES) == raw(RAW_COUNT)()[0][0]
    finally:
        store.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 entities instead of 1M")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    arguments = parser.parse_args()
    entities = 20_000 if arguments.quick else 1_000_000
    print(f"generating and loading {entities:,} entities ...", flush=True)
    with collection_paused():
        records = list(generate(entities))
        memory = InMemoryCaseStore(records)
    directory = Path(tempfile.mkdtemp(prefix="caseport-analytics-"))
    database = directory / "store.db"
    sqlite_store = connect(f"sqlite:///{database}")
    with collection_paused():
        sqlite_store.upsert_many(records, batch_size=5_000)
    people = [record for record in records if isinstance(record, Entity)]
    figures: dict[str, float] = {}

    page_count = 10
    figures["memory_page_s"] = median_seconds(pages(memory, page_count)) / page_count
    figures["sqlite_page_s"] = median_seconds(pages(sqlite_store, page_count)) / page_count

    def counter_count() -> int:
        return sum(1 for entity in people if entity.subtype == "crime")

    def counter_group() -> collections.Counter[str]:
        return collections.Counter(entity.kind.value for entity in people)

    figures["memory_count_s"] = median_seconds(lambda: memory.count(CRIMES))
    figures["counter_count_s"] = median_seconds(counter_count)
    figures["memory_group_s"] = median_seconds(lambda: memory.aggregate(BY_KIND))
    figures["counter_group_s"] = median_seconds(counter_group)
    figures["sqlite_count_s"] = median_seconds(lambda: sqlite_store.count(CRIMES), rounds=3)
    figures["raw_count_s"] = median_seconds(raw_sql(database, RAW_COUNT))
    figures["sqlite_group_s"] = median_seconds(lambda: sqlite_store.aggregate(BY_KIND), rounds=3)
    figures["raw_group_s"] = median_seconds(raw_sql(database, RAW_GROUP))
    assert memory.count(CRIMES) == counter_count() == sqlite_store.count(CRIMES)
    sqlite_store.close()

    ratios = {
        "page: memory / sqlite (target <= 3)": figures["memory_page_s"] / figures["sqlite_page_s"],
        "count: memory / Counter (target <= 2)": (
            figures["memory_count_s"] / figures["counter_count_s"]
        ),
        "group-by: memory / Counter (target <= 2)": (
            figures["memory_group_s"] / figures["counter_group_s"]
        ),
        "count: sqlite / raw SQL (target <= 2)": figures["sqlite_count_s"] / figures["raw_count_s"],
        "group-by: sqlite / raw SQL (target <= 2)": (
            figures["sqlite_group_s"] / figures["raw_group_s"]
        ),
    }
    postgres = os.environ.get("CASEPORT_TEST_POSTGRES_URL")
    if postgres:
        figures.update(postgres_figures(postgres, records))
        ratios["count: postgresql / raw SQL (target <= 2)"] = (
            figures["postgres_count_s"] / figures["raw_pg_count_s"]
        )
        ratios["group-by: postgresql / raw SQL (target <= 2)"] = (
            figures["postgres_group_s"] / figures["raw_pg_group_s"]
        )
    print(f"\n{entities:,} entities, {len(records):,} records")
    for name, seconds in figures.items():
        print(f"  {name:<18} {seconds * 1000:10.3f} ms")
    for name, ratio in ratios.items():
        print(f"  {name:<45} {ratio:8.2f}")
    if arguments.json:
        arguments.json.write_text(
            json.dumps({"entities": entities, "seconds": figures, "ratios": ratios}, indent=2),
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
