"""The Foundry client's requests, route by route, asserted with respx at the httpx transport.

Each test gives the real client a ``respx.Router`` as its transport: every request must match
a route (``assert_all_mocked``), every route must be called (``assert_all_called``), and the
calls are read back from the routes. Nothing of ours is patched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx
from foundry_support import settings

from adapters.foundry.auth import StaticToken
from adapters.foundry.client import FoundryClient
from adapters.foundry.paging import Pages
from adapters.foundry.testing import FakeClock
from contracts.errors import RateLimited

BASE = "https://foundry.example.test"
ONTOLOGY = "/api/v2/ontologies/caseport"
TOKEN = "route-test-token.abc_DEF-123"
ENVELOPE = {
    "errorCode": "CUSTOM_CLIENT",
    "errorName": "TooManyRequests",
    "errorInstanceId": "e-1",
    "parameters": {},
}


@pytest.fixture
def router() -> Iterator[respx.Router]:
    """A router refusing unmocked requests; it checks every route ran and where the token went.

    After the test every route must have been called, and no request may have carried the
    token anywhere but its ``Authorization`` header.
    """
    routes = respx.Router(base_url=BASE, assert_all_called=True, assert_all_mocked=True)
    yield routes
    routes.assert_all_called()
    for call in routes.calls:
        assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in str(call.request.url)
        assert TOKEN not in call.request.content.decode()


@pytest.fixture
def clock() -> FakeClock:
    """Virtual time: retries wait without sleeping."""
    return FakeClock()


@pytest.fixture
def client(router: respx.Router, clock: FakeClock) -> Iterator[FoundryClient]:
    """The real client, its transport the router."""
    built = FoundryClient(
        BASE,
        "caseport",
        StaticToken(TOKEN),
        settings=settings(backoff_base=0.0),
        transport=httpx.MockTransport(router.handler),
        clock=clock,
    )
    yield built
    built.close()


def body(call: Any) -> dict[str, Any]:
    """The JSON body of one recorded call."""
    parsed: dict[str, Any] = json.loads(call.request.content)
    return parsed


def test_get_object_is_one_get_with_the_key_percent_encoded(
    router: respx.Router, client: FoundryClient
) -> None:
    """``a/b`` travels as ``a%2Fb``; only the selected properties and no RID are asked for."""
    route = router.get(url__startswith=f"{BASE}{ONTOLOGY}/objects/CaseportEntity/").respond(
        json={"__primaryKey": "a/b", "entityId": "a/b", "version": "3"}
    )
    answer = client.get_object("CaseportEntity", "a/b", select=("canonicalRecord", "version"))
    assert answer == {"__primaryKey": "a/b", "entityId": "a/b", "version": "3"}
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.url.raw_path.decode().split("?")[0] == (
        f"{ONTOLOGY}/objects/CaseportEntity/a%2Fb"
    )
    assert request.url.params.multi_items() == [
        ("select", "canonicalRecord"),
        ("select", "version"),
        ("excludeRid", "true"),
    ]
    assert request.headers["Accept"] == "application/json"


def test_search_follows_next_page_tokens_through_an_empty_page(
    router: respx.Router, client: FoundryClient
) -> None:
    """Pages are asked for with each token received; an empty page is not the end."""
    route = router.post(f"{ONTOLOGY}/objects/CaseportEntity/search").mock(
        side_effect=[
            httpx.Response(200, json={"data": [{"entityId": "a"}], "nextPageToken": "t1"}),
            httpx.Response(200, json={"data": [], "nextPageToken": "t2", "totalCount": "2"}),
            httpx.Response(200, json={"data": [{"entityId": "b"}]}),
        ]
    )

    def fetch(token: str | None) -> Any:
        page: dict[str, Any] = {"pageSize": 2, "where": {"type": "eq", "field": "kind"}}
        if token is not None:
            page["pageToken"] = token
        return client.search("CaseportEntity", page)

    pages = Pages(fetch, what="search entities")
    read = [obj["entityId"] for page in pages.pages() for obj in page.data]
    assert read == ["a", "b"]
    assert route.call_count == 3
    assert [body(call).get("pageToken") for call in route.calls] == [None, "t1", "t2"]
    assert {json.dumps(body(call)["where"]) for call in route.calls} == {
        json.dumps({"type": "eq", "field": "kind"})
    }
    assert pages.total_count == 2


def test_an_action_is_applied_in_validate_and_execute_mode(
    router: respx.Router, client: FoundryClient
) -> None:
    """One POST to ``actions/{action}/apply`` carrying the parameters and the mode."""
    route = router.post(f"{ONTOLOGY}/actions/caseport-create-entity/apply").respond(
        json={"validation": {"result": "VALID", "submissionCriteria": [], "parameters": {}}}
    )
    answer = client.apply("caseport-create-entity", {"entityId": "e-1", "version": 1})
    assert answer.valid
    assert route.call_count == 1
    sent = route.calls.last.request
    assert sent.headers["Content-Type"] == "application/json"
    assert body(route.calls.last) == {
        "parameters": {"entityId": "e-1", "version": 1},
        "options": {"mode": "VALIDATE_AND_EXECUTE", "returnEdits": "NONE"},
    }


def test_a_batch_is_one_apply_batch_request(router: respx.Router, client: FoundryClient) -> None:
    """``applyBatch`` carries every request's parameters in order, and no mode."""
    route = router.post(f"{ONTOLOGY}/actions/caseport-upsert-entity/applyBatch").respond(json={})
    client.apply_batch("caseport-upsert-entity", [{"entityId": "e-1"}, {"entityId": "e-2"}])
    assert body(route.calls.last) == {
        "requests": [{"parameters": {"entityId": "e-1"}}, {"parameters": {"entityId": "e-2"}}],
        "options": {"returnEdits": "NONE"},
    }


def test_a_429_with_retry_after_is_waited_out_and_retried(
    router: respx.Router, client: FoundryClient, clock: FakeClock
) -> None:
    """The read waits the 2 seconds Foundry asks for, then the same request succeeds."""
    route = router.get(f"{ONTOLOGY}").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}, json=ENVELOPE),
            httpx.Response(200, json={"apiName": "caseport", "rid": "ri.ontology.main.o.1"}),
        ]
    )
    assert client.get_ontology()["apiName"] == "caseport"
    assert route.call_count == 2
    assert clock.sleeps == [2.0]
    first, second = (call.request for call in route.calls)
    assert (first.method, first.url) == (second.method, second.url)


def test_a_429_asking_longer_than_the_cap_fails_at_once(
    router: respx.Router, client: FoundryClient, clock: FakeClock
) -> None:
    """A ``Retry-After`` past the 30 s cap is not waited for: RateLimited, one request."""
    route = router.get(f"{ONTOLOGY}").respond(429, headers={"Retry-After": "120"}, json=ENVELOPE)
    with pytest.raises(RateLimited) as raised:
        client.get_ontology()
    assert raised.value.retry_after == 120
    assert route.call_count == 1
    assert clock.sleeps == []
