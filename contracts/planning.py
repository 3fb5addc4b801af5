"""Query planning: run a search as a backend's pushed-down part plus the layer's residual.

A backend that searches declares how much it does through :meth:`StoreBackend.plan_search`;
:func:`run_search` reads the pushed part from it and applies the residual and, when the
backend cannot order, the ordering, with the reference semantics of
:mod:`contracts.evaluation`. A backend without a search hook is searched over ``scan``.
:func:`split_conjuncts` builds the usual plan for a backend that compiles some operators:
the conjuncts it can compile are pushed, the rest stay with the layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any, Final

from contracts.compiled import compile_filter
from contracts.errors import UpstreamContractError, ValidationFailed
from contracts.evaluation import compare_positions, sort_entities, sort_position
from contracts.models.common import Record, RecordType
from contracts.paging import SortPosition
from contracts.query import And, Filter, OrderKey
from contracts.requests import SearchPlan, SearchRequest

__all__ = ["EVERYTHING_IN_LAYER", "run_search", "split_conjuncts"]

_CHUNK: Final = 500
"""Entities read per backend request when the layer filters or sorts what comes back."""

EVERYTHING_IN_LAYER: Final = "the layer filters and sorts every entity the backend scans"

Reader = Callable[[SearchRequest], list[Any]]
"""Reads one request's worth of entities from the backend (its search, or a scan)."""


def split_conjuncts(
    condition: Filter | None,
    order_by: tuple[OrderKey, ...],
    *,
    compiles: Callable[[Filter], bool],
    orders: bool,
    note: str = "",
) -> SearchPlan:
    """A plan pushing the top-level conjuncts ``compiles`` accepts and leaving the others.

    A condition that is not an ``And`` is pushed whole or not at all. ``orders`` says whether
    the backend can return entities in ``order_by``'s order.
    """
    if condition is None:
        return SearchPlan(pushed=None, ordered=orders)
    parts = condition.filters if isinstance(condition, And) else (condition,)
    pushed = tuple(part for part in parts if compiles(part))
    kept = tuple(part for part in parts if not compiles(part))
    default = "conditions the backend cannot evaluate exactly are applied by the layer"
    explained = (note or default) if kept or not orders else ""
    return SearchPlan(
        pushed=_conjunction(pushed),
        residual=_conjunction(kept),
        ordered=orders,
        note=explained,
    )


def _conjunction(parts: tuple[Filter, ...]) -> Filter | None:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(*parts)


def run_search(
    read: Reader,
    plan: SearchPlan,
    record_type: RecordType,
    order_by: tuple[OrderKey, ...],
    after: SortPosition | None,
    limit: int,
) -> list[Record]:
    """Up to ``limit`` records of a search, in order, strictly after ``after``.

    Raises:
        UpstreamContractError: the backend returned entities out of its declared order.
        ValidationFailed: the layer would have to sort more than ``plan.sort_limit`` entities.
    """
    if plan.ordered or not order_by:  # every backend search can return records by id
        return _ordered(read, replace(plan, ordered=True), record_type, order_by, after, limit)
    return _sorted_by_layer(read, plan, record_type, order_by, after, limit)


def _ordered(
    read: Reader,
    plan: SearchPlan,
    record_type: RecordType,
    order_by: tuple[OrderKey, ...],
    after: SortPosition | None,
    limit: int,
) -> list[Record]:
    chunk = limit if plan.residual is None else max(limit, _CHUNK)
    residual = compile_filter(plan.residual)
    found: list[Record] = []
    position = after
    while True:
        rows = read(SearchRequest(plan.pushed, order_by, position, chunk, record_type))
        for entity in rows:
            here = sort_position(entity, order_by)
            if position is not None and compare_positions(here, position, order_by) <= 0:
                raise UpstreamContractError(
                    f"the backend returned entity {entity.id!r} out of the search's order"
                )
            position = here
            if residual(entity):
                found.append(entity)
                if len(found) >= limit:
                    return found
        if len(rows) < chunk:
            return found


def _sorted_by_layer(
    read: Reader,
    plan: SearchPlan,
    record_type: RecordType,
    order_by: tuple[OrderKey, ...],
    after: SortPosition | None,
    limit: int,
) -> list[Record]:
    found = []
    for entity in _every_match(read, plan, record_type):
        found.append(entity)
        if plan.sort_limit is not None and len(found) > plan.sort_limit:
            names = ", ".join(key.field for key in order_by) or "id"
            raise ValidationFailed(
                f"sorting by {names} is done by caseport, not the backend, and more than "
                f"{plan.sort_limit} entities match; narrow the filter"
            )
    ordered = sort_entities(found, order_by)
    if after is not None:
        ordered = [
            entity
            for entity in ordered
            if compare_positions(sort_position(entity, order_by), after, order_by) > 0
        ]
    return ordered[:limit]


def _every_match(read: Reader, plan: SearchPlan, record_type: RecordType) -> Iterator[Record]:
    """Every record matching the plan, read from the backend by id in chunks."""
    last: str | None = None
    residual = compile_filter(plan.residual)
    while True:
        start = None if last is None else SortPosition((), last)
        rows = read(SearchRequest(plan.pushed, (), start, _CHUNK, record_type))
        for entity in rows:
            if last is not None and entity.id <= last:
                raise UpstreamContractError(
                    f"the backend returned entity {entity.id!r} out of id order"
                )
            last = entity.id
            if residual(entity):
                yield entity
        if len(rows) < _CHUNK:
            return
