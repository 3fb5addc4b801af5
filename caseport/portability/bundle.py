"""The canonical bundle: every record of a store as JSON Lines per record type, with a manifest.

A bundle is a directory holding one file per record type (``entities.jsonl``, ``links.jsonl``,
``cases.jsonl``, ``intelligence_reports.jsonl``, ``exhibits.jsonl``), each record on one line in
its canonical JSON form (``contracts.to_json_line``) in id order, and ``manifest.json``: the
bundle format, the contract version, when and from which adapter (with its capabilities) it was
written, and per file its record count and SHA-256, with one SHA-256 over every record line in
file order. The same records always give byte-identical files, whichever store they came from.
The manifest is written last, so a directory without one is an unfinished export.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts import SPEC_VERSION, CaseStore, Record, RecordType, to_json_line
from contracts.errors import ConfigurationError, ValidationFailed
from contracts.models.records import parse_record
from contracts.store import RECORD_CAPABILITY

__all__ = [
    "BUNDLE_FORMAT",
    "MANIFEST",
    "BundleFile",
    "ImportReport",
    "Manifest",
    "Rejection",
    "keeps",
    "read_manifest",
    "read_records",
    "write_bundle",
]

BUNDLE_FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
FILE_NAMES: Final[dict[RecordType, str]] = {
    RecordType.ENTITY: "entities.jsonl",
    RecordType.LINK: "links.jsonl",
    RecordType.CASE: "cases.jsonl",
    RecordType.INTELLIGENCE_REPORT: "intelligence_reports.jsonl",
    RecordType.EXHIBIT: "exhibits.jsonl",
}
"""The file of each record type, written and read in this order (entities before links)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class BundleFile(_Model):
    """One record file of a bundle: its name, record type, record count and SHA-256."""

    name: str
    record_type: RecordType
    records: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class SourceAdapter(_Model):
    """The adapter a bundle was exported from."""

    name: str
    version: str
    backend: str
    capabilities: dict[str, str]


class Manifest(_Model):
    """What ``manifest.json`` holds (see the module docstring)."""

    format: Literal[1]
    contract_version: str
    created_at: datetime
    source: SourceAdapter
    files: tuple[BundleFile, ...]
    records_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def total(self) -> int:
        """How many records the bundle holds."""
        return sum(item.records for item in self.files)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A line of a bundle that could not be imported, and why (never its content)."""

    file: str
    line: int
    reason: str


@dataclass(slots=True)
class ImportReport:
    """What an import did: records created, updated and unchanged, and the lines rejected."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def write_bundle(
    store: CaseStore,
    directory: Path,
    *,
    on_file: Callable[[BundleFile], None] | None = None,
) -> Manifest:
    """Export every record ``store`` keeps into a new bundle in ``directory``.

    The directory is created if missing and must hold no bundle already. Files are written
    under temporary names and renamed once complete; the manifest comes last.

    Raises:
        ConfigurationError: ``directory`` cannot be written or already holds a bundle.
        UnreadableRecords: stored records could not be read (the others are in the files, but
            no manifest is written, so the bundle is not complete).
    """
    _prepare(directory)
    digest = hashlib.sha256()
    files = []
    for record_type, name in FILE_NAMES.items():
        if not keeps(store, record_type):
            continue
        written = _write_file(store, record_type, directory / name, digest)
        files.append(written)
        if on_file is not None:
            on_file(written)
    info = store.info
    manifest = Manifest(
        format=BUNDLE_FORMAT,
        contract_version=SPEC_VERSION,
        created_at=datetime.now(UTC),
        source=SourceAdapter(
            name=info.name,
            version=info.version,
            backend=info.backend,
            capabilities={c.value: s.value for c, s in store.capabilities().items()},
        ),
        files=tuple(files),
        records_sha256=digest.hexdigest(),
    )
    _atomic_write(directory / MANIFEST, manifest.model_dump_json(indent=2).encode() + b"\n")
    return manifest


def read_manifest(directory: Path) -> Manifest:
    """The bundle's manifest, after checking every file against it.

    Raises:
        ValidationFailed: no manifest, a malformed one, a file missing, or a file whose size of
            records or SHA-256 differs from the manifest's (tampered or truncated), named.
    """
    path = directory / MANIFEST
    try:
        text = path.read_bytes()
    except OSError:
        raise ValidationFailed(f"{path}: no bundle manifest here (an unfinished export?)") from None
    try:
        manifest = Manifest.model_validate_json(text)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in error["loc"]) for error in exc.errors()[:3])
        raise ValidationFailed(f"{path}: not a bundle manifest of format 1 ({where})") from None
    digest = hashlib.sha256()
    for item in manifest.files:
        if item.name != FILE_NAMES[item.record_type]:
            raise ValidationFailed(f"{path}: {item.name} is not the file of {item.record_type}")
        _check_file(directory / item.name, item, digest)
    if digest.hexdigest() != manifest.records_sha256:
        raise ValidationFailed(f"{path}: the records do not match the manifest's digest")
    return manifest


def read_records(
    directory: Path, manifest: Manifest
) -> Iterator[tuple[str, int, Record | Rejection]]:
    """Every line of a checked bundle: its file, line number and record, or why it is refused."""
    for item in manifest.files:
        with (directory / item.name).open("rb") as lines:
            for number, line in enumerate(lines, start=1):
                try:
                    record = parse_record(line)
                except ValidationFailed as exc:
                    yield item.name, number, Rejection(item.name, number, str(exc))
                    continue
                if record.RECORD_TYPE is not item.record_type:
                    reason = f"a {record.RECORD_TYPE.value} in the file of {item.record_type}"
                    yield item.name, number, Rejection(item.name, number, reason)
                    continue
                yield item.name, number, record


def keeps(store: CaseStore, record_type: RecordType) -> bool:
    """Whether ``store`` keeps records of ``record_type`` (entities and links always)."""
    capability = RECORD_CAPABILITY.get(record_type)
    return capability is None or store.supports(capability)


def _write_file(
    store: CaseStore, record_type: RecordType, path: Path, digest: hashlib._Hash
) -> BundleFile:
    own = hashlib.sha256()
    count = 0
    partial = path.with_name(f".{path.name}.part")
    with partial.open("wb") as out:
        for record in store.export([record_type]):
            line = to_json_line(record).encode("utf-8") + b"\n"
            out.write(line)
            own.update(line)
            digest.update(line)
            count += 1
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
    return BundleFile(
        name=path.name, record_type=record_type, records=count, sha256=own.hexdigest()
    )


def _check_file(path: Path, item: BundleFile, digest: hashlib._Hash) -> None:
    own = hashlib.sha256()
    lines = 0
    try:
        with path.open("rb") as stream:
            for line in stream:
                own.update(line)
                digest.update(line)
                lines += 1
                if not line.endswith(b"\n"):
                    raise ValidationFailed(f"{path}, line {lines}: the last line is cut short")
    except OSError:
        raise ValidationFailed(f"{path}: missing or unreadable") from None
    if lines != item.records:
        raise ValidationFailed(
            f"{path}: {lines} lines where the manifest says {item.records} records"
        )
    if own.hexdigest() != item.sha256:
        raise ValidationFailed(f"{path}: its SHA-256 differs from the manifest's (changed?)")


def _prepare(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot create {directory}: {exc.strerror}") from None
    if (directory / MANIFEST).exists():
        raise ConfigurationError(f"{directory} holds a bundle already; export into a new directory")
    if not os.access(directory, os.W_OK):
        raise ConfigurationError(f"{directory} is not writable")


def _atomic_write(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.part")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)
