"""Importing a canonical bundle: check it whole, then upsert its records, keeping what they say.

Records keep their ids, versions and timestamps (``upsert_many``), so importing the same bundle
twice changes nothing. A bundle whose files do not match its manifest is refused before anything
is written; a line that is not a valid record, or that the target refuses (a link to an entity
it lacks, a record type it does not keep), is reported with its file and line and the rest is
imported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Final

from caseport.portability.bundle import (
    ImportReport,
    Manifest,
    Rejection,
    read_manifest,
    read_records,
)
from contracts import CaseStore, Record
from contracts.errors import NotSupported, ValidationFailed
from contracts.results import BulkReport

__all__ = ["import_bundle"]

_BATCH: Final = 1_000

_Located = tuple[str, int, Record]


def import_bundle(
    store: CaseStore,
    directory: Path,
    *,
    batch_size: int = _BATCH,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> tuple[Manifest, ImportReport]:
    """Import the bundle in ``directory`` into ``store``; see the module docstring.

    Raises:
        ValidationFailed: the bundle does not match its manifest (nothing was written).
    """
    manifest = read_manifest(directory)
    report = ImportReport()
    batch: list[_Located] = []
    for name, line, item in read_records(directory, manifest):
        if isinstance(item, Rejection):
            report.rejected.append(item)
            continue
        batch.append((name, line, item))
        if len(batch) >= batch_size:
            _write(store, batch, report)
            batch = []
            if on_batch is not None:
                on_batch(report)
    if batch:
        _write(store, batch, report)
        if on_batch is not None:
            on_batch(report)
    return manifest, report


def _write(store: CaseStore, batch: list[_Located], report: ImportReport) -> None:
    """Write one batch whole; when the store refuses it, record by record, to find the refused."""
    try:
        _count(store.upsert_many([record for _, _, record in batch], batch_size=len(batch)), report)
        return
    except (ValidationFailed, NotSupported):
        pass
    for name, line, record in batch:
        try:
            _count(store.upsert_many([record]), report)
        except (ValidationFailed, NotSupported) as exc:
            report.rejected.append(Rejection(name, line, str(exc)))


def _count(written: BulkReport, report: ImportReport) -> None:
    report.created += written.created
    report.updated += written.updated
    report.unchanged += written.unchanged
