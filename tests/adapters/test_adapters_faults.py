"""The seeded fault injector: replay, scripts, rates, lost replies, latency and URL options.

No test sleeps: every injector gets a fake ``sleep`` that records the delays it was asked for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from adapters import FaultInjector, FaultPlan, InMemoryCaseStore, connect
from adapters.faults import Outcome
from contracts import (
    ConfigurationError,
    DeadlineExceeded,
    Entity,
    EntityKind,
    RateLimited,
    TransientError,
    Unavailable,
    ValidationFailed,
)

CALLS = 10_000


def person(entity_id: str) -> Entity:
    return Entity(id=entity_id, kind=EntityKind.PERSON, subtype="p", label=entity_id)


class FakeSleep:
    """Records requested delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def run(injector: FaultInjector, operations: list[str]) -> list[str]:
    """Call ``before``/``after`` for each operation and name what happened."""
    happened = []
    for operation in operations:
        try:
            outcome = injector.before(operation)
            injector.after(operation, outcome)
        except TransientError as exc:
            happened.append(type(exc).__name__)
        else:
            happened.append("ok")
    return happened


OPERATIONS = ["insert", "fetch", "search", "replace", "scan"] * 40
BUSY_PLAN = FaultPlan(
    failure_rate=0.2, rate_limit_rate=0.1, lost_reply_rate=0.1, jitter=0.01, seed=42
)


def test_same_plan_and_calls_replay_the_same_faults() -> None:
    """Two injectors with one plan fail the same calls in the same way, delays included."""
    first_sleep, second_sleep = FakeSleep(), FakeSleep()
    first = FaultInjector(BUSY_PLAN, sleep=first_sleep)
    second = FaultInjector(BUSY_PLAN, sleep=second_sleep)
    assert run(first, OPERATIONS) == run(second, OPERATIONS)
    assert first.log == second.log
    assert first_sleep.delays == second_sleep.delays
    assert len(first.log) == len(OPERATIONS)


def test_another_seed_gives_another_sequence() -> None:
    """The seed is what makes a run reproducible; changing it changes the run."""
    reseeded = FaultPlan(failure_rate=0.2, rate_limit_rate=0.1, lost_reply_rate=0.1, seed=43)
    first = FaultInjector(BUSY_PLAN, sleep=FakeSleep())
    second = FaultInjector(reseeded, sleep=FakeSleep())
    run(first, OPERATIONS)
    run(second, OPERATIONS)
    assert first.log != second.log


def test_scripted_outcomes_come_first_and_in_order() -> None:
    """The script decides the first calls; after it the rates apply (all zero here)."""
    script: tuple[Outcome, ...] = ("unavailable", "rate_limited", "timeout", "lost_reply", "ok")
    injector = FaultInjector(FaultPlan(script=script))
    with pytest.raises(Unavailable):
        injector.before("insert")
    with pytest.raises(RateLimited):
        injector.before("insert")
    with pytest.raises(DeadlineExceeded):
        injector.before("fetch")
    assert injector.before("replace") == "lost_reply"
    with pytest.raises(Unavailable, match="reply to replace was lost"):
        injector.after("replace", "lost_reply")
    assert injector.before("fetch") == "ok"
    assert run(injector, ["scan"] * 5) == ["ok"] * 5
    assert [outcome for _, outcome in injector.log[:5]] == list(script)


@pytest.mark.parametrize(
    ("name", "rate"),
    [("unavailable", 0.2), ("rate_limited", 0.1), ("lost_reply", 0.05), ("ok", 0.65)],
)
def test_outcome_rates_hold_over_many_calls(name: str, rate: float) -> None:
    """Over 10,000 calls each outcome's share is within two points of its rate."""
    plan = FaultPlan(failure_rate=0.2, rate_limit_rate=0.1, lost_reply_rate=0.05, seed=7)
    injector = FaultInjector(plan)
    run(injector, ["insert"] * CALLS)
    counts = Counter(outcome for _, outcome in injector.log)
    assert abs(counts[name] / CALLS - rate) < 0.02
    assert counts["timeout"] == 0


def test_rate_limited_carries_the_plans_retry_after() -> None:
    """A 429-style refusal tells the caller how long to wait."""
    injector = FaultInjector(FaultPlan(script=("rate_limited",), retry_after=2.5))
    with pytest.raises(RateLimited, match=r"retry after 2\.5 s") as caught:
        injector.before("search")
    assert caught.value.retry_after == 2.5
    assert isinstance(caught.value, Unavailable)


def test_lost_reply_applies_the_write_then_raises() -> None:
    """A lost reply fails the call although the record was stored."""
    plan = FaultPlan(script=("lost_reply",), operations=frozenset({"insert"}))
    store = InMemoryCaseStore(faults=plan)
    with pytest.raises(Unavailable, match="lost"):
        store.create(person("p-1"))
    assert store.get(Entity, "p-1").id == "p-1"
    assert store.create(person("p-1")).id == "p-1"  # the retry is a harmless repeat


@pytest.mark.parametrize("outcome", ["unavailable", "rate_limited", "timeout"])
def test_failure_before_the_operation_writes_nothing(outcome: Outcome) -> None:
    """Refused calls fail before the write, so nothing is stored."""
    store = InMemoryCaseStore(faults=FaultPlan(script=(outcome,)))
    with pytest.raises(TransientError):
        store.create(person("p-1"))
    assert store.get_many(Entity, ["p-1"]) == []


def test_faults_apply_only_to_the_listed_operations() -> None:
    """With ``operations`` set, other primitives run untouched and unlogged."""
    plan = FaultPlan(failure_rate=1.0, operations=frozenset({"search"}))
    store = InMemoryCaseStore(faults=plan)
    store.create(person("p-1"))
    assert store.get(Entity, "p-1").id == "p-1"
    with pytest.raises(Unavailable):
        store.search()
    assert store.faults is not None
    assert store.faults.log == [("search", "unavailable")]


def test_latency_and_jitter_go_through_the_injected_sleep() -> None:
    """Each call waits the latency plus up to the jitter, via the given sleep function."""
    sleep = FakeSleep()
    injector = FaultInjector(FaultPlan(latency=0.25, jitter=0.1, seed=1), sleep=sleep)
    store = InMemoryCaseStore(faults=injector)
    store.create(person("p-1"))
    store.get(Entity, "p-1")
    list(store.iter_search())
    assert len(sleep.delays) == len(injector.log) >= 3
    assert all(0.25 <= delay <= 0.35 for delay in sleep.delays)
    assert len(set(sleep.delays)) > 1


def test_no_latency_means_no_sleep() -> None:
    """Without latency or jitter the sleep function is never called."""
    sleep = FakeSleep()
    run(FaultInjector(FaultPlan(failure_rate=0.5), sleep=sleep), ["insert"] * 50)
    assert sleep.delays == []


def test_memory_url_options_build_the_plan() -> None:
    """``memory://`` reads latency, script, rates, seed and operations from the query."""
    url = (
        "memory://?latency_ms=250&jitter_ms=10&script=unavailable,%20ok&seed=7"
        "&failure_rate=0.1&rate_limit_rate=0.05&lost_reply_rate=0.01&retry_after=3"
        "&operations=insert,fetch"
    )
    store = connect(url)
    assert isinstance(store, InMemoryCaseStore)
    assert store.faults is not None
    assert store.faults.plan == FaultPlan(
        latency=0.25,
        jitter=0.01,
        failure_rate=0.1,
        rate_limit_rate=0.05,
        lost_reply_rate=0.01,
        retry_after=3.0,
        script=("unavailable", "ok"),
        seed=7,
        operations=frozenset({"insert", "fetch"}),
    )


def test_memory_url_script_fails_the_first_call() -> None:
    """The plan from the URL drives real calls; a fake sleep replaces the latency."""
    configured = connect("memory://?latency_ms=5&script=unavailable")
    assert isinstance(configured, InMemoryCaseStore)
    assert configured.faults is not None
    sleep = FakeSleep()
    configured.faults = FaultInjector(configured.faults.plan, sleep=sleep)
    with pytest.raises(Unavailable):
        configured.create(person("p-1"))
    configured.create(person("p-1"))
    assert sleep.delays == [0.005] * len(configured.faults.log)


def test_memory_url_without_fault_options_injects_nothing() -> None:
    """A plain ``memory://`` store has no injector at all."""
    store = connect("memory://")
    assert isinstance(store, InMemoryCaseStore)
    assert store.faults is None


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("latency_ms=slow", id="latency not a number"),
        pytest.param("failure_rate=lots", id="rate not a number"),
        pytest.param("failure_rate=1.5", id="rate above one"),
        pytest.param("rate_limit_rate=-0.1", id="rate below zero"),
        pytest.param("failure_rate=0.6&lost_reply_rate=0.6", id="rates above one together"),
        pytest.param("latency_ms=-5", id="negative latency"),
        pytest.param("retry_after=-1", id="negative retry after"),
        pytest.param("seed=abc", id="seed not an integer"),
        pytest.param("seed=1.5", id="seed a float"),
        pytest.param("script=ok,explode", id="unknown scripted outcome"),
    ],
)
def test_malformed_fault_option_is_a_configuration_error(query: str) -> None:
    """A fault option with a bad value is refused with ConfigurationError naming the option."""
    name = query.split("=")[0]
    with pytest.raises(ConfigurationError, match=name):
        connect(f"memory://?{query}")


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: FaultPlan(failure_rate=2.0), id="rate"),
        pytest.param(lambda: FaultPlan(jitter=-1.0), id="jitter"),
        pytest.param(lambda: FaultPlan(script=("boom",)), id="script"),  # type: ignore[arg-type]
    ],
)
def test_malformed_plan_is_refused_when_built(build: Callable[[], FaultPlan]) -> None:
    """Plans validate themselves, not only when read from a URL."""
    with pytest.raises(ValidationFailed):
        build()


def test_unknown_memory_option_is_a_configuration_error() -> None:
    """An option the memory adapter does not know lists the ones it does."""
    with pytest.raises(ConfigurationError, match=r"unknown memory:// option 'latency'.*latency_ms"):
        connect("memory://?latency=5")
