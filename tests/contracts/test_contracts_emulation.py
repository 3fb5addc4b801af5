"""The emulated graph operations against brute-force oracles on random small multigraphs.

Graphs hold parallel links, self-loops, and directed and undirected links. Shortest paths are
checked against an enumeration of every simple path; neighbourhoods against a breadth-first
search written from the definition in ``contracts/emulation.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest
from contracts_strategies import GRAPH_KINDS, LINK_TYPES, multigraphs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters import InMemoryCaseStore
from contracts import Entity, EntityKind, Link, ValidationFailed

GRAPH_SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

directions = st.sampled_from(("out", "in", "both"))
link_type_filters = st.none() | st.lists(st.sampled_from(LINK_TYPES), min_size=1, unique=True)
kind_filters = st.none() | st.lists(st.sampled_from(GRAPH_KINDS), unique=True)


# ---------------------------------------------------------------------------- oracles


def steps_from(
    node: str, edges: list[Link], direction: str, link_types: list[str] | None
) -> Iterator[tuple[str, str]]:
    """(link id, neighbour id) for every link walkable from ``node`` in ``direction``.

    A link leaves its source and enters its target; an undirected link may be walked either
    way; a self-link counts once, as leaving.
    """
    for edge in edges:
        if link_types is not None and edge.type not in link_types:
            continue
        if edge.source_id == node:
            if not edge.directed or direction in ("out", "both"):
                yield edge.id, edge.target_id
        elif edge.target_id == node and (not edge.directed or direction in ("in", "both")):
            yield edge.id, edge.source_id


def oracle_shortest_paths(
    nodes: list[Entity],
    edges: list[Link],
    source: str,
    target: str,
    *,
    max_depth: int,
    direction: str,
    link_types: list[str] | None,
    via_kinds: list[EntityKind] | None,
    max_paths: int,
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every simple path by depth-first search, the shortest kept, in step order."""
    if source == target:
        return [((source,), ())]
    kind = {node.id: node.kind for node in nodes}
    found: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def walk(entity_path: list[str], link_path: list[str]) -> None:
        here = entity_path[-1]
        if here == target:
            found.append((tuple(entity_path), tuple(link_path)))
            return
        if len(link_path) == max_depth:
            return
        for link_id, there in steps_from(here, edges, direction, link_types):
            if there in entity_path:
                continue
            if there != target and via_kinds is not None and kind[there] not in via_kinds:
                continue
            walk([*entity_path, there], [*link_path, link_id])

    walk([source], [])
    if not found:
        return []
    shortest = min(len(links) for _, links in found)

    def step_key(path: tuple[tuple[str, ...], tuple[str, ...]]) -> list[tuple[str, str]]:
        entity_ids, link_ids = path
        return list(zip(entity_ids[1:], link_ids, strict=True))

    return sorted((p for p in found if len(p[1]) == shortest), key=step_key)[:max_paths]


def oracle_neighbourhood(
    nodes: list[Entity],
    edges: list[Link],
    root: str,
    *,
    depth: int,
    direction: str,
    link_types: list[str] | None,
    kinds: list[EntityKind] | None,
) -> tuple[list[str], list[str]]:
    """Entity and link ids of the neighbourhood, by the documented definition.

    Entities: the root, and every admissible entity within ``depth`` hops reached only through
    admissible entities. Links: each admissible link (walkable, of a wanted type, to an
    admissible entity) incident to an entity fewer than ``depth`` hops from the root.
    """
    kind = {node.id: node.kind for node in nodes}

    def admissible(entity_id: str) -> bool:
        return kinds is None or kind[entity_id] in kinds

    distance = {root: 0}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        if distance[here] == depth:
            continue
        for _link_id, there in steps_from(here, edges, direction, link_types):
            if admissible(there) and there not in distance:
                distance[there] = distance[here] + 1
                queue.append(there)
    followed = {
        link_id
        for here, hops in distance.items()
        if hops < depth
        for link_id, there in steps_from(here, edges, direction, link_types)
        if admissible(there)
    }
    return sorted(distance), sorted(followed)


# ---------------------------------------------------------------------------- tests


@GRAPH_SETTINGS
@given(
    graph=multigraphs(),
    data=st.data(),
    direction=directions,
    max_depth=st.integers(0, 5),
    max_paths=st.integers(1, 6),
    link_types=link_type_filters,
    via_kinds=kind_filters,
)
def test_shortest_paths_equal_the_brute_force_enumeration(
    graph: tuple[list[Entity], list[Link]],
    data: st.DataObject,
    direction: Any,
    max_depth: int,
    max_paths: int,
    link_types: list[str] | None,
    via_kinds: list[EntityKind] | None,
) -> None:
    """All shortest paths, filtered, ordered by step and capped, match the oracle exactly."""
    nodes, edges = graph
    store = InMemoryCaseStore([*nodes, *edges])
    ids = [node.id for node in nodes]
    source = data.draw(st.sampled_from(ids), label="source")
    target = data.draw(st.sampled_from(ids), label="target")
    paths = store.shortest_paths(
        source,
        target,
        max_depth=max_depth,
        direction=direction,
        link_types=link_types,
        via_kinds=via_kinds,
        max_paths=max_paths,
    )
    expected = oracle_shortest_paths(
        nodes,
        edges,
        source,
        target,
        max_depth=max_depth,
        direction=direction,
        link_types=link_types,
        via_kinds=via_kinds,
        max_paths=max_paths,
    )
    assert [(path.entity_ids, path.link_ids) for path in paths] == expected
    for path in paths:
        assert path.length == len(path.entity_ids) - 1


@settings(GRAPH_SETTINGS, max_examples=50)
@given(graph=multigraphs(), data=st.data(), direction=directions)
def test_shortest_paths_read_the_same_backwards_with_the_direction_reversed(
    graph: tuple[list[Entity], list[Link]], data: st.DataObject, direction: Any
) -> None:
    """Paths from B to A, walked in reverse, are exactly the paths from A to B."""
    nodes, edges = graph
    store = InMemoryCaseStore([*nodes, *edges])
    ids = [node.id for node in nodes]
    source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    reverse = {"out": "in", "in": "out", "both": "both"}[direction]
    forward = store.shortest_paths(source, target, direction=direction, max_paths=10_000)
    backward = store.shortest_paths(target, source, direction=reverse, max_paths=10_000)
    flipped = {(p.entity_ids[::-1], p.link_ids[::-1]) for p in backward}
    assert {(p.entity_ids, p.link_ids) for p in forward} == flipped


@GRAPH_SETTINGS
@given(
    graph=multigraphs(),
    data=st.data(),
    direction=directions,
    depth=st.integers(0, 4),
    link_types=link_type_filters,
    kinds=kind_filters,
)
def test_neighbourhood_equals_the_breadth_first_oracle(
    graph: tuple[list[Entity], list[Link]],
    data: st.DataObject,
    direction: Any,
    depth: int,
    link_types: list[str] | None,
    kinds: list[EntityKind] | None,
) -> None:
    """Entities and links of a neighbourhood match the documented definition, sorted by id."""
    nodes, edges = graph
    store = InMemoryCaseStore([*nodes, *edges])
    root = data.draw(st.sampled_from([node.id for node in nodes]), label="root")
    subgraph = store.neighbourhood(
        root, depth=depth, direction=direction, link_types=link_types, neighbour_kinds=kinds
    )
    entity_ids, link_ids = oracle_neighbourhood(
        nodes, edges, root, depth=depth, direction=direction, link_types=link_types, kinds=kinds
    )
    assert [entity.id for entity in subgraph.entities] == entity_ids
    assert [link.id for link in subgraph.links] == link_ids
    by_id = {record.id: record for record in [*nodes, *edges]}
    assert all(record == by_id[record.id] for record in (*subgraph.entities, *subgraph.links))


@settings(GRAPH_SETTINGS, max_examples=50)
@given(graph=multigraphs(), data=st.data(), depth=st.integers(1, 3))
def test_neighbourhood_refuses_to_grow_past_max_entities(
    graph: tuple[list[Entity], list[Link]], data: st.DataObject, depth: int
) -> None:
    """A neighbourhood of n entities is returned with max_entities n and refused with n - 1."""
    nodes, edges = graph
    store = InMemoryCaseStore([*nodes, *edges])
    root = data.draw(st.sampled_from([node.id for node in nodes]), label="root")
    size = len(store.neighbourhood(root, depth=depth).entities)
    assert len(store.neighbourhood(root, depth=depth, max_entities=size).entities) == size
    if size > 1:
        with pytest.raises(ValidationFailed, match=f"more than {size - 1} entities"):
            store.neighbourhood(root, depth=depth, max_entities=size - 1)


def _chain() -> list[Entity | Link]:
    """A -> b -> c, a second a -> b link, an undirected b - d, and a self-loop on c."""
    people = [
        Entity(id=name, kind=EntityKind.PERSON, subtype="node", label=name) for name in "abcd"
    ]
    return [
        *people,
        Link(id="l2", type="KNOWS", source_id="a", target_id="b"),
        Link(id="l1", type="KNOWS", source_id="a", target_id="b"),
        Link(id="l3", type="USES", source_id="b", target_id="c"),
        Link(id="l4", type="KNOWS", source_id="b", target_id="d", directed=False),
        Link(id="l5", type="KNOWS", source_id="c", target_id="c"),
    ]


@pytest.mark.parametrize(
    ("source", "target", "options", "expected"),
    [
        pytest.param("a", "a", {}, [(("a",), ())], id="to itself"),
        pytest.param("a", "a", {"max_depth": 0}, [(("a",), ())], id="to itself at depth 0"),
        pytest.param("a", "b", {"max_depth": 0}, [], id="depth 0 elsewhere"),
        pytest.param(
            "a", "c", {}, [(("a", "b", "c"), ("l1", "l3")), (("a", "b", "c"), ("l2", "l3"))]
        ),
        pytest.param("a", "c", {"max_paths": 1}, [(("a", "b", "c"), ("l1", "l3"))], id="capped"),
        pytest.param("c", "a", {"direction": "out"}, [], id="against the arrows"),
        pytest.param("a", "c", {"link_types": ["KNOWS"]}, [], id="type filter"),
        pytest.param("a", "c", {"via_kinds": [EntityKind.OBJECT]}, [], id="via kinds"),
        pytest.param(
            "d",
            "a",
            {"direction": "in"},
            [(("d", "b", "a"), ("l4", "l1")), (("d", "b", "a"), ("l4", "l2"))],
            id="in",
        ),
    ],
)
def test_shortest_paths_on_a_known_graph(
    source: str, target: str, options: dict[str, Any], expected: list[Any]
) -> None:
    """Hand-checked answers: parallel links give parallel paths, in link-id order."""
    store = InMemoryCaseStore(_chain())
    paths = store.shortest_paths(source, target, **options)
    assert [(path.entity_ids, path.link_ids) for path in paths] == expected


@pytest.mark.parametrize(
    ("direction", "links"),
    [("out", ["l5"]), ("in", []), ("both", ["l5"])],
)
def test_a_directed_self_loop_counts_as_leaving_its_entity(
    direction: Any, links: list[str]
) -> None:
    """A self-link is walked as an outgoing link only, as ``Hop.direction`` documents."""
    store = InMemoryCaseStore(_chain())
    subgraph = store.neighbourhood("c", depth=1, direction=direction, link_types=["KNOWS"])
    assert [link.id for link in subgraph.links] == links
    assert [hop.direction for hop in store.expand("c", link_types=["KNOWS"])] == ["out"]
