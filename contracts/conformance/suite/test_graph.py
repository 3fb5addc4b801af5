"""Graph operations on one small hand-built graph with parallel links, a diamond and loops.

::

    A ─l01─▶ B ─l04─▶ D ─l06─▶ E ─l07─ F      (l07 undirected)
    A ─l02─▶ B        ▲        ▲
    A ─l03─▶ C ─l05───┘        │
    A ─l09─▶ V ─l10────────────┘              (V is an OBJECT)
    A ─l08─▶ A                                (self-link)
    P ─l11─ P                                 (undirected self-link, otherwise alone)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import NotFound, ValidationFailed
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.results import Direction, Hop, Path, Subgraph
from contracts.store import CaseStore

EXPAND = pytest.mark.capability(Capability.GRAPH_EXPAND)
NEIGHBOURHOOD = pytest.mark.capability(Capability.GRAPH_NEIGHBOURHOOD)
PATHS = pytest.mark.capability(Capability.GRAPH_SHORTEST_PATHS)

_LINKS = [
    ("l01", "A", "B", "KNOWS", True),
    ("l02", "A", "B", "KNOWS", True),
    ("l03", "A", "C", "KNOWS", True),
    ("l04", "B", "D", "KNOWS", True),
    ("l05", "C", "D", "KNOWS", True),
    ("l06", "D", "E", "CALLED", True),
    ("l07", "E", "F", "KNOWS", False),
    ("l08", "A", "A", "KNOWS", True),
    ("l09", "A", "V", "OWNS", True),
    ("l10", "V", "E", "SEEN_WITH", True),
    ("l11", "P", "P", "ADJACENT_TO", False),
]


def _graph(store: CaseStore) -> None:
    for name in "ABCDEF":
        store.create(data.entity(name))
    store.create(data.entity("V", EntityKind.OBJECT))
    store.create(data.entity("P", EntityKind.LOCATION))
    for link_id, source, target, link_type, directed in _LINKS:
        store.create(data.link(link_id, source, target, link_type, directed=directed))


def _hops(hops: list[Hop]) -> list[tuple[str, str, str]]:
    return [(hop.link.id, hop.neighbour.id, hop.direction) for hop in hops]


def _ids(subgraph: Subgraph) -> tuple[list[str], list[str]]:
    return [e.id for e in subgraph.entities], [link.id for link in subgraph.links]


def _paths(paths: list[Path]) -> list[tuple[list[str], list[str]]]:
    return [(list(path.entity_ids), list(path.link_ids)) for path in paths]


_OUT_OF_A = [
    ("l01", "B", "out"),
    ("l02", "B", "out"),
    ("l03", "C", "out"),
    ("l08", "A", "out"),
    ("l09", "V", "out"),
]


@pytest.mark.requirement("GRAPH-001", "GRAPH-002")
@EXPAND
def test_expand_returns_a_hop_per_link_ordered_by_link_id(store: CaseStore) -> None:
    """Each link of the entity gives one hop with the entity at its other end."""
    _graph(store)
    hops = store.expand("A")
    assert _hops(hops) == _OUT_OF_A
    assert hops[0].link == store.get(Link, "l01")
    assert hops[0].neighbour == store.get(Entity, "B")
    assert _hops(store.expand("E")) == [("l06", "D", "in"), ("l07", "F", "out"), ("l10", "V", "in")]


@pytest.mark.requirement("GRAPH-002")
@EXPAND
@pytest.mark.parametrize(
    ("entity_id", "direction", "expected"),
    [
        ("A", "out", _OUT_OF_A),
        ("A", "in", []),
        ("D", "both", [("l04", "B", "in"), ("l05", "C", "in"), ("l06", "E", "out")]),
        ("D", "out", [("l06", "E", "out")]),
        ("D", "in", [("l04", "B", "in"), ("l05", "C", "in")]),
        ("F", "in", [("l07", "E", "in")]),
        ("F", "out", [("l07", "E", "in")]),
        ("F", "both", [("l07", "E", "in")]),
    ],
)
def test_expand_follows_the_direction_asked(
    store: CaseStore, entity_id: str, direction: Direction, expected: list[tuple[str, str, str]]
) -> None:
    """Out follows links leaving, in links arriving; undirected links go every way."""
    _graph(store)
    assert _hops(store.expand(entity_id, direction=direction)) == expected


@pytest.mark.requirement("GRAPH-003", "LNK-004")
@EXPAND
def test_a_self_link_counts_as_leaving_its_entity(store: CaseStore) -> None:
    """A directed self-link is out only; an undirected one is found in every direction."""
    _graph(store)
    assert ("l08", "A", "out") in _hops(store.expand("A", direction="out"))
    assert _hops(store.expand("A", direction="in")) == []
    for direction in ("out", "in", "both"):
        assert _hops(store.expand("P", direction=direction)) == [("l11", "P", "out")]


@pytest.mark.requirement("GRAPH-004")
@EXPAND
def test_expand_filters_by_link_type_and_neighbour_kind(store: CaseStore) -> None:
    """link_types keeps links of those types; neighbour_kinds keeps hops to those kinds."""
    _graph(store)
    assert _hops(store.expand("A", link_types=["OWNS"])) == [("l09", "V", "out")]
    assert _hops(store.expand("A", link_types=["KNOWS", "OWNS"])) == _OUT_OF_A
    assert _hops(store.expand("A", link_types=["CALLED"])) == []
    assert _hops(store.expand("A", neighbour_kinds=[EntityKind.OBJECT])) == [("l09", "V", "out")]
    assert _hops(store.expand("A", neighbour_kinds=[EntityKind.PERSON])) == _OUT_OF_A[:4]
    only = store.expand("E", link_types=["KNOWS"], neighbour_kinds=[EntityKind.PERSON])
    assert _hops(only) == [("l07", "F", "out")]


@pytest.mark.requirement("GRAPH-005")
@NEIGHBOURHOOD
@pytest.mark.parametrize(
    ("depth", "entities", "links"),
    [
        (0, "A", []),
        (1, "ABCV", ["l01", "l02", "l03", "l08", "l09"]),
        (2, "ABCDEV", ["l01", "l02", "l03", "l04", "l05", "l08", "l09", "l10"]),
        (3, "ABCDEFV", [link[0] for link in _LINKS[:10]]),
        (10, "ABCDEFV", [link[0] for link in _LINKS[:10]]),
    ],
)
def test_a_neighbourhood_holds_the_entities_within_depth_and_the_links_followed(
    store: CaseStore, depth: int, entities: str, links: list[str]
) -> None:
    """Links between two entities at the full depth are not followed, so not returned."""
    _graph(store)
    subgraph = store.neighbourhood("A", depth=depth)
    assert _ids(subgraph) == (list(entities), links)
    assert list(subgraph.entities) == store.get_many(Entity, list(entities))
    assert list(subgraph.links) == store.get_many(Link, links)


@pytest.mark.requirement("GRAPH-005")
@NEIGHBOURHOOD
def test_a_neighbourhood_follows_direction_types_and_kinds(store: CaseStore) -> None:
    """Direction, link types and neighbour kinds limit what is walked through."""
    _graph(store)
    assert _ids(store.neighbourhood("D", depth=2, direction="in")) == (
        ["A", "B", "C", "D"],
        ["l01", "l02", "l03", "l04", "l05"],
    )
    assert _ids(store.neighbourhood("D", depth=2, direction="out")) == (
        ["D", "E", "F"],
        ["l06", "l07"],
    )
    knows = ["l01", "l02", "l03", "l04", "l05", "l08"]
    assert _ids(store.neighbourhood("A", depth=3, link_types=["KNOWS"])) == (
        ["A", "B", "C", "D"],
        knows,
    )
    people = store.neighbourhood("A", depth=2, neighbour_kinds=[EntityKind.PERSON])
    assert _ids(people) == (["A", "B", "C", "D"], knows)
    objects = store.neighbourhood("A", depth=2, neighbour_kinds=[EntityKind.OBJECT])
    assert _ids(objects) == (["A", "V"], ["l09"])
    assert _ids(store.neighbourhood("P", depth=2)) == (["P"], ["l11"])


@pytest.mark.requirement("GRAPH-006")
@NEIGHBOURHOOD
def test_a_neighbourhood_larger_than_max_entities_is_refused(store: CaseStore) -> None:
    """Seven entities do not fit in six: the whole answer is refused, not cut."""
    _graph(store)
    with pytest.raises(ValidationFailed):
        store.neighbourhood("A", depth=3, max_entities=6)
    assert len(store.neighbourhood("A", depth=3, max_entities=7).entities) == 7


@pytest.mark.requirement("GRAPH-007", "GRAPH-008", "GRAPH-010")
@PATHS
def test_shortest_paths_through_a_diamond_with_parallel_links(store: CaseStore) -> None:
    """A to D: two parallel links via B and one via C, ordered by step."""
    _graph(store)
    expected = [
        (["A", "B", "D"], ["l01", "l04"]),
        (["A", "B", "D"], ["l02", "l04"]),
        (["A", "C", "D"], ["l03", "l05"]),
    ]
    assert _paths(store.shortest_paths("A", "D")) == expected
    assert _paths(store.shortest_paths("A", "D", direction="out")) == expected
    assert _paths(store.shortest_paths("A", "D", max_paths=2)) == expected[:2]
    assert _paths(store.shortest_paths("A", "D", max_paths=1)) == expected[:1]
    assert [path.length for path in store.shortest_paths("A", "D")] == [2, 2, 2]


@pytest.mark.requirement("GRAPH-014", "GRAPH-015")
@PATHS
def test_paths_may_count_entity_sequences_once_and_say_when_cut_short(store: CaseStore) -> None:
    """Parallel links collapse to the lowest link id; a cut at max_paths is reported."""
    _graph(store)
    every = store.shortest_paths("A", "D")
    assert not every.truncated
    assert store.shortest_paths("A", "D", max_paths=2).truncated
    assert not store.shortest_paths("A", "D", max_paths=3).truncated
    by_entities = store.shortest_paths("A", "D", distinct="entities")
    assert _paths(by_entities) == [
        (["A", "B", "D"], ["l01", "l04"]),
        (["A", "C", "D"], ["l03", "l05"]),
    ]
    assert not by_entities.truncated
    first = store.shortest_paths("A", "D", distinct="entities", max_paths=1)
    assert _paths(first) == [(["A", "B", "D"], ["l01", "l04"])]
    assert first.truncated
    assert not store.shortest_paths("A", "A").truncated


@pytest.mark.requirement("GRAPH-007")
@PATHS
@pytest.mark.parametrize(
    ("source", "target", "options", "expected"),
    [
        ("A", "E", {}, [(["A", "V", "E"], ["l09", "l10"])]),
        ("A", "E", {"max_depth": 1}, []),
        ("A", "E", {"max_depth": 2}, [(["A", "V", "E"], ["l09", "l10"])]),
        (
            "A",
            "E",
            {"link_types": ["KNOWS", "CALLED"]},
            [
                (["A", "B", "D", "E"], ["l01", "l04", "l06"]),
                (["A", "B", "D", "E"], ["l02", "l04", "l06"]),
                (["A", "C", "D", "E"], ["l03", "l05", "l06"]),
            ],
        ),
        ("A", "D", {"direction": "in"}, []),
        (
            "D",
            "A",
            {"direction": "in"},
            [
                (["D", "B", "A"], ["l04", "l01"]),
                (["D", "B", "A"], ["l04", "l02"]),
                (["D", "C", "A"], ["l05", "l03"]),
            ],
        ),
        ("F", "E", {"direction": "out"}, [(["F", "E"], ["l07"])]),
        ("F", "D", {"direction": "out"}, []),
        ("F", "D", {"direction": "in"}, [(["F", "E", "D"], ["l07", "l06"])]),
        ("F", "A", {}, [(["F", "E", "V", "A"], ["l07", "l10", "l09"])]),
        ("F", "A", {"max_depth": 2}, []),
        ("A", "A", {}, [(["A"], [])]),
        ("P", "P", {}, [(["P"], [])]),
        ("A", "P", {}, []),
    ],
)
def test_shortest_paths_follow_depth_types_and_direction(
    store: CaseStore,
    source: str,
    target: str,
    options: dict[str, Any],
    expected: list[tuple[list[str], list[str]]],
) -> None:
    """Only the shortest paths within max_depth, on wanted types, in the wanted direction."""
    _graph(store)
    assert _paths(store.shortest_paths(source, target, **options)) == expected


@pytest.mark.requirement("GRAPH-009")
@PATHS
def test_via_kinds_restricts_the_entities_between_the_endpoints(store: CaseStore) -> None:
    """Intermediate entities must be of via_kinds; the endpoints need not be."""
    _graph(store)
    assert _paths(store.shortest_paths("A", "E", via_kinds=[EntityKind.PERSON])) == [
        (["A", "B", "D", "E"], ["l01", "l04", "l06"]),
        (["A", "B", "D", "E"], ["l02", "l04", "l06"]),
        (["A", "C", "D", "E"], ["l03", "l05", "l06"]),
    ]
    assert _paths(store.shortest_paths("A", "V", via_kinds=[EntityKind.LOCATION])) == [
        (["A", "V"], ["l09"])
    ]
    assert _paths(store.shortest_paths("E", "A", via_kinds=[EntityKind.LOCATION])) == []


@pytest.mark.requirement("GRAPH-010")
@PATHS
def test_every_link_of_a_path_joins_its_neighbours(store: CaseStore) -> None:
    """Each path has one link fewer than entities, each link joining the entities beside it."""
    _graph(store)
    found = [
        *store.shortest_paths("A", "E", via_kinds=[EntityKind.PERSON]),
        *store.shortest_paths("D", "A", direction="in"),
        *store.shortest_paths("F", "A"),
    ]
    assert len(found) == 7
    for path in found:
        assert len(path.link_ids) == len(path.entity_ids) - 1
        links = store.get_many(Link, path.link_ids)
        steps = zip(path.entity_ids, path.entity_ids[1:], strict=False)
        for link, (left, right) in zip(links, steps, strict=True):
            assert {link.source_id, link.target_id} == {left, right}


@pytest.mark.requirement("GRAPH-011")
@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda s: s.expand("ghost"), marks=EXPAND, id="expand"),
        pytest.param(lambda s: s.neighbourhood("ghost"), marks=NEIGHBOURHOOD, id="neighbourhood"),
        pytest.param(lambda s: s.shortest_paths("ghost", "A"), marks=PATHS, id="from-missing"),
        pytest.param(lambda s: s.shortest_paths("A", "ghost"), marks=PATHS, id="to-missing"),
    ],
)
def test_graph_operations_on_a_missing_entity_raise_not_found(
    store: CaseStore, call: Callable[[CaseStore], object]
) -> None:
    """Starting from, or heading to, an entity that does not exist is NotFound."""
    _graph(store)
    with pytest.raises(NotFound) as missing:
        call(store)
    assert (missing.value.record_type, missing.value.record_id) == ("entity", "ghost")
