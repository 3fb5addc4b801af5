"""Ten questions investigators ask, each answered in one or two calls on every backend.

The store holds a generated POLE-shaped data set (people, places, crimes, cases, links). Each
answer is checked against an oracle computed from the generated records themselves, or, for
graph walks, against the in-memory reference store holding the same records.
"""

from __future__ import annotations

import collections
import itertools
from datetime import timedelta

import pytest

from adapters import InMemoryCaseStore
from caseport.generate import generate
from contracts import (
    AggregateQuery,
    And,
    Case,
    CaseStore,
    Entity,
    Eq,
    Link,
    Prefix,
    Provenance,
    Range,
    Record,
    SearchQuery,
)

ENTITIES = 1_500
RECORDS: list[Record] = list(generate(ENTITIES))
ENTITY_LIST = [r for r in RECORDS if isinstance(r, Entity)]
LINKS = [r for r in RECORDS if isinstance(r, Link)]
CASES = [r for r in RECORDS if isinstance(r, Case)]
CRIMES = [e for e in ENTITY_LIST if e.subtype == "crime"]
IMPORTED = Provenance(source_system="PNC", source_record_id="PNC/24/0001", method="import")


@pytest.fixture
def loaded(store: CaseStore) -> CaseStore:
    """The store under test holding the generated records and two imported ones."""
    store.upsert_many(RECORDS, batch_size=2_000)
    store.upsert_many(
        [
            Entity(
                id="pnc-1",
                kind="PERSON",
                subtype="person",
                label="Imported person",
                provenance=(IMPORTED,),
            ),
            Link(
                id="pnc-l1",
                type="KNOWS",
                source_id="pnc-1",
                target_id=CRIMES[0].id,
                provenance=(IMPORTED,),
            ),
        ]
    )
    return store


@pytest.fixture(scope="module")
def reference() -> CaseStore:
    """The in-memory reference holding the same generated records."""
    return InMemoryCaseStore(RECORDS)


def _top(counts: collections.Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def test_the_ten_questions(loaded: CaseStore, reference: CaseStore) -> None:
    """Crime counts, busy places, an officer's open cases, paths, victims, triangles, ..."""
    # 1. How many crimes of each category?  One call.
    by_category = loaded.aggregate(
        AggregateQuery(filter=Eq("subtype", "crime"), group_by=("event.category",), limit=50)
    )
    expected = collections.Counter(crime.event.category for crime in CRIMES if crime.event)
    assert [(g.key[0], g.count) for g in by_category.groups] == _top(expected, 50)

    # 2. Which five places have the most crimes?  One call.
    places = loaded.aggregate(
        AggregateQuery(filter=Eq("type", "OCCURRED_AT"), group_by=("target_id",), limit=5),
        record_type=Link,
    )
    scenes = collections.Counter(link.target_id for link in LINKS if link.type == "OCCURRED_AT")
    assert [(g.key[0], g.count) for g in places.groups] == _top(scenes, 5)
    assert places.truncated == (len(scenes) > 5)

    # 3. An officer's open cases of one category.  One call.
    chosen = next(case for case in CASES if case.status == "open")
    category = chosen.title.split(" at ")[0]
    query = And(
        Eq("officer_in_case", chosen.officer_in_case or ""),
        Eq("status", "open"),
        Prefix("title", f"{category} at "),
    )
    found = [case.id for case in loaded.iter_search_records(Case, SearchQuery(filter=query))]
    assert found == sorted(
        case.id
        for case in CASES
        if case.officer_in_case == chosen.officer_in_case
        and case.status == "open"
        and case.title.startswith(f"{category} at ")
    )
    assert chosen.id in found

    # 4. How are two suspects connected?  One call.
    suspects = sorted(
        {link.source_id for link in LINKS if link.type == "PARTY_TO" and link.role == "suspect"}
    )
    first, second = suspects[0], suspects[-1]
    paths = loaded.shortest_paths(first, second, max_depth=4, distinct="entities", max_paths=20)
    assert paths == reference.shortest_paths(
        first, second, max_depth=4, distinct="entities", max_paths=20
    )
    assert (
        paths.truncated
        == reference.shortest_paths(
            first, second, max_depth=4, distinct="entities", max_paths=20
        ).truncated
    )

    # 5. The most often victimised people and how connected they are.  Two calls.
    victims = loaded.aggregate(
        AggregateQuery(
            filter=And(Eq("type", "PARTY_TO"), Eq("role", "victim")),
            group_by=("source_id",),
            limit=5,
        ),
        record_type=Link,
    )
    victim_counts = collections.Counter(
        link.source_id for link in LINKS if link.type == "PARTY_TO" and link.role == "victim"
    )
    assert [(g.key[0], g.count) for g in victims.groups] == _top(victim_counts, 5)
    ids = [str(g.key[0]) for g in victims.groups]
    degrees = loaded.degree(ids)
    incident: collections.Counter[str] = collections.Counter()
    for link in LINKS:
        for end in {link.source_id, link.target_id}:
            incident[end] += 1
    assert degrees == {entity_id: incident[entity_id] for entity_id in ids}

    # 6. Triangles of acquaintance around the best-connected associate.  One call.
    associates = collections.defaultdict(set)
    for link in LINKS:
        if link.type == "ASSOCIATE_OF" and link.source_id != link.target_id:
            associates[link.source_id].add(link.target_id)
            associates[link.target_id].add(link.source_id)
    hub = max(sorted(associates), key=lambda key: len(associates[key]))
    around = loaded.neighbourhood(hub, depth=2, link_types=["ASSOCIATE_OF"])
    edges = {frozenset((link.source_id, link.target_id)) for link in around.links}
    near = sorted(associates[hub])
    triangles = {(a, b) for a, b in itertools.combinations(near, 2) if frozenset((a, b)) in edges}
    expected_triangles = {(a, b) for a, b in itertools.combinations(near, 2) if b in associates[a]}
    assert triangles == expected_triangles

    # 7. The case with this reference.  One call.
    reference_number = CASES[0].reference
    page = loaded.search_records(Case, SearchQuery(filter=Eq("reference", reference_number)))
    assert [case.id for case in page.items] == [CASES[0].id]

    # 8. What did we load from this PNC record?  One call.
    loaded_from = loaded.find_by_source("PNC", "PNC/24/0001")
    assert [(r.RECORD_TYPE.value, r.id) for r in loaded_from] == [
        ("entity", "pnc-1"),
        ("link", "pnc-l1"),
    ]

    # 9. The timeline of a suspect.  One call.
    assert loaded.timeline(entity_ids=[first]) == reference.timeline(entity_ids=[first])

    # 10. How many crimes in the first week of the data?  One call.
    start = min(c.event.occurred_from for c in CRIMES if c.event and c.event.occurred_from)
    week = Range(field="event.occurred_from", gte=start, lt=start + timedelta(days=7))
    assert loaded.count(And(Eq("subtype", "crime"), week)) == sum(
        1
        for crime in CRIMES
        if crime.event
        and crime.event.occurred_from
        and start <= crime.event.occurred_from < start + timedelta(days=7)
    )
