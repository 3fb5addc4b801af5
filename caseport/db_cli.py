"""``caseport db``: create, upgrade and inspect the schema of a SQL store.

The schema of a SQLite or PostgreSQL store is changed only by numbered, forward-only
migrations recorded in the database (table ``schema_migrations``). Opening a store applies the
missing ones by default; these commands do it explicitly, for example before deploying a new
version or against a database opened with ``?upgrade=false``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

import adapters.sql
from adapters import redact_url
from caseport._errors import EXIT_CODES_HELP, ReportingGroup
from caseport.render import emit_json, stdout_console

__all__ = ["app"]

app = typer.Typer(
    name="db",
    cls=ReportingGroup,
    help="Create, upgrade and inspect the schema of a SQL store (SQLite or PostgreSQL).",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

_URL_HELP = "sqlite:///case.db (relative to the working directory), sqlite:////abs/case.db or "
_URL_HELP += "postgresql://user@host/db?schema=NAME."


@app.command()
def upgrade(
    url: Annotated[str, typer.Argument(metavar="URL", help=_URL_HELP, show_default=False)],
    to: Annotated[
        int | None,
        typer.Option("--to", help="Stop at this schema version (default: the newest)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of text.")
    ] = False,
) -> None:
    """Apply the missing schema migrations, in order, each in its own transaction.

    Creates the store (a SQLite file, a PostgreSQL schema and its tables) when it does not
    exist, and says so; add ?mode=rw to the URL to refuse that instead. Safe to run while other
    processes use the store, and to run twice.

    For example:

        caseport db upgrade sqlite:///case.db
        caseport db upgrade 'postgresql://caseport@db.internal/cases?schema=met'
    """
    applied = adapters.sql.upgrade(url, to)
    current = adapters.sql.status(url).current
    created = bool(applied) and applied[0].version == 1
    if as_json:
        emit_json(
            {
                "url": redact_url(url),
                "created": created,
                "applied": [{"version": m.version, "name": m.name} for m in applied],
                "current": current,
                "head": adapters.sql.HEAD,
            }
        )
        return
    console = stdout_console()
    if created:
        console.print(Text(f"created a new caseport store at {redact_url(url)}"), soft_wrap=True)
    for migration in applied:
        console.print(f"applied {migration.version}: {migration.name}")
    if not applied:
        console.print(f"already at schema version {current}; nothing to do")
    else:
        console.print(f"schema version is now {current} (newest: {adapters.sql.HEAD})")


@app.command()
def status(
    url: Annotated[str, typer.Argument(metavar="URL", help=_URL_HELP, show_default=False)],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of a table.")
    ] = False,
) -> None:
    """Show the schema version of a SQL store and which migrations are applied or pending.

    Only reads: the database (SQLite file, PostgreSQL schema) must exist, and nothing is
    created or changed; one without caseport tables is at version 0. Exits 0 whether or not
    migrations are pending; see the ``pending`` count.

    For example:

        caseport db status sqlite:///case.db --json
    """
    found = adapters.sql.status(url)
    if as_json:
        emit_json(
            {
                "url": redact_url(url),
                "current": found.current,
                "head": found.head,
                "up_to_date": found.up_to_date,
                "applied": [
                    {"version": m.version, "name": m.name, "applied_at": m.applied_at}
                    for m in found.applied
                ],
                "pending": [{"version": m.version, "name": m.name} for m in found.pending],
            }
        )
        return
    table = Table(title=f"Schema of {redact_url(url)}", title_justify="left")
    table.add_column("version", justify="right")
    table.add_column("migration")
    table.add_column("applied at")
    for applied in found.applied:
        table.add_row(str(applied.version), applied.name, applied.applied_at)
    for pending in found.pending:
        table.add_row(str(pending.version), pending.name, "pending")
    console = stdout_console()
    console.print(table)
    state = "up to date" if found.up_to_date else f"{len(found.pending)} migrations pending"
    console.print(f"schema version {found.current} of {found.head}: {state}")
