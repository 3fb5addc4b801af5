"""``caseport export`` and ``caseport import``: every record out of a store into a bundle, and in.

Export reads its store without changing it; import writes with ``upsert_many``, so records keep
their ids, versions and timestamps and a repeated import changes nothing. Progress goes to
stderr, one line a file or batch; the summary to stdout (or one JSON document with ``--json``).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

import typer

from adapters import connect, redact_url
from caseport.portability.bundle import BundleFile, write_bundle
from caseport.portability.importer import import_bundle
from caseport.portability.migrate import MigrationReport, migrate
from caseport.portability.verify import Verification, verify_stores
from caseport.query_commands import AsJson, open_for_reading
from caseport.render import emit_json, stderr_console, stdout_console

__all__ = ["export_bundle", "import_command", "migrate_command"]

StoreUrl = Annotated[
    str,
    typer.Argument(
        metavar="URL", help="The store's URL (sqlite:///case.db, postgresql://..., ...)."
    ),
]
Directory = Annotated[Path, typer.Argument(metavar="DIR", help="The bundle's directory.")]


def export_bundle(url: StoreUrl, directory: Directory, as_json: AsJson = False) -> None:
    """Write every record of the store at URL into a new bundle directory DIR.

    One JSON Lines file per record type, each record in its canonical form in id order, and
    manifest.json with counts and SHA-256 digests, written last. The store is only read.

    Examples:
        caseport export sqlite:///case.db exit-2026-12-02
        caseport import postgresql://db/cases?schema=met exit-2026-12-02
    """
    progress = stderr_console()

    def done(item: BundleFile) -> None:
        progress.print(f"export: {item.name}: {item.records:,} records", highlight=False)

    with open_for_reading(url) as store:
        manifest = write_bundle(store, directory, on_file=done)
    if as_json:
        emit_json(manifest.model_dump(mode="json"))
        return
    stdout_console().print(
        f"Exported {manifest.total:,} records from {redact_url(url)} to {directory} "
        f"(records SHA-256 {manifest.records_sha256[:16]}...).",
        highlight=False,
    )


def import_command(url: StoreUrl, directory: Directory, as_json: AsJson = False) -> None:
    """Import the bundle in DIR into the store at URL (created if missing, as connect does).

    The bundle is checked whole against its manifest first: a changed, missing or cut file is
    refused before anything is written. Records are then upserted with their ids, versions and
    timestamps; a line that is not a valid record, or that the store refuses, is listed with
    its file and line, and the rest is imported (exit 1 when any was refused).
    """
    progress = stderr_console()
    with connect(url) as store:
        manifest, report = import_bundle(
            store,
            directory,
            on_batch=lambda so_far: progress.print(
                f"import: {so_far.created + so_far.updated + so_far.unchanged:,} records written",
                highlight=False,
            ),
        )
    if as_json:
        emit_json(
            {
                "records": manifest.total,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "rejected": [vars(item) for item in report.rejected],
            }
        )
    else:
        console = stdout_console()
        console.print(
            f"Imported {directory} into {redact_url(url)}: {report.created:,} created, "
            f"{report.updated:,} updated, {report.unchanged:,} unchanged, "
            f"{len(report.rejected):,} refused.",
            highlight=False,
        )
        for item in report.rejected:
            console.print(f"  {item.file}, line {item.line}: {item.reason}", highlight=False)
    if report.rejected:
        raise typer.Exit(1)


SourceUrl = Annotated[
    str, typer.Argument(metavar="SRC", help="The store to copy from (only read).")
]
TargetUrl = Annotated[str, typer.Argument(metavar="DST", help="The store to copy into.")]


def migrate_command(
    source_url: SourceUrl,
    target_url: TargetUrl,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="Where the position reached is kept (default: .caseport-migrate-<pair>.json "
            "here); the same command after a failure resumes from it.",
        ),
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=1_000, help="Records a batch (1-1000).")
    ] = 1_000,
    verify_only: Annotated[
        bool, typer.Option("--verify-only", help="Compare the two stores; copy nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Copy every record from SRC into DST in batches, resumably, then verify the two match.

    Records keep their ids, versions and timestamps, so running it again changes nothing. The
    verification compares counts and every record's canonical form on both sides and lists
    each missing, unexpected or differing id (exit 1 when any differ).

    Examples:
        caseport migrate sqlite:///case.db 'postgresql://db.internal/cases?schema=met'
        caseport migrate sqlite:///case.db 'postgresql://db.internal/cases?schema=met' --verify-only
    """
    source_name, target_name = redact_url(source_url), redact_url(target_url)
    pair = hashlib.sha256(f"{source_name} {target_name}".encode()).hexdigest()[:12]
    where = checkpoint or Path(f".caseport-migrate-{pair}.json")
    progress = stderr_console()
    report: MigrationReport | None = None
    with open_for_reading(source_url) as source, connect(target_url) as target:
        if not verify_only:

            def step(so_far: MigrationReport) -> None:
                progress.print(f"migrate: {so_far.read:,} records copied", highlight=False)

            report = migrate(
                source,
                target,
                checkpoint=where,
                source_name=source_name,
                target_name=target_name,
                batch_size=batch_size,
                on_batch=step,
            )
        check = verify_stores(source, target)
    _print_migration(report, check, as_json)
    if not check.identical:
        raise typer.Exit(1)


def _print_migration(report: MigrationReport | None, check: Verification, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "copied": None if report is None else vars_of(report),
                "verification": {
                    "identical": check.identical,
                    "source_records": check.source_records,
                    "target_records": check.target_records,
                    "source_sha256": check.source_sha256,
                    "target_sha256": check.target_sha256,
                    "missing": check.missing,
                    "unexpected": check.unexpected,
                    "differing": check.differing,
                    "differences": [
                        {"kind": d.kind, "record_type": d.record_type.value, "id": d.record_id}
                        for d in check.differences
                    ],
                },
            }
        )
        return
    console = stdout_console()
    if report is not None:
        console.print(
            f"Copied {report.read:,} records{' (resumed)' if report.resumed else ''}: "
            f"{report.created:,} created, {report.updated:,} updated, "
            f"{report.unchanged:,} unchanged.",
            highlight=False,
        )
    verdict = "identical" if check.identical else "DIFFERENT"
    console.print(
        f"Verified: {verdict}; {check.source_records:,} records in the source, "
        f"{check.target_records:,} in the target; {check.missing:,} missing, "
        f"{check.unexpected:,} unexpected, {check.differing:,} differing.",
        highlight=False,
    )
    for difference in check.differences:
        console.print(
            f"  {difference.kind}: {difference.record_type.value} {difference.record_id}",
            highlight=False,
        )


def vars_of(report: MigrationReport) -> dict[str, object]:
    """A migration report as plain data."""
    return {
        "read": report.read,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "resumed": report.resumed,
    }
