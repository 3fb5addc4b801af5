"""Fake Foundry benchmark: graph reads on ``foundry+fake://`` at two store sizes, beside baselines.

The same kind of random graph (two links per entity on average, seeded) is loaded at a small
and a large size into the fake Foundry (``adapters.foundry.testing``) and, at the large size,
into the in-memory reference store. Each operation runs on the same sampled entities at both
sizes, in interleaved rounds, and the median time per call is reported:

- ``expand`` of one entity, ``neighbourhood`` to depth 2 and ``get_many`` of 20 entities
  through the Foundry adapter over the fake (requests, answers and decoding included), and
  a search of the links by source entity straight through the HTTP client;
- the fake's own linked-objects lookup, beside a scan of every link object for the same
  entity (what a lookup costs when it reads the whole store).

Ratios printed, all measured in this run: large over small for each operation (near 1 when
the cost follows what a call returns rather than the size of the store, about the size ratio
when it scans), and the adapter over the fake against the in-memory store at the large size.

Usage: ``python benchmarks/foundry_fake_bench.py [--quick] [--json FILE]``. ``--quick``
compares 5,000 with 50,000 links; the full run 5,000 with 200,000.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.foundry.codec import action_parameters
from adapters.foundry.testing import FakeFoundry
from adapters.memory import InMemoryCaseStore
from contracts.models import Entity, Link, Record
from contracts.store import CaseStore

SAMPLES = 40
"""Entities every operation is timed on, the same at each size."""
ROUNDS = 5


def make_graph(links: int, seed: int = 0) -> list[Record]:
    """``links // 2`` entities and ``links`` links between random pairs of them."""
    rng = random.Random(seed)
    entities = links // 2
    records: list[Record] = [
        Entity(id=_entity_id(n), kind="PERSON", subtype="person", label=f"Person {n}")
        for n in range(entities)
    ]
    for n in range(links):
        source, target = rng.randrange(entities), rng.randrange(entities)
        records.append(
            Link(
                id=f"l-{n:07d}",
                type=("KNOWS", "CALLED", "MET")[n % 3],
                source_id=_entity_id(source),
                target_id=_entity_id(target),
            )
        )
    return records


def _entity_id(n: int) -> str:
    return f"e-{n:07d}"


def load_fake(records: list[Record]) -> FakeFoundry:
    """A fake holding ``records``, written through its upsert actions."""
    fake = FakeFoundry()
    for record in records:
        layout = fake.mapping.require(record.RECORD_TYPE)
        action = fake.ontology.action(layout.actions.upsert)
        fake.ontology.execute(action, action_parameters(layout, record))
    return fake


def per_call(call: Callable[[str], Any], ids: list[str]) -> float:
    """Seconds per call over ``ids``."""
    started = time.perf_counter()
    for entity_id in ids:
        call(entity_id)
    return (time.perf_counter() - started) / len(ids)


def compare(calls: dict[str, Callable[[str], Any]], ids: list[str]) -> dict[str, float]:
    """Median seconds per call of each contender over interleaved rounds, after a warm-up."""
    for call in calls.values():
        call(ids[0])
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for index in range(ROUNDS):
        order = list(calls.items())
        if index % 2:
            order.reverse()
        for name, call in order:
            samples[name].append(per_call(call, ids))
    return {name: statistics.median(values) for name, values in samples.items()}


def store_calls(store: CaseStore, ids: list[str]) -> dict[str, Callable[[str], Any]]:
    """The graph reads timed on ``store``, each a function of one sampled entity id."""
    position = {entity_id: n for n, entity_id in enumerate(ids)}

    def many(entity_id: str) -> Any:
        start = position[entity_id] * 20
        return store.get_many(Entity, [_entity_id(start + k) for k in range(20)])

    return {
        "expand": lambda entity_id: store.expand(entity_id),
        "neighbourhood_2": lambda entity_id: store.neighbourhood(entity_id, depth=2),
        "get_many_20": many,
    }


def fake_calls(fake: FakeFoundry) -> dict[str, Callable[[str], Any]]:
    """Reads of the fake alone: its linked-objects lookup, a full scan, an endpoint search."""
    ontology = fake.ontology
    entity_type = fake.mapping.entity.object_type
    link_layout = fake.mapping.link
    from_source = link_layout.from_source
    assert from_source is not None
    link_type = ontology.link_types[(entity_type, from_source)]
    links = ontology.objects[link_type.target]
    client = fake.client()

    def scan(entity_id: str) -> Any:
        with ontology.lock:
            return [obj for obj in links.values() if obj.get(link_type.foreign_key) == entity_id]

    def search(entity_id: str) -> Any:
        where = {"type": "eq", "field": link_type.foreign_key, "value": entity_id}
        return client.search(link_type.target, {"where": where, "pageSize": 100})

    return {
        "fake_linked": lambda entity_id: ontology.linked(entity_type, entity_id, from_source),
        "fake_scan": scan,
        "search_links_by_source": search,
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    small_links = 5_000
    large_links = 50_000 if args.quick else 200_000
    rng = random.Random(1)
    ids = [_entity_id(n) for n in rng.sample(range(small_links // 2 - 20), SAMPLES)]
    results: dict[str, Any] = {"links": {"small": small_links, "large": large_links}}
    timings: dict[str, dict[str, float]] = {}
    stores: list[CaseStore] = []
    try:
        contenders: dict[str, Callable[[str], Any]] = {}
        for size, links in (("small", small_links), ("large", large_links)):
            started = time.perf_counter()
            records = make_graph(links)
            fake = load_fake(records)
            store: CaseStore = fake.store()
            stores.append(store)
            results[f"load_seconds_{size}"] = time.perf_counter() - started
            for name, call in {**store_calls(store, ids), **fake_calls(fake)}.items():
                contenders[f"{name}:{size}"] = call
            if size == "large":
                memory = InMemoryCaseStore()
                stores.append(memory)
                memory.upsert_many(records)
                for name, call in store_calls(memory, ids).items():
                    contenders[f"{name}:memory"] = call
        for name, seconds in compare(contenders, ids).items():
            operation, where = name.split(":")
            timings.setdefault(operation, {})[where] = seconds
    finally:
        for store in stores:
            store.close()
    for figures in timings.values():
        figures["large_over_small"] = figures["large"] / figures["small"]
        if "memory" in figures:
            figures["fake_over_memory"] = figures["large"] / figures["memory"]
    scan, linked = timings["fake_scan"], timings["fake_linked"]
    results["scan_over_linked_large"] = scan["large"] / linked["large"]
    results["seconds_per_call"] = timings
    return results


def report(results: dict[str, Any]) -> None:
    links = results["links"]
    print(
        f"links: {links['small']:,} (small) and {links['large']:,} (large), "
        f"{SAMPLES} entities per measurement, median of {ROUNDS} rounds"
    )
    print(
        f"{'per call':<24}{'small':>11}{'large':>11}{'large/small':>13}"
        f"{'memory':>11}{'fake/memory':>13}"
    )
    for name, figures in results["seconds_per_call"].items():
        memory = figures.get("memory")
        print(
            f"{name:<24}{figures['small'] * 1e6:>9.0f}us{figures['large'] * 1e6:>9.0f}us"
            f"{figures['large_over_small']:>13.2f}"
            + (
                f"{memory * 1e6:>9.0f}us{figures['fake_over_memory']:>13.2f}"
                if memory is not None
                else f"{'-':>11}{'-':>13}"
            )
        )
    print(
        "a scan of every link costs "
        f"{results['scan_over_linked_large']:.0f}x the fake's indexed lookup at the large size"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 against 50,000 links")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
