"""Counts and aggregates through Foundry's aggregate endpoint equal the memory reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from foundry_support import fake_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run_profile import by_profile
from test_foundry_records import ENDS, T0, _link_leaves, _trees, links

from adapters.foundry.aggregate import EXACT_LIMIT
from adapters.foundry.testing import FAKE_BASE_URL, FakeFoundry
from adapters.memory import InMemoryCaseStore
from contracts.aggregation import AggregateQuery, Metric
from contracts.capabilities import Capability, Support
from contracts.conformance.suite import data
from contracts.models import Exhibit, Link
from contracts.models.common import Record
from contracts.query import Eq, Filter, In, Not, Or, Prefix, Range
from contracts.store import CaseStore

_SETTINGS = settings(
    max_examples=by_profile(quick=60, ci=250, soak=2_500),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _stores(records: Sequence[Record]) -> tuple[FakeFoundry, CaseStore, CaseStore]:
    fake, store = fake_store()
    reference = InMemoryCaseStore()
    for target in (store, reference):
        target.upsert_many([*(data.entity(end) for end in ENDS), *records])
    return fake, store, reference


_LINK_GROUPS = ["type", "role", "directed", "source_id", "confidence", "qualifier", "valid_from"]
_LINK_METRICS = [
    Metric(op=op, field=field)
    for op in ("min", "max", "sum", "avg")
    for field in ("confidence", "version", "properties.weight")
] + [Metric(op="max", field="valid_from"), Metric(op="min", field="type")]


@_SETTINGS
@given(
    st.lists(st.integers(0, 40), max_size=12, unique=True).flatmap(
        lambda numbers: st.tuples(*(links(f"l-{n:02d}") for n in numbers))
    ),
    st.none() | _trees(_link_leaves()),
    st.lists(st.sampled_from(_LINK_GROUPS), max_size=3, unique=True),
    st.lists(st.sampled_from(_LINK_METRICS), max_size=3),
    st.sampled_from(["count", "key"]),
    st.integers(1, 6),
)
def test_link_aggregates_and_counts_equal_the_reference(
    batch: tuple[Link, ...],
    condition: Filter | None,
    group_by: list[str],
    metrics: list[Metric],
    order: Any,
    limit: int,
) -> None:
    """Groups, keys, counts, metrics, order, limit and truncation match, whoever computes."""
    _, store, reference = _stores(list(batch))
    query = AggregateQuery(
        filter=condition,
        group_by=tuple(group_by),
        metrics=tuple(metrics),
        order=order,
        limit=limit,
    )
    assert store.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)
    assert store.count(condition, record_type=Link) == reference.count(condition, record_type=Link)


@st.composite
def exhibits(draw: st.DrawFn, exhibit_id: str) -> Exhibit:
    """An exhibit with a size near zero or past what a double holds exactly."""
    size = draw(
        st.none()
        | st.integers(0, 50)
        | st.sampled_from([EXACT_LIMIT - 1, EXACT_LIMIT + 1, 2**62])
        | st.integers(0, 2**63 - 1)
    )
    return data.exhibit(
        exhibit_id,
        size_bytes=size,
        case_id=draw(st.sampled_from([None, "c-1", "c-2"])),
        content_hash=draw(st.sampled_from([None, "a" * 64, "b" * 64])),
        version=draw(st.integers(1, 3)),
        created_at=T0,
        updated_at=T0,
    )


_EXHIBIT_LEAVES = st.one_of(
    st.builds(Eq, st.just("case_id"), st.sampled_from(["c-1", "c-2"])),
    st.builds(lambda v: Range(field="size_bytes", gte=v), st.integers(0, 60)),
    st.builds(Prefix, st.just("content_hash"), st.sampled_from(["a", "b"])),
    st.builds(Eq, st.just("description"), st.just("Exhibit x-01")),
)


@_SETTINGS
@given(
    st.lists(st.integers(0, 30), max_size=10, unique=True).flatmap(
        lambda numbers: st.tuples(*(exhibits(f"x-{n:02d}") for n in numbers))
    ),
    st.none() | _EXHIBIT_LEAVES | st.lists(_EXHIBIT_LEAVES, max_size=2).map(lambda f: Or(*f)),
    st.lists(st.sampled_from(["case_id", "content_hash", "version"]), max_size=2, unique=True),
    st.lists(
        st.builds(
            Metric,
            op=st.sampled_from(["min", "max", "sum", "avg"]),
            field=st.sampled_from(["size_bytes", "version"]),
        ),
        max_size=3,
    ),
)
def test_integer_metrics_are_exact_or_left_to_the_layer(
    batch: tuple[Exhibit, ...],
    condition: Filter | None,
    group_by: list[str],
    metrics: list[Metric],
) -> None:
    """Sums and averages of integers past 2^53 are never rounded: the layer computes them."""
    _, store, reference = _stores(list(batch))
    query = AggregateQuery(filter=condition, group_by=tuple(group_by), metrics=tuple(metrics))
    ours = store.aggregate(query, record_type=Exhibit)
    assert ours == reference.aggregate(query, record_type=Exhibit)


def _aggregate_requests(fake: FakeFoundry) -> list[dict[str, Any]]:
    import json

    return [
        json.loads(request.content)
        for request in fake.requests
        if request.url.path.endswith("/aggregate")
    ]


def test_a_count_is_one_exact_aggregate_request() -> None:
    """count() sends one aggregate asking for an accurate count, and reads no object."""
    fake, store, _ = _stores([data.link("l-1", "e-0", "e-1", "KNOWS")])
    searches = fake.count("POST", "/search") + fake.count("POST", "/loadObjects")
    assert store.count(Eq("type", "KNOWS"), record_type=Link) == 1
    assert _aggregate_requests(fake) == [
        {
            "aggregation": [{"type": "count", "name": "count"}],
            "groupBy": [],
            "accuracy": "REQUIRE_ACCURATE",
            "where": {"type": "eq", "field": "linkType", "value": "KNOWS"},
        }
    ]
    assert fake.count("POST", "/search") + fake.count("POST", "/loadObjects") == searches


def test_a_widened_count_is_left_to_the_layer() -> None:
    """A condition Foundry cannot evaluate exactly is counted over the search's results."""
    fake, store, _ = _stores([data.link("l-1", "e-0", "e-1", "KNOWS", qualifier="owner")])
    assert store.count(Eq("qualifier", "owner"), record_type=Link) == 1
    assert _aggregate_requests(fake) == []


def test_missing_values_are_asked_for_with_is_null_patterns() -> None:
    """Two grouping fields: four requests, one per pattern of missing values."""
    fake, store, reference = _stores(
        [
            data.link("l-1", "e-0", "e-1", "KNOWS", role="suspect"),
            data.link("l-2", "e-0", "e-2", "KNOWS"),
        ]
    )
    query = AggregateQuery(group_by=("role", "confidence"))
    assert store.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)
    sent = _aggregate_requests(fake)
    assert len(sent) == 4
    assert {json_groups(body) for body in sent} == {
        ("role", "confidence"),
        ("role",),
        ("confidence",),
        (),
    }
    assert all(body["accuracy"] == "REQUIRE_ACCURATE" for body in sent)


def json_groups(body: dict[str, Any]) -> tuple[str, ...]:
    """The properties an aggregate request groups by."""
    return tuple(item["field"] for item in body["groupBy"])


def test_more_groups_than_foundry_allows_are_grouped_by_the_layer() -> None:
    """AggregationGroupCountExceededLimit and maxGroupCount cuts fall back to the layer."""
    batch = [data.link(f"l-{n}", ENDS[n % 4], ENDS[(n + 1) % 4], "KNOWS") for n in range(8)]
    fake, store, reference = _stores(batch)
    query = AggregateQuery(group_by=("source_id",), limit=2)
    fake.ontology.aggregate_group_limit = 2
    assert store.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)
    fake.ontology.aggregate_group_limit = 10_000
    _, cut = fake_store(fake, options=_options(aggregate_groups=3))
    assert cut.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)


def _options(**changes: Any) -> Any:
    from adapters.foundry.store import StoreOptions

    return StoreOptions(**changes)


# ---------------------------------------------------------------------------- the fake endpoint


def _post(fake: FakeFoundry, object_type: str, body: dict[str, Any]) -> httpx.Response:
    with httpx.Client(transport=fake.transport(), base_url=FAKE_BASE_URL) as http:
        return http.post(
            f"/api/v2/ontologies/{fake.ontology_name}/objects/{object_type}/aggregate",
            json=body,
            headers={"Authorization": f"Bearer {fake.token}"},
        )


@pytest.fixture
def crimes() -> FakeFoundry:
    fake, store = fake_store()
    store.upsert_many(
        [
            *(data.entity(end) for end in ENDS),
            data.link("l-1", "e-0", "e-1", "KNOWS", confidence=0.5),
            data.link("l-2", "e-0", "e-2", "KNOWS", confidence=1.0),
            data.link("l-3", "e-1", "e-2", "PARTY_TO"),
        ]
    )
    return fake


def test_the_fake_answers_in_the_documented_shape(crimes: FakeFoundry) -> None:
    """Data of group and metrics, numeric metrics as doubles, accuracy ACCURATE."""
    body = {
        "aggregation": [
            {"type": "count", "name": "n"},
            {"type": "avg", "field": "confidence", "name": "avg_confidence"},
        ],
        "groupBy": [{"type": "exact", "field": "linkType"}],
        "where": {"type": "isNull", "field": "role", "value": True},
    }
    answer = _post(crimes, "CaseportLink", body)
    assert answer.status_code == 200
    assert answer.json() == {
        "data": [
            {
                "group": {"linkType": "KNOWS"},
                "metrics": [
                    {"name": "n", "value": 2.0},
                    {"name": "avg_confidence", "value": 0.75},
                ],
            },
            {
                "group": {"linkType": "PARTY_TO"},
                "metrics": [{"name": "n", "value": 1.0}, {"name": "avg_confidence", "value": None}],
            },
        ],
        "accuracy": "ACCURATE",
    }


def test_the_fake_leaves_out_missing_values_unless_given_a_default(crimes: FakeFoundry) -> None:
    """Objects without a value are in no group, or in the group of defaultValue."""
    grouped = {"aggregation": [{"type": "count", "name": "n"}]}
    plain = _post(crimes, "CaseportLink", {**grouped, "groupBy": [_exact("role")]}).json()
    assert plain == {"data": [], "accuracy": "ACCURATE"}
    with_default = {**grouped, "groupBy": [{**_exact("role"), "defaultValue": "none"}]}
    answer = _post(crimes, "CaseportLink", with_default).json()
    assert answer["data"] == [{"group": {"role": "none"}, "metrics": [{"name": "n", "value": 3.0}]}]


def _exact(field: str, **more: Any) -> dict[str, Any]:
    return {"type": "exact", "field": field, **more}


def test_the_fake_cuts_groups_past_max_group_count(crimes: FakeFoundry) -> None:
    """The largest groups stay; the others' objects are excluded items, approximately."""
    body = {
        "aggregation": [{"type": "count", "name": "n"}],
        "groupBy": [_exact("sourceEntityId", maxGroupCount=1)],
    }
    answer = _post(crimes, "CaseportLink", body).json()
    assert answer == {
        "data": [{"group": {"sourceEntityId": "e-0"}, "metrics": [{"name": "n", "value": 2.0}]}],
        "accuracy": "APPROXIMATE",
        "excludedItems": 1,
    }
    refused = _post(crimes, "CaseportLink", {**body, "accuracy": "REQUIRE_ACCURATE"})
    assert (refused.status_code, refused.json()["errorName"]) == (
        400,
        "AggregationAccuracyNotSupported",
    )


def test_the_fake_refuses_what_foundry_documents_it_refuses(crimes: FakeFoundry) -> None:
    """Too many groups, a property grouped twice, an unknown property, a deep where."""
    count = {"aggregation": [{"type": "count"}]}
    crimes.ontology.aggregate_group_limit = 1
    too_many = _post(crimes, "CaseportLink", {**count, "groupBy": [_exact("linkId")]})
    assert too_many.status_code == 400
    assert too_many.json()["errorName"] == "AggregationGroupCountExceededLimit"
    assert too_many.json()["parameters"] == {"groupsCount": 3, "groupsLimit": 1}
    twice = _post(crimes, "CaseportLink", {**count, "groupBy": [_exact("role"), _exact("role")]})
    assert twice.json()["errorName"] == "MultipleGroupByOnFieldNotSupported"
    unknown = _post(crimes, "CaseportLink", {**count, "groupBy": [_exact("nope")]})
    assert (unknown.status_code, unknown.json()["errorName"]) == (404, "PropertiesNotFound")
    leaf = {"type": "eq", "field": "role", "value": "x"}
    deep = {"type": "not", "value": {"type": "not", "value": {"type": "not", "value": leaf}}}
    nested = _post(crimes, "CaseportLink", {**count, "where": deep})
    assert nested.json()["errorName"] == "InvalidParameterValue"


def test_an_ungrouped_aggregate_over_nothing_has_one_empty_group(crimes: FakeFoundry) -> None:
    """Without groupBy the answer is one item: a count of 0 and null metrics."""
    body = {
        "aggregation": [{"type": "count", "name": "n"}, {"type": "max", "field": "version"}],
        "where": {"type": "eq", "field": "linkType", "value": "NONE"},
    }
    assert _post(crimes, "CaseportLink", body).json()["data"] == [
        {
            "group": {},
            "metrics": [{"name": "n", "value": 0.0}, {"name": "max_version", "value": None}],
        }
    ]


def test_a_degree_of_links_in_or_out_matches_the_store_before_and_after_writes() -> None:
    """Counting stays right as links are added: the aggregate reads the live objects."""
    _, store, reference = _stores([data.link("l-1", "e-0", "e-1", "KNOWS")])
    query = AggregateQuery(group_by=("source_id",), filter=In("type", ("KNOWS",)))
    assert store.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)
    for target in (store, reference):
        target.create(data.link("l-2", "e-1", "e-0", "KNOWS"))
    assert store.aggregate(query, record_type=Link) == reference.aggregate(query, record_type=Link)
    assert store.count(Not(Eq("type", "KNOWS")), record_type=Link) == 0


# ---------------------------------------------------------------------------- degrees


@_SETTINGS
@given(
    st.lists(st.integers(0, 40), max_size=12, unique=True).flatmap(
        lambda numbers: st.tuples(*(links(f"l-{n:02d}") for n in numbers))
    ),
    st.none() | st.sets(st.sampled_from(["KNOWS", "PARTY_TO", "OCCURRED_AT", "OTHER"])),
    st.sampled_from(["out", "in", "both"]),
    st.lists(st.sampled_from(ENDS), min_size=1, max_size=4, unique=True),
)
def test_degrees_equal_the_reference_and_expand(
    batch: tuple[Link, ...], types: set[str] | None, direction: Any, entity_ids: list[str]
) -> None:
    """Self-links, undirected links, types and directions count as expand counts them."""
    _, store, reference = _stores(list(batch))
    degrees = store.degree(entity_ids, link_types=types, direction=direction)
    assert degrees == reference.degree(entity_ids, link_types=types, direction=direction)
    assert list(degrees) == entity_ids


def test_degrees_of_many_entities_take_three_requests_per_chunk() -> None:
    """Three aggregate requests per 200 entities, against three reads per entity by expand."""
    from adapters.foundry.degree import CHUNK

    entities = [data.entity(f"e-{n:03d}") for n in range(CHUNK + 1)]
    batch = [
        data.link(f"l-{n:03d}", entities[n].id, entities[(n + 1) % len(entities)].id, "KNOWS")
        for n in range(len(entities))
    ]
    fake, store = fake_store()
    reference = InMemoryCaseStore()
    for target in (store, reference):
        target.upsert_many([*entities, *batch])
    ids = [entity.id for entity in entities]
    before = fake.count("POST", "/aggregate")
    assert store.degree(ids) == reference.degree(ids) == dict.fromkeys(ids, 2)
    assert fake.count("POST", "/aggregate") - before == 6
    assert store.capabilities()[Capability.GRAPH_DEGREE] is Support.NATIVE


def test_a_link_mapping_without_typed_direction_leaves_degrees_to_the_layer() -> None:
    """Without a typed ``directed`` property, degrees are emulated over expand, and right."""
    import tomllib
    from importlib import resources

    from adapters.foundry.mapping import DEFAULT_MAPPING, parse_mapping

    text = resources.files("adapters.foundry").joinpath(DEFAULT_MAPPING).read_text("utf-8")
    raw = tomllib.loads(text)
    del raw["link"]["properties"]["directed"]
    fake = FakeFoundry(mapping=parse_mapping(raw, "test"))
    _, store = fake_store(fake)
    store.upsert_many([data.entity("a"), data.entity("b"), data.link("l", "a", "b", "KNOWS")])
    assert store.capabilities()[Capability.GRAPH_DEGREE] is Support.EMULATED
    assert store.degree(["a", "b"], direction="in") == {"a": 0, "b": 1}
    assert fake.count("POST", "/aggregate") == 0
