"""Fake Foundry benchmark: counts, aggregates and degrees in Foundry beside the layer's emulation.

One seeded random graph (two links per entity on average, four link types) is loaded into the
fake Foundry. The same store is read through two backends over the same fake: the adapter as
declared (``search.count`` and ``search.aggregate`` through the aggregate endpoint,
``graph.degree`` grouped by link endpoint) and the same adapter declaring them emulated, so the
layer pages every matching record or expands every entity. Each operation runs in interleaved
rounds; the median time per call and the HTTP requests per call are reported, and the ratio
emulated over native, all measured in this run.

Usage: ``python benchmarks/foundry_aggregate_bench.py [--links N] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Final

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.foundry.store import FoundryBackend
from adapters.foundry.testing import FakeFoundry
from contracts.aggregation import AggregateQuery, Metric
from contracts.capabilities import Capability, Support, declare
from contracts.models import Entity, Link, Record
from contracts.query import Eq
from contracts.store import CaseStore

ROUNDS = 5
DEGREE_IDS = 500
_LAYER: Final = (Capability.SEARCH_COUNT, Capability.SEARCH_AGGREGATE, Capability.GRAPH_DEGREE)


class _LayerCounts(FoundryBackend):
    """The Foundry backend with counts, aggregates and degrees left to the layer."""

    CAPABILITIES = declare(
        **{
            capability.name: Support.EMULATED if capability in _LAYER else how
            for capability, how in FoundryBackend.CAPABILITIES.items()
        }
    )
    NOTES: ClassVar[Mapping[Capability, str]] = {
        c: n for c, n in FoundryBackend.NOTES.items() if c not in _LAYER
    }


def make_graph(links: int, seed: int = 0) -> list[Record]:
    """``links // 2`` people and ``links`` typed links between random pairs of them."""
    rng = random.Random(seed)
    entities = links // 2
    records: list[Record] = [
        Entity(id=f"e-{n:07d}", kind="PERSON", subtype="person", label=f"Person {n}")
        for n in range(entities)
    ]
    for n in range(links):
        records.append(
            Link(
                id=f"l-{n:07d}",
                type=rng.choice(["KNOWS", "PARTY_TO", "OCCURRED_AT", "OWNS"]),
                source_id=f"e-{rng.randrange(entities):07d}",
                target_id=f"e-{rng.randrange(entities):07d}",
                directed=rng.random() < 0.7,
                confidence=round(rng.random(), 3),
            )
        )
    return records


def _calls(store: CaseStore, ids: list[str]) -> dict[str, Callable[[], Any]]:
    by_type = AggregateQuery(
        group_by=("type", "directed"), metrics=(Metric(op="max", field="confidence"),)
    )
    return {
        "count": lambda: store.count(Eq("type", "KNOWS"), record_type=Link),
        "aggregate": lambda: store.aggregate(by_type, record_type=Link),
        "degree": lambda: store.degree(ids),
    }


def run(links: int) -> dict[str, Any]:
    """Median seconds and requests per call of each operation, native and emulated."""
    fake = FakeFoundry()
    native = fake.store()
    native.upsert_many(make_graph(links))
    layer = CaseStore(_LayerCounts(fake.client(), fake.mapping))
    ids = [f"e-{n:07d}" for n in random.Random(1).sample(range(links // 2), DEGREE_IDS)]
    stores = {"native": _calls(native, ids), "emulated": _calls(layer, ids)}
    answers = {how: {op: call() for op, call in calls.items()} for how, calls in stores.items()}
    assert answers["native"] == answers["emulated"], "the two backends disagree"
    times: dict[str, dict[str, list[float]]] = {how: {} for how in stores}
    requests: dict[str, dict[str, int]] = {how: {} for how in stores}
    for _ in range(ROUNDS):
        for how, calls in stores.items():
            for op, call in calls.items():
                sent = len(fake.requests)
                start = time.perf_counter()
                call()
                times[how].setdefault(op, []).append(time.perf_counter() - start)
                requests[how][op] = len(fake.requests) - sent
    medians = {
        how: {op: statistics.median(t) for op, t in ops.items()} for how, ops in times.items()
    }
    return {
        "links": links,
        "degree_ids": DEGREE_IDS,
        "seconds": medians,
        "requests": requests,
        "emulated_over_native": {
            op: medians["emulated"][op] / medians["native"][op] for op in medians["native"]
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = run(args.links)
    for op, ratio in results["emulated_over_native"].items():
        print(
            f"{op:10} native {results['seconds']['native'][op] * 1000:9.1f} ms "
            f"({results['requests']['native'][op]:5} requests)  emulated "
            f"{results['seconds']['emulated'][op] * 1000:9.1f} ms "
            f"({results['requests']['emulated'][op]:5} requests)  ratio {ratio:7.1f}x"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
