"""Benchmark of the SQL store: bulk import, graph queries and text search, each beside a baseline.

Run from the repository root::

    python benchmarks/sql_bench.py --quick               # about 10,000 entities, under a minute
    python benchmarks/sql_bench.py                       # 1,000,000 entities, about 3.5M records
    python benchmarks/sql_bench.py --quick --json out.json

What is measured, in one run on the same generated data (``caseport.generate``, seed 0):

- bulk import into SQLite with ``upsert_many`` against raw ``sqlite3`` ``executemany`` of the
  same records, already serialised as the store keeps them, into a bare table (id, type,
  body; no index, no key) with the same page size, journal, sync and log settings and batch
  size. Our time includes serialising the records, deriving the index columns and search
  terms, and writing every index; the raw time includes none of that. Serialising alone is
  reported too, as is the rate of raw insert plus serialising. So is the wall time of the
  store's write transactions (the backend's ``write_batch``: the SQL and the Python inside the
  transaction; on PostgreSQL they run on a background thread while the next batch is prepared,
  so waits for the GIL count too);
- the same into PostgreSQL against raw ``COPY`` of the same rows into a bare table, when a
  server is reachable (``--postgres-url`` or ``CASEPORT_TEST_POSTGRES_URL``);
- for each backend, a second raw baseline: the rows the store writes (derived just before,
  untimed) inserted with plain ``executemany`` (SQLite, plus the full-text statement the store
  runs per batch) or ``COPY`` (PostgreSQL, plus the merge of new search terms the store runs
  per batch) into a new store's own tables, indexes and settings, in the same batches. The
  gap between the two raw rates is what the schema costs (its derived columns and value rows,
  keys, foreign keys and indexes, full-text included); the gap between this one and ours is
  the store's own work;
- depth-2 neighbourhood, 4-hop shortest paths and a two-term text search on the imported
  store, p50 and p95, beside networkx on the same graph held in memory (and, for text, an
  in-memory inverted index, since networkx has none), and how long validating the records a
  neighbourhood or a search returns takes on its own, from their JSON. The queries are timed
  after the baselines' data is removed and PostgreSQL has written the import back to disk;
- the import's peak memory (maximum resident set size of the importing process, which streams
  the generated records a chunk at a time).

The import runs in a child process so its peak memory is its own. No figure is asserted; the
ratios are printed and, with ``--json``, written for comparison between runs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import platform
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import networkx as nx

import adapters.sql
from adapters.sql.codec import decode, encode_body
from adapters.sql.dialects import POSTGRESQL, SQLITE, Dialect
from adapters.sql.schema import ENTITY_COLUMNS, LINK_COLUMNS, VALUE_COLUMNS
from adapters.sql.sqlite import PAGE_BYTES, WAL_BYTES
from adapters.sql.writes import DOCUMENT_COLUMNS, EncodedBatch
from caseport.generate import generate
from caseport.tuning import collection_paused
from contracts.models import Entity, Link, Record, RecordType
from contracts.query import SearchQuery, Text
from contracts.store import CaseStore

QUICK_ENTITIES = 10_000
FULL_ENTITIES = 1_000_000
BATCH = 10_000
CHUNK = 20_000
SEED = 0
_SCHEMAS = ("raw_schema", "same_schema", "store_schema")
"""Keys of the PostgreSQL schemas a run creates. The baselines' go when the import ends; the
store's at the end of the run, unless ``--keep``."""


# ---------------------------------------------------------------------------- import


_LOG_PRAGMAS = (
    f"wal_autocheckpoint = {WAL_BYTES // PAGE_BYTES}",
    f"journal_size_limit = {WAL_BYTES}",
)
"""The store's write-ahead log settings, for the raw SQLite connections."""


def _with_schema(url: str, schema: str) -> str:
    """A PostgreSQL store URL keeping its tables in ``schema``."""
    return f"{url}{'&' if '?' in url else '?'}schema={schema}"


def _raw_sqlite(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    # The store's page size, journal, sync and log settings (its cache size is for its indexes).
    pragmas = (f"page_size = {PAGE_BYTES}", "journal_mode = WAL", "synchronous = FULL")
    for pragma in (*pragmas, *_LOG_PRAGMAS, "foreign_keys = ON"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(
        "CREATE TABLE raw_records (id TEXT NOT NULL, record_type TEXT NOT NULL, body TEXT NOT NULL)"
    )
    return connection


def _raw_postgres(url: str, schema: str) -> Any:
    import psycopg

    connection = psycopg.connect(url, autocommit=False)
    connection.execute(f'CREATE SCHEMA "{schema}"')
    connection.execute(
        f'CREATE TABLE "{schema}".raw_records (id text NOT NULL, record_type text NOT NULL,'
        " body text NOT NULL)"
    )
    connection.commit()
    return connection


def _same_schema_sqlite(path: Path) -> sqlite3.Connection:
    """A raw connection to a new store file: caseport's tables, indexes and settings."""
    adapters.sql.from_url(f"sqlite:///{path}", {}).close()
    connection = sqlite3.connect(path, isolation_level=None)
    settings = ("synchronous = FULL", "cache_size = -32768", "temp_store = MEMORY")
    for pragma in (*settings, *_LOG_PRAGMAS, "foreign_keys = ON"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def _same_schema_postgres(base_url: str, schema: str) -> Any:
    """A raw connection to a new store schema: caseport's tables and indexes."""
    import psycopg

    adapters.sql.from_url(_with_schema(base_url, schema), {}).close()
    connection = psycopg.connect(base_url, autocommit=False)
    connection.execute(f'SET search_path TO "{schema}"')
    connection.commit()
    return connection


class _SameSchemaRows:
    """A batch's rows for caseport's own tables, derived before the timed write.

    The rows the store would write, so that inserting them with plain ``executemany`` or
    ``COPY`` measures what the schema costs (its derived columns and value rows, keys, foreign
    keys and indexes), without any of the store's own work (checks, serialising, deriving the
    rows, the read of existing rows, its transaction handling).
    """

    def __init__(self, dialect: Dialect, batch: list[Record], first_rid: int) -> None:
        encoded = EncodedBatch(dialect, batch).groups
        self.entities: list[tuple[Any, ...]] = []
        self.values: list[tuple[Any, ...]] = []
        for rid, item in enumerate(encoded.get(RecordType.ENTITY, []), start=first_rid):
            row, values = item.entity_rows(rid)
            self.entities.append(row)
            self.values.extend(values)
        self.links = [item.row for item in encoded.get(RecordType.LINK, [])]
        self.documents = [
            item.row
            for record_type, items in encoded.items()
            if record_type not in (RecordType.ENTITY, RecordType.LINK)
            for item in items
        ]
        self.first_rid, self.next_rid = first_rid, first_rid + len(self.entities)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"


def _copy_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"COPY {table} ({', '.join(columns)}) FROM STDIN"


def _tables(rows: _SameSchemaRows) -> list[tuple[str, tuple[str, ...], list[tuple[Any, ...]]]]:
    return [
        ("entities", ENTITY_COLUMNS, rows.entities),
        ("entity_values", VALUE_COLUMNS, rows.values),
        ("links", LINK_COLUMNS, rows.links),
        ("documents", DOCUMENT_COLUMNS, rows.documents),
    ]


def _write_same_schema_sqlite(connection: sqlite3.Connection, rows: _SameSchemaRows) -> None:
    """One transaction: every row, then the full-text entries of the new entities, as ours does."""
    connection.execute("BEGIN IMMEDIATE")
    for table, columns, table_rows in _tables(rows):
        connection.executemany(_insert_sql(table, columns), table_rows)
    if rows.entities:
        fts = SQLITE.index_new_terms(rows.first_rid, rows.next_rid - 1)
        assert fts is not None
        connection.execute(fts.sql, fts.params)
    connection.execute("COMMIT")


def _write_same_schema_postgres(connection: Any, rows: _SameSchemaRows) -> None:
    """One transaction: ``COPY`` into each table (the indexes, ``tsvector`` included, update).

    Then, as the store does after each batch, the new search terms are merged from the GIN
    index's pending list (the index's own deferred work, which would otherwise be done later).
    """
    with connection.cursor() as cursor:
        for table, columns, table_rows in _tables(rows):
            if table_rows:
                with cursor.copy(_copy_sql(table, columns)) as copy:
                    for row in table_rows:
                        copy.write_row(row)
    connection.commit()
    connection.execute("SELECT gin_clean_pending_list('entities_terms'::regclass)")
    connection.commit()


def _timed(action: Callable[[], Any]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _time_writes(store: CaseStore, seconds: dict[str, float], key: str) -> None:
    """Add the wall time of ``store``'s write transactions to ``seconds[key]``.

    That is the backend's ``write_batch``: the transaction of one prepared batch (and the index
    upkeep after it), without reading, checking and serialising the batch, which
    ``upsert_many`` does beforehand.
    """
    backend = store.backend
    write = backend.write_batch
    seconds[key] = 0.0

    def timed(records: Any) -> Any:
        started = time.perf_counter()
        try:
            return write(records)
        finally:
            seconds[key] += time.perf_counter() - started

    backend.write_batch = timed  # type: ignore[method-assign]


def _import(options: dict[str, Any], results: Any) -> None:
    """Child process: stream the data set into each backend and its raw baseline, timing each."""
    directory = Path(options["directory"])
    store_url = f"sqlite:///{directory}/store.db"
    stores: dict[str, CaseStore] = {"sqlite": adapters.sql.from_url(store_url, {})}
    raw_sqlite = _raw_sqlite(directory / "raw.db")
    same_sqlite = _same_schema_sqlite(directory / "same_schema.db")
    raw_postgres = same_postgres = None
    postgres = options.get("postgres")
    if postgres:
        stores["postgresql"] = adapters.sql.from_url(postgres["store_url"], {})
        raw_postgres = _raw_postgres(postgres["base_url"], postgres["raw_schema"])
        same_postgres = _same_schema_postgres(postgres["base_url"], postgres["same_schema"])
    seconds = {"serialise": 0.0, "sqlite": 0.0, "sqlite_raw": 0.0, "sqlite_same_schema": 0.0}
    if postgres:
        seconds |= {"postgresql": 0.0, "postgresql_raw": 0.0, "postgresql_same_schema": 0.0}
    next_rid = 1
    for name, store in stores.items():
        _time_writes(store, seconds, f"{name}_writes")
    counts = {"entities": 0, "links": 0, "other": 0}
    stream = generate(options["entities"], seed=SEED)
    started_rss = _rss_mib()
    for number in itertools.count():
        chunk: list[Record] = list(itertools.islice(stream, CHUNK))
        if not chunk:
            break
        for record in chunk:
            key = "entities" if isinstance(record, Entity) else "links"
            counts[key if isinstance(record, Entity | Link) else "other"] += 1
        rows: list[tuple[str, str, str]] = []

        def serialise(chunk: list[Record] = chunk, rows: list[tuple[str, str, str]] = rows) -> None:
            rows.extend((r.id, r.RECORD_TYPE.value, encode_body(r)) for r in chunk)

        seconds["serialise"] += _timed(serialise)
        # Each batch's rows are derived just before they are written (untimed) and dropped
        # after, so the baseline holds one batch at a time; both backends number alike.
        batches: list[tuple[int, list[Record]]] = []
        for start in range(0, len(chunk), BATCH):
            batch = chunk[start : start + BATCH]
            batches.append((next_rid, batch))
            next_rid += sum(isinstance(record, Entity) for record in batch)

        def same_schema(
            dialect: Dialect,
            write: Callable[[_SameSchemaRows], None],
            batches: list[tuple[int, list[Record]]] = batches,
        ) -> float:
            spent = 0.0
            for first_rid, batch in batches:
                batch_rows = _SameSchemaRows(dialect, batch, first_rid)
                spent += _timed(lambda: write(batch_rows))  # noqa: B023 - called at once
            return spent

        def sqlite_raw(rows: list[tuple[str, str, str]] = rows) -> None:
            for start in range(0, len(rows), BATCH):
                raw_sqlite.execute("BEGIN")
                raw_sqlite.executemany(
                    "INSERT INTO raw_records VALUES (?, ?, ?)", rows[start : start + BATCH]
                )
                raw_sqlite.execute("COMMIT")

        def postgres_raw(rows: list[tuple[str, str, str]] = rows) -> None:
            assert raw_postgres is not None
            assert postgres is not None
            copy_rows = f'COPY "{postgres["raw_schema"]}".raw_records FROM STDIN'
            for start in range(0, len(rows), BATCH):
                with raw_postgres.cursor() as cursor, cursor.copy(copy_rows) as copy:
                    for row in rows[start : start + BATCH]:
                        copy.write_row(row)
                raw_postgres.commit()

        def sqlite_same_schema() -> float:
            return same_schema(SQLITE, lambda r: _write_same_schema_sqlite(same_sqlite, r))

        def postgres_same_schema() -> float:
            return same_schema(POSTGRESQL, lambda r: _write_same_schema_postgres(same_postgres, r))

        # The benchmark's process is its own: it pauses the collector for the store's bulk
        # load as an application owning its process may (see caseport.tuning).
        def sqlite_store(chunk: list[Record] = chunk) -> None:
            with collection_paused():
                stores["sqlite"].upsert_many(chunk, batch_size=BATCH)

        def postgres_store(chunk: list[Record] = chunk) -> None:
            with collection_paused():
                stores["postgresql"].upsert_many(chunk, batch_size=BATCH)

        # Each step returns the seconds it spent on what it measures.
        steps: list[tuple[str, Callable[[], float]]] = [
            ("sqlite_raw", lambda: _timed(sqlite_raw)),
            ("sqlite_same_schema", sqlite_same_schema),
            ("sqlite", lambda: _timed(sqlite_store)),
        ]
        if postgres:
            steps += [
                ("postgresql_raw", lambda: _timed(postgres_raw)),
                ("postgresql_same_schema", postgres_same_schema),
                ("postgresql", lambda: _timed(postgres_store)),
            ]
        if number % 2:  # alternate the order so neither side always runs on a warmer cache
            steps.reverse()
        for name, step in steps:
            seconds[name] += step()
        del chunk, rows, batches
    for store in stores.values():
        store.close()
    for connection in (raw_sqlite, same_sqlite, raw_postgres, same_postgres):
        if connection is not None:
            connection.close()
    peak_rss = _rss_mib()
    store_bytes = sum(p.stat().st_size for p in directory.glob("store.db*") if p.is_file())
    try:
        # The baselines' data goes before the queries run, so it takes no cache from the stores.
        for baseline in ("raw.db", "same_schema.db"):
            for path in directory.glob(f"{baseline}*"):
                path.unlink()
        if postgres:
            _drop_schemas(postgres, (postgres["raw_schema"], postgres["same_schema"]))
            _checkpoint(postgres["base_url"])
    finally:
        # Also when the clean-up fails: the parent waits for this, then sees the exit code.
        results.put(
            {
                "seconds": seconds,
                "counts": counts,
                "rss_before_mib": started_rss,
                "peak_rss_mib": peak_rss,
                "sqlite_bytes": store_bytes,
            }
        )


def _rss_mib() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------- queries


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(quantile: float) -> float:
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] * 1000

    return {"p50_ms": pick(0.5), "p95_ms": pick(0.95), "n": len(ordered)}


def _measure(call: Callable[[], Any], repeat: int = 1) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        call()
    return (time.perf_counter() - started) / repeat


def _graph_from(path: Path) -> tuple[nx.MultiGraph, dict[str, set[str]], list[str]]:
    """The stored graph and search terms, read straight from the SQLite file (untimed)."""
    graph: nx.MultiGraph = nx.MultiGraph()
    postings: dict[str, set[str]] = {}
    labels: list[str] = []
    connection = sqlite3.connect(path)
    try:
        for entity_id, terms, label in connection.execute("SELECT id, terms, label FROM entities"):
            graph.add_node(entity_id)
            labels.append(label)
            for term in terms.split():
                postings.setdefault(term, set()).add(entity_id)
        for link_id, source, target in connection.execute(
            "SELECT id, source_id, target_id FROM links"
        ):
            graph.add_edge(source, target, key=link_id)
    finally:
        connection.close()
    return graph, postings, labels


def _nx_neighbourhood(graph: nx.MultiGraph, root: str, depth: int) -> tuple[int, int]:
    reached = nx.single_source_shortest_path_length(graph, root, cutoff=depth)
    links = {
        key for node, d in reached.items() if d < depth for *_, key in graph.edges(node, keys=True)
    }
    return len(reached), len(links)


def _pairs_at(
    graph: nx.MultiGraph, rng: random.Random, hops: int, count: int
) -> list[tuple[str, str]]:
    nodes = list(graph.nodes)
    pairs: list[tuple[str, str]] = []
    for _ in range(count * 20):
        if len(pairs) == count:
            break
        start = rng.choice(nodes)
        distances = nx.single_source_shortest_path_length(graph, start, cutoff=hops)
        far = sorted(node for node, d in distances.items() if d == hops)
        if far:
            pairs.append((start, rng.choice(far)))
    return pairs


_BASELINES = {
    "neighbourhood_depth2": "networkx single_source_shortest_path_length(cutoff=2) + edges",
    "shortest_paths_4hops": "networkx bidirectional_shortest_path (one path)",
    "text_search": "in-memory inverted index (dict of sets)",
}


def _store_timings(
    store: CaseStore, roots: list[str], pairs: list[tuple[str, str]], texts: list[str]
) -> dict[str, list[float]]:
    return {
        "neighbourhood_depth2": [
            _measure(lambda r=r: store.neighbourhood(r, depth=2, max_entities=1_000_000))
            for r in roots
        ],
        "shortest_paths_4hops": [
            _measure(lambda a=a, b=b: store.shortest_paths(a, b, max_depth=4, max_paths=10))
            for a, b in pairs
        ],
        "text_search": [
            _measure(lambda q=q: store.search(SearchQuery(filter=Text(q), page_size=50)))
            for q in texts
        ],
    }


def _decoding_timings(
    store: CaseStore, roots: list[str], texts: list[str]
) -> dict[str, list[float]]:
    """How long validating the records each query returns takes, alone, from their JSON.

    The JSON is the returned records serialised as the store keeps them. Every record a query
    returns is validated from its JSON body (as the store does), so this is a floor under the
    query's latency that no SQL can lower.
    """

    def bodies(records: tuple[Record, ...]) -> list[tuple[RecordType, str]]:
        return [(record.RECORD_TYPE, encode_body(record)) for record in records]

    def timing(found: list[tuple[RecordType, str]]) -> float:
        return _measure(lambda: [decode(record_type, body) for record_type, body in found])

    neighbourhoods = [store.neighbourhood(r, depth=2, max_entities=1_000_000) for r in roots]
    pages = [store.search(SearchQuery(filter=Text(q), page_size=50)) for q in texts]
    return {
        "neighbourhood_depth2": [timing(bodies((*n.entities, *n.links))) for n in neighbourhoods],
        "text_search": [timing(bodies(page.items)) for page in pages],
    }


def _queries(
    stores: dict[str, CaseStore], sqlite_path: Path, samples: int
) -> dict[str, dict[str, Any]]:
    graph, postings, labels = _graph_from(sqlite_path)
    rng = random.Random(SEED)
    roots = rng.sample(sorted(graph.nodes), samples)
    pairs = _pairs_at(graph, rng, 4, samples)
    texts = []
    for label in rng.sample(labels, samples):
        words = [w for w in label.split() if any(c.isalnum() for c in w)]
        texts.append(" ".join(words[:2]) or label)
    results: dict[str, dict[str, Any]] = {}

    def in_memory_text(query: str) -> list[str]:
        terms = Text(query).terms
        found = set.intersection(*(postings.get(t, set()) for t in terms)) if terms else set()
        return sorted(found)[:50]

    baselines: dict[str, list[float]] = {
        "neighbourhood_depth2": [
            _measure(lambda r=r: _nx_neighbourhood(graph, r, 2)) for r in roots
        ],
        "shortest_paths_4hops": [
            _measure(lambda a=a, b=b: nx.bidirectional_shortest_path(graph, a, b)) for a, b in pairs
        ],
        "text_search": [_measure(lambda q=q: in_memory_text(q)) for q in texts],
    }
    for name, store in stores.items():
        ours = _store_timings(store, roots, pairs, texts)
        decoding = _decoding_timings(store, roots, texts)
        for query, timings in ours.items():
            mine, theirs = _percentiles(timings), _percentiles(baselines[query])
            results[f"{name}:{query}"] = {
                "ours": mine,
                "baseline": theirs,
                "baseline_name": _BASELINES[query],
                "ratio_p50": mine["p50_ms"] / theirs["p50_ms"] if theirs["p50_ms"] else None,
                "ratio_p95": mine["p95_ms"] / theirs["p95_ms"] if theirs["p95_ms"] else None,
                # Paths are ids only: nothing to build.
                "decoding_records": _percentiles(decoding[query]) if query in decoding else None,
            }
    # Sanity: the stores agree with networkx on the size of what they return.
    root = roots[0]
    for store in stores.values():
        found = store.neighbourhood(root, depth=2, max_entities=1_000_000)
        assert (len(found.entities), len(found.links)) == _nx_neighbourhood(graph, root, 2)
    return results


# ---------------------------------------------------------------------------- report


def _rates(imported: dict[str, Any]) -> dict[str, Any]:
    seconds, counts = imported["seconds"], imported["counts"]
    total = sum(counts.values())
    rate = {name: total / value for name, value in seconds.items() if value}
    figures: dict[str, Any] = {
        "records": total,
        "counts": counts,
        "seconds": seconds,
        "records_per_second": rate,
        "sqlite_ratio_to_raw_insert": rate["sqlite"] / rate["sqlite_raw"],
        "sqlite_ratio_to_raw_insert_plus_serialise": seconds["sqlite_raw"] / seconds["sqlite"]
        + seconds["serialise"] / seconds["sqlite"],
        "sqlite_writes_ratio_to_raw_insert": rate["sqlite_writes"] / rate["sqlite_raw"],
        "sqlite_same_schema_ratio_to_raw_insert": rate["sqlite_same_schema"] / rate["sqlite_raw"],
        "sqlite_ratio_to_same_schema_insert": rate["sqlite"] / rate["sqlite_same_schema"],
        "peak_rss_mib": imported["peak_rss_mib"],
        "rss_before_import_mib": imported["rss_before_mib"],
        "sqlite_file_mib": imported["sqlite_bytes"] / 2**20,
    }
    if "postgresql" in seconds:
        figures["postgresql_ratio_to_raw_copy"] = rate["postgresql"] / rate["postgresql_raw"]
        figures["postgresql_ratio_to_raw_copy_plus_serialise"] = (
            seconds["postgresql_raw"] + seconds["serialise"]
        ) / seconds["postgresql"]
        figures["postgresql_writes_ratio_to_raw_copy"] = (
            rate["postgresql_writes"] / rate["postgresql_raw"]
        )
        figures["postgresql_same_schema_ratio_to_raw_copy"] = (
            rate["postgresql_same_schema"] / rate["postgresql_raw"]
        )
        figures["postgresql_ratio_to_same_schema_copy"] = (
            rate["postgresql"] / rate["postgresql_same_schema"]
        )
    return figures


def _print(report: dict[str, Any]) -> None:
    imported = report["import"]
    rate, seconds, counts = (
        imported["records_per_second"],
        imported["seconds"],
        imported["counts"],
    )
    records = imported["records"]
    print(f"\ncaseport SQL benchmark: {report['entities']:,} entities, {records:,} records")
    print(
        f"  ({counts['entities']:,} entities, {counts['links']:,} links, {counts['other']:,}"
        f" cases/reports/exhibits; batches of {BATCH:,})\n"
    )
    rows: list[tuple[str, float, float | None]] = [
        ("SQLite upsert_many (ours)", rate["sqlite"], None),
        ("  its write transactions alone", rate["sqlite_writes"], None),
        ("raw sqlite3 executemany, bare table", rate["sqlite_raw"], None),
        ("raw executemany, caseport's tables+indexes", rate["sqlite_same_schema"], None),
        (
            "raw executemany + serialising",
            records / (seconds["sqlite_raw"] + seconds["serialise"]),
            None,
        ),
    ]
    if "postgresql" in rate:
        rows += [
            ("PostgreSQL upsert_many (ours)", rate["postgresql"], None),
            ("  its write transactions (overlapping)", rate["postgresql_writes"], None),
            ("raw COPY, bare table", rate["postgresql_raw"], None),
            ("raw COPY, caseport's tables+indexes", rate["postgresql_same_schema"], None),
            (
                "raw COPY + serialising",
                records / (seconds["postgresql_raw"] + seconds["serialise"]),
                None,
            ),
        ]
    rows.append(("serialising alone (the stored JSON)", rate["serialise"], None))
    print(f"{'bulk import':46s}{'records/s':>12s}")
    for label, value, _ in rows:
        print(f"  {label:44s}{value:>12,.0f}")
    print(
        f"\n  SQLite: ours / raw = {imported['sqlite_ratio_to_raw_insert']:.2f};"
        f" ours / (raw + serialising) = "
        f"{imported['sqlite_ratio_to_raw_insert_plus_serialise']:.2f};"
        f" transactions alone / raw = {imported['sqlite_writes_ratio_to_raw_insert']:.2f}"
    )
    print(
        "    raw into caseport's tables and indexes / raw bare ="
        f" {imported['sqlite_same_schema_ratio_to_raw_insert']:.2f};"
        f" ours / raw into caseport's tables = {imported['sqlite_ratio_to_same_schema_insert']:.2f}"
    )
    if "postgresql" in rate:
        print(
            f"  PostgreSQL: ours / raw COPY = {imported['postgresql_ratio_to_raw_copy']:.2f};"
            f" ours / (raw COPY + serialising) = "
            f"{imported['postgresql_ratio_to_raw_copy_plus_serialise']:.2f};"
            f" transactions alone / raw = "
            f"{imported['postgresql_writes_ratio_to_raw_copy']:.2f}"
        )
        print(
            "    raw COPY into caseport's tables and indexes / raw COPY bare ="
            f" {imported['postgresql_same_schema_ratio_to_raw_copy']:.2f};"
            " ours / raw COPY into caseport's tables ="
            f" {imported['postgresql_ratio_to_same_schema_copy']:.2f}"
        )
    print(
        f"\n  import peak RSS {imported['peak_rss_mib']:,.0f} MiB (before importing"
        f" {imported['rss_before_import_mib']:,.0f} MiB); SQLite file"
        f" {imported['sqlite_file_mib']:,.0f} MiB\n"
    )
    header = ("query", "ours p50", "p95", "base p50", "p95", "x p50", "x p95", "records p50")
    print(f"{header[0]:40s}" + "".join(f"{h:>10s}" for h in header[1:-1]) + f"{header[-1]:>14s}")
    for name, row in report["queries"].items():
        ours, base = row["ours"], row["baseline"]
        cells = (ours["p50_ms"], ours["p95_ms"], base["p50_ms"], base["p95_ms"])
        decoding = row["decoding_records"]
        print(
            f"  {name:38s}"
            + "".join(f"{value:>8.2f}ms" for value in cells)
            + f"{row['ratio_p50']:>10.1f}{row['ratio_p95']:>10.1f}"
            + (f"{decoding['p50_ms']:>12.2f}ms" if decoding else f"{'-':>14s}")
        )
    print(
        "\n  x = ours / baseline. Baselines, on the same data held in memory: networkx BFS to"
        " depth 2; networkx bidirectional_shortest_path (one path; ours returns up to 10);"
        " a dict-of-sets inverted index for text. records p50 = validating the returned"
        " records from their JSON alone (part of ours; paths return ids only)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 entities (under a minute)")
    parser.add_argument("--entities", type=int, help="entities to generate (overrides the mode)")
    parser.add_argument("--samples", type=int, help="queries of each kind to time")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CASEPORT_TEST_POSTGRES_URL"),
        help="PostgreSQL server to measure too (default: $CASEPORT_TEST_POSTGRES_URL)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the stores afterwards (the baselines' data goes when the import ends)",
    )
    args = parser.parse_args(argv)
    entities = args.entities or (QUICK_ENTITIES if args.quick else FULL_ENTITIES)
    samples = args.samples or (30 if args.quick else 200)
    directory = Path(tempfile.mkdtemp(prefix="caseport-sql-bench-"))
    postgres: dict[str, str] | None = None
    if args.postgres_url:
        token = uuid.uuid4().hex[:8]
        postgres = {
            "base_url": args.postgres_url,
            "raw_schema": f"bench_raw_{token}",
            "same_schema": f"bench_same_{token}",
            "store_schema": f"bench_store_{token}",
        }
        postgres["store_url"] = _with_schema(args.postgres_url, postgres["store_schema"])
    started = time.perf_counter()
    try:
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        options = {"directory": str(directory), "entities": entities, "postgres": postgres}
        child = context.Process(target=_import, args=(options, results))
        child.start()
        imported = results.get()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"the import process failed with exit code {child.exitcode}")
        stores: dict[str, CaseStore] = {
            "sqlite": adapters.sql.from_url(f"sqlite:///{directory}/store.db", {})
        }
        if postgres:
            stores["postgresql"] = adapters.sql.from_url(postgres["store_url"], {})
        try:
            queries = _queries(stores, directory / "store.db", samples)
        finally:
            for store in stores.values():
                store.close()
        report = {
            "entities": entities,
            "mode": "quick" if args.quick else "full",
            "batch_size": BATCH,
            "machine": {
                "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version,
                "cpus": os.cpu_count(),
                "platform": platform.platform(),
            },
            "import": _rates(imported),
            "queries": queries,
            "elapsed_s": time.perf_counter() - started,
        }
        _print(report)
        print(f"\n  elapsed {report['elapsed_s']:.0f} s")
        if args.json:
            args.json.write_text(json.dumps(report, indent=2) + "\n")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
            if postgres:
                _drop_schemas(postgres, tuple(postgres[k] for k in _SCHEMAS))
    return 0


def _checkpoint(url: str) -> None:
    """Have PostgreSQL write back the import's pages now, not while the queries are timed.

    SQLite did the same when the importing process closed the store. A role not allowed to
    ask (PostgreSQL 15: superuser or ``pg_checkpoint``) leaves it to the server's schedule.
    """
    import psycopg

    try:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        print("  (no CHECKPOINT: the role may not; queries may overlap its write-back)")


def _drop_schemas(postgres: dict[str, str], schemas: tuple[str, ...]) -> None:
    import psycopg

    with psycopg.connect(postgres["base_url"], autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


if __name__ == "__main__":
    raise SystemExit(main())
