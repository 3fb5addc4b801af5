"""Counts, aggregates and degrees in SQL equal the in-memory reference's, on random data.

Each example writes entities and links under ids of its own into one store per backend and
scopes its question to them by an id prefix; the reference is the in-memory store holding the
same records, read back from SQL. Values come from small pools full of what a ``GROUP BY`` gets
wrong: ``1`` beside ``1.0`` and ``True``, a value repeated in one list, text differing only in
case or accents, values missing altogether, versions whose sum overflows 64 bits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sql_postgres import open_sql_store
from sql_strategies import LINK_TYPES, entities, filters, links

from adapters.memory import InMemoryCaseStore
from contracts.aggregation import AggregateQuery, Metric, aggregate_problem
from contracts.models import Entity, EntityKind, Link, RecordType
from contracts.query import And, Eq, Filter, In, Not, Prefix, Text
from contracts.store import CaseStore

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_EXAMPLES = itertools.count()

COLUMN_FIELDS = (
    "kind",
    "subtype",
    "markings.sensitive",
    "created_at",
    "version",
    "location.latitude",
    "person.family_name",
    "event.occurred_from",
)
MULTI_FIELDS = (
    "aliases",
    "markings.caveats",
    "identifiers.scheme",
    "person.given_names",
    "provenance.source_system",
)
PROPERTY_FIELDS = ("properties.colour", "properties.count", "properties.flag", "properties.tags")
GROUP_FIELDS = COLUMN_FIELDS + MULTI_FIELDS + PROPERTY_FIELDS
VERSIONS = (1, 2, 3, 2**62)

LINK_FIELDS = ("type", "directed", "source_id", "version", "role", "markings.sensitive")
link_filters = st.one_of(
    st.none(),
    st.sampled_from(LINK_TYPES).map(lambda value: Eq("type", value)),
    st.booleans().map(lambda value: Eq("directed", value)),
    st.just(In("type", ("KNOWS", "OWNS"))),
    st.just(Not(Eq("type", "KNOWS"))),
    st.just(Text("knows")),
)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CaseStore]:
    yield from open_sql_store(request.param, tmp_path_factory, "analytics")


@st.composite
def graphs(draw: st.DrawFn) -> tuple[str, list[Entity], list[Link]]:
    """An id prefix of its own, entities under it and links between them (self-links too)."""
    prefix = f"x{next(_EXAMPLES)}-"
    size = draw(st.integers(1, 8))
    found = []
    for index in range(size):
        entity = draw(entities(entity_id=f"{prefix}e{index}"))
        found.append(entity.model_copy(update={"version": draw(st.sampled_from(VERSIONS))}))
    ids = [entity.id for entity in found]
    count = draw(st.integers(0, 10))
    made = [draw(links(f"{prefix}l{index}", ids)) for index in range(count)]
    return prefix, found, made


@st.composite
def metrics(draw: st.DrawFn, fields: tuple[str, ...]) -> tuple[Metric, ...]:
    chosen = draw(
        st.lists(
            st.builds(
                Metric,
                op=st.sampled_from(("min", "max", "sum", "avg")),
                field=st.sampled_from(fields),
            ),
            max_size=3,
            unique_by=lambda metric: metric.name,
        )
    )
    return tuple(chosen)


def loaded(store: CaseStore, graph: tuple[str, list[Entity], list[Link]]) -> InMemoryCaseStore:
    """Write the example's records and return the reference holding them as SQL keeps them."""
    _, found, made = graph
    store.upsert_many([*found, *made])
    stored_entities = store.get_many(Entity, [entity.id for entity in found])
    stored_links = store.get_many(Link, [link.id for link in made])
    return InMemoryCaseStore([*stored_entities, *stored_links])


def scoped(prefix: str, condition: Filter | None) -> Filter:
    return Prefix("id", prefix) if condition is None else And(Prefix("id", prefix), condition)


@SETTINGS
@given(graph=graphs(), condition=filters)
def test_counts_are_the_references(
    store: CaseStore, graph: tuple[str, list[Entity], list[Link]], condition: Filter | None
) -> None:
    """Entities counted in SQL under any filter, text included, number as the reference's."""
    reference = loaded(store, graph)
    prefix = graph[0]
    assert store.count(scoped(prefix, condition)) == reference.count(condition)


@SETTINGS
@given(graph=graphs(), condition=link_filters)
def test_link_counts_are_the_references(
    store: CaseStore, graph: tuple[str, list[Entity], list[Link]], condition: Filter | None
) -> None:
    """Links counted in SQL, or by the layer for a text condition, as the reference counts."""
    reference = loaded(store, graph)
    counted = store.count(scoped(graph[0], condition), record_type=Link)
    assert counted == reference.count(condition, record_type=Link)


@st.composite
def entity_queries(draw: st.DrawFn) -> AggregateQuery:
    group_by = draw(st.lists(st.sampled_from(GROUP_FIELDS), max_size=3, unique=True))
    metric_fields = ("label", "version", "created_at", "location.latitude", "aliases")
    query = AggregateQuery(
        filter=draw(filters),
        group_by=tuple(group_by),
        metrics=draw(metrics(metric_fields + PROPERTY_FIELDS)),
        order=draw(st.sampled_from(("count", "key"))),
        limit=draw(st.integers(1, 12)),
    )
    assume(aggregate_problem(query, RecordType.ENTITY) is None)
    return query


@SETTINGS
@given(graph=graphs(), query=entity_queries())
def test_entity_aggregates_are_the_references(
    store: CaseStore, graph: tuple[str, list[Entity], list[Link]], query: AggregateQuery
) -> None:
    """Groups by columns, multi-valued fields and properties, metrics, order and limit agree."""
    reference = loaded(store, graph)
    scoped_query = query.model_copy(update={"filter": scoped(graph[0], query.filter)})
    expected = reference.aggregate(query)
    assert store.aggregate(scoped_query) == expected
    if in_sql(query, store.info.backend.startswith("PostgreSQL")):
        assert store.backend.aggregate(RecordType.ENTITY, scoped_query) == expected


def in_sql(query: AggregateQuery, postgresql: bool) -> bool:
    """Whether the SQL store computes ``query`` itself, as its notes say."""
    for metric in query.metrics:
        if metric.field.startswith("properties.") and (postgresql or metric.op in ("sum", "avg")):
            return False
        if metric.op in ("sum", "avg") and metric.field != "version":
            return False
    return not postgresql or not any(field in PROPERTY_FIELDS for field in query.group_by)


@st.composite
def link_queries(draw: st.DrawFn) -> AggregateQuery:
    query = AggregateQuery(
        filter=draw(link_filters),
        group_by=tuple(draw(st.lists(st.sampled_from(LINK_FIELDS), max_size=2, unique=True))),
        metrics=draw(metrics(("version", "type", "confidence", "created_at"))),
        order=draw(st.sampled_from(("count", "key"))),
        limit=draw(st.integers(1, 6)),
    )
    assume(aggregate_problem(query, RecordType.LINK) is None)
    return query


@SETTINGS
@given(graph=graphs(), query=link_queries())
def test_link_aggregates_are_the_references(
    store: CaseStore, graph: tuple[str, list[Entity], list[Link]], query: AggregateQuery
) -> None:
    """Links grouped in SQL by their columns, or by the layer otherwise, as the reference."""
    reference = loaded(store, graph)
    scoped_query = query.model_copy(update={"filter": scoped(graph[0], query.filter)})
    assert store.aggregate(scoped_query, record_type=Link) == reference.aggregate(
        query, record_type=Link
    )


@SETTINGS
@given(
    graph=graphs(),
    direction=st.sampled_from(("out", "in", "both")),
    types=st.one_of(st.none(), st.lists(st.sampled_from(LINK_TYPES), max_size=2)),
)
def test_degrees_count_what_expand_returns(
    store: CaseStore,
    graph: tuple[str, list[Entity], list[Link]],
    direction: str,
    types: list[str] | None,
) -> None:
    """Degrees of every entity at once equal the reference's and the number of hops."""
    reference = loaded(store, graph)
    ids = [entity.id for entity in graph[1]]
    counted = store.degree(ids, link_types=types, direction=direction)  # type: ignore[arg-type]
    assert counted == reference.degree(ids, link_types=types, direction=direction)  # type: ignore[arg-type]
    for entity_id in ids:
        hops = store.expand(entity_id, link_types=types, direction=direction)  # type: ignore[arg-type]
        assert counted[entity_id] == len(hops)


def test_a_self_link_counts_once_and_an_undirected_link_at_both_ends(store: CaseStore) -> None:
    """Degrees of a self-link, an undirected and a directed link, in every direction."""
    prefix = f"x{next(_EXAMPLES)}-"
    ends = [
        Entity(id=f"{prefix}{name}", kind=EntityKind.PERSON, subtype="person", label=name)
        for name in ("a", "b")
    ]
    made = [
        Link(id=f"{prefix}l1", type="KNOWS", source_id=ends[0].id, target_id=ends[0].id),
        Link(
            id=f"{prefix}l2",
            type="KNOWS",
            source_id=ends[0].id,
            target_id=ends[1].id,
            directed=False,
        ),
        Link(id=f"{prefix}l3", type="OWNS", source_id=ends[1].id, target_id=ends[0].id),
    ]
    store.upsert_many([*ends, *made])
    reference = InMemoryCaseStore([*ends, *made])
    ids = [ends[0].id, ends[1].id]
    assert store.degree(ids) == {ids[0]: 3, ids[1]: 2}
    for direction in ("out", "in", "both"):
        for types in (None, ["OWNS"]):
            assert store.degree(ids, link_types=types, direction=direction) == reference.degree(  # type: ignore[arg-type]
                ids,
                link_types=types,
                direction=direction,  # type: ignore[arg-type]
            )
