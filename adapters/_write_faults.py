"""The counter behind the adapters' write fault points: conformance testing only.

A store's ``write_faults()`` (see :class:`~contracts.conformance.stores.WriteFaults`) lets the
conformance kit fail a backend's writes part-way through a batch. Each adapter decides what one
backend write is (a statement, a request); this counter decides, once armed, which of them
fail. Unarmed, which it always is unless a test arms it, it takes no lock and fails nothing.
"""

from __future__ import annotations

import threading

from contracts.errors import ValidationFailed
from contracts.store import CaseStore

__all__ = ["WriteFaultCounter"]


class WriteFaultCounter:
    """Lets a number of backend writes through once armed, then fails every later one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._allowed: int | None = None

    def _check(self, store: CaseStore) -> None:
        if store.write_faults() is not self:
            raise ValidationFailed("these write faults belong to another store")

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        """Let ``writes`` more backend writes of ``store`` through, then fail every later one."""
        self._check(store)
        with self._lock:
            self._allowed = max(writes, 0)

    def heal(self, store: CaseStore) -> None:
        """Disarm: every backend write of ``store`` goes through again."""
        self._check(store)
        with self._lock:
            self._allowed = None

    def fails_next(self) -> bool:
        """Count one backend write; whether it must fail instead of going through."""
        if self._allowed is None:  # the usual case: unarmed, no lock taken
            return False
        with self._lock:
            if self._allowed is None:
                return False
            if self._allowed == 0:
                return True
            self._allowed -= 1
            return False
