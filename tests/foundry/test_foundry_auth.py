"""Bearer tokens and OAuth2 client credentials: refreshed in time, once on 401, never leaked."""

from __future__ import annotations

import logging
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl

import httpx
import pytest
from foundry_support import person, settings
from pydantic import SecretStr

import adapters.foundry as foundry
from adapters.foundry.auth import ClientCredentials, StaticToken, TokenExchange, from_environment
from adapters.foundry.client import FoundryClient
from adapters.foundry.errors import redact
from adapters.foundry.store import FoundryCaseStore
from adapters.foundry.testing import FakeClock, FakeFoundry, Fault, serve_http
from contracts.errors import (
    CaseportError,
    ConfigurationError,
    PermissionDenied,
    Unavailable,
    UpstreamContractError,
)
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


WIRE_CANARY = "CANARY-wire-5e2d-token-do-not-log"
NON_ASCII_CANARY = "CANARY-\u00e9t\u00e9-token-do-not-log"


class _RawProvider:
    """A token provider from outside this package that hands out any string it was given."""

    def __init__(self, token: str) -> None:
        self._token = SecretStr(token)

    def token(self, exchange: TokenExchange) -> SecretStr:
        return self._token

    def invalidate(self, rejected: SecretStr) -> bool:
        return False


def test_surrounding_whitespace_is_stripped_from_a_configured_token() -> None:
    """A token pasted with a trailing newline is sent without it."""
    fake = FakeFoundry(token="abc.DEF-123_~+/==")
    store = fake.store(auth=StaticToken(" abc.DEF-123_~+/==\n"), settings=settings())
    store.create(person("John Smith", id="p-1"))
    assert fake.requests[-1].headers["Authorization"] == "Bearer abc.DEF-123_~+/=="


@pytest.mark.parametrize(
    "token", [NON_ASCII_CANARY, "CANARY-in\nside", "CANARY with space", "CANARY=x", "\n \t"]
)
def test_a_configured_token_outside_the_bearer_character_set_is_refused_without_its_value(
    token: str,
) -> None:
    """StaticToken raises ConfigurationError naming the problem, never the token."""
    with pytest.raises(ConfigurationError) as caught:
        StaticToken(token)
    assert "CANARY" not in _everything_said(caught.value)


@pytest.mark.parametrize("answer", [NON_ASCII_CANARY, "CANARY\r\nX-Evil: 1", "CANARY:x"])
def test_a_token_endpoint_answer_outside_the_bearer_character_set_is_upstream_contract_error(
    answer: str,
) -> None:
    """An access token Foundry could not have meant is refused without its value."""
    auth = ClientCredentials("app", CANARY_SECRET, FakeClock())
    with pytest.raises(UpstreamContractError) as caught:
        auth.token(lambda form: {"access_token": answer, "expires_in": 3600})
    assert "CANARY" not in _everything_said(caught.value)
    assert auth.refreshes == 0


def test_a_token_endpoint_answer_is_stripped_of_surrounding_whitespace() -> None:
    """A trailing newline in the answered token is not sent along."""
    auth = ClientCredentials("app", CANARY_SECRET, FakeClock())
    token = auth.token(lambda form: {"access_token": "issued-abc\n", "expires_in": 3600})
    assert token.get_secret_value() == "issued-abc"


def test_a_foreign_provider_token_outside_the_character_set_never_reaches_httpx() -> None:
    """A provider's non-ASCII token fails as ConfigurationError, not UnicodeEncodeError."""
    fake = FakeFoundry()
    store = fake.store(auth=_RawProvider(NON_ASCII_CANARY), settings=settings())
    with pytest.raises(ConfigurationError) as caught:
        store.get(Entity, "p-1")
    assert "CANARY" not in _everything_said(caught.value)
    assert fake.requests == []


def test_protocol_errors_quoting_the_header_are_redacted_in_the_whole_chain() -> None:
    """An httpx error that quotes the Authorization header loses the token everywhere."""
    fake = FakeFoundry(token=WIRE_CANARY)

    def handler(request: httpx.Request) -> httpx.Response:
        header = request.headers["Authorization"]
        inner = RuntimeError(f"Illegal header value {header.encode()!r}")
        raise httpx.LocalProtocolError(f"Illegal header value {header.encode()!r}") from inner

    client = FoundryClient(
        "https://foundry.example",
        "caseport",
        StaticToken(WIRE_CANARY),
        transport=httpx.MockTransport(handler),
        clock=fake.clock,
        settings=settings(),
    )
    with pytest.raises(UpstreamContractError) as caught:
        client.get_ontology()
    said = _everything_said(caught.value)
    assert "LocalProtocolError" in said
    assert "Bearer [redacted]" in said
    assert WIRE_CANARY not in said


def test_redact_removes_bearer_values_and_escaped_secrets() -> None:
    """redact() covers the header form and the repr-escaped form of a secret."""
    secret = "s3cr3t-\u00e9\n"
    text = f"b'Bearer {secret!r}' then {secret!r} and {secret!a}"
    cleaned = redact(text, [secret])
    assert "s3cr3t" not in cleaned
    assert cleaned.startswith("b'Bearer [redacted]")


def test_wire_canaries_never_appear_over_real_http_at_debug_level(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """S3 over loopback HTTP: a newline-padded token and a non-ASCII one never leak.

    The request goes through httpx, httpcore and h11, whose DEBUG loggers are captured too.
    """
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "caseport"):
        caplog.set_level(logging.DEBUG, logger=name)
    said: list[str] = []
    fake = FakeFoundry(token=WIRE_CANARY)
    server = serve_http(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for auth in (StaticToken(WIRE_CANARY + "\n"), _RawProvider(NON_ASCII_CANARY)):
            client = FoundryClient(
                url, "caseport", auth, clock=fake.clock, settings=settings(max_attempts=2)
            )
            store = FoundryCaseStore(client, fake.mapping)
            try:
                store.create(person("John Smith", id="p-1"))
                fake.inject(Fault("unavailable", times=5))
                store.get(Entity, "p-1")
            except CaseportError as exc:
                said.append(_everything_said(exc))
            said += [repr(store), repr(client), repr(auth), str(store.info)]
            store.close()
        try:
            StaticToken(NON_ASCII_CANARY)
        except ConfigurationError as exc:
            said.append(_everything_said(exc))
    finally:
        server.shutdown()
        server.server_close()
    records = caplog.records
    said += [record.getMessage() for record in records]
    said += [str(record.args) for record in records]
    said += [str(record.exc_info) for record in records]
    text = "\n".join(said)
    assert any(record.name.startswith("httpcore") for record in records)
    assert len(said) > 10
    assert "token-do-not-log" not in text  # the tail both canaries share, in any escaping
