"""Verifying that two stores hold the same records: counts and a canonical digest per record.

Both stores are read in the same order (record type, then id) and compared side by side, one
record at a time, so memory stays flat whatever the size. Records compare by their canonical
JSON form, which includes versions and timestamps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Final

from caseport.portability.bundle import keeps
from contracts import CaseStore, RecordType, to_json_line

__all__ = ["Difference", "Verification", "verify_stores"]

_LISTED: Final = 100
"""Differences of each kind listed by id; beyond that only counted."""


@dataclass(frozen=True, slots=True)
class Difference:
    """A record that is missing from the target, unexpected in it, or different there."""

    kind: str
    record_type: RecordType
    record_id: str


@dataclass(slots=True)
class Verification:
    """Counts on both sides, the digest of each, and the differences found (listed up to 100)."""

    source_records: int = 0
    target_records: int = 0
    source_sha256: str = ""
    target_sha256: str = ""
    missing: int = 0
    unexpected: int = 0
    differing: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        """Whether the target holds exactly the source's records."""
        return not (self.missing or self.unexpected or self.differing)


def _types(source: CaseStore, target: CaseStore) -> list[RecordType]:
    return [kind for kind in RecordType if keeps(source, kind) or keeps(target, kind)]


def _stream(store: CaseStore, record_type: RecordType) -> Iterator[tuple[str, bytes]]:
    if not keeps(store, record_type):
        return
    for record in store.export([record_type]):
        yield record.id, to_json_line(record).encode("utf-8")


def verify_stores(source: CaseStore, target: CaseStore) -> Verification:
    """Compare every record of ``source`` with ``target``'s, type by type, id by id."""
    result = Verification()
    source_digest, target_digest = hashlib.sha256(), hashlib.sha256()
    for record_type in _types(source, target):
        left, right = _stream(source, record_type), _stream(target, record_type)
        here, there = next(left, None), next(right, None)
        while here is not None or there is not None:
            if there is None or (here is not None and here[0] < there[0]):
                assert here is not None
                result.source_records += 1
                source_digest.update(here[1])
                _note(result, "missing", record_type, here[0])
                here = next(left, None)
            elif here is None or there[0] < here[0]:
                result.target_records += 1
                target_digest.update(there[1])
                _note(result, "unexpected", record_type, there[0])
                there = next(right, None)
            else:
                result.source_records += 1
                result.target_records += 1
                source_digest.update(here[1])
                target_digest.update(there[1])
                if here[1] != there[1]:
                    _note(result, "differing", record_type, here[0])
                here, there = next(left, None), next(right, None)
    result.source_sha256 = source_digest.hexdigest()
    result.target_sha256 = target_digest.hexdigest()
    return result


def _note(result: Verification, kind: str, record_type: RecordType, record_id: str) -> None:
    count = getattr(result, kind) + 1
    setattr(result, kind, count)
    if count <= _LISTED:
        result.differences.append(Difference(kind, record_type, record_id))
