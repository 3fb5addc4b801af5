"""How the kit gets the stores it tests: built fresh from a URL, and checked to be empty."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Final

from contracts.capabilities import Capability
from contracts.models.common import RecordType
from contracts.models.records import RECORD_CLASSES
from contracts.store import CaseStore

__all__ = ["StoreFactory", "default_store_factory", "holds_records", "redact"]

StoreFactory = Callable[[], CaseStore]
"""Builds a new, empty store each time it is called."""

_RECORD_CAPABILITIES: Final = {
    RecordType.CASE: Capability.CASES,
    RecordType.INTELLIGENCE_REPORT: Capability.INTELLIGENCE_REPORTS,
    RecordType.EXHIBIT: Capability.EXHIBITS,
}


def default_store_factory(url: str, make_directory: Callable[[], Path]) -> StoreFactory:
    """A factory connecting to ``url`` with ``{tmp}`` and ``{uid}`` filled in afresh each call.

    Args:
        url: the store URL, as given to ``--caseport-url``.
        make_directory: makes a new, empty directory for one store (used for ``{tmp}``).
    """

    def build() -> CaseStore:
        # The kit's only use of the adapters package: the suite itself knows no backend.
        from adapters import connect

        resolved = url
        if "{tmp}" in resolved:
            resolved = resolved.replace("{tmp}", make_directory().as_posix())
        return connect(resolved.replace("{uid}", uuid.uuid4().hex))

    return build


def redact(url: str) -> str:
    """``url`` without its password, safe for reports and messages."""
    from adapters import redact_url

    return redact_url(url)


def holds_records(store: CaseStore) -> bool:
    """Whether ``store`` holds any record, read without changing anything."""
    if store.supports(Capability.BULK_EXPORT):
        return next(iter(store.export()), None) is not None
    for record_type, record_class in RECORD_CLASSES.items():
        capability = _RECORD_CAPABILITIES.get(record_type)
        if capability is not None and not store.supports(capability):
            continue
        if store.list_records(record_class, page_size=1).items:
            return True
    return False
