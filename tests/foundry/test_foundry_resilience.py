"""Resilience goals R1 to R10 of the Foundry adapter, on virtual time (nothing sleeps)."""

from __future__ import annotations

import contextlib
import json
import random
import statistics
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from foundry_support import fake_store, person, settings
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from adapters.foundry.auth import StaticToken
from adapters.foundry.breaker import CircuitBreaker
from adapters.foundry.client import FoundryClient
from adapters.foundry.errors import CircuitOpen, WriteOutcomeUnknown
from adapters.foundry.retry import RetryPolicy, parse_retry_after
from adapters.foundry.testing import FakeClock, Fault
from contracts.errors import (
    BackendError,
    CaseportError,
    DeadlineExceeded,
    RateLimited,
    Unavailable,
)
from contracts.models import Entity


def status_client(
    status: int | Exception, clock: FakeClock | None = None, **changes: object
) -> tuple[FoundryClient, list[httpx.Request]]:
    """A client whose server always answers ``status`` (or raises the exception)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(status, Exception):
            raise status
        return httpx.Response(status, json={} if status < 300 else None)

    client = FoundryClient(
        "https://h.example",
        "o",
        StaticToken("t"),
        settings=settings(**changes),
        transport=httpx.MockTransport(handler),
        clock=clock or FakeClock(),
        rng=random.Random(7),
    )
    return client, seen


# ---------------------------------------------------------------------------- R1, R2


def test_r1_every_attempt_of_a_create_carries_the_same_client_chosen_key() -> None:
    """Retried creates repeat the same primary key; different creates use different keys."""
    fake, store = fake_store()
    fake.inject(
        Fault("connect_error", path_contains="/apply"),
        Fault("rate_limited", retry_after="1", path_contains="/apply"),
        Fault("unavailable", path_contains="/apply"),
    )
    first = store.create(person("John Smith"))
    second = store.create(person("Mary Jones"))
    applies = [r for r in fake.requests if r.url.path.endswith("/apply")]
    ids = [json.loads(r.content)["parameters"]["entityId"] for r in applies]
    assert ids == [first.id] * 4 + [second.id]
    assert first.id != second.id


@pytest.mark.parametrize("kind", ["lost_reply", "dropped", "gateway_timeout", "server_error"])
def test_r2_a_write_with_unknown_outcome_is_read_back_before_any_resend(kind: str) -> None:
    """After a timeout or 5xx the store reads back; an applied create is not sent again."""
    fake, store = fake_store()
    fake.inject(Fault(kind, path_contains="/apply"))  # type: ignore[arg-type]
    created = store.create(person("John Smith", id="p-1"))
    assert store.get(Entity, "p-1") == created
    creates = [entry for entry in fake.ontology.applied if entry[1] == "p-1"]
    assert len(creates) == 1
    reads = fake.count("GET", "/objects/CaseportEntity/p-1")
    assert reads >= 2  # the read-back, then the get above


def test_r2_the_client_never_resends_a_write_after_the_request_left() -> None:
    """At the client level a read timeout on a write raises WriteOutcomeUnknown after one try."""
    request = httpx.Request("POST", "https://h.example")
    client, seen = status_client(httpx.ReadTimeout("slow", request=request))
    with pytest.raises(WriteOutcomeUnknown):
        client.apply("a", {})
    assert len(seen) == 1


_FAULTS = st.sampled_from(
    ["connect_error", "connect_timeout", "read_timeout", "lost_reply", "dropped",
     "rate_limited", "unavailable", "gateway_timeout", "server_error"]
)  # fmt: skip


@hsettings(max_examples=150, deadline=None)
@given(st.lists(_FAULTS, max_size=6))
def test_r2_no_fault_sequence_ever_duplicates_a_create(faults: list[str]) -> None:
    """Whatever fails and however often, a create applies at most once and never duplicates."""
    fake, store = fake_store(max_attempts=4)
    fake.inject(*(Fault(kind, path_contains="/CaseportEntity") for kind in faults))  # type: ignore[arg-type]
    fake.inject(*(Fault(kind, path_contains="/apply") for kind in faults))  # type: ignore[arg-type]
    with contextlib.suppress(CaseportError):
        store.create(person("John Smith", id="p-1"))
    applied = [entry for entry in fake.ontology.applied if entry[1] == "p-1"]
    assert len(applied) <= 1
    assert len(fake.ontology.objects["CaseportEntity"]) == len(applied)


# ---------------------------------------------------------------------------- R3

_READ_RETRIED = {429, 500, 502, 503, 504}
_WRITE_RETRIED = {429, 503}


@pytest.mark.parametrize("status", range(400, 600))
def test_r3_each_status_gets_its_exact_number_of_read_attempts(status: int) -> None:
    """Reads retry 429, 500, 502, 503 and 504 up to four attempts, nothing else."""
    client, seen = status_client(status)
    with pytest.raises(CaseportError):
        client.search("T", {})
    assert len(seen) == (4 if status in _READ_RETRIED else 1)


@pytest.mark.parametrize("status", range(400, 600))
def test_r3_each_status_gets_its_exact_number_of_write_attempts(status: int) -> None:
    """Writes retry only 429 and 503, where Foundry certainly did not run them."""
    client, seen = status_client(status)
    with pytest.raises(CaseportError) as caught:
        client.apply("a", {})
    assert len(seen) == (4 if status in _WRITE_RETRIED else 1)
    if status >= 500 and status not in _WRITE_RETRIED:
        assert isinstance(caught.value, WriteOutcomeUnknown)


_REQUEST = httpx.Request("GET", "https://h.example")
_TRANSPORT_ERRORS = [
    (httpx.ConnectError("x", request=_REQUEST), 4, 4),
    (httpx.ConnectTimeout("x", request=_REQUEST), 4, 4),
    (httpx.PoolTimeout("x", request=_REQUEST), 4, 4),
    (httpx.ReadTimeout("x", request=_REQUEST), 4, 1),
    (httpx.WriteTimeout("x", request=_REQUEST), 4, 1),
    (httpx.ReadError("x", request=_REQUEST), 4, 1),
    (httpx.WriteError("x", request=_REQUEST), 4, 1),
    (httpx.CloseError("x", request=_REQUEST), 4, 1),
    (httpx.RemoteProtocolError("x", request=_REQUEST), 4, 1),
    (httpx.ProxyError("x", request=_REQUEST), 4, 1),
    (httpx.LocalProtocolError("x", request=_REQUEST), 1, 1),
    (httpx.UnsupportedProtocol("x", request=_REQUEST), 1, 1),
    (httpx.DecodingError("x", request=_REQUEST), 1, 1),
]


@pytest.mark.parametrize(
    ("error", "read_attempts", "write_attempts"),
    _TRANSPORT_ERRORS,
    ids=[type(e).__name__ for e, _, _ in _TRANSPORT_ERRORS],
)
def test_r3_each_transport_error_gets_its_exact_number_of_attempts(
    error: Exception, read_attempts: int, write_attempts: int
) -> None:
    """Reads retry network failures; writes only those that happen before sending."""
    read_client, read_seen = status_client(error)
    with pytest.raises(CaseportError):
        read_client.search("T", {})
    write_client, write_seen = status_client(error)
    with pytest.raises(CaseportError):
        write_client.apply("a", {})
    assert (len(read_seen), len(write_seen)) == (read_attempts, write_attempts)


# ---------------------------------------------------------------------------- R4


def test_r4_attempts_are_bounded_and_the_original_error_surfaces_typed() -> None:
    """Four attempts at most; the last error is our Unavailable caused by the server's answer."""
    clock = FakeClock()
    client, seen = status_client(503, clock, deadline=60.0)
    start = clock.monotonic()
    with pytest.raises(Unavailable) as caught:
        client.search("T", {})
    assert len(seen) == 4
    assert clock.monotonic() - start <= 60.0
    assert type(caught.value.__cause__).__name__ == "FoundryApiError"
    assert "gave up after 4 attempt(s)" in "".join(caught.value.__notes__)


def test_r4_a_call_gives_up_instead_of_sleeping_past_its_deadline() -> None:
    """With backoff longer than the time left the call stops with DeadlineExceeded."""
    clock = FakeClock()
    client, seen = status_client(503, clock, deadline=1.0, backoff_base=5.0, backoff_cap=5.0)
    with pytest.raises((DeadlineExceeded, Unavailable)):
        client.search("T", {})
    assert sum(clock.sleeps) <= 1.0
    assert 1 <= len(seen) <= 4


# ---------------------------------------------------------------------------- R5


@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8])
def test_r5_backoff_is_full_jitter_within_the_capped_bound(attempt: int) -> None:
    """Waits are uniform on [0, min(cap, base * 2**n)]: in bounds, mean half the bound."""
    policy = RetryPolicy(backoff_base=0.25, backoff_cap=10.0)
    rng = random.Random(attempt)
    bound = min(10.0, 0.25 * 2**attempt)
    samples = [policy.backoff(attempt, rng) for _ in range(10_000)]
    assert all(0.0 <= sample <= bound for sample in samples)
    assert abs(statistics.fmean(samples) - bound / 2) <= 0.05 * bound / 2


def test_r5_the_client_sleeps_the_jittered_waits_between_attempts() -> None:
    """Between the four attempts the client waits three times, each within its bound."""
    clock = FakeClock()
    client, _ = status_client(503, clock)
    with pytest.raises(Unavailable):
        client.search("T", {})
    assert len(clock.sleeps) == 3
    for number, wait in enumerate(clock.sleeps, start=1):
        assert 0.0 <= wait <= min(10.0, 0.25 * 2**number)


# ---------------------------------------------------------------------------- R6

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@given(st.integers(min_value=0, max_value=10**6))
def test_r6_delta_seconds_are_parsed(seconds: int) -> None:
    """Retry-After: 120 means 120 seconds."""
    assert parse_retry_after(str(seconds), NOW) == float(seconds)


@given(st.integers(min_value=0, max_value=10**5))
def test_r6_http_dates_are_parsed(offset: int) -> None:
    """Retry-After as an HTTP-date means the time until then."""
    when = NOW + timedelta(seconds=offset)
    assert parse_retry_after(format_datetime(when, usegmt=True), NOW) == float(offset)


@given(st.text(max_size=30).filter(lambda t: not t.strip().isdigit()))
def test_r6_unreadable_values_fall_back_to_backoff_without_raising(text: str) -> None:
    """Garbage in Retry-After is ignored (None), never an exception."""
    value = parse_retry_after(text, NOW)
    assert value is None or value >= 0


def test_r6_the_client_waits_exactly_what_the_server_asks() -> None:
    """A 429 with Retry-After: 3 is followed by a 3 second wait, then success."""
    fake, store = fake_store()
    fake.inject(Fault("rate_limited", retry_after="3"))
    store.create(person("John Smith", id="p-1"))
    assert fake.clock.sleeps == [3.0]


def test_r6_a_retry_after_above_the_cap_fails_at_once_without_sleeping() -> None:
    """Asked to wait longer than the cap, the client raises RateLimited immediately."""
    fake, store = fake_store(retry_after_cap=30.0)
    fake.inject(Fault("rate_limited", retry_after="120"))
    with pytest.raises(RateLimited) as caught:
        store.get(Entity, "p-1")
    assert caught.value.retry_after == 120.0
    assert fake.clock.sleeps == []
    assert len(fake.requests) == 1


def test_r6_a_retry_after_beyond_the_deadline_fails_at_once() -> None:
    """A wait that would pass the deadline is not slept either."""
    fake, store = fake_store(deadline=10.0)
    fake.inject(Fault("unavailable", retry_after="20"))
    with pytest.raises(RateLimited):
        store.get(Entity, "p-1")
    assert fake.clock.sleeps == []


def test_r6_without_retry_after_a_429_backs_off() -> None:
    """A bare 429 waits a jittered backoff and retries."""
    fake, store = fake_store()
    fake.inject(Fault("rate_limited"))
    store.create(person("John Smith", id="p-1"))
    assert len(fake.clock.sleeps) == 1
    assert 0 <= fake.clock.sleeps[0] <= 0.5


# ---------------------------------------------------------------------------- R7


def test_r7_the_client_has_finite_timeouts_and_connection_limits() -> None:
    """connect, read, write and pool timeouts are all set; connections are capped at 30."""
    client, seen = status_client(200)
    client.get_ontology()
    timeout = seen[0].extensions["timeout"]
    assert set(timeout) == {"connect", "read", "write", "pool"}
    assert all(value is not None and 0 < value <= 60 for value in timeout.values())
    assert client.settings.concurrency == 30


def test_r7_each_attempt_timeout_is_cut_to_the_time_left() -> None:
    """Late attempts get timeouts no longer than what remains of the deadline."""
    clock = FakeClock()
    client, seen = status_client(503, clock, deadline=2.0, read_timeout=30.0, backoff_base=0.2)
    with pytest.raises(CaseportError):
        client.search("T", {})
    for request in seen:
        assert max(request.extensions["timeout"].values()) <= 2.0


def test_r7_a_slow_drip_answer_fails_within_the_deadline() -> None:
    """An answer trickling in slower than the deadline fails by the deadline (plus one chunk)."""
    fake, store = fake_store(deadline=5.0)
    store.create(person("John Smith", id="p-1"))
    fake.inject(Fault("slow_body", method="GET", chunk_delay=0.5))
    start = fake.clock.monotonic()
    with pytest.raises(DeadlineExceeded):
        store.get(Entity, "p-1")
    assert fake.clock.monotonic() - start <= 5.0 * 1.1


# ---------------------------------------------------------------------------- R8


def test_r8_the_breaker_opens_after_five_failures_and_then_sends_nothing() -> None:
    """Five retryable failures open it; calls then fail at once without a request."""
    clock = FakeClock()
    client, seen = status_client(503, clock, max_attempts=1, breaker_cooldown=30.0)
    for _ in range(5):
        with pytest.raises(Unavailable):
            client.search("T", {})
    assert len(seen) == 5
    for _ in range(3):
        with pytest.raises(CircuitOpen):
            client.search("T", {})
    assert len(seen) == 5


def test_r8_after_the_cooldown_exactly_one_probe_goes_out() -> None:
    """Half-open lets one probe through; its failure re-opens, its success closes."""
    clock = FakeClock()
    breaker = CircuitBreaker(clock, failure_threshold=5, cooldown=30.0)
    for _ in range(5):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "open"
    clock.advance(30.0)
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller while the probe is out
    breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.advance(30.0)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_call()


# ---------------------------------------------------------------------------- R9


def test_r9_the_retry_budget_caps_retries_against_a_dead_server() -> None:
    """Against an always-503 server, retries stay under 10% of calls; first tries go out."""
    client, seen = status_client(503, breaker_failures=10**6)
    calls = 1_000
    for _ in range(calls):
        with pytest.raises(Unavailable):
            client.search("T", {})
    retries = len(seen) - calls
    assert retries <= 0.1 * calls + 10


def test_r9_the_budget_refills_on_successes() -> None:
    """Successful calls earn tokens back so retries resume."""
    client, _ = status_client(200)
    client.budget._tokens = 0.0
    assert not client.budget.allows_retry()
    for _ in range(200):
        client.get_ontology()
    assert client.budget.allows_retry()


# ---------------------------------------------------------------------------- R10


def test_r10_concurrent_calls_keep_their_own_attempt_counts() -> None:
    """100 concurrent calls, each failing twice then succeeding, each make exactly 3 attempts."""
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            counts[request.url.path] += 1
            attempt = counts[request.url.path]
        if attempt <= 2:
            return httpx.Response(503)
        return httpx.Response(200, json={"__primaryKey": "x"})

    client = FoundryClient(
        "https://h.example",
        "o",
        StaticToken("t"),
        settings=settings(breaker_failures=10**6),
        transport=httpx.MockTransport(handler),
        clock=FakeClock(),
    )
    client.budget = type(client.budget)(max_tokens=10**6)
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda n: client.get_object("T", f"k{n}"), range(100)))
    assert all(result is not None for result in results)
    assert sorted(counts.values()) == [3] * 100


def test_no_more_than_thirty_requests_are_in_flight() -> None:
    """The client's concurrency limit holds with 60 callers."""
    inflight = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal inflight, peak
        with lock:
            inflight += 1
            peak = max(peak, inflight)
            if inflight >= 30:
                gate.set()
        gate.wait(timeout=5)
        with lock:
            inflight -= 1
        return httpx.Response(200, json={})

    client = FoundryClient(
        "https://h.example", "o", StaticToken("t"), transport=httpx.MockTransport(handler)
    )
    with ThreadPoolExecutor(max_workers=60) as pool:
        list(pool.map(lambda _: client.get_ontology(), range(60)))
    assert peak == 30


def test_backend_errors_never_escape_as_httpx_or_tenacity_exceptions() -> None:
    """Every failure mode surfaces as a CaseportError."""
    for status in (400, 404, 500, 503):
        client, _ = status_client(status, max_attempts=2)
        with pytest.raises(CaseportError):
            client.search("T", {})
    client, _ = status_client(httpx.ReadTimeout("x", request=_REQUEST), max_attempts=2)
    with pytest.raises(BackendError):
        client.search("T", {})


def test_r10_concurrent_async_calls_keep_their_own_attempt_counts() -> None:
    """Through the asyncio view, 100 gathered gets that fail twice each make 3 attempts each."""
    import asyncio

    fake, store = fake_store(breaker_failures=10**6)
    store.client.budget = type(store.client.budget)(max_tokens=10**6)
    entities = [person(f"P {n}", id=f"p-{n:03d}") for n in range(100)]
    store.upsert_many(entities)
    stored = store.get_many(Entity, [e.id for e in entities])
    fake.inject(*(Fault("unavailable", path_contains=f"/p-{n:03d}", times=2) for n in range(100)))
    before = len(fake.requests)

    async def main() -> list[Entity]:
        view = store.asynchronous()
        return list(await asyncio.gather(*(view.get(Entity, e.id) for e in entities)))

    assert asyncio.run(main()) == stored
    counts = Counter(r.url.path for r in fake.requests[before:])
    assert sorted(counts.values()) == [3] * 100
