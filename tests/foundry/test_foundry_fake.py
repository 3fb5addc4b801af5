"""The fake Foundry itself: grammar limits, action validation and loopback serving."""

from __future__ import annotations

import threading

import httpx
import pytest
from foundry_support import person

from adapters.foundry.auth import StaticToken
from adapters.foundry.client import FoundryClient
from adapters.foundry.store import FoundryCaseStore
from adapters.foundry.testing import FakeFoundry, serve_http
from contracts.errors import ConfigurationError, ValidationFailed
from contracts.models import Entity


def test_the_fake_refuses_where_clauses_nested_deeper_than_three_levels() -> None:
    """Four levels of nesting get Foundry's 400, as the real service would answer."""
    fake = FakeFoundry()
    client = fake.client()
    leaf = {"type": "eq", "field": "kind", "value": "PERSON"}
    deep = {"type": "and", "value": [{"type": "or", "value": [{"type": "not", "value": leaf}]}]}
    with pytest.raises(ValidationFailed, match="InvalidParameterValue"):
        client.search("CaseportEntity", {"where": deep})
    shallow = {"type": "and", "value": [{"type": "not", "value": leaf}]}
    assert client.search("CaseportEntity", {"where": shallow}).data == []


def test_the_fake_validates_action_parameters() -> None:
    """Unknown parameters, missing ones and wrong types are refused like Foundry does."""
    fake = FakeFoundry()
    client = fake.client()
    with pytest.raises(ConfigurationError, match="ParametersNotFound"):
        client.apply("caseport-create-entity", {"entityId": "x", "shoeSize": 9})
    with pytest.raises(ConfigurationError, match="MissingParameter"):
        client.apply("caseport-create-entity", {"entityId": "x"})
    with pytest.raises(ValidationFailed, match="InvalidParameterValue"):
        client.apply(
            "caseport-create-entity", {"entityId": "x", "canonicalRecord": "{}", "version": "v1"}
        )


def test_a_stale_update_is_http_200_with_an_invalid_validation() -> None:
    """HTTP 200 is not success: the answer's validation.result says INVALID."""
    fake = FakeFoundry()
    store = fake.store()
    created = store.create(person("John Smith", id="p-1"))
    client = fake.client()
    params = {"entityId": "p-1", "canonicalRecord": created.model_dump_json(), "version": 5}
    answer = client.apply("caseport-update-entity", {**params, "expectedVersion": 4})
    assert not answer.valid
    assert "version mismatch" in answer.failures()[0]


def test_the_fake_serves_over_a_loopback_http_port() -> None:
    """serve_http answers real HTTP requests, which the adapter reads like any Foundry."""
    fake = FakeFoundry()
    server = serve_http(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        client = FoundryClient(f"http://127.0.0.1:{port}", "caseport", StaticToken(fake.token))
        store = FoundryCaseStore(client, fake.mapping)
        created = store.create(person("John Smith", id="p-1"))
        assert store.get(Entity, "p-1") == created
        response = httpx.get(f"http://127.0.0.1:{port}/api/v2/ontologies/caseport")
        assert response.status_code == 401
        store.close()
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(ConfigurationError, match="loopback"):
        serve_http(fake, host="0.0.0.0")
