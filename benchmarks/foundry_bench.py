"""Foundry adapter benchmark: client CPU per call against Palantir's SDK, and export throughput.

The fake Foundry (``adapters.foundry.testing``) is served on a loopback HTTP port by a child
process, so the CPU time measured here (``time.process_time`` of this process) is the client's
alone. For each of ``get`` (one object), ``search`` (one page of 100) and ``apply`` (one
action) it measures our HTTP client (request, retries, limits, validated answer) and the
official ``foundry-platform-sdk`` doing the same call against the same server, and prints the
ratio (ours / SDK; at most 1.0 is the target). It also measures our full store operations
(which add decoding of the canonical records) and bulk export throughput, sequential paging
against concurrent paged reads of key-range partitions, with a simulated network latency.

Usage: ``python benchmarks/foundry_bench.py [--quick] [--json FILE] [--latency-ms MS]``.
The SDK is a dev-only dependency (``pip install foundry-platform-sdk``); without it the SDK
columns are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.foundry.auth import StaticToken
from adapters.foundry.client import ClientSettings, FoundryClient
from adapters.foundry.codec import action_parameters, selected_properties
from adapters.foundry.mapping import load_mapping
from adapters.foundry.store import FoundryCaseStore, StoreOptions
from contracts.models import Entity, PersonFields
from contracts.models.common import RecordType
from contracts.query import Eq, OrderKey, SearchQuery

TOKEN = "bench-token"
ONTOLOGY = "caseport"
ENTITY_TYPE = "CaseportEntity"
UPSERT = "caseport-upsert-entity"


def make_entities(count: int) -> list[Entity]:
    kinds = ("PERSON", "OBJECT")
    out = []
    for n in range(count):
        kind = kinds[n % 2]
        extra: dict[str, Any] = {}
        if kind == "PERSON":
            extra["person"] = PersonFields(given_names=("Alex",), family_name=f"Name{n % 977}")
        out.append(
            Entity(
                id=f"{(n * 2654435761) % 2**32:08x}-{n:06d}",
                kind=kind,
                subtype="person" if kind == "PERSON" else "vehicle",
                label=f"Entity {n % 5003} label",
                aliases=(f"alias{n % 17}",),
                description="A generated entity for the benchmark.",
                properties={"score": n % 100, "note": "x" * 40},
            )
        )
    return out


# ---------------------------------------------------------------------------- server


def serve(objects: int, latency_ms: float) -> None:
    """Child process: fill a fake ontology and serve it on a loopback port."""
    from adapters.foundry.testing import FakeFoundry, serve_http

    fake = FakeFoundry(token=TOKEN)
    fake.ontology.total_count = "string"
    layout = fake.mapping.entity
    action = fake.ontology.action(UPSERT)
    for entity in make_entities(objects):
        fake.ontology.execute(action, action_parameters(layout, entity))
    if latency_ms > 0:
        handle = fake.handle

        def slow(request: Any) -> Any:
            time.sleep(latency_ms / 1000)
            return handle(request)

        fake.handle = slow  # type: ignore[method-assign]
    server = serve_http(fake)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def start_server(objects: int, latency_ms: float) -> tuple[subprocess.Popen[str], int]:
    child = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--objects",
            str(objects),
            "--latency-ms",
            str(latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    port = int(child.stdout.readline())
    return child, port


# ---------------------------------------------------------------------------- timing


def cpu_per_call(call: Callable[[int], Any], count: int) -> float:
    """Client CPU seconds per call."""
    start = time.process_time()
    for n in range(count):
        call(n)
    return (time.process_time() - start) / count


def compare(
    calls: dict[str, Callable[[int], Any] | None], count: int, rounds: int = 5
) -> dict[str, float]:
    """Median CPU per call of each contender over interleaved rounds (after a warm-up)."""
    active = {name: call for name, call in calls.items() if call is not None}
    for call in active.values():
        for n in range(min(20, count)):
            call(n)
    samples: dict[str, list[float]] = {name: [] for name in active}
    per_round = max(1, count // rounds)
    for index in range(rounds):
        order = list(active.items())
        if index % 2:
            order.reverse()
        for name, call in order:
            samples[name].append(cpu_per_call(call, per_round))
    return {name: statistics.median(values) for name, values in samples.items()}


def ours(port: int) -> tuple[FoundryClient, FoundryCaseStore]:
    client = FoundryClient(
        f"http://127.0.0.1:{port}",
        ONTOLOGY,
        StaticToken(TOKEN),
        settings=ClientSettings(deadline=120.0, read_timeout=60.0),
    )
    return client, FoundryCaseStore(client, load_mapping(), StoreOptions())


def sdk_client(port: int) -> Any:
    try:
        import foundry_sdk
    except ImportError:
        return None
    return foundry_sdk.FoundryClient(
        auth=foundry_sdk.UserTokenAuth(token=TOKEN),
        hostname=f"127.0.0.1:{port}",
        config=foundry_sdk.Config(scheme="http", timeout=60),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    objects = 2_000 if args.quick else 20_000
    calls = 100 if args.quick else 500
    entities = make_entities(objects)
    ids = [entity.id for entity in entities]
    mapping = load_mapping()
    layout = mapping.entity
    select = selected_properties(layout)
    where = {"type": "eq", "field": "kind", "value": "PERSON"}
    order = {
        "fields": [
            {"field": "label", "direction": "asc"},
            {"field": "entityId", "direction": "asc"},
        ]
    }
    params = [action_parameters(layout, entity) for entity in entities[: calls + 20]]
    results: dict[str, Any] = {"objects": objects, "calls": calls}

    child, port = start_server(objects, 0.0)
    try:
        client, store = ours(port)
        sdk = sdk_client(port)
        objects_api = sdk.ontologies.OntologyObject if sdk is not None else None
        body = {
            "where": where,
            "orderBy": order,
            "pageSize": 100,
            "select": select,
            "excludeRid": True,
        }
        query = SearchQuery(
            filter=Eq("kind", "PERSON"), order_by=(OrderKey(field="label"),), page_size=100
        )
        cpu: dict[str, dict[str, float]] = {}
        cpu["get"] = compare(
            {
                "ours": lambda n: client.get_object(ENTITY_TYPE, ids[n], select),
                "sdk": None
                if objects_api is None
                else lambda n: objects_api.get(
                    ONTOLOGY, ENTITY_TYPE, ids[n], select=select, exclude_rid=True
                ),
                "store": lambda n: store.get(Entity, ids[n]),
            },
            calls,
        )
        cpu["search_page"] = compare(
            {
                "ours": lambda n: client.search(ENTITY_TYPE, body),
                "sdk": None
                if objects_api is None
                else lambda n: objects_api.search(
                    ONTOLOGY,
                    ENTITY_TYPE,
                    select=select,
                    where=where,
                    order_by=order,
                    page_size=100,
                    exclude_rid=True,
                ),
                "store": lambda n: store.search(query),
            },
            calls // 2,
        )
        cpu["apply"] = compare(
            {
                "ours": lambda n: client.apply(UPSERT, params[n]),
                "sdk": None
                if sdk is None
                else lambda n: sdk.ontologies.Action.apply(
                    ONTOLOGY,
                    UPSERT,
                    parameters=params[n],
                    options={"mode": "VALIDATE_AND_EXECUTE", "returnEdits": "NONE"},
                ),
            },
            calls,
        )
        for figures in cpu.values():
            if "sdk" in figures:
                figures["ratio"] = figures["ours"] / figures["sdk"]
        results["cpu_seconds_per_call"] = cpu
        store.close()
    finally:
        child.terminate()
        child.wait()

    child, port = start_server(objects, args.latency_ms)
    try:
        export: dict[str, float] = {}
        page_size = 250 if args.quick else 1_000
        for partitions in (1, 4, 8):
            client, store = ours(port)
            store = FoundryCaseStore(
                client,
                mapping,
                StoreOptions(export_partitions=partitions, export_page_size=page_size),
            )
            started = time.perf_counter()
            count = sum(1 for _ in store.export([RecordType.ENTITY]))
            elapsed = time.perf_counter() - started
            assert count == objects, (count, objects)
            export[f"partitions_{partitions}"] = count / elapsed
            store.close()
        export["speedup_4"] = export["partitions_4"] / export["partitions_1"]
        export["speedup_8"] = export["partitions_8"] / export["partitions_1"]
        results["export_objects_per_second"] = export
        results["export_latency_ms"] = args.latency_ms
    finally:
        child.terminate()
        child.wait()
    return results


def report(results: dict[str, Any]) -> None:
    print(f"objects: {results['objects']}, calls per measurement: {results['calls']}")
    print(f"{'client CPU per call':<22}{'ours':>12}{'SDK':>12}{'ratio':>8}{'our store':>12}")
    for name, figures in results["cpu_seconds_per_call"].items():
        sdk = figures.get("sdk")
        store = figures.get("store")
        print(
            f"{name:<22}{figures['ours'] * 1e6:>10.0f}us"
            + (f"{sdk * 1e6:>10.0f}us{figures['ratio']:>8.2f}" if sdk else f"{'-':>12}{'-':>8}")
            + (f"{store * 1e6:>10.0f}us" if store else "")
        )
    export = results["export_objects_per_second"]
    print(f"export throughput (server latency {results['export_latency_ms']:g} ms per request):")
    for name, value in export.items():
        unit = "x" if name.startswith("speedup") else " objects/s"
        print(f"  {name:<16}{value:>12.1f}{unit}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer objects and calls")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=100.0,
        help="simulated network and server time per request in the export run",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--objects", type=int, default=2_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.objects, args.latency_ms)
        return
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
