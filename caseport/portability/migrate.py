"""Copying every record from one store to another in batches, resumable after any failure.

Records are read page by page (``list_records``, by id) and written with ``upsert_many``, so ids,
versions and timestamps are kept and writing a batch again changes nothing. After each batch
the position reached is saved, durably, in a checkpoint file; the same call after a crash, a
kill or a network failure starts from there. A batch written but not yet checkpointed is simply
written again, unchanged.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from caseport.portability.bundle import keeps
from contracts import CaseStore, RecordType
from contracts.errors import ConfigurationError
from contracts.models.records import record_class

__all__ = ["Checkpoint", "MigrationReport", "migrate"]


@dataclass(slots=True)
class Checkpoint:
    """Where a migration got to: the record types finished and the cursor of the current one."""

    source: str
    target: str
    finished: list[str] = field(default_factory=list)
    record_type: str | None = None
    cursor: str | None = None
    written: int = 0


@dataclass(slots=True)
class MigrationReport:
    """Records read and, of those written, how many were created, updated or unchanged."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resumed: bool = False


def migrate(
    source: CaseStore,
    target: CaseStore,
    *,
    checkpoint: Path,
    source_name: str,
    target_name: str,
    batch_size: int = 1_000,
    on_batch: Callable[[MigrationReport], None] | None = None,
) -> MigrationReport:
    """Copy every record of ``source`` into ``target``, resuming from ``checkpoint`` if present.

    ``source_name`` and ``target_name`` (redacted URLs) tie the checkpoint to this pair; a
    checkpoint of another pair is refused. The checkpoint is removed once every record is copied.

    Raises:
        ConfigurationError: the checkpoint belongs to another migration or cannot be written.
    """
    state = _load(checkpoint, source_name, target_name)
    report = MigrationReport(resumed=bool(state.finished or state.cursor))
    for record_type in RecordType:
        if not keeps(source, record_type) or record_type.value in state.finished:
            continue
        kind = record_class(record_type)
        cursor = state.cursor if state.record_type == record_type.value else None
        while True:
            page = source.list_records(kind, page_size=batch_size, cursor=cursor)
            if page.items:
                written = target.upsert_many(page.items, batch_size=len(page.items))
                report.read += len(page.items)
                report.created += written.created
                report.updated += written.updated
                report.unchanged += written.unchanged
            cursor = page.next_cursor
            state.record_type, state.cursor = record_type.value, cursor
            state.written += len(page.items)
            if cursor is None:
                state.finished.append(record_type.value)
                state.record_type = None
            _save(checkpoint, state)
            if on_batch is not None:
                on_batch(report)
            if cursor is None:
                break
    checkpoint.unlink(missing_ok=True)
    return report


def _load(path: Path, source: str, target: str) -> Checkpoint:
    if not path.exists():
        return Checkpoint(source=source, target=target)
    try:
        state = Checkpoint(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise ConfigurationError(f"{path} is not a migration checkpoint; remove it") from None
    if (state.source, state.target) != (source, target):
        raise ConfigurationError(
            f"{path} is the checkpoint of a migration from {state.source} to {state.target}; "
            "give another --checkpoint or remove it"
        )
    return state


def _save(path: Path, state: Checkpoint) -> None:
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            json.dump(asdict(state), out)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the checkpoint {path}: {exc.strerror}") from None
