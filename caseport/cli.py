"""The ``caseport`` command line.

Every command talks to a store through the contract, so it works the same on any backend; the
backend is chosen by a URL (``memory://``, ``sqlite:///case.db``, ...) or by configuration.
Errors print as one red line on stderr; the exit codes are listed in :data:`EXIT_CODES_HELP`.
An unexpected exception (a bug in caseport or in an adapter) prints as one
``Error (internal: TypeName)`` line with exit 1; the global ``--debug`` option adds the full
traceback of any error, for bug reports.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from pydantic import TypeAdapter
from rich.text import Text

import caseport
from adapters import (
    BUILTIN_ADAPTERS,
    DEFAULT_URL,
    describe_options,
    known_schemes,
    load_settings,
    redact_url,
    resolve_adapter,
    split_url,
    suggest_scheme,
)
from adapters.config import DEFAULT_NOTE
from caseport import analysis_commands, db_cli, portability_commands, query_commands
from caseport._errors import (
    DEBUG_PARAMETER,
    EXIT_CODES_HELP,
    EXIT_FAILURE,
    CaseportCommand,
    ReportingGroup,
)
from caseport._output_file import replacing
from caseport._query_options import parse_datetime
from caseport.demo import DEFAULT_SECOND_URL, DemoOptions, run_demo
from caseport.generate import GenerationStats, generate, write_jsonl
from caseport.query_commands import open_for_reading
from caseport.render import (
    adapter_table,
    capability_table,
    emit_json,
    options_table,
    plain,
    progress_bar,
    schemes_table,
    stderr_console,
    stdout_console,
)
from contracts import SPEC_VERSION
from contracts.errors import ConfigurationError, ValidationFailed
from contracts.models.common import RecordType
from contracts.models.records import AnyRecord, record_class

__all__ = ["app", "main"]

_JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

_FIRST_START_YEAR: Final = 2002
"""The generator registers vehicles from 2002 on, so its year cannot begin earlier."""
_LAST_START_YEAR: Final = 9989
"""Records run on for months after the generated year; this keeps them within year 9999."""

app = typer.Typer(
    name="caseport",
    cls=ReportingGroup,
    help="caseport: one contract for police case and intelligence data, any backend.\n\n"
    "Pick a store by URL (sqlite:///case.db, postgresql://..., memory://, foundry+https://...) "
    "or by configuration (caseport.toml, CASEPORT_URL); with neither, the embedded SQLite file "
    "./caseport.db. Start with: caseport demo",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"caseport {caseport.__version__} (contract {SPEC_VERSION})")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            f"--{DEBUG_PARAMETER}",
            help="Print the full traceback before an error's one-line message; meant for "
            "reporting internal errors (bugs). Goes before the command: caseport --debug info",
        ),
    ] = False,
) -> None:
    """caseport: one contract for police case and intelligence data, any backend."""
    # ``debug`` is read by ReportingGroup from the context, where click keeps every option.


# ---------------------------------------------------------------------------------- demo


@app.command(rich_help_panel="Start here", epilog=EXIT_CODES_HELP, cls=CaseportCommand)
def demo(
    entities: Annotated[
        int,
        typer.Option("--entities", "-n", min=100, help="Entities to generate (at least 100)."),
    ] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 0,
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            metavar="URL",
            help=f"The first store; default: caseport.toml, CASEPORT_URL, else {DEFAULT_URL}.",
        ),
    ] = None,
    second_url: Annotated[
        str,
        typer.Option(
            "--second-url", metavar="URL", help="The store that must give the same answers."
        ),
    ] = DEFAULT_SECOND_URL,
    conformance: Annotated[
        bool,
        typer.Option(
            "--conformance/--no-conformance", help="Finish with the conformance kit's summary."
        ),
    ] = True,
) -> None:
    """Walk through a short investigation on one backend, then check a second agrees.

    Generates a synthetic investigation, loads it with a progress bar, finds a suspect by
    name, shows their network, how two suspects are connected and a case timeline, then
    copies everything to a second store and compares the answers. Ends with the
    conformance summary of the first store. Takes well under a minute.

    For example:

        caseport demo
        caseport demo --entities 5000 --seed 3 --no-conformance
        caseport demo --url sqlite:///demo.db --second-url memory://
        CASEPORT_URL='memory://?latency_ms=2' caseport demo
    """
    options = DemoOptions(
        entities=entities,
        seed=seed,
        url=url,
        second_url=second_url,
        conformance=conformance,
    )
    if not run_demo(options, stdout_console()):
        raise typer.Exit(EXIT_FAILURE)


# ---------------------------------------------------------------------------------- info


_SCHEME_ONLY: Final = re.compile(r"[a-z][a-z0-9+-]{0,31}", re.ASCII)


@app.command(rich_help_panel="Start here", epilog=EXIT_CODES_HELP, cls=CaseportCommand)
def info(
    url: Annotated[
        str | None,
        typer.Argument(
            metavar="URL|SCHEME",
            help=(
                f"Store URL; default: caseport.toml, CASEPORT_URL, else {DEFAULT_URL}. A "
                "scheme alone (sqlite, memory...) lists the options its URLs take."
            ),
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document instead of tables.")
    ] = False,
) -> None:
    """Show which adapter serves a store, what it can do, and the URL schemes known.

    Each capability is native (the backend does it), emulated (caseport builds it from
    one-hop expansion) or unsupported (calling it fails with NotSupported). The store must
    exist: info only reads it, and creates no file, schema or table. Given a scheme instead
    of a URL, info lists that scheme's options: name, type, default, what it accepts and
    what it does; nothing is opened.

    For example:

        caseport info
        caseport info memory://
        caseport info sqlite:///case.db --json
        caseport info sqlite
    """
    # A word is taken for a scheme only when it is one or is close to one: anything else may be
    # a secret pasted in the wrong place, which the URL check describes without repeating.
    if (
        url is not None
        and _SCHEME_ONLY.fullmatch(url)
        and (url in known_schemes() or suggest_scheme(url))
    ):
        _scheme_options(url, as_json)
        return
    configured = url is None
    if url is None:
        settings = load_settings()
        url, source = settings.url, settings.source
        if source == "default":
            stderr_console().print(DEFAULT_NOTE, style="yellow", soft_wrap=True)
    else:
        source = "command line"
    # Opened to read only: asking about a store that is not there creates none.
    with open_for_reading(None if configured else url) as store:
        adapter = store.info
        capabilities = store.capabilities()
        notes = store.capability_notes()
    schemes = known_schemes()
    if as_json:
        emit_json(
            {
                "url": redact_url(url),
                "source": source,
                "adapter": adapter.model_dump(mode="json"),
                "capabilities": {c.value: s.value for c, s in capabilities.items()},
                "capability_notes": {c.value: note for c, note in notes.items()},
                "schemes": schemes,
                "spec_version": SPEC_VERSION,
            }
        )
        return
    console = stdout_console()
    console.print(adapter_table(adapter, redact_url(url), source))
    console.print(capability_table(capabilities, notes))
    descriptions = {scheme: spec.description for scheme, spec in BUILTIN_ADAPTERS.items()}
    console.print(schemes_table(schemes, descriptions))


def _scheme_options(scheme: str, as_json: bool) -> None:
    """Print the options of ``scheme``'s URLs, from its adapter's options model.

    Raises:
        ConfigurationError: no adapter serves ``scheme`` (with the close ones), or its extra
            is not installed.
    """
    adapter = resolve_adapter(scheme)
    spec = BUILTIN_ADAPTERS.get(scheme)
    description = spec.description if spec is not None else "installed adapter"
    declared = adapter.declares_options
    docs = describe_options(adapter.options) if declared else []
    if as_json:
        emit_json(
            {
                "scheme": scheme,
                "description": description,
                "declared": declared,
                "options": [dataclasses.asdict(doc) for doc in docs],
            }
        )
        return
    console = stdout_console()
    if not declared:
        console.print(
            plain(
                f"the {scheme}:// adapter declares no options model: it checks its options "
                "itself; see its documentation"
            ),
            soft_wrap=True,
        )
        return
    console.print(options_table(scheme, docs, description))


# ---------------------------------------------------------------------------------- schema


@app.command(rich_help_panel="Start here", epilog=EXIT_CODES_HELP, cls=CaseportCommand)
def schema(
    record: Annotated[
        RecordType | None,
        typer.Option(
            "--record", case_sensitive=False, help="Only this record type (default: all)."
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the canonical records (JSON Lines files, imports, APIs).

    Without --record the document covers every record type: a oneOf told apart by
    record_type, with each model under $defs.

    For example:

        caseport schema > caseport-records.schema.json
        caseport schema --record entity
    """
    document: dict[str, Any]
    if record is None:
        document = TypeAdapter(AnyRecord).json_schema()
        document["title"] = "caseport record"
    else:
        document = record_class(record).model_json_schema()
    document = {
        "$schema": _JSON_SCHEMA_DIALECT,
        "$comment": f"caseport contract {SPEC_VERSION}",
        **document,
    }
    emit_json(document)


# ---------------------------------------------------------------------------------- generate


@app.command("generate", rich_help_panel="Data", epilog=EXIT_CODES_HELP, cls=CaseportCommand)
def generate_command(
    entities: Annotated[
        int, typer.Option("--entities", "-n", min=0, help="How many entities to generate.")
    ] = 2_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same file, byte for byte.")] = 0,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            metavar="ISO",
            help=f"When the generated year begins (default 2025-01-01; years "
            f"{_FIRST_START_YEAR}-{_LAST_START_YEAR}).",
        ),
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", metavar="FILE|-", help="Where to write; - is stdout.")
    ] = "-",
) -> None:
    """Write a synthetic investigation as canonical JSON Lines, one record per line.

    People, organisations, vehicles, phones, addresses, crimes with suspects, victims and
    witnesses, cases, intelligence reports and exhibits; no real person is described. A
    record only refers to records written before it, so the file loads in one pass. A
    file appears only once complete: a run that fails or is interrupted leaves no file
    under the --output name, nor changes one that was there.

    For example:

        caseport generate --entities 2000 --seed 1 --output case.jsonl
        caseport generate -n 300 | head -3
        caseport search 'memory://?load=case.jsonl' --text smith
    """
    begins = _generation_start(start) if start is not None else None
    if output == "-":
        write_jsonl(generate(entities, seed=seed, start=begins), sys.stdout)
        return
    target = Path(output)
    try:
        with (
            progress_bar(stderr_console(), transient=True) as progress,
            replacing(target) as stream,
        ):
            task = progress.add_task("generating", total=entities)

            def advance(stats: GenerationStats) -> None:
                progress.update(task, completed=stats.entities)

            written = write_jsonl(
                generate(entities, seed=seed, start=begins, progress=advance), stream
            )
    except OSError as exc:
        raise ValidationFailed(f"--output: cannot write {output}: {exc.strerror}") from exc
    stderr_console().print(Text(f"Wrote {written:,} records ({entities:,} entities) to {target}"))


def _generation_start(text: str) -> datetime:
    """``--start`` read and checked before anything is written.

    Raises:
        ValidationFailed: not ISO-8601, or outside the years the generator can fill.
    """
    begins = parse_datetime(text, "--start")
    year = begins.astimezone(UTC).year
    if not _FIRST_START_YEAR <= year <= _LAST_START_YEAR:
        raise ValidationFailed(
            f"--start: {text[:40]!r} is outside the years the generator can fill "
            f"({_FIRST_START_YEAR} to {_LAST_START_YEAR})"
        )
    return begins


# ---------------------------------------------------------------------------------- conformance


@app.command(rich_help_panel="Assurance", epilog=EXIT_CODES_HELP, cls=CaseportCommand)
def conformance(
    url: Annotated[
        str,
        typer.Argument(
            metavar="URL",
            help="The kind of store to test, e.g. memory:// or sqlite:///{tmp}/store.db.",
            show_default=False,
        ),
    ],
    report: Annotated[
        Path | None,
        typer.Option("--report", metavar="FILE", help="Also write the full report as JSON."),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each test as it runs.")
    ] = False,
) -> None:
    """Run the conformance kit against a store and summarise it per requirement area.

    Every test names the numbered requirements of contracts/SPEC.md it checks and gets a
    new, empty store: in URL, {tmp} becomes a new temporary directory and {uid} a unique
    token for every store the kit builds (a SQLite or PostgreSQL URL with neither is
    refused before anything runs). Progress per area goes to stderr. Capabilities the
    adapter declares unsupported are not applicable; known deviations are expected to
    fail. Exits 0 only when the verdict is conformant; 1 when a requirement failed,
    deviates as the adapter declares, went untested or was only partly tested (some of
    its tests could not run), or the run did not complete; 130, with no verdict, when
    interrupted (Ctrl-C).

    For example:

        caseport conformance memory://
        caseport conformance 'sqlite:///{tmp}/store.db' --report conformance-report.json
    """
    # The kit runs pytest; load it only for this command.
    from caseport.conformance_progress import watch_run
    from caseport.conformance_url import check_fresh_stores
    from caseport.conformance_view import print_report
    from contracts.conformance.runner import run_conformance

    if report is not None:
        _check_report_path(report)
    _check_store_opens(url)
    check_fresh_stores(url)
    with watch_run(stderr_console(), show=not verbose) as watch:
        result = run_conformance(
            url, report_path=report, verbose=verbose, extra_args=watch.pytest_args
        )
    if watch.interrupted:
        # pytest stops at Ctrl-C and still reports; a report of half a run is no verdict.
        raise KeyboardInterrupt
    console = stdout_console()
    print_report(console, result)
    if report is not None:
        console.print(Text(f"Report written to {report}"))
    if not result.conformant:
        raise typer.Exit(EXIT_FAILURE)


# ---------------------------------------------------------------------------------- queries

for _name, _command in (
    ("search", query_commands.search),
    ("get", query_commands.get),
    ("neighbours", query_commands.neighbours),
    ("paths", query_commands.paths),
    ("timeline", query_commands.timeline),
    ("count", analysis_commands.count),
    ("aggregate", analysis_commands.aggregate),
    ("degree", analysis_commands.degree),
):
    app.command(
        _name, rich_help_panel="Query a store", epilog=EXIT_CODES_HELP, cls=CaseportCommand
    )(_command)


def _check_store_opens(url: str) -> None:
    """Fail in one line, before the kit runs, when no installed adapter can serve ``url``.

    Only the adapter is looked up (scheme and optional dependencies); no store is opened, so
    nothing is created on the server the kit is about to test.

    Raises:
        ConfigurationError: unknown scheme, or the adapter's extra is not installed.
    """
    scheme, _ = split_url(url)
    resolve_adapter(scheme)


def _check_report_path(path: Path) -> None:
    """Make sure a report can be written to ``path`` before a long run starts.

    The run creates missing parent directories, so the nearest existing ancestor must be a
    writable directory, and ``path`` itself must not be a directory.

    Raises:
        ConfigurationError: the report could not be written there.
    """
    where = f"--report: cannot write {path}"
    if path.is_dir():
        raise ConfigurationError(f"{where}: it is a directory")
    ancestor = path.absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigurationError(f"{where}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigurationError(f"{where}: {ancestor} is not writable")


app.command("export", rich_help_panel="Move data", epilog=EXIT_CODES_HELP, cls=CaseportCommand)(
    portability_commands.export_bundle
)
app.command("import", rich_help_panel="Move data", epilog=EXIT_CODES_HELP, cls=CaseportCommand)(
    portability_commands.import_command
)
app.command("migrate", rich_help_panel="Move data", epilog=EXIT_CODES_HELP, cls=CaseportCommand)(
    portability_commands.migrate_command
)
app.add_typer(db_cli.app, name="db", rich_help_panel="Operations")


def main() -> None:
    """Entry point of the ``caseport`` console script."""
    app(prog_name="caseport")


if __name__ == "__main__":
    main()
