"""Operations the layer composes from ``expand`` for adapters that declare them emulated.

Each function takes a one-hop expansion function and gives exactly the answer the contract
requires of a native implementation, so the conformance kit holds both to the same results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts.errors import ValidationFailed
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.results import Direction, Hop, Path, Subgraph, TimelineEntry

__all__ = [
    "Expander",
    "LayerExpander",
    "Step",
    "follows",
    "neighbourhood",
    "one_link_per_neighbour",
    "reverse",
    "shortest_paths",
    "shortest_paths_by_layer",
    "timeline",
]

Expander = Callable[[str, Direction], list[Hop]]
"""One-hop expansion of an entity id in a direction, with link-type filters already bound."""

Step = tuple[str, str, str, EntityKind | None]
"""One hop found while expanding a layer: (from entity id, link id, neighbour id, its kind).

The kind may be ``None`` when no ``via_kinds`` filter asks for it (reading it can cost a join).
"""

LayerExpander = Callable[[Sequence[str], Direction], Iterable[Step]]
"""Expansion of a whole frontier at once, for backends that answer a layer in one query."""


def follows(link: Link, outgoing: bool, direction: Direction) -> bool:
    """Whether ``expand`` in ``direction`` follows ``link`` from the end it stands at.

    ``outgoing`` says that end is the link's source. An undirected link is followed in every
    direction, and ``both`` follows every link.
    """
    return not link.directed or direction == "both" or (direction == "out") == outgoing


def one_link_per_neighbour(expand: Expander) -> Expander:
    """``expand`` keeping, for each neighbour, only the hop of the lowest link id.

    Paths walked over it are distinct by the entities they pass through.
    """

    def collapsed(entity_id: str, direction: Direction) -> list[Hop]:
        kept: dict[str, Hop] = {}
        for hop in expand(entity_id, direction):
            known = kept.get(hop.neighbour.id)
            if known is None or hop.link.id < known.link.id:
                kept[hop.neighbour.id] = hop
        return sorted(kept.values(), key=lambda hop: hop.link.id)

    return collapsed


def reverse(direction: Direction) -> Direction:
    """The direction that walks the same links the other way."""
    return {"out": "in", "in": "out", "both": "both"}[direction]  # type: ignore[return-value]


def _admits(kinds: frozenset[EntityKind] | None, entity: Entity) -> bool:
    return kinds is None or entity.kind in kinds


def neighbourhood(
    root: Entity,
    expand: Expander,
    *,
    depth: int,
    direction: Direction,
    kinds: frozenset[EntityKind] | None,
    max_entities: int,
) -> Subgraph:
    """Breadth-first neighbourhood of ``root`` to ``depth`` hops.

    The result holds the root, every admissible entity within ``depth`` hops (reached only
    through admissible entities), and every link followed: each admissible link incident to an
    entity fewer than ``depth`` hops from the root.

    Raises:
        ValidationFailed: more than ``max_entities`` entities would be returned.
    """
    entities: dict[str, Entity] = {root.id: root}
    links: dict[str, Link] = {}
    frontier = [root.id]
    for _ in range(depth):
        next_frontier: list[str] = []
        for entity_id in frontier:
            for hop in expand(entity_id, direction):
                if not _admits(kinds, hop.neighbour):
                    continue
                links[hop.link.id] = hop.link
                if hop.neighbour.id not in entities:
                    entities[hop.neighbour.id] = hop.neighbour
                    next_frontier.append(hop.neighbour.id)
                    if len(entities) > max_entities:
                        raise ValidationFailed(
                            f"the neighbourhood of {root.id!r} holds more than {max_entities} "
                            "entities; lower the depth or filter by link type or kind"
                        )
        frontier = sorted(next_frontier)
        if not frontier:
            break
    return Subgraph(
        entities=tuple(entities[key] for key in sorted(entities)),
        links=tuple(links[key] for key in sorted(links)),
    )


@dataclass
class _Search:
    """One side of the bidirectional search: distances and the DAG edges toward its origin."""

    origin: str
    direction: Direction
    distance: dict[str, int] = field(default_factory=dict)
    edges: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    frontier: list[str] = field(default_factory=list)
    depth: int = 0

    def __post_init__(self) -> None:
        self.distance[self.origin] = 0
        self.frontier = [self.origin]

    def advance(
        self, expand_layer: LayerExpander, admits: Callable[[str, EntityKind | None], bool]
    ) -> None:
        """Expand the whole current frontier by one layer."""
        self.depth += 1
        reached: list[str] = []
        for node, link_id, neighbour, kind in expand_layer(self.frontier, self.direction):
            if not admits(neighbour, kind):
                continue
            known = self.distance.get(neighbour)
            if known is None:
                self.distance[neighbour] = self.depth
                reached.append(neighbour)
                known = self.depth
            if known == self.depth:
                self.edges.setdefault(neighbour, set()).add((link_id, node))
        self.frontier = sorted(reached)


def shortest_paths(
    source: Entity,
    target: Entity,
    expand: Expander,
    *,
    max_depth: int,
    direction: Direction,
    via_kinds: frozenset[EntityKind] | None,
    max_paths: int,
) -> list[Path]:
    """All shortest paths from ``source`` to ``target`` of at most ``max_depth`` links.

    A bidirectional breadth-first search: the two sides advance a whole layer at a time, the
    smaller frontier first, until they meet. ``direction`` is read from the source's side;
    intermediate entities must be of ``via_kinds`` when given (the endpoints always qualify).
    Paths come in the order of their steps, each step compared by entity id then link id, and
    at most ``max_paths`` are returned.
    """

    def expand_layer(frontier: Sequence[str], towards: Direction) -> Iterator[Step]:
        for node in frontier:
            for hop in expand(node, towards):
                yield node, hop.link.id, hop.neighbour.id, hop.neighbour.kind

    return shortest_paths_by_layer(
        source.id,
        target.id,
        expand_layer,
        max_depth=max_depth,
        direction=direction,
        via_kinds=via_kinds,
        max_paths=max_paths,
    )


def shortest_paths_by_layer(
    source_id: str,
    target_id: str,
    expand_layer: LayerExpander,
    *,
    max_depth: int,
    direction: Direction,
    via_kinds: frozenset[EntityKind] | None,
    max_paths: int,
) -> list[Path]:
    """:func:`shortest_paths` over a backend that expands a whole frontier per call.

    Both ids must exist. Gives exactly the paths, in exactly the order, that
    :func:`shortest_paths` gives.
    """
    if source_id == target_id:
        return [Path(entity_ids=(source_id,), link_ids=())]

    def admits(entity_id: str, kind: EntityKind | None) -> bool:
        return entity_id in (source_id, target_id) or via_kinds is None or kind in via_kinds

    forward = _Search(source_id, direction)
    backward = _Search(target_id, reverse(direction))
    while forward.depth + backward.depth < max_depth:
        if not forward.frontier or not backward.frontier:
            return []
        side = forward if len(forward.frontier) <= len(backward.frontier) else backward
        side.advance(expand_layer, admits)
        middles = sorted(
            node
            for node, distance in forward.distance.items()
            if distance == forward.depth and backward.distance.get(node) == backward.depth
        )
        if middles:
            return list(_enumerate(source_id, forward, backward, middles, max_paths))
    return []


def _enumerate(
    source_id: str, forward: _Search, backward: _Search, middles: list[str], max_paths: int
) -> Iterator[Path]:
    """Walk the DAG of shortest paths from the source in step order, up to ``max_paths``."""
    steps: dict[str, set[tuple[str, str]]] = {}
    pending, seen = list(middles), set(middles)
    while pending:
        node = pending.pop()
        for link_id, parent in forward.edges.get(node, ()):
            steps.setdefault(parent, set()).add((node, link_id))
            if parent not in seen:
                seen.add(parent)
                pending.append(parent)
    pending, seen = list(middles), set(middles)
    while pending:
        node = pending.pop()
        for link_id, child in backward.edges.get(node, ()):
            steps.setdefault(node, set()).add((child, link_id))
            if child not in seen:
                seen.add(child)
                pending.append(child)
    ordered = {node: sorted(options) for node, options in steps.items()}
    total_steps = forward.depth + backward.depth
    produced = 0
    entity_path: list[str] = [source_id]
    link_path: list[str] = []

    def walk(node: str) -> Iterator[Path]:
        nonlocal produced
        if len(link_path) == total_steps:
            produced += 1
            yield Path(entity_ids=tuple(entity_path), link_ids=tuple(link_path))
            return
        for child, link_id in ordered.get(node, ()):
            if produced >= max_paths:
                return
            entity_path.append(child)
            link_path.append(link_id)
            yield from walk(child)
            entity_path.pop()
            link_path.pop()

    yield from walk(source_id)


def timeline(
    targets: list[Entity],
    expand: Expander,
    *,
    start: datetime | None,
    end: datetime | None,
) -> list[TimelineEntry]:
    """Events that are, or are linked by one hop to, any of ``targets``, in time order.

    An event is kept when it has ``occurred_from`` and its interval overlaps ``[start, end)``;
    entries are ordered by ``occurred_from`` then id.
    """
    events: dict[str, Entity] = {}
    related: dict[str, set[str]] = {}

    def note(event: Entity, target_id: str) -> None:
        events[event.id] = event
        related.setdefault(event.id, set()).add(target_id)

    for target in targets:
        if target.kind is EntityKind.EVENT:
            note(target, target.id)
        for hop in expand(target.id, "both"):
            if hop.neighbour.kind is EntityKind.EVENT:
                note(hop.neighbour, target.id)
    entries = []
    for event in events.values():
        fields = event.event
        if fields is None or fields.occurred_from is None:
            continue
        finish = fields.occurred_to or fields.occurred_from
        if start is not None and finish < start:
            continue
        if end is not None and fields.occurred_from >= end:
            continue
        entries.append(TimelineEntry(event=event, related_ids=tuple(sorted(related[event.id]))))
    entries.sort(key=lambda entry: (entry.event.event.occurred_from, entry.event.id))  # type: ignore[union-attr]
    return entries
