"""The canonical bundle: byte-identical round trips, refusals that name the file and line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters import InMemoryCaseStore
from caseport.cli import app
from caseport.generate import generate
from caseport.portability.bundle import MANIFEST, read_manifest, write_bundle
from caseport.portability.importer import import_bundle
from contracts import CaseStore, Entity, Link
from contracts.errors import ConfigurationError, ValidationFailed

RECORDS = list(generate(200, seed=3))


def _record_files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.glob("*.jsonl"))}


def _rehash(directory: Path) -> None:
    """Make the manifest agree with edited files, as a careful forger would."""
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    total = hashlib.sha256()
    for item in manifest["files"]:
        data = (directory / item["name"]).read_bytes()
        item["sha256"] = hashlib.sha256(data).hexdigest()
        item["records"] = data.count(b"\n")
        total.update(data)
    manifest["records_sha256"] = total.hexdigest()
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A bundle of the generated records, exported from the in-memory store."""
    directory = tmp_path / "bundle"
    write_bundle(InMemoryCaseStore(RECORDS), directory)
    return directory


def test_a_bundle_moved_through_any_store_comes_back_byte_identical(
    store: CaseStore, bundle: Path, tmp_path: Path
) -> None:
    """Memory -> bundle -> this store -> bundle: the same record files, byte for byte."""
    manifest, report = import_bundle(store, bundle, batch_size=97)
    assert (report.created, report.updated, report.rejected) == (len(RECORDS), 0, [])
    again = write_bundle(store, tmp_path / "again")
    assert _record_files(tmp_path / "again") == _record_files(bundle)
    assert again.records_sha256 == manifest.records_sha256
    assert again.source.name == store.info.name


def test_importing_a_bundle_twice_changes_nothing(store: CaseStore, bundle: Path) -> None:
    """Ids, versions and timestamps are kept: the second import leaves every record as it is."""
    import_bundle(store, bundle)
    before = list(store.export())
    _, report = import_bundle(store, bundle)
    assert (report.created, report.updated, report.unchanged) == (0, 0, len(RECORDS))
    assert list(store.export()) == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda d: (d / "links.jsonl").write_bytes((d / "links.jsonl").read_bytes()[:-40]),
            "links.jsonl",
        ),
        (lambda d: (d / "entities.jsonl").unlink(), "entities.jsonl: missing"),
        (lambda d: (d / MANIFEST).unlink(), "no bundle manifest"),
        (
            lambda d: (d / "cases.jsonl").write_bytes(
                (d / "cases.jsonl").read_bytes().replace(b'"open"', b'"closed"', 1)
            ),
            "cases.jsonl: its SHA-256 differs",
        ),
    ],
    ids=["truncated", "missing-file", "no-manifest", "changed-value"],
)
def test_a_damaged_bundle_is_refused_before_anything_is_written(
    bundle: Path, damage: object, message: str
) -> None:
    """The file is named; the target store stays empty."""
    damage(bundle)  # type: ignore[operator]
    target = InMemoryCaseStore()
    with pytest.raises(ValidationFailed, match=message):
        import_bundle(target, bundle)
    assert list(target.export()) == []


def test_a_wrong_count_is_refused(bundle: Path) -> None:
    """A manifest whose count disagrees with its file is refused, naming the file."""
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][0]["records"] += 1
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"entities\.jsonl: 200 lines where the manifest"):
        read_manifest(bundle)


def test_invalid_lines_are_reported_with_file_and_line_and_the_rest_imported(
    bundle: Path,
) -> None:
    """An invalid record and the links to it are listed with file and line; all else lands."""
    entities = (bundle / "entities.jsonl").read_bytes().splitlines(keepends=True)
    broken_id = json.loads(entities[4])["id"]
    entities[4] = b'{"record_type": "entity", "kind": "PERSON"}\n'
    (bundle / "entities.jsonl").write_bytes(b"".join(entities))
    _rehash(bundle)
    target = InMemoryCaseStore()
    _, report = import_bundle(target, bundle, batch_size=50)
    assert report.rejected[0].file == "entities.jsonl"
    assert report.rejected[0].line == 5
    dependent = [
        r for r in RECORDS if isinstance(r, Link) and broken_id in (r.source_id, r.target_id)
    ]
    assert {(item.file, "entity" in item.reason) for item in report.rejected[1:]} <= {
        ("links.jsonl", True)
    }
    assert len(report.rejected) == 1 + len(dependent)
    stored = len(list(target.export()))
    assert stored == len(RECORDS) - 1 - len(dependent)
    assert report.created == stored


def test_export_refuses_a_directory_holding_a_bundle(bundle: Path) -> None:
    """An earlier bundle is never overwritten."""
    with pytest.raises(ConfigurationError, match="holds a bundle already"):
        write_bundle(InMemoryCaseStore(), bundle)


def test_the_commands_export_import_and_exit_1_on_refused_lines(tmp_path: Path) -> None:
    """Caseport export and import through SQLite files; a refused line makes import exit 1."""
    runner = CliRunner()
    source = f"sqlite:///{tmp_path}/source.db"
    with InMemoryCaseStore(RECORDS) as memory:
        write_bundle(memory, tmp_path / "seed")
    assert runner.invoke(app, ["import", source, str(tmp_path / "seed")]).exit_code == 0
    exported = runner.invoke(app, ["export", source, str(tmp_path / "out"), "--json"])
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["files"][0]["records"] == 200
    lines = (tmp_path / "out" / "entities.jsonl").read_bytes().splitlines(keepends=True)
    lines[0] = b"not json\n"
    (tmp_path / "out" / "entities.jsonl").write_bytes(b"".join(lines))
    _rehash(tmp_path / "out")
    imported = runner.invoke(app, ["import", f"sqlite:///{tmp_path}/t.db", str(tmp_path / "out")])
    assert imported.exit_code == 1
    assert "entities.jsonl, line 1:" in imported.stdout
    assert sum(isinstance(r, Entity) for r in RECORDS) == 200
