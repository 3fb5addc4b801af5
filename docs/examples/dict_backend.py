"""A complete caseport store in under a hundred lines: the five required primitives only.

``DictBackend`` keeps each record type in a dictionary. It declares every capability the layer
can emulate as emulated, so the layer gives it search, filters, ordering, paging, ``expand``,
neighbourhoods, paths, timelines and export over ``scan`` and ``fetch``. The conformance kit
passes on it (``tests/contract/test_example_backend.py``). See ``docs/writing-an-adapter.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from typing_extensions import override

from contracts import (
    AdapterInfo,
    BulkReport,
    Capability,
    CaseStore,
    Conflict,
    Record,
    RecordType,
    StoreBackend,
    Support,
    declare,
)
from contracts.capabilities import EMULATABLE


class DictBackend(StoreBackend):
    """Records in one dictionary per record type, behind one lock."""

    CAPABILITIES = declare(
        **{c.name: Support.EMULATED if c in EMULATABLE else Support.NATIVE for c in Capability}
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[RecordType, dict[str, Record]] = {kind: {} for kind in RecordType}

    @property
    @override
    def info(self) -> AdapterInfo:
        return AdapterInfo(
            name="dict-example", version="0.1.0", backend="dicts in memory", kind="reference"
        )

    @override
    def insert(self, record: Record) -> Record | None:
        with self._lock:
            table = self._tables[record.RECORD_TYPE]
            if record.id in table:
                return table[record.id]
            table[record.id] = record
            return None

    @override
    def fetch(self, record_type: RecordType, ids: Sequence[str]) -> dict[str, Record]:
        with self._lock:
            table = self._tables[record_type]
            return {key: table[key] for key in ids if key in table}

    @override
    def replace(self, record: Record, expected_version: int) -> None:
        with self._lock:
            table = self._tables[record.RECORD_TYPE]
            stored = table.get(record.id)
            if stored is None or stored.version != expected_version:
                actual = None if stored is None else stored.version
                raise Conflict(record.RECORD_TYPE.value, record.id, expected_version, actual)
            table[record.id] = record

    @override
    def scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        with self._lock:
            table = self._tables[record_type]
            keys = sorted(key for key in table if after_id is None or key > after_id)
            return [table[key] for key in keys[:limit]]

    @override
    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        with self._lock:  # nothing below can fail half-way, so the batch is all or nothing
            created = updated = unchanged = 0
            for record in records:
                stored = self._tables[record.RECORD_TYPE].get(record.id)
                if stored is None:
                    created += 1
                elif stored == record:
                    unchanged += 1
                else:
                    updated += 1
                self._tables[record.RECORD_TYPE][record.id] = record
            return BulkReport(created=created, updated=updated, unchanged=unchanged, batches=1)


def dict_store() -> CaseStore:
    """A new, empty store over a :class:`DictBackend`."""
    return CaseStore(DictBackend())
