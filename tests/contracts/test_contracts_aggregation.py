"""The reference aggregate against an oracle computed independently from each record's dump."""

from __future__ import annotations

import collections
from typing import Any

from contracts_strategies import search_entities, values_at
from hypothesis import given, settings
from hypothesis import strategies as st
from run_profile import by_profile

from contracts.aggregation import AggregateQuery, Metric, aggregate_records
from contracts.query import FIELDS

GROUPABLE = sorted(FIELDS)


def _identity(value: Any) -> tuple[str, Any]:
    family = "bool" if isinstance(value, bool) else type(value).__name__
    return ("number" if family in ("int", "float") else family, value)


def _oracle(entities: list[Any], fields: tuple[str, ...]) -> collections.Counter[Any]:
    counts: collections.Counter[Any] = collections.Counter()
    for entity in entities:
        combos: list[tuple[Any, ...]] = [()]
        for field in fields:
            distinct = {_identity(value): value for value in values_at(entity, field)}
            options = list(distinct) or [("none", None)]
            combos = [(*combo, option) for combo in combos for option in options]
        counts.update(combos)
    return counts


@settings(max_examples=by_profile(quick=200, ci=1_000, soak=10_000), deadline=None)
@given(
    entities=search_entities(min_size=0, max_size=8),
    fields=st.lists(st.sampled_from(GROUPABLE), min_size=1, max_size=2, unique=True).map(tuple),
    with_metric=st.booleans(),
)
def test_group_counts_match_an_independent_oracle(
    entities: list[Any], fields: tuple[str, ...], with_metric: bool
) -> None:
    """Each record counts once per distinct value combination, None where it has none."""
    metrics = (Metric(op="max", field="version"),) if with_metric else ()
    result = aggregate_records(entities, AggregateQuery(group_by=fields, metrics=metrics))
    expected = _oracle(entities, fields)
    found = collections.Counter(
        {
            tuple(("none", None) if value is None else _identity(value) for value in group.key): (
                group.count
            )
            for group in result.groups
        }
    )
    assert result.total == len(entities)
    assert found == +expected
    counts = [group.count for group in result.groups]
    assert counts == sorted(counts, reverse=True)
