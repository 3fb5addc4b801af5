"""A conformance-kit plugin: every store is the documented example, ``DictBackend``.

Loaded with ``-p example_backend_plugin`` (this directory and ``docs/examples`` on
``PYTHONPATH``), it overrides the kit's store factory, as an adapter author's own conftest
would, and gives the kit a write fault point over a subclass of the example: the example stays
as small as the guide shows it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest
from dict_backend import DictBackend

from contracts import BulkReport, CaseStore, Record, Unavailable


class FaultyDictBackend(DictBackend):
    """The example, with writes that can be made to fail for the kit's atomicity tests."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: int | None = None
        self._count = threading.Lock()

    def _write_allowed(self) -> None:
        with self._count:
            if self.allowed is None:
                return
            if self.allowed == 0:
                raise Unavailable("a write failed on purpose, for conformance testing")
            self.allowed -= 1

    def insert(self, record: Record) -> Record | None:
        self._write_allowed()
        return super().insert(record)

    def replace(self, record: Record, expected_version: int) -> None:
        self._write_allowed()
        super().replace(record, expected_version)

    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        self._write_allowed()
        return super().write_batch(records)


class _Faults:
    """Fails the writes of a store over :class:`FaultyDictBackend` on demand."""

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        backend = store.backend
        assert isinstance(backend, FaultyDictBackend)
        backend.allowed = writes

    def heal(self, store: CaseStore) -> None:
        backend = store.backend
        assert isinstance(backend, FaultyDictBackend)
        backend.allowed = None


class _Fixtures:
    """The kit's store factory and write faults, for the example backend."""

    @pytest.fixture
    def caseport_store_factory(self) -> Callable[[], CaseStore]:
        """Each test gets a new store over a new example backend."""
        return lambda: CaseStore(FaultyDictBackend())

    @pytest.fixture
    def caseport_write_faults(self) -> _Faults:
        """Write faults through the subclass's counter."""
        return _Faults()


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the fixtures after the kit's session, so that they override the kit's own."""
    config.pluginmanager.register(_Fixtures(), "example-backend")
