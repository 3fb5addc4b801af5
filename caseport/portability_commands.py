"""``caseport export`` and ``caseport import``: every record out of a store into a bundle, and in.

Export reads its store without changing it; import writes with ``upsert_many``, so records keep
their ids, versions and timestamps and a repeated import changes nothing. Progress goes to
stderr, one line a file or batch; the summary to stdout (or one JSON document with ``--json``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adapters import connect, redact_url
from caseport.portability.bundle import BundleFile, write_bundle
from caseport.portability.importer import import_bundle
from caseport.query_commands import AsJson, open_for_reading
from caseport.render import emit_json, stderr_console, stdout_console

__all__ = ["export_bundle", "import_command"]

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
