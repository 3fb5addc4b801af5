"""The analyst's operations: counts, grouped aggregates, degrees and filtered expansion."""

from __future__ import annotations

import pytest

from contracts.aggregation import AggregateQuery, Group, Metric
from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import NotFound, ValidationFailed
from contracts.models.entities import EntityKind, EventFields, LocationFields
from contracts.models.links import Link, LinkRole
from contracts.query import And, Eq, In, Range, Text
from contracts.store import CaseStore


def _crimes(store: CaseStore) -> None:
    """Five crimes of three categories at two places, two people and an officer."""
    categories = ["Drugs", "Burglary", "Drugs", "Violence", "Drugs"]
    for number, category in enumerate(categories):
        store.create(
            data.entity(
                f"c-{number}",
                EntityKind.EVENT,
                subtype="crime",
                event=EventFields(occurred_from=data.at(number), category=category),
                properties={"value": number * 10, "open": number % 2 == 0},
            )
        )
    store.create(data.entity("loc-a", EntityKind.LOCATION, location=LocationFields(postcode="M1")))
    store.create(data.entity("loc-b", EntityKind.LOCATION, location=LocationFields(postcode="M2")))
    for name in ("p-1", "p-2", "officer"):
        store.create(data.entity(name))
    for number in range(5):
        place = "loc-a" if number < 3 else "loc-b"
        store.create(data.link(f"l-at-{number}", f"c-{number}", place, "OCCURRED_AT"))
    store.create(data.link("l-s1", "p-1", "c-0", "PARTY_TO", role=LinkRole.SUSPECT))
    store.create(data.link("l-s2", "p-1", "c-2", "PARTY_TO", role=LinkRole.SUSPECT))
    store.create(data.link("l-v1", "p-2", "c-0", "PARTY_TO", role=LinkRole.VICTIM))
    store.create(data.link("l-k", "p-1", "p-2", "KNOWS", directed=False))
    store.create(data.link("l-o", "c-0", "officer", "INVESTIGATED_BY", role=LinkRole.OFFICER))
    store.create(data.link("l-self", "loc-b", "loc-b", "NEAR"))


@pytest.mark.requirement("SRCH-021")
@pytest.mark.capability(Capability.SEARCH_COUNT, Capability.SEARCH_FILTER)
def test_count_gives_the_number_of_matching_records(store: CaseStore) -> None:
    """A count equals the number of records a search returns, for entities and links."""
    _crimes(store)
    assert store.count() == 10
    assert store.count(Eq("subtype", "crime")) == 5
    assert store.count(Eq("event.category", "Drugs")) == 3
    assert store.count(Eq("event.category", "Arson")) == 0
    assert store.count(Range(field="properties.value", gte=20)) == 3
    if store.supports(Capability.SEARCH_RECORDS):
        assert store.count(Eq("type", "PARTY_TO"), record_type=Link) == 3
        assert store.count(record_type=Link) == 11
    with pytest.raises(ValidationFailed):
        store.count(Eq("type", "PARTY_TO"))


@pytest.mark.requirement("SRCH-022")
@pytest.mark.capability(Capability.SEARCH_AGGREGATE, Capability.SEARCH_FILTER)
def test_groups_are_counted_largest_first_then_by_key(store: CaseStore) -> None:
    """Crime counts by category, ties broken by key; a limit marks the answer truncated."""
    _crimes(store)
    query = AggregateQuery(filter=Eq("subtype", "crime"), group_by=("event.category",))
    result = store.aggregate(query)
    assert result.total == 5
    assert not result.truncated
    assert [(group.key, group.count) for group in result.groups] == [
        (("Drugs",), 3),
        (("Burglary",), 1),
        (("Violence",), 1),
    ]
    top = store.aggregate(query.model_copy(update={"limit": 1}))
    assert [group.key for group in top.groups] == [("Drugs",)]
    assert top.truncated
    by_key = store.aggregate(query.model_copy(update={"order": "key"}))
    assert [group.key for group in by_key.groups] == [("Burglary",), ("Drugs",), ("Violence",)]


@pytest.mark.requirement("SRCH-023")
@pytest.mark.capability(Capability.SEARCH_AGGREGATE, Capability.SEARCH_FILTER)
def test_metrics_and_missing_values_follow_the_reference(store: CaseStore) -> None:
    """min, max, sum and avg per group; records without a value form the group of None."""
    _crimes(store)
    metrics = (
        Metric(op="sum", field="properties.value"),
        Metric(op="avg", field="properties.value"),
        Metric(op="max", field="event.occurred_from"),
        Metric(op="min", field="label"),
    )
    query = AggregateQuery(
        filter=Eq("kind", "EVENT"), group_by=("properties.open",), metrics=metrics, order="key"
    )
    result = store.aggregate(query)
    assert result.groups == (
        Group(
            key=(False,),
            count=2,
            values={
                "sum(properties.value)": 40,
                "avg(properties.value)": 20.0,
                "max(event.occurred_from)": data.at(3),
                "min(label)": "Event c-1",
            },
        ),
        Group(
            key=(True,),
            count=3,
            values={
                "sum(properties.value)": 60,
                "avg(properties.value)": 20.0,
                "max(event.occurred_from)": data.at(4),
                "min(label)": "Event c-0",
            },
        ),
    )
    people = store.aggregate(
        AggregateQuery(filter=Eq("kind", "PERSON"), group_by=("subtype", "event.category"))
    )
    assert [(group.key, group.count) for group in people.groups] == [(("person", None), 3)]
    with pytest.raises(ValidationFailed, match="numeric"):
        store.aggregate(AggregateQuery(metrics=(Metric(op="sum", field="label"),)))


@pytest.mark.requirement("SRCH-022")
@pytest.mark.capability(
    Capability.SEARCH_AGGREGATE, Capability.SEARCH_RECORDS, Capability.SEARCH_FILTER
)
def test_links_are_grouped_by_their_fields(store: CaseStore) -> None:
    """The busiest locations: links grouped by target, filtered by type."""
    _crimes(store)
    query = AggregateQuery(filter=Eq("type", "OCCURRED_AT"), group_by=("target_id",))
    result = store.aggregate(query, record_type=Link)
    assert [(group.key, group.count) for group in result.groups] == [
        (("loc-a",), 3),
        (("loc-b",), 2),
    ]
    roles = store.aggregate(
        AggregateQuery(filter=Eq("type", "PARTY_TO"), group_by=("role",)), record_type=Link
    )
    assert [(group.key, group.count) for group in roles.groups] == [
        (("suspect",), 2),
        (("victim",), 1),
    ]


@pytest.mark.requirement("GRAPH-012")
@pytest.mark.capability(Capability.GRAPH_DEGREE)
def test_degree_counts_what_expand_returns_for_many_entities(store: CaseStore) -> None:
    """Degrees by type and direction in one call, in the order asked; a missing id is named."""
    _crimes(store)
    assert store.degree(["p-1", "p-2", "c-0", "officer"]) == {
        "p-1": 3,
        "p-2": 2,
        "c-0": 4,
        "officer": 1,
    }
    assert store.degree(["p-1", "c-0"], link_types=["PARTY_TO"], direction="out") == {
        "p-1": 2,
        "c-0": 0,
    }
    assert store.degree(["p-2"], direction="in") == {"p-2": 1}
    assert store.degree(["loc-b"], direction="in") == {"loc-b": 2}  # a self-link is out only
    assert store.degree(["loc-b"], direction="out") == {"loc-b": 1}
    for entity_id, expected in store.degree(["loc-a", "loc-b", "p-1"]).items():
        assert expected == len(store.expand(entity_id))
    with pytest.raises(NotFound) as missing:
        store.degree(["p-1", "ghost"])
    assert missing.value.record_id == "ghost"


@pytest.mark.requirement("GRAPH-013")
@pytest.mark.capability(Capability.GRAPH_EXPAND, Capability.GRAPH_NEIGHBOURHOOD)
def test_expand_and_neighbourhood_take_filters_on_neighbours_and_links(store: CaseStore) -> None:
    """An officer's drugs cases: neighbours and links filtered by any of their fields."""
    _crimes(store)
    drugs = Eq("event.category", "Drugs")
    hops = store.expand("p-1", neighbour_filter=drugs)
    assert [hop.link.id for hop in hops] == ["l-s1", "l-s2"]
    suspects = store.expand("c-0", link_filter=Eq("role", "suspect"))
    assert [hop.neighbour.id for hop in suspects] == ["p-1"]
    both = store.expand("c-0", link_filter=In("type", ("PARTY_TO",)), neighbour_filter=Text("p-2"))
    assert [hop.link.id for hop in both] == ["l-v1"]
    around = store.neighbourhood("p-1", depth=2, link_filter=And(Eq("type", "PARTY_TO")))
    assert [entity.id for entity in around.entities] == ["c-0", "c-2", "p-1", "p-2"]
    assert [link.id for link in around.links] == ["l-s1", "l-s2", "l-v1"]
    with pytest.raises(ValidationFailed):
        store.expand("p-1", link_filter=Eq("label", "x"))
