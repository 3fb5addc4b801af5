"""How the kit gets the stores it tests: built fresh, checked to be empty, made to fail writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from contracts.capabilities import Capability
from contracts.models.records import RECORD_CLASSES
from contracts.store import RECORD_CAPABILITY, CaseStore

__all__ = ["StoreFactory", "WriteFaults", "default_store_factory", "holds_records", "redact"]

StoreFactory = Callable[[], CaseStore]
"""Builds a new, empty store each time it is called."""


class WriteFaults(Protocol):
    """Makes the backend writes of a store fail, for the tests of atomicity under faults.

    The kit cannot fail a backend's writes by itself. By default it uses the store's own fault
    point, :meth:`CaseStore.write_faults() <contracts.store.CaseStore.write_faults>`; whoever
    builds stores without one may provide this through the ``caseport_write_faults`` fixture.
    Without either, the tests that need it do not run and the report says so (``not_run``,
    and the requirements they check ``partly_tested`` or ``untested``); they are never counted
    as passed.
    """

    def fail_writes_after(self, store: CaseStore, writes: int) -> None:
        """Let ``writes`` more backend write requests of ``store`` succeed, then fail the rest.

        A backend write request is one request that changes data (one statement, transaction
        or HTTP request, as the backend goes); reads keep working.
        """

    def heal(self, store: CaseStore) -> None:
        """Stop failing writes: ``store`` reads and writes normally again at once."""


def default_store_factory(url: str, make_directory: Callable[[], Path]) -> StoreFactory:
    """A factory connecting to ``url`` with ``{tmp}`` and ``{uid}`` filled in afresh each call.

    Args:
        url: the store URL, as given to ``--caseport-url``.
        make_directory: makes a new, empty directory for one store (used for ``{tmp}``).
    """

    def build() -> CaseStore:
        # Imported here, not at module level: importing the kit imports no adapter, and a
        # vendor who overrides caseport_store_factory never connects through adapters.
        from adapters import connect

        resolved = url
        if "{tmp}" in resolved:
            resolved = resolved.replace("{tmp}", make_directory().as_posix())
        return connect(resolved.replace("{uid}", uuid.uuid4().hex))

    return build


def redact(url: str) -> str:
    """``url`` without its password, safe for reports and messages."""
    from adapters import redact_url  # lazily, like connect in default_store_factory

    return redact_url(url)


def holds_records(store: CaseStore) -> bool:
    """Whether ``store`` holds any record, read without changing anything."""
    if store.supports(Capability.BULK_EXPORT):
        return next(iter(store.export()), None) is not None
    for record_type, record_class in RECORD_CLASSES.items():
        capability = RECORD_CAPABILITY.get(record_type)
        if capability is not None and not store.supports(capability):
            continue
        if store.list_records(record_class, page_size=1).items:
            return True
    return False
