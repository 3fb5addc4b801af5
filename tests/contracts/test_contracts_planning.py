"""The layer's search executor: residuals across chunks, unordered plans, limits, bad order."""

from __future__ import annotations

import pytest

from contracts.conformance.suite import data
from contracts.errors import UpstreamContractError, ValidationFailed
from contracts.evaluation import compare_positions, matches, sort_entities, sort_position
from contracts.models.common import RecordType
from contracts.models.entities import Entity
from contracts.planning import run_search, split_conjuncts
from contracts.query import And, Eq, OrderKey, Prefix, Text
from contracts.requests import SearchPlan, SearchRequest

PEOPLE = [data.entity(f"p-{n:04d}", label=f"Person {n % 7}") for n in range(1_200)]
"""More entities than one chunk the layer reads (500), in id order."""
BY_LABEL = (OrderKey(field="label"),)


def read(request: SearchRequest) -> list[Entity]:
    """A backend search over ``PEOPLE`` that honours the request exactly."""
    order_by = request.order_by
    found = sort_entities([e for e in PEOPLE if matches(e, request.condition)], order_by)
    if request.after is not None:
        after = request.after
        found = [
            e for e in found if compare_positions(sort_position(e, order_by), after, order_by) > 0
        ]
    return found[: request.limit]


def pages(plan: SearchPlan, order_by: tuple[OrderKey, ...], size: int) -> list[str]:
    found: list[str] = []
    after = None
    while True:
        rows = run_search(read, plan, RecordType.ENTITY, order_by, after, size + 1)  # type: ignore[arg-type]
        found += [row.id for row in rows[:size]]
        if len(rows) <= size:
            return found
        after = sort_position(rows[size - 1], order_by)


def expected(condition: object, order_by: tuple[OrderKey, ...]) -> list[str]:
    return [e.id for e in sort_entities([e for e in PEOPLE if matches(e, condition)], order_by)]  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [1, 7, 50, 499, 500, 1_000])
def test_a_residual_is_applied_across_chunks_and_pages(size: int) -> None:
    """Pushed part by the backend, the rest by the layer: every page as the reference."""
    condition = And(Prefix("id", "p-0"), Eq("label", "Person 3"))
    plan = split_conjuncts(
        condition, BY_LABEL, compiles=lambda part: isinstance(part, Prefix), orders=True
    )
    assert plan.residual == Eq("label", "Person 3")
    assert plan.note
    assert pages(plan, BY_LABEL, size) == expected(condition, BY_LABEL)


@pytest.mark.parametrize("size", [1, 50, 600])
def test_an_unordered_plan_is_sorted_by_the_layer(size: int) -> None:
    """The backend reads by id; the layer sorts and pages with the same cursors."""
    condition = Text("person 5")
    plan = SearchPlan(pushed=None, residual=condition, ordered=False, note="all in the layer")
    assert pages(plan, BY_LABEL, size) == expected(condition, BY_LABEL)


def test_an_unordered_plan_without_an_order_needs_no_sorting() -> None:
    """With no order keys, id order is the backend's own: no limit on what the layer gathers."""
    plan = SearchPlan(pushed=None, ordered=False, sort_limit=5, note="unordered")
    assert pages(plan, (), 100) == [e.id for e in PEOPLE]
    with pytest.raises(ValidationFailed, match="more than 5"):
        pages(plan, BY_LABEL, 100)


def test_a_backend_out_of_its_declared_order_is_an_upstream_error() -> None:
    """Rows that go backwards in the order are refused, not passed on."""

    def backwards(request: SearchRequest) -> list[Entity]:
        return list(reversed(PEOPLE[: request.limit]))

    plan = SearchPlan(pushed=None)
    with pytest.raises(UpstreamContractError, match="out of"):
        run_search(backwards, plan, RecordType.ENTITY, (), None, 10)
