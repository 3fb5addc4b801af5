"""A conformance-kit plugin: in-memory stores whose batch writes can be made to fail.

Loaded with ``-p memory_write_faults`` (this directory on ``PYTHONPATH``), it overrides the
kit's ``caseport_write_faults`` fixture with the memory adapter's own fault injector: each
batch the store writes is one backend write, and once the allowed number has been written
every later one fails as ``Unavailable`` before anything of it is stored.
"""

from __future__ import annotations

import pytest

from adapters.faults import FaultInjector, FaultPlan
from adapters.memory import InMemoryCaseStore
from contracts.store import CaseStore

_FAILURES = 1_000
"""Scripted failures after the allowed writes: more than any one test asks for."""


class MemoryWriteFaults:
    """Scripts the fault injector of an in-memory store."""

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        """Let ``writes`` more batch writes through, then fail every other one."""
        assert isinstance(store, InMemoryCaseStore), type(store)
        script = ("ok",) * writes + ("unavailable",) * _FAILURES
        plan = FaultPlan(script=script, operations=frozenset({"write_batch"}))
        store.faults = FaultInjector(plan)

    def heal(self, store: CaseStore) -> None:
        """Remove the injector: every call works again."""
        assert isinstance(store, InMemoryCaseStore), type(store)
        store.faults = None


class _Fixtures:
    """The kit's write-faults fixture, for the stores ``memory://`` builds."""

    @pytest.fixture
    def caseport_write_faults(self) -> MemoryWriteFaults:
        """Write faults for the stores ``memory://`` builds."""
        return MemoryWriteFaults()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the fixture after the kit's session, so that it overrides the kit's own."""
    config.pluginmanager.register(_Fixtures(), "memory-write-faults")
