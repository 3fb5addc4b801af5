"""The questions the demo investigation asks, written once against any store.

The demo finds its cast in the data (suspects through ``PARTY_TO`` links with the role
suspect, a pair of suspects the graph connects, a case to put on a timeline) and then asks
every backend the same questions through :func:`answers`, so their answers can be compared
field by field.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from contracts.models.cases import Case
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import LinkRole
from contracts.query import And, Eq, SearchQuery, Text
from contracts.results import Path
from contracts.store import CaseStore

__all__ = [
    "NEIGHBOURHOOD_DEPTH",
    "PATH_MAX_DEPTH",
    "PATH_VIA",
    "Connection",
    "Questions",
    "Suspect",
    "answers",
    "case_for",
    "find_connection",
    "find_suspects",
    "people_named",
    "search_text",
]

PARTY_TO: Final = "PARTY_TO"
NEIGHBOURHOOD_DEPTH: Final = 2
PATH_MAX_DEPTH: Final = 4
PATH_VIA: Final = (EntityKind.PERSON,)
"""Paths between suspects go through people only, not shared officers, crimes or postcodes."""
MAX_PATHS: Final = 5
_MAX_PAIRS: Final = 60
_HIDDEN: Final = 3
"""Links on a path with at least two people in between: a connection worth showing."""
_PAGE: Final = 1_000


@dataclass(frozen=True, slots=True)
class Suspect:
    """A person linked to at least one event with the role suspect."""

    person: Entity
    events: tuple[Entity, ...]


@dataclass(frozen=True, slots=True)
class Connection:
    """Two suspects and the shortest paths between them."""

    source: Suspect
    target: Suspect
    paths: tuple[Path, ...]


@dataclass(frozen=True, slots=True)
class Questions:
    """What the investigation asks; every backend gets exactly these."""

    text: str
    person_id: str
    path_ends: tuple[str, str] | None
    case_id: str | None


def _events(store: CaseStore) -> Iterator[Entity]:
    return store.iter_search(
        SearchQuery(filter=Eq("kind", EntityKind.EVENT.value), page_size=_PAGE)
    )


def find_suspects(store: CaseStore) -> list[Suspect]:
    """Every person who is a suspect in some event, most events first, then by label."""
    events_of: dict[str, list[Entity]] = {}
    people: dict[str, Entity] = {}
    for event in _events(store):
        for hop in store.expand(event.id, link_types=[PARTY_TO]):
            if hop.link.role is LinkRole.SUSPECT and hop.neighbour.kind is EntityKind.PERSON:
                people[hop.neighbour.id] = hop.neighbour
                events_of.setdefault(hop.neighbour.id, []).append(event)
    suspects = [Suspect(people[i], tuple(events)) for i, events in events_of.items()]
    return sorted(suspects, key=lambda s: (-len(s.events), s.person.label, s.person.id))


def search_text(store: CaseStore, person: Entity) -> str:
    """What a witness might say that finds ``person`` on the first page of a people search.

    The family name alone when that is enough (it usually finds a few namesakes too), else
    the first and family name, else the whole label.
    """
    block = person.person
    candidates: list[str] = []
    if block is not None and block.family_name:
        candidates.append(block.family_name)
        if block.given_names:
            candidates.append(f"{block.given_names[0]} {block.family_name}")
    for text in candidates:
        if any(found.id == person.id for found in store.search(people_named(text)).items):
            return text
    return person.label


def people_named(text: str) -> SearchQuery:
    """The people whose text fields hold every word of ``text``."""
    return SearchQuery(filter=And(Eq("kind", EntityKind.PERSON.value), Text(text)), page_size=50)


def _pairs(suspects: Sequence[Suspect]) -> Iterator[tuple[Suspect, Suspect]]:
    # The main suspect first, so the story stays about one person when the data allows it.
    for other in suspects[1:]:
        yield suspects[0], other
    yield from itertools.combinations(suspects[1:], 2)


def find_connection(
    store: CaseStore, suspects: Sequence[Suspect], *, max_depth: int = PATH_MAX_DEPTH
) -> Connection | None:
    """A pair of suspects connected through people within ``max_depth`` links.

    The first pair with at least two people in between is taken, else the pair with the
    longest shortest path found: a hidden connection is what an analyst looks for. At most a
    fixed number of pairs is tried.
    """
    fallback: Connection | None = None
    for source, target in itertools.islice(_pairs(suspects), _MAX_PAIRS):
        found = store.shortest_paths(
            source.person.id,
            target.person.id,
            max_depth=max_depth,
            via_kinds=PATH_VIA,
            max_paths=MAX_PATHS,
        )
        if not found:
            continue
        connection = Connection(source, target, tuple(found))
        if found[0].length >= _HIDDEN:
            return connection
        if fallback is None or found[0].length > fallback.paths[0].length:
            fallback = connection
    return fallback


def _cases(store: CaseStore) -> Iterator[Case]:
    cursor: str | None = None
    while True:
        page = store.list_records(Case, page_size=_PAGE, cursor=cursor)
        yield from page.items
        cursor = page.next_cursor
        if cursor is None:
            return


def case_for(store: CaseStore, person_id: str) -> Case | None:
    """The largest case with ``person_id`` among its members, else the largest case."""
    best: tuple[bool, int] | None = None
    chosen: Case | None = None
    # Cases come by id and only a strictly better one replaces the choice, so ties go to the
    # smallest id and every backend leads to the same case.
    for case in _cases(store):
        rank = (any(m.entity_id == person_id for m in case.members), len(case.members))
        if best is None or rank > best:
            best, chosen = rank, case
    return chosen


def answers(store: CaseStore, questions: Questions) -> dict[str, Any]:
    """The store's answers to ``questions`` as plain data, for comparison between stores."""
    found = store.search(people_named(questions.text))
    network = store.neighbourhood(questions.person_id, depth=NEIGHBOURHOOD_DEPTH)
    result: dict[str, Any] = {
        "search": [entity.id for entity in found.items],
        "network": {
            "entities": [entity.id for entity in network.entities],
            "links": [link.id for link in network.links],
        },
        "paths": None,
        "timeline": None,
    }
    if questions.path_ends is not None:
        source, target = questions.path_ends
        result["paths"] = [
            path.model_dump(mode="json")
            for path in store.shortest_paths(
                source, target, max_depth=PATH_MAX_DEPTH, via_kinds=PATH_VIA, max_paths=MAX_PATHS
            )
        ]
    if questions.case_id is not None:
        result["timeline"] = [
            [entry.event.id, list(entry.related_ids)]
            for entry in store.timeline(case_id=questions.case_id)
        ]
    return result
