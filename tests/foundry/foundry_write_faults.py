"""A conformance-kit plugin: stores over a fake Foundry whose writes can be made to fail.

Loaded with ``-p foundry_write_faults`` (this directory on ``PYTHONPATH``), it overrides the
kit's ``caseport_store_factory`` and ``caseport_write_faults`` fixtures, so the kit's tests of
atomicity under failing writes run against the real Foundry adapter over httpx. A backend
write is one ``actions/.../apply`` or ``applyBatch`` request; once the allowed number has gone
through, every later one is answered 503 until the store is healed.
"""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from adapters.foundry.auth import StaticToken
from adapters.foundry.client import FoundryClient
from adapters.foundry.store import FoundryCaseStore
from adapters.foundry.testing import FAKE_BASE_URL, FakeFoundry
from contracts.conformance.stores import StoreFactory
from contracts.store import CaseStore

_HEALING_S = 3_600.0
"""Virtual seconds a heal moves the fake's clock on: past the circuit breaker's cooldown."""


class _WriteSwitch:
    """The transport handler of one store: the fake's answers, or 503 for writes past a limit."""

    def __init__(self, fake: FakeFoundry) -> None:
        self.fake = fake
        self._allowed: int | None = None
        self._lock = threading.Lock()

    def arm(self, writes: int) -> None:
        with self._lock:
            self._allowed = writes

    def disarm(self) -> None:
        with self._lock:
            self._allowed = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and "/actions/" in request.url.path:
            with self._lock:
                refuse = self._allowed is not None and self._allowed <= 0
                if self._allowed is not None and not refuse:
                    self._allowed -= 1
            if refuse:
                return httpx.Response(
                    503,
                    json={
                        "errorCode": "INTERNAL",
                        "errorName": "ServiceUnavailable",
                        "errorInstanceId": "write-faults",
                        "parameters": {},
                    },
                )
        return self.fake.handle(request)


class FoundryWriteFaults:
    """Fails the writes of the stores built by :func:`caseport_store_factory`."""

    def __init__(self) -> None:
        self.switches: dict[int, _WriteSwitch] = {}

    def build(self) -> FoundryCaseStore:
        """A store over a fresh fake ontology, its requests passing through a write switch."""
        fake = FakeFoundry()
        switch = _WriteSwitch(fake)
        client = FoundryClient(
            FAKE_BASE_URL,
            fake.ontology_name,
            StaticToken(fake.token),
            transport=httpx.MockTransport(switch.handle),
            clock=fake.clock,
            rng=random.Random(0),
        )
        store = FoundryCaseStore(client, fake.mapping)
        self.switches[id(store)] = switch
        return store

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        """Let ``writes`` more write requests through, then answer 503 to every other one."""
        self.switches[id(store)].arm(writes)

    def heal(self, store: CaseStore) -> None:
        """Answer every request again, after the breaker's cooldown has passed."""
        switch = self.switches[id(store)]
        switch.disarm()
        switch.fake.clock.advance(_HEALING_S)


class _Fixtures:
    """The kit's fixtures, overridden for stores over a fake Foundry."""

    def __init__(self) -> None:
        self.faults = FoundryWriteFaults()

    @pytest.fixture
    def caseport_store_factory(self) -> StoreFactory:
        """Stores over fresh fake ontologies whose writes can be made to fail."""
        return self.faults.build

    @pytest.fixture
    def caseport_write_faults(self) -> FoundryWriteFaults:
        """The write switch of every store built by ``caseport_store_factory``."""
        return self.faults


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the fixtures after the kit's session, so that they override the kit's own."""
    config.pluginmanager.register(_Fixtures(), "foundry-write-faults")
