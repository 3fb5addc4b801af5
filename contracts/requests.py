"""The requests the layer hands a backend, and the plan a backend gives back for a search.

Each request is a frozen value checked by the layer before it reaches the backend: ids are of
a shape a store can hold, entities exist, depths and limits are within the contract's bounds,
datetimes are in UTC. A backend reads them and never needs to check them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.models.common import RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.paging import SortPosition
from contracts.query import Filter, OrderKey
from contracts.results import Direction

__all__ = [
    "DegreeRequest",
    "ExpandRequest",
    "NeighbourhoodRequest",
    "PathsRequest",
    "SearchPlan",
    "SearchRequest",
    "TimelineRequest",
]


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What a backend does of a search and what the layer does after it.

    The backend returns the entities matching ``pushed``; the layer keeps those that also match
    ``residual``, with the reference semantics of :mod:`contracts.evaluation`. A plan is
    correct when an entity matches the query's filter exactly when it matches both, so
    ``pushed`` may be wider than the filter (a superset) but never narrower.

    Attributes:
        pushed: the condition the backend evaluates (``None``: every entity).
        residual: the condition the layer applies to what comes back (``None``: nothing left).
        ordered: whether the backend returns entities in the query's order, then by id, and
            pages after a position in it; when false the layer reads every entity matching
            ``pushed`` by id and sorts them itself.
        sort_limit: the most entities the layer may gather to sort when ``ordered`` is false
            (``None``: no limit); beyond it the search fails with ``ValidationFailed``.
        note: what the backend leaves to the layer and why, for reports (empty when nothing).
    """

    pushed: Filter | None
    residual: Filter | None = None
    ordered: bool = True
    sort_limit: int | None = None
    note: str = ""

    @property
    def complete(self) -> bool:
        """Whether the backend does all of the search: no residual and its own order."""
        return self.residual is None and self.ordered


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One read of a backend's search: records matching ``condition``, in order, after a place.

    Attributes:
        condition: the plan's pushed condition (``None``: every record of the type).
        order_by: the order keys (empty: by id only); ids break ties.
        after: return only records strictly after this position in that order.
        limit: return at most this many records.
        record_type: the type of the records searched (entities unless ``search.records``).
    """

    condition: Filter | None
    order_by: tuple[OrderKey, ...]
    after: SortPosition | None
    limit: int
    record_type: RecordType = RecordType.ENTITY


@dataclass(frozen=True, slots=True)
class ExpandRequest:
    """The hops from one existing entity.

    Attributes:
        entity_id: the entity to expand from (it exists).
        link_types: follow only links of these types (``None``: all).
        direction: ``out``, ``in`` or ``both``.
        neighbour_kinds: keep only neighbours of these kinds (``None``: all).
        neighbour_filter: keep only hops whose neighbour matches it (entity fields).
        link_filter: keep only hops whose link matches it (link fields).
    """

    entity_id: str
    link_types: frozenset[str] | None = None
    direction: Direction = "both"
    neighbour_kinds: frozenset[EntityKind] | None = None
    neighbour_filter: Filter | None = None
    link_filter: Filter | None = None

    @property
    def filtered(self) -> bool:
        """Whether the request filters neighbours or links by a condition."""
        return self.neighbour_filter is not None or self.link_filter is not None


@dataclass(frozen=True, slots=True)
class DegreeRequest:
    """How many hops each of ``entity_ids`` (all existing) has, as ``expand`` counts them."""

    entity_ids: tuple[str, ...]
    link_types: frozenset[str] | None
    direction: Direction


@dataclass(frozen=True, slots=True)
class NeighbourhoodRequest:
    """Every entity within ``depth`` hops of ``root`` (see :meth:`CaseStore.neighbourhood`)."""

    root: Entity
    depth: int
    link_types: frozenset[str] | None
    direction: Direction
    kinds: frozenset[EntityKind] | None
    max_entities: int


@dataclass(frozen=True, slots=True)
class PathsRequest:
    """All shortest paths from ``source`` to ``target`` (see :meth:`CaseStore.shortest_paths`)."""

    source: Entity
    target: Entity
    max_depth: int
    link_types: frozenset[str] | None
    direction: Direction
    via_kinds: frozenset[EntityKind] | None
    max_paths: int


@dataclass(frozen=True, slots=True)
class TimelineRequest:
    """The events of ``targets`` overlapping ``[start, end)`` (see :meth:`CaseStore.timeline`)."""

    targets: tuple[Entity, ...]
    start: datetime | None
    end: datetime | None
