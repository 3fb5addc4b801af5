"""The fake Foundry's indexes agree with a scan of its objects after any sequence of writes.

Random creates, upserts, updates (endpoints moved, cleared or pointed at missing entities),
deletes and all-or-none batches go through the fake's HTTP action endpoints. After every step,
each index equals one rebuilt from the stored objects, links listed over HTTP (page by page) are
exactly those a scan finds, and every search or object set the indexes narrow answers exactly
what the unindexed search over every object answers, errors included.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from run_profile import by_profile

from adapters.foundry.fake_ontology import FakeError, FakeOntology
from adapters.foundry.testing import FAKE_BASE_URL, FakeFoundry

ENTITY = "CaseportEntity"
LINK = "CaseportLink"
SOURCE = "sourceEntityId"
TARGET = "targetEntityId"
ENTITIES = ["e-1", "e-2", "e-3", "e-4"]
MISSING = "e-gone"
LINK_IDS = [f"l-{n}" for n in range(1, 7)]
API = "/api/v2/ontologies/caseport"

ends = st.sampled_from([*ENTITIES, MISSING, None])
link_ids = st.sampled_from(LINK_IDS)

LINK_WHERES: list[dict[str, Any]] = [
    {"type": "eq", "field": SOURCE, "value": "e-1"},
    {"type": "in", "field": TARGET, "value": ["e-1", MISSING, "e-4"]},
    {"type": "eq", "propertyIdentifier": {"type": "property", "apiName": TARGET}, "value": "e-2"},
    {
        "type": "and",
        "value": [
            {"type": "eq", "field": SOURCE, "value": "e-2"},
            {"type": "eq", "field": TARGET, "value": "e-3"},
        ],
    },
    {
        "type": "or",
        "value": [
            {"type": "eq", "field": SOURCE, "value": "e-1"},
            {"type": "eq", "field": TARGET, "value": "e-1"},
        ],
    },
    {
        "type": "or",
        "value": [
            {"type": "eq", "field": SOURCE, "value": "e-1"},
            {"type": "eq", "field": "linkType", "value": "KNOWS"},
        ],
    },
    {
        "type": "and",
        "value": [
            {"type": "in", "field": "linkId", "value": ["l-1", "l-2", "l-9"]},
            {"type": "not", "value": {"type": "eq", "field": SOURCE, "value": "e-1"}},
        ],
    },
    {"type": "eq", "field": "linkId", "value": "l-3"},
    {"type": "in", "field": "linkId", "value": []},
    {"type": "and", "value": []},
    {"type": "or", "value": []},
    {"type": "isNull", "field": SOURCE, "value": True},
]
ORDERS: list[dict[str, Any] | None] = [
    None,
    {"fields": [{"field": "linkType", "direction": "desc"}]},
]


def _scan_index(ontology: FakeOntology, type_name: str, name: str) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for key, obj in ontology.objects[type_name].items():
        if isinstance(obj.get(name), str):
            index.setdefault(obj[name], set()).add(key)
    return {value: frozenset(keys) for value, keys in index.items()}


class IndexedFake(RuleBasedStateMachine):
    """Writes through the fake's HTTP actions; its lookups must always equal a full scan."""

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakeFoundry()
        self.ontology = self.fake.ontology
        self.http = httpx.Client(
            transport=self.fake.transport(),
            base_url=FAKE_BASE_URL,
            headers={"Authorization": f"Bearer {self.fake.token}"},
        )

    def apply(self, action: str, parameters: dict[str, Any]) -> httpx.Response:
        return self.http.post(f"{API}/actions/{action}/apply", json={"parameters": parameters})

    def link_parameters(
        self, link_id: str, source: str | None, target: str | None
    ) -> dict[str, Any]:
        parameters: dict[str, Any] = {"linkId": link_id, "canonicalRecord": "{}", "version": 1}
        if source is not None:
            parameters[SOURCE] = source
        if target is not None:
            parameters[TARGET] = target
        if source is not None and source == target:
            parameters["linkType"] = "KNOWS"
        return parameters

    def stored_links(self) -> dict[str, dict[str, Any]]:
        return {key: dict(obj) for key, obj in self.ontology.objects[LINK].items()}

    @rule(entity=st.sampled_from(ENTITIES), kind=st.sampled_from(["create", "upsert", "delete"]))
    def write_entity(self, entity: str, kind: str) -> None:
        parameters: dict[str, Any] = {"entityId": entity}
        if kind != "delete":
            parameters.update(canonicalRecord="{}", version=1)
        existed = entity in self.ontology.objects[ENTITY]
        answer = self.apply(f"caseport-{kind}-entity", parameters)
        expected = 200
        if kind == "create" and existed:
            expected = 409
        elif kind == "delete" and not existed:
            expected = 404
        assert answer.status_code == expected
        assert (entity in self.ontology.objects[ENTITY]) == (kind != "delete")

    @rule(
        link_id=link_ids,
        start=ends,
        end=ends,
        kind=st.sampled_from(["create", "upsert", "update", "delete"]),
        stale=st.booleans(),
    )
    def write_link(
        self, link_id: str, start: str | None, end: str | None, kind: str, stale: bool
    ) -> None:
        before = self.stored_links()
        if kind == "delete":
            parameters: dict[str, Any] = {"linkId": link_id}
        else:
            parameters = self.link_parameters(link_id, start, end)
        if kind == "update":
            stored = before.get(link_id, {}).get("version") or 0
            parameters["expectedVersion"] = stored + (1 if stale else 0)
        answer = self.apply(f"caseport-{kind}-link", parameters)
        refused = answer.status_code != 200 or answer.json()["validation"]["result"] != "VALID"
        if refused:
            assert self.stored_links() == before
        elif kind == "delete":
            assert link_id not in self.ontology.objects[LINK]
        else:
            assert self.ontology.objects[LINK][link_id].get(SOURCE) == start
            assert self.ontology.objects[LINK][link_id].get(TARGET) == end

    @rule(edits=st.lists(st.tuples(link_ids, ends, ends), min_size=1, max_size=5))
    def write_batch(self, edits: list[tuple[str, str | None, str | None]]) -> None:
        before = self.stored_links()
        answer = self.http.post(
            f"{API}/actions/caseport-upsert-link/applyBatch",
            json={"requests": [{"parameters": self.link_parameters(*edit)} for edit in edits]},
        )
        duplicated = len({link_id for link_id, _, _ in edits}) < len(edits)
        assert answer.status_code == (409 if duplicated else 200)
        if duplicated:
            assert self.stored_links() == before

    @precondition(lambda self: bool(self.ontology.objects[LINK]))
    @rule(data=st.data(), source=ends)
    def edit_in_place_then_reindex(self, data: st.DataObject, source: str | None) -> None:
        link_id = data.draw(st.sampled_from(sorted(self.ontology.objects[LINK])))
        self.ontology.objects[LINK][link_id][SOURCE] = source
        self.ontology.reindex()

    @invariant()
    def indexes_equal_a_scan(self) -> None:
        for link in self.ontology.link_types.values():
            indexed = self.ontology.indexed(link.target, link.foreign_key)
            assert indexed == _scan_index(self.ontology, link.target, link.foreign_key)

    @invariant()
    def linked_objects_equal_a_scan(self) -> None:
        for entity in [*ENTITIES, MISSING]:
            for (type_name, name), link in self.ontology.link_types.items():
                path = f"{API}/objects/{type_name}/{entity}/links/{name}"
                params: dict[str, str] = {"pageSize": "2", "excludeRid": "true"}
                answer = self.http.get(path, params=params)
                if entity not in self.ontology.objects[ENTITY]:
                    assert answer.status_code == 404
                    assert answer.json()["errorName"] == "ObjectNotFound"
                    continue
                listed = []
                while True:
                    assert answer.status_code == 200
                    page = answer.json()
                    listed.extend(obj["__primaryKey"] for obj in page["data"])
                    if "nextPageToken" not in page:
                        break
                    params["pageToken"] = page["nextPageToken"]
                    answer = self.http.get(path, params=params)
                scanned = sorted(
                    key
                    for key, obj in self.ontology.objects[link.target].items()
                    if obj.get(link.foreign_key) == entity
                )
                assert listed == scanned

    @invariant()
    def narrowed_searches_equal_a_scan(self) -> None:
        links = self.ontology.object_types[LINK]
        for where in LINK_WHERES:
            for order in ORDERS:
                every = list(self.ontology.objects[LINK].values())
                scanned = self.ontology.search(links, every, where, order)
                assert self.ontology.search_type(links, where, order) == scanned
        entities = self.ontology.object_types[ENTITY]
        wanted = {"type": "in", "field": "entityId", "value": [*ENTITIES[:2], MISSING]}
        object_set = {
            "type": "filter",
            "objectSet": {"type": "base", "objectType": ENTITY},
            "where": wanted,
        }
        every = list(self.ontology.objects[ENTITY].values())
        loaded = self.ontology.evaluate_set(object_set)[1]
        expected = self.ontology.search(entities, every, wanted, None)
        assert self.ontology.search(entities, loaded, None, None) == expected

    def teardown(self) -> None:
        self.http.close()


IndexedFake.TestCase.settings = hsettings(
    max_examples=by_profile(quick=40, ci=150, soak=1_500),
    stateful_step_count=by_profile(quick=30, ci=50, soak=80),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_the_indexes_always_equal_a_scan = IndexedFake.TestCase


@pytest.mark.parametrize(
    "where",
    [
        {"type": "eq", "field": SOURCE, "value": 5},
        {"type": "in", "field": SOURCE, "value": "e-1"},
        {"type": "in", "field": "linkId", "value": ["l-1", 2]},
        {"type": "eq", "field": "nope", "value": "e-1"},
        {"type": "and", "value": [{"type": "eq", "field": SOURCE, "value": "e-1"}, "x"]},
        {"type": "and", "value": {"type": "eq", "field": SOURCE, "value": "e-1"}},
        {"type": "gt", "field": SOURCE, "value": None},
    ],
)
def test_a_narrowed_search_refuses_what_the_scan_refuses(where: dict[str, Any]) -> None:
    """A bad clause on an indexed property gets the same error with or without the index."""
    ontology = FakeFoundry().ontology
    links = ontology.object_types[LINK]
    with pytest.raises(FakeError) as scanned:
        ontology.search(links, [], where, None)
    with pytest.raises(FakeError) as indexed:
        ontology.search_type(links, where, None)
    assert (indexed.value.name, indexed.value.parameters) == (
        scanned.value.name,
        scanned.value.parameters,
    )


def test_only_string_properties_are_indexed() -> None:
    """String properties can be indexed; a long one cannot."""
    ontology = FakeFoundry().ontology
    assert ontology.index_property(LINK, SOURCE)
    assert not ontology.index_property(LINK, "version")
    assert ontology.indexed(LINK, "version") is None
