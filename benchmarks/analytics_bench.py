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
  ``sqlite3`` on the store's file (target: within 2x).

No figure is asserted; the ratios are printed and, with ``--json``, written.
"""

from __future__ import annotations

import argparse
import collections
import json
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

ROUNDS = 5
CRIMES = Eq("subtype", "crime")
BY_KIND = AggregateQuery(group_by=("kind",))
PAGE_QUERY = SearchQuery(
    filter=Eq("kind", "PERSON"), order_by=(OrderKey(field="person.family_name"),), page_size=50
)


def median_seconds(call: Callable[[], Any], rounds: int = ROUNDS) -> float:
    """Median wall time of ``call`` over ``rounds``, after one warm-up call."""
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
    figures["raw_count_s"] = median_seconds(
        raw_sql(database, "SELECT count(*) FROM entities WHERE subtype = 'crime'")
    )
    figures["sqlite_group_s"] = median_seconds(lambda: sqlite_store.aggregate(BY_KIND), rounds=3)
    figures["raw_group_s"] = median_seconds(
        raw_sql(database, "SELECT kind, count(*) FROM entities GROUP BY kind")
    )
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
