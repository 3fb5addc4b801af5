"""Bearer tokens and OAuth2 client credentials: refreshed in time, once on 401, never leaked."""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

import pytest
from foundry_support import person, settings

import adapters.foundry as foundry
from adapters.foundry.auth import ClientCredentials, StaticToken, from_environment
from adapters.foundry.testing import FakeClock, FakeFoundry, Fault
from contracts.errors import CaseportError, ConfigurationError, PermissionDenied, Unavailable
from contracts.models import Entity

CANARY_TOKEN = "CANARY-7f3a9c1e-token-do-not-log"
CANARY_SECRET = "CANARY-b81d-secret-do-not-log"


def oauth_fake(lifetime: int = 3600) -> tuple[FakeFoundry, ClientCredentials]:
    fake = FakeFoundry(clients={"app": CANARY_SECRET}, token_lifetime=lifetime)
    auth = ClientCredentials("app", CANARY_SECRET, fake.clock, scopes=["api:ontologies-read"])
    return fake, auth


def test_the_environment_gives_a_static_token_or_client_credentials() -> None:
    """CASEPORT_FOUNDRY_TOKEN wins; otherwise both client variables are needed."""
    clock = FakeClock()
    assert isinstance(from_environment({"CASEPORT_FOUNDRY_TOKEN": "x"}, clock), StaticToken)
    both = {"CASEPORT_FOUNDRY_CLIENT_ID": "a", "CASEPORT_FOUNDRY_CLIENT_SECRET": "b"}
    assert isinstance(from_environment(both, clock), ClientCredentials)
    with pytest.raises(ConfigurationError, match="CASEPORT_FOUNDRY_CLIENT_SECRET"):
        from_environment({"CASEPORT_FOUNDRY_CLIENT_ID": "a"}, clock)
    with pytest.raises(ConfigurationError, match="CASEPORT_FOUNDRY_TOKEN"):
        from_environment({}, clock)


def test_credentials_in_the_store_url_are_refused() -> None:
    """A token can never travel in the URL, where it would be logged."""
    with pytest.raises(ConfigurationError, match="environment"):
        foundry.from_url("foundry+https://user:secret@h.example/onto", {})


def test_client_credentials_are_posted_as_a_form_to_the_token_endpoint() -> None:
    """The grant goes to /multipass/api/oauth2/token, form-encoded, with the scopes."""
    fake, auth = oauth_fake()
    store = fake.store(auth=auth, settings=settings())
    store.create(person("John Smith", id="p-1"))
    token_request = next(r for r in fake.requests if r.url.path == "/multipass/api/oauth2/token")
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "authorization" not in token_request.headers
    assert dict(parse_qsl(token_request.content.decode())) == {
        "grant_type": "client_credentials",
        "client_id": "app",
        "client_secret": CANARY_SECRET,
        "scope": "api:ontologies-read",
    }
    assert fake.token_requests == 1


def test_a_token_is_reused_then_refreshed_before_it_expires() -> None:
    """The token is kept until a minute before expiry, then replaced without a failure."""
    fake, auth = oauth_fake(lifetime=3600)
    store = fake.store(auth=auth, settings=settings())
    store.create(person("John Smith", id="p-1"))
    fake.clock.advance(3000)
    store.get(Entity, "p-1")
    assert fake.token_requests == 1
    fake.clock.advance(560)  # 3560 s: inside the 60 s refresh margin, still valid
    store.get(Entity, "p-1")
    assert fake.token_requests == 2
    assert auth.refreshes == 2


def test_only_one_thread_refreshes_at_a_time() -> None:
    """Twenty threads needing a token at once cause one token request."""
    fake, auth = oauth_fake()
    store = fake.store(auth=auth, settings=settings())
    start = threading.Barrier(20)

    def read(_: int) -> None:
        start.wait()
        store.search()

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(read, range(20)))
    assert fake.token_requests == 1


def test_a_401_refreshes_once_and_repeats_the_request_once() -> None:
    """A revoked token is replaced once; the request then succeeds."""
    fake, auth = oauth_fake()
    store = fake.store(auth=auth, settings=settings())
    store.create(person("John Smith", id="p-1"))
    fake.revoke_issued_tokens()
    assert store.get(Entity, "p-1").label == "John Smith"
    assert fake.token_requests == 2


def test_a_second_401_is_permission_denied_never_a_loop() -> None:
    """If the fresh token is refused too, the call fails; no third token is asked for."""
    fake, auth = oauth_fake()
    store = fake.store(auth=auth, settings=settings())
    store.create(person("John Smith", id="p-1"))
    api_calls = len(fake.requests)
    fake.inject(Fault("unauthorized", method="GET", times=5))
    with pytest.raises(PermissionDenied, match="scopes"):
        store.get(Entity, "p-1")
    assert fake.token_requests == 2
    assert len(fake.requests) - api_calls == 3  # refused GET, token, refused GET


def test_a_static_token_refused_fails_after_one_request() -> None:
    """A fixed token cannot be refreshed, so a 401 fails at once."""
    fake = FakeFoundry()
    store = fake.store(auth=StaticToken("wrong"), settings=settings())
    with pytest.raises(PermissionDenied):
        store.get(Entity, "p-1")
    assert len(fake.requests) == 1


def test_refused_client_credentials_are_permission_denied() -> None:
    """A wrong secret is reported without the secret."""
    fake = FakeFoundry(clients={"app": "right"})
    auth = ClientCredentials("app", CANARY_SECRET, fake.clock)
    store = fake.store(auth=auth, settings=settings())
    with pytest.raises(PermissionDenied) as caught:
        store.get(Entity, "p-1")
    assert CANARY_SECRET not in str(caught.value)


def _everything_said(error: BaseException) -> str:
    parts = ["".join(traceback.format_exception(error))]
    cause: BaseException | None = error
    while cause is not None:
        parts += [str(cause), repr(cause), *getattr(cause, "__notes__", [])]
        cause = cause.__cause__ or cause.__context__
    return "\n".join(parts)


def test_the_canary_token_and_secret_never_appear_in_logs_errors_reprs_or_urls(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """S3: run successes and failures at DEBUG and search everything for the canaries."""
    caplog.set_level(logging.DEBUG)
    said: list[str] = []
    for auth_kind in ("static", "oauth"):
        fake = FakeFoundry(token=CANARY_TOKEN, clients={"app": CANARY_SECRET})
        auth = (
            StaticToken(CANARY_TOKEN)
            if auth_kind == "static"
            else ClientCredentials("app", CANARY_SECRET, fake.clock)
        )
        store = fake.store(auth=auth, settings=settings(max_attempts=2))
        store.create(person("John Smith", id="p-1"))
        fake.inject(Fault("unavailable", times=5), Fault("unauthorized", times=3))
        for _ in range(2):
            try:
                store.get(Entity, "p-1")
            except (CaseportError, Unavailable) as exc:
                said.append(_everything_said(exc))
        said += [repr(store), repr(store.client), repr(auth), str(store.info)]
        said += [str(request.url) for request in fake.requests]
    said += [record.getMessage() for record in caplog.records]
    said += [str(record.args) for record in caplog.records]
    text = "\n".join(said)
    assert len(said) > 10
    assert CANARY_TOKEN not in text
    assert CANARY_SECRET not in text
