"""Requests the adapter sends match the Ontology API v2 reference, byte for byte."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from foundry_support import fake_store, person, sample_records

from adapters.foundry.auth import StaticToken
from adapters.foundry.client import FoundryClient, path_segment
from contracts.errors import NotFound, ValidationFailed
from contracts.query import And, Eq, Not, Prefix, SearchQuery, Text

LIST_EXAMPLE = {
    "nextPageToken": "v1.QnVpbGQgdGhlIEZ1dHVyZQ",
    "data": [
        {
            "__rid": "ri.phonograph2-objects.main.object.88a6fccb-f333-46d6-a07e-7725c5f18b61",
            "__primaryKey": 50030,
            "__apiName": "Employee",
            "id": 50030,
            "firstName": "John",
            "lastName": "Doe",
        }
    ],
}
APPLY_EXAMPLE = {
    "operationId": "ri.actions.main.action.c61d9ab5-2919-4127-a0a1-ac64c0ce6367",
    "validation": {"result": "VALID"},
    "parameters": {
        "id": {"evaluatedConstraints": [], "result": "VALID", "required": True},
        "newName": {"evaluatedConstraints": [], "result": "VALID", "required": True},
    },
}
NOT_FOUND_EXAMPLE = {
    "errorCode": "NOT_FOUND",
    "errorName": "ObjectNotFound",
    "errorInstanceId": "00813215-0844-4716-be7b-a3fe0fce9e42",
    "parameters": {"objectType": "employee", "primaryKey": {"id": 10000}},
}


class Recorder:
    """A MockTransport handler that records requests and answers with a fixed body."""

    def __init__(self, body: Any = None, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.body = {} if body is None else body
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]


def client_for(
    handler: Callable[[httpx.Request], httpx.Response], base: str = "https://h.example"
) -> FoundryClient:
    return FoundryClient(
        base, "palantir", StaticToken("tok-123"), transport=httpx.MockTransport(handler)
    )


def test_get_object_uses_the_documented_path_headers_and_repeated_select_keys() -> None:
    """GET object goes to /api/v2/ontologies/{o}/objects/{type}/{pk} with select repeated."""
    recorder = Recorder(LIST_EXAMPLE["data"][0])
    client_for(recorder).get_object("employee", "50030", select=["firstName", "lastName"])
    request = recorder.last
    assert request.method == "GET"
    assert request.url.raw_path == (
        b"/api/v2/ontologies/palantir/objects/employee/50030"
        b"?select=firstName&select=lastName&excludeRid=true"
    )
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Accept"] == "application/json"
    assert "content-type" not in request.headers


def test_primary_keys_are_percent_encoded_with_nothing_kept_safe() -> None:
    """A slash, space or colon in a primary key is encoded inside its one path segment."""
    recorder = Recorder({"__primaryKey": "a/b c:d"})
    client_for(recorder).get_object("employee", "a/b c:d")
    assert recorder.last.url.raw_path.startswith(
        b"/api/v2/ontologies/palantir/objects/employee/a%2Fb%20c%3Ad?"
    )
    assert path_segment("x/y?z#") == "x%2Fy%3Fz%23"


def test_a_gateway_prefix_in_the_base_url_prefixes_every_path() -> None:
    """An API-gateway prefix before /api is kept."""
    recorder = Recorder({"apiName": "palantir"})
    client_for(recorder, "https://h.example/gateway/foundry").get_ontology()
    assert recorder.last.url.raw_path == b"/gateway/foundry/api/v2/ontologies/palantir"


def test_search_posts_a_json_body_with_where_order_and_paging() -> None:
    """Search is a POST whose paging and filter travel in the body, not the URL."""
    recorder = Recorder({"data": []})
    body = {
        "where": {"type": "eq", "field": "age", "value": 21},
        "orderBy": {"fields": [{"field": "age", "direction": "desc"}]},
        "pageSize": 10,
        "pageToken": "v1.abc",
    }
    client_for(recorder).search("employee", body)
    request = recorder.last
    assert request.method == "POST"
    assert request.url.raw_path == b"/api/v2/ontologies/palantir/objects/employee/search"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == body


def test_apply_sends_validate_and_execute_without_edits() -> None:
    """Apply carries the parameters and mode VALIDATE_AND_EXECUTE."""
    recorder = Recorder(APPLY_EXAMPLE)
    answer = client_for(recorder).apply("rename-employee", {"id": 80060, "newName": "Anna"})
    assert (
        recorder.last.url.raw_path == b"/api/v2/ontologies/palantir/actions/rename-employee/apply"
    )
    assert json.loads(recorder.last.content) == {
        "parameters": {"id": 80060, "newName": "Anna"},
        "options": {"mode": "VALIDATE_AND_EXECUTE", "returnEdits": "NONE"},
    }
    assert answer.valid
    assert answer.operation_id is not None


def test_apply_batch_wraps_each_request_and_refuses_more_than_twenty() -> None:
    """ApplyBatch sends {requests: [{parameters}]}; a 21st request is refused before sending."""
    recorder = Recorder({})
    client = client_for(recorder)
    client.apply_batch("rename-employee", [{"id": 1}, {"id": 2}])
    assert recorder.last.url.raw_path.endswith(b"/actions/rename-employee/applyBatch")
    assert json.loads(recorder.last.content) == {
        "requests": [{"parameters": {"id": 1}}, {"parameters": {"id": 2}}],
        "options": {"returnEdits": "NONE"},
    }
    with pytest.raises(ValidationFailed, match="1 to 20"):
        client.apply_batch("rename-employee", [{"id": n} for n in range(21)])
    assert len(recorder.requests) == 1


def test_load_objects_posts_the_object_set() -> None:
    """LoadObjects goes to objectSets/loadObjects with the object set in the body."""
    recorder = Recorder({"data": LIST_EXAMPLE["data"]})
    body = {"objectSet": {"type": "base", "objectType": "Employee"}, "pageSize": 10000}
    page = client_for(recorder).load_objects(body)
    assert recorder.last.url.raw_path == b"/api/v2/ontologies/palantir/objectSets/loadObjects"
    assert json.loads(recorder.last.content) == body
    assert page.total_count is None
    assert page.data[0]["__primaryKey"] == 50030


def test_linked_objects_use_query_parameters_for_paging() -> None:
    """Linked objects page with pageSize and pageToken query parameters."""
    recorder = Recorder(LIST_EXAMPLE)
    page = client_for(recorder).linked_objects(
        "employee", "50030", "directReport", page_size=100, page_token="v1.x", select=["a"]
    )
    assert recorder.last.url.raw_path == (
        b"/api/v2/ontologies/palantir/objects/employee/50030/links/directReport"
        b"?pageSize=100&pageToken=v1.x&select=a&excludeRid=true&snapshot=true"
    )
    assert page.next_page_token == LIST_EXAMPLE["nextPageToken"]


def test_the_documented_not_found_body_becomes_not_found_with_its_instance_id() -> None:
    """ObjectNotFound on a search is NotFound and keeps errorInstanceId for support."""
    recorder = Recorder(NOT_FOUND_EXAMPLE, status=404)
    with pytest.raises(NotFound) as caught:
        client_for(recorder).search("employee", {})
    assert "00813215-0844-4716-be7b-a3fe0fce9e42" in str(caught.value.__cause__)
    assert caught.value.record_id == "10000"


def test_get_object_answers_none_for_object_not_found() -> None:
    """A missing object is None, not an error."""
    assert client_for(Recorder(NOT_FOUND_EXAMPLE, status=404)).get_object("employee", "1") is None


def test_store_get_selects_only_the_record_and_its_version() -> None:
    """A get asks for the canonical record and version property, without the rid."""
    fake, store = fake_store()
    created = store.create(person("John Smith", id="p-1"))
    assert store.get(type(created), "p-1") == created
    request = fake.requests[-1]
    assert request.method == "GET"
    assert request.url.raw_path == (
        b"/api/v2/ontologies/caseport/objects/CaseportEntity/p-1"
        b"?select=canonicalRecord&select=version&excludeRid=true"
    )


def test_store_create_applies_the_create_action_with_one_parameter_per_property() -> None:
    """A create sends the id, the canonical JSON and every mapped property as parameters."""
    fake, store = fake_store()
    created = store.create(person("John Smith", id="p-1"))
    request = next(r for r in fake.requests if r.url.path.endswith("/apply"))
    assert request.url.path == "/api/v2/ontologies/caseport/actions/caseport-create-entity/apply"
    body = json.loads(request.content)
    params = body["parameters"]
    assert body["options"]["mode"] == "VALIDATE_AND_EXECUTE"
    assert params["entityId"] == "p-1"
    assert json.loads(params["canonicalRecord"]) == json.loads(created.model_dump_json())
    assert params["familyName"] == "Smith"
    assert params["searchTerms"] == ["john", "smith"]
    assert params["version"] == 1


def test_store_search_sends_a_where_clause_order_and_snapshot() -> None:
    """A search translates the filter into the where grammar within three levels."""
    fake, store = fake_store()
    for record in sample_records():
        store.create(record)
    query = SearchQuery(
        filter=And(Prefix("label", "J"), Not(Eq("subtype", "vehicle")), Text("john")),
        order_by=({"field": "label"},),  # type: ignore[arg-type]
    )
    page = store.search(query)
    assert [entity.id for entity in page.items] == ["p-smith"]
    request = next(r for r in reversed(fake.requests) if r.url.path.endswith("/search"))
    body = json.loads(request.content)
    assert body["where"] == {
        "type": "and",
        "value": [
            {"type": "gte", "field": "label", "value": "J"},
            {"type": "lt", "field": "label", "value": "K"},
            {"type": "not", "value": {"type": "eq", "field": "subtype", "value": "vehicle"}},
            {"type": "contains", "field": "searchTerms", "value": "john"},
        ],
    }
    assert body["orderBy"] == {
        "fields": [
            {"field": "label", "direction": "asc"},
            {"field": "entityId", "direction": "asc"},
        ]
    }
    assert body["snapshot"] is True
    assert body["select"] == ["canonicalRecord", "version"]


def test_export_reads_object_sets_with_loadobjects_in_snapshots() -> None:
    """Export pages through loadObjects over the base object set, by primary key."""
    fake, store = fake_store()
    for record in sample_records():
        store.create(record)
    before = len(fake.requests)
    exported = list(store.export())
    assert len(exported) == len(sample_records())
    request = next(r for r in fake.requests[before:] if r.url.path.endswith("/loadObjects"))
    body = json.loads(request.content)
    assert body["objectSet"] == {"type": "base", "objectType": "CaseportEntity"}
    assert body["snapshot"] is True
    assert body["orderBy"] == {"fields": [{"field": "entityId", "direction": "asc"}]}


def test_expand_follows_both_link_types_of_the_entity() -> None:
    """Expand lists the linked objects by source and by target."""
    fake, store = fake_store()
    for record in sample_records():
        store.create(record)
    store.expand("p-jones")
    paths = {r.url.path for r in fake.requests if "/links/" in r.url.path}
    assert paths == {
        "/api/v2/ontologies/caseport/objects/CaseportEntity/p-jones/links/caseportLinksFromSource",
        "/api/v2/ontologies/caseport/objects/CaseportEntity/p-jones/links/caseportLinksFromTarget",
    }
