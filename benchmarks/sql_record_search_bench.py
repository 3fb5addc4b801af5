"""Benchmark of record searches on the SQL store: SQL over the JSON against the layer's scan.

Run from the repository root::

    python benchmarks/sql_record_search_bench.py --quick     # 5,000 entities, about 20,000 records
    python benchmarks/sql_record_search_bench.py             # 50,000 entities
    python benchmarks/sql_record_search_bench.py --quick --json out.json

One run, on one generated store (``caseport.generate``, seed 0) in SQLite and, when a server is
reachable (``--postgres-url`` or ``CASEPORT_TEST_POSTGRES_URL``), in PostgreSQL. Each search of
links or cases asks for its first page through the store, where SQL filters and orders
(``search.records`` partial: words are left to the layer), and through the same database with
the whole search left to the layer, which reads every record of the type with ``scan`` and
filters and sorts them in Python (how the store searched them before). Both must return the
same page. Printed: p50 and p95 of each over ``--samples`` runs and the ratio of their p50s. No
figure is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from adapters.sql.connect import open_engine
from adapters.sql.store import SqlBackend
from caseport.generate import generate
from contracts.capabilities import Capability, Support
from contracts.models import Case, CaseStatus, Link, Record
from contracts.query import And, Eq, Filter, OrderKey, SearchQuery, Text
from contracts.store import CaseStore

QUICK_ENTITIES = 5_000
FULL_ENTITIES = 50_000
SEED = 0


class _LayerSearchesRecords(SqlBackend):
    """The SQL backend with searches of records other than entities left to the layer."""

    CAPABILITIES: ClassVar[Mapping[Capability, Support]] = {
        **SqlBackend.CAPABILITIES,
        Capability.SEARCH_RECORDS: Support.EMULATED,
    }
    NOTES: ClassVar[Mapping[Capability, str]] = {
        capability: note
        for capability, note in SqlBackend.NOTES.items()
        if capability is not Capability.SEARCH_RECORDS
    }


Search = tuple[str, type[Record], SearchQuery]


def _searches(records: list[Record]) -> list[Search]:
    """Searches an analyst asks of links and cases, with values the data holds."""
    links = [record for record in records if isinstance(record, Link)]
    cases = [record for record in records if isinstance(record, Case)]
    common_type = Counter(link.type for link in links).most_common(1)[0][0]
    rare_type = Counter(link.type for link in links).most_common()[-1][0]
    hub = Counter(link.source_id for link in links).most_common(1)[0][0]
    roled = next(link for link in links if link.role is not None)
    page = 50

    def query(condition: Filter, *order: OrderKey) -> SearchQuery:
        return SearchQuery(filter=condition, order_by=order, page_size=page)

    return [
        (f"links of the commonest type ({common_type})", Link, query(Eq("type", common_type))),
        (f"links of the rarest type ({rare_type})", Link, query(Eq("type", rare_type))),
        (
            f"{roled.type} links with role {roled.role}",
            Link,
            query(And(Eq("type", roled.type), Eq("role", str(roled.role)))),
        ),
        ("links from the busiest entity", Link, query(Eq("source_id", hub))),
        (
            "links from it, by confidence",
            Link,
            query(Eq("source_id", hub), OrderKey(field="confidence", descending=True)),
        ),
        ("a case by its reference", Case, query(Eq("reference", cases[len(cases) // 2].reference))),
        (
            "open cases, latest opened first",
            Case,
            query(
                Eq("status", CaseStatus.OPEN.value), OrderKey(field="opened_at", descending=True)
            ),
        ),
        ("cases with a word (left to the layer)", Case, query(Text(cases[0].title.split()[0]))),
    ]


def _timed(action: Callable[[], Any], samples: int) -> tuple[float, float, Any]:
    """p50 and p95 in milliseconds of ``samples`` runs after one warm-up, and its result."""
    result = action()
    seconds = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    return statistics.median(seconds) * 1000, p95 * 1000, result


@contextmanager
def _stores(url: str) -> Iterator[tuple[CaseStore, CaseStore]]:
    """The store at ``url``, and the same database with record searches left to the layer."""
    ours = CaseStore(SqlBackend(open_engine(url, {})))
    layer = CaseStore(_LayerSearchesRecords(open_engine(url, {})))
    try:
        yield ours, layer
    finally:
        ours.close()
        layer.close()


def _run_backend(name: str, url: str, records: list[Record], samples: int) -> list[dict[str, Any]]:
    rows = []
    with _stores(url) as (ours, layer):
        started = time.perf_counter()
        ours.upsert_many(records)
        print(
            f"  {name}: imported {len(records):,} records in {time.perf_counter() - started:.1f} s"
        )
        for label, kind, query in _searches(records):
            sql_p50, sql_p95, page = _timed(partial(ours.search_records, kind, query), samples)
            layer_p50, layer_p95, expected = _timed(
                partial(layer.search_records, kind, query), samples
            )
            if page.items != expected.items:
                raise AssertionError(f"{name}: {label}: the store and the layer disagree")
            rows.append(
                {
                    "backend": name,
                    "search": label,
                    "found": len(page.items),
                    "pushed_down": ours.plan_search(query, kind).residual is None,
                    "sql_p50_ms": sql_p50,
                    "sql_p95_ms": sql_p95,
                    "layer_p50_ms": layer_p50,
                    "layer_p95_ms": layer_p95,
                    "layer_over_sql_p50": layer_p50 / sql_p50,
                }
            )
    return rows


def _drop_schema(base: str, schema: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
        )


def run(args: argparse.Namespace) -> dict[str, Any]:
    entities = args.entities or (QUICK_ENTITIES if args.quick else FULL_ENTITIES)
    records = list(generate(entities, seed=SEED))
    counts = Counter(record.RECORD_TYPE.value for record in records)
    print(f"caseport record search benchmark: {entities:,} entities; {dict(counts)}")
    rows = []
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'records.db'}"
        rows += _run_backend("sqlite", url, records, args.samples)
    postgres = args.postgres_url or os.environ.get("CASEPORT_TEST_POSTGRES_URL")
    if postgres:
        schema = "caseport_record_bench_" + uuid.uuid4().hex[:8]
        try:
            separator = "&" if "?" in postgres else "?"
            rows += _run_backend(
                "postgresql", f"{postgres}{separator}schema={schema}", records, args.samples
            )
        finally:
            _drop_schema(postgres, schema)
    return {"entities": entities, "records": dict(counts), "searches": rows}


def report(results: dict[str, Any]) -> None:
    print()
    header = (
        f"{'search':<46} {'found':>5} {'SQL p50':>9} {'p95':>9}"
        f" {'layer p50':>10} {'p95':>9} {'x':>7}"
    )
    backend = None
    for row in results["searches"]:
        if row["backend"] != backend:
            backend = row["backend"]
            print(f"{backend}\n  {header}")
        mark = "" if row["pushed_down"] else " *"
        print(
            f"  {row['search'][:44] + mark:<46} {row['found']:>5}"
            f" {row['sql_p50_ms']:>7.2f}ms {row['sql_p95_ms']:>7.2f}ms"
            f" {row['layer_p50_ms']:>8.2f}ms {row['layer_p95_ms']:>7.2f}ms"
            f" {row['layer_over_sql_p50']:>7.1f}"
        )
    print(
        "\n  x = layer p50 / SQL p50. Layer: the same database, every record of the type read"
        " with scan and filtered and sorted in Python. * part of the search is left to the"
        " layer (words)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ENTITIES:,} entities")
    parser.add_argument("--entities", type=int, help="entities to generate (overrides the mode)")
    parser.add_argument("--samples", type=int, default=20, help="runs of each search to time")
    parser.add_argument("--postgres-url", help="a PostgreSQL server to measure too")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
