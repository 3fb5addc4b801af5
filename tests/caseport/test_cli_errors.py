"""Errors on the command line: one red line on stderr, no traceback, a documented exit code."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner, Result

import caseport
import caseport.cli
import caseport.query_commands
from caseport._errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, ReportingGroup
from caseport.cli import app
from contracts.models import Entity, Link, to_json_line

runner = CliRunner()


def invoke(args: Sequence[str]) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def assert_one_line(result: Result, code: int, fragment: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error (")
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    person = Entity.model_validate(
        {"id": "p-1", "kind": "PERSON", "subtype": "person", "label": "Ann Example"}
    )
    path = tmp_path_factory.mktemp("errors") / "one.jsonl"
    path.write_text(to_json_line(person) + "\n", encoding="utf-8")
    return f"memory://?load={path}"


def test_unknown_scheme_is_a_configuration_error_with_exit_2() -> None:
    """A URL no adapter serves names the known schemes and exits 2."""
    result = invoke(["search", "nosuch://somewhere"])
    assert_one_line(result, EXIT_USAGE, "no adapter for URL scheme 'nosuch'")


@pytest.mark.parametrize(
    ("url", "suggestion"),
    [
        ("postgres://u@127.0.0.1/db", "'postgres' (did you mean postgresql://?)"),
        ("sqlite3:///case.db", "'sqlite3' (did you mean sqlite://?)"),
        ("sqlit:///case.db", "'sqlit' (did you mean sqlite://?)"),
        ("memroy://", "'memroy' (did you mean memory://?)"),
    ],
)
def test_an_alias_or_a_misspelt_scheme_gets_a_suggestion(url: str, suggestion: str) -> None:
    """Another tool's name for a backend, or a typo, names the scheme that serves it."""
    result = invoke(["info", url])
    assert_one_line(result, EXIT_USAGE, f"no adapter for URL scheme {suggestion}; known schemes")


def test_unknown_memory_option_is_a_configuration_error() -> None:
    """A misspelt store option is refused before anything runs."""
    result = invoke(["info", "memory://?latencyms=2"])
    assert_one_line(result, EXIT_USAGE, "unknown memory:// option 'latencyms'")


def test_where_with_a_non_number_for_an_int_field_exits_2(url: str) -> None:
    """``version`` holds whole numbers; ``abc`` is refused with the option named."""
    result = invoke(["search", url, "--where", "version=abc"])
    assert_one_line(result, EXIT_USAGE, "--where version: 'abc' is not a whole number")


def test_where_without_equals_sign_exits_2(url: str) -> None:
    """A condition must read FIELD=VALUE."""
    result = invoke(["search", url, "--where", "label"])
    assert_one_line(result, EXIT_USAGE, "expected FIELD=VALUE")


def test_where_on_an_unknown_field_exits_2(url: str) -> None:
    """An unknown field is refused with the list of fields."""
    result = invoke(["search", url, "--where", "shoe_size=9"])
    assert_one_line(
        result, EXIT_USAGE, "--where: unknown entity field 'shoe_size'; use one of aliases"
    )


@pytest.mark.parametrize(
    ("field", "suggestion"),
    [
        ("famly_name", "did you mean person.family_name?"),
        ("persn.family_name", "did you mean person.family_name or person.given_names?"),
        ("postcod", "did you mean location.postcode?"),
    ],
)
def test_a_misspelt_where_field_suggests_the_close_ones(
    url: str, field: str, suggestion: str
) -> None:
    """A typo gets up to three close field names, not the list of every field."""
    result = invoke(["search", url, "--where", f"{field}=Smith"])
    assert_one_line(result, EXIT_USAGE, f"--where: unknown entity field '{field}'; {suggestion}")
    assert "aliases, created_at" not in result.stderr


def test_where_with_a_bad_boolean_exits_2(url: str) -> None:
    """A boolean field takes true or false."""
    result = invoke(["search", url, "--where", "markings.sensitive=perhaps"])
    assert_one_line(result, EXIT_USAGE, "is not true or false")


def test_malformed_filter_json_exits_2(url: str) -> None:
    """``--filter`` that is not a filter becomes one validation line."""
    result = invoke(["search", url, "--filter", '{"op": "like", "field": "label"}'])
    assert_one_line(result, EXIT_USAGE, "invalid --filter")


def test_unsortable_order_exits_2(url: str) -> None:
    """Ordering by a field that cannot be sorted names the sortable ones."""
    result = invoke(["search", url, "--order", "description"])
    assert_one_line(result, EXIT_USAGE, "entity field 'description' cannot be sorted on")


def test_unknown_kind_exits_2(url: str) -> None:
    """``--kind`` must be one of the five kinds."""
    result = invoke(["search", url, "--kind", "vehicle"])
    assert_one_line(result, EXIT_USAGE, "'vehicle' is not a kind")


def test_missing_id_is_not_found_with_exit_1(url: str) -> None:
    """Asking for a record that does not exist fails with exit 1."""
    result = invoke(["get", url, "p-404"])
    assert_one_line(result, EXIT_FAILURE, "record 'p-404' does not exist")
    typed = invoke(["get", url, "p-404", "--type", "entity"])
    assert_one_line(typed, EXIT_FAILURE, "entity 'p-404' does not exist")


def test_missing_path_end_is_not_found(url: str) -> None:
    """A path to an entity that does not exist fails with exit 1."""
    result = invoke(["paths", url, "p-1", "p-404"])
    assert_one_line(result, EXIT_FAILURE, "'p-404' does not exist")


def test_timeline_without_entity_or_case_exits_2(url: str) -> None:
    """A timeline needs something to be about."""
    result = invoke(["timeline", url])
    assert_one_line(result, EXIT_USAGE, "timeline needs entity ids or a case id")


def test_bad_timeline_bound_exits_2(url: str) -> None:
    """``--from`` must be ISO-8601."""
    result = invoke(["timeline", url, "--entity", "p-1", "--from", "last tuesday"])
    assert_one_line(result, EXIT_USAGE, "--from: 'last tuesday' is not an ISO-8601 date")


def test_depth_out_of_range_exits_2(url: str) -> None:
    """The contract's depth limit is the option's range, checked before the store is opened."""
    result = invoke(["neighbours", url, "p-1", "--depth", "11"])
    assert result.exit_code == EXIT_USAGE
    first = result.stderr.splitlines()[0]
    assert first == "Error (usage): --depth: '11' is not a whole number from 0 to 10"


def test_backend_failure_exits_1(tmp_path: Path, url: str) -> None:
    """An unavailable backend (injected) is a failure, not a usage error."""
    result = invoke(["search", url + "&failure_rate=1"])
    assert_one_line(result, EXIT_FAILURE, "injected fault")


def test_unreadable_load_file_is_a_configuration_error(tmp_path: Path) -> None:
    """A load file that does not exist is named in the error."""
    missing = tmp_path / "absent.jsonl"
    result = invoke(["search", f"memory://?load={missing}"])
    assert_one_line(result, EXIT_USAGE, f"cannot read {missing}")


def test_reporting_group_turns_pydantic_errors_into_one_line() -> None:
    """A pydantic error escaping a command is reported as a validation error, exit 2."""

    class Strict(BaseModel):
        number: int

    broken = typer.Typer(cls=ReportingGroup)

    @broken.command()
    def parse() -> None:
        Strict.model_validate({"number": "many"})

    @broken.command()
    def other() -> None:
        """A second command, so that the group is a group."""

    result = runner.invoke(broken, ["parse"])
    assert_one_line(result, EXIT_USAGE, "invalid input: number:")


def test_version_prints_package_and_contract_versions() -> None:
    """``--version`` prints the package version and exits 0."""
    result = invoke(["--version"])
    assert result.exit_code == 0
    assert result.stdout.startswith(f"caseport {caseport.__version__} (contract ")


def test_help_documents_the_exit_codes() -> None:
    """The top-level help explains what exit codes 1 and 2 mean."""
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "Exit codes: 0 success; 1 failure" in result.stdout
    assert "2 usage, validation or configuration error" in result.stdout


def test_unknown_via_kind_exits_2(url: str) -> None:
    """``--via`` takes entity kinds and names the option when it gets something else."""
    result = invoke(["paths", url, "p-1", "p-1", "--via", "gang"])
    assert_one_line(result, EXIT_USAGE, "--via: 'gang' is not a kind")


# ---------------------------------------------------------------------------------- stored markup

MALLORY = "Mallory [/bold] Smith"
BOB = "Bob [red]Smith"
RAID = "Raid at [link=x]Dock[/link] :smile:"


@pytest.fixture(scope="module")
def bracketed_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store whose labels look like rich markup: one would crash rich, one would vanish."""
    records = [
        Entity.model_validate(
            {"id": "p-m", "kind": "PERSON", "subtype": "person", "label": MALLORY}
        ),
        Entity.model_validate({"id": "p-b", "kind": "PERSON", "subtype": "person", "label": BOB}),
        Entity.model_validate(
            {
                "id": "e-1",
                "kind": "EVENT",
                "subtype": "crime",
                "label": RAID,
                "event": {
                    "occurred_from": datetime(2024, 3, 1, 18, 30, tzinfo=UTC),
                    "reference": "CR/[b]1",
                },
            }
        ),
        Link(id="k-1", type="KNOWS", source_id="p-m", target_id="p-b"),
        Link(id="k-2", type="PARTY_TO", source_id="p-m", target_id="e-1"),
    ]
    path = tmp_path_factory.mktemp("markup") / "markup.jsonl"
    path.write_text("".join(to_json_line(r) + "\n" for r in records), encoding="utf-8")
    return f"memory://?load={path}"


def assert_shown_literally(result: Result, *texts: str) -> None:
    assert result.exit_code == 0, result.output
    for text in texts:
        assert text in result.stdout


def test_search_shows_bracketed_labels_as_stored(bracketed_url: str) -> None:
    """Labels that look like markup neither crash search nor lose their brackets."""
    result = invoke(["search", bracketed_url, "--kind", "person"])
    assert_shown_literally(result, MALLORY, BOB)


def test_get_shows_a_bracketed_label_as_stored(bracketed_url: str) -> None:
    """``get`` prints the label with its closing tag, not a MarkupError."""
    assert_shown_literally(invoke(["get", bracketed_url, "p-m"]), MALLORY, "p-m")
    assert_shown_literally(invoke(["get", bracketed_url, "p-b"]), BOB)


def test_neighbours_shows_bracketed_labels_in_title_and_tables(bracketed_url: str) -> None:
    """The title naming the root, the entity rows and the link rows all keep the brackets."""
    result = invoke(["neighbours", bracketed_url, "p-m"])
    assert_shown_literally(result, f"Within 1 hop of {MALLORY}: 3 entities", BOB, RAID)


def test_paths_show_bracketed_labels_in_the_tree_and_when_none_is_found(
    bracketed_url: str,
) -> None:
    """Both the path tree and the no-path sentence print the labels as stored."""
    found = invoke(["paths", bracketed_url, "p-m", "p-b"])
    assert_shown_literally(found, f"from {MALLORY} to {BOB}", f"{MALLORY} (Person) —KNOWS→ {BOB}")
    none = invoke(["paths", bracketed_url, "p-m", "p-b", "--max-depth", "0"])
    assert_shown_literally(none, f"No path of at most 0 links between {MALLORY} and {BOB}.")


def test_timeline_shows_bracketed_event_labels_and_references(bracketed_url: str) -> None:
    """Event label, reference and the people involved are printed literally."""
    result = invoke(["timeline", bracketed_url, "--entity", "p-m"])
    assert_shown_literally(result, RAID, "CR/[b]1", MALLORY)


def test_info_shows_a_bracketed_store_url_as_given(tmp_path: Path) -> None:
    """A load file in a directory named like markup appears in the adapter table unchanged."""
    folder = tmp_path / "[red]cases"
    folder.mkdir()
    (folder / "empty.jsonl").write_text("", encoding="utf-8")
    result = invoke(["info", f"memory://?load={folder}/empty.jsonl"])
    assert_shown_literally(result, f"memory://?load={folder}/empty.jsonl")


# ---------------------------------------------------------------------------------- last resort


def _broken_app() -> typer.Typer:
    """An app on the same safety net whose command hits a bug no one anticipated."""
    broken = typer.Typer(cls=ReportingGroup)

    @broken.callback()
    def main(debug: bool = typer.Option(False, "--debug")) -> None:
        """A group with the global --debug option, as caseport's own."""

    @broken.command()
    def search() -> None:
        raise TypeError("factory() got an unexpected keyword argument [red]'x' secret-42")

    return broken


def test_an_unexpected_exception_is_one_internal_error_line_with_exit_1() -> None:
    """A bug prints ``Error (internal: TypeName): ...``, no traceback and not its message."""
    result = runner.invoke(_broken_app(), ["search"])
    assert_one_line(result, EXIT_FAILURE, "run again with --debug")
    assert result.stderr.startswith("Error (internal: TypeError): caseport failed unexpectedly")
    assert "secret-42" not in result.output


def test_debug_adds_the_traceback_before_the_internal_error_line() -> None:
    """``--debug`` prints the full traceback, message included, then the same one line."""
    result = runner.invoke(_broken_app(), ["--debug", "search"])
    assert result.exit_code == EXIT_FAILURE
    assert result.stdout == ""
    assert "Traceback (most recent call last)" in result.stderr
    assert "secret-42" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error (internal: TypeError): caseport failed unexpectedly")


def test_debug_is_documented_in_the_top_level_help() -> None:
    """The global help lists ``--debug`` and what it prints."""
    result = invoke(["--help"])
    assert result.exit_code == 0
    assert "--debug" in result.stdout
    assert "full traceback" in result.stdout


def test_ctrl_c_prints_interrupted_and_exits_130() -> None:
    """A KeyboardInterrupt during a command is one ``interrupted`` line and exit 130."""
    interrupted = typer.Typer(cls=ReportingGroup)

    @interrupted.command()
    def search() -> None:
        raise KeyboardInterrupt

    @interrupted.command()
    def other() -> None:
        """A second command, so that the group is a group."""

    result = runner.invoke(interrupted, ["search"])
    assert result.exit_code == EXIT_INTERRUPTED == 130
    assert result.stderr.strip() == "interrupted"
    assert "Traceback" not in result.output


def test_reporting_group_reports_any_exception_as_internal() -> None:
    """The group's safety net covers commands of any app built on it."""
    broken = typer.Typer(cls=ReportingGroup)

    @broken.command()
    def divide() -> None:
        print(1 // 0)

    @broken.command()
    def other() -> None:
        """A second command, so that the group is a group."""

    result = runner.invoke(broken, ["divide"])
    assert_one_line(result, EXIT_FAILURE, "internal: ZeroDivisionError): caseport failed")


def test_usage_errors_are_not_reported_as_internal() -> None:
    """The safety net leaves usage errors to the usage report: exit 2, no internal error."""
    result = invoke(["demo", "--entities", "20"])
    assert result.exit_code == EXIT_USAGE
    assert "internal" not in result.output
    assert result.stderr.startswith("Error (usage): --entities")


# ---------------------------------------------------------------------------------- report path


def test_report_under_a_file_is_a_configuration_error_before_the_run(tmp_path: Path) -> None:
    """``--report somefile/r.json`` names the file that is not a directory and runs nothing."""
    blocker = tmp_path / "somefile"
    blocker.write_text("not a directory", encoding="utf-8")
    result = invoke(["conformance", "memory://", "--report", str(blocker / "r.json")])
    assert_one_line(result, EXIT_USAGE, f"{blocker} is not a directory")
    assert result.stderr.startswith("Error (ConfigurationError): --report: cannot write")
    assert result.stdout == "", "the kit ran and printed its results"


def test_report_deeper_under_a_file_is_refused_too(tmp_path: Path) -> None:
    """A missing directory below a file cannot be created either."""
    blocker = tmp_path / "somefile"
    blocker.write_text("", encoding="utf-8")
    result = invoke(["conformance", "memory://", "--report", str(blocker / "a" / "r.json")])
    assert_one_line(result, EXIT_USAGE, f"{blocker} is not a directory")
    assert result.stdout == "", "the kit ran and printed its results"


def test_report_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    """The report must be a file; an existing directory is named in the error."""
    result = invoke(["conformance", "memory://", "--report", str(tmp_path)])
    assert_one_line(result, EXIT_USAGE, "it is a directory")
    assert result.stdout == "", "the kit ran and printed its results"


# ---------------------------------------------------------------------------------- datetimes

BEFORE_YEAR_ONE = "0001-01-01T00:00:00+01:00"
AFTER_YEAR_9999 = "9999-12-31T23:00:00-05:00"


def test_where_datetime_before_year_one_in_utc_exits_2(url: str) -> None:
    """A zoned datetime that falls before 0001-01-01 in UTC is refused, not an overflow."""
    result = invoke(["search", url, "--where", f"event.occurred_from={BEFORE_YEAR_ONE}"])
    assert_one_line(result, EXIT_USAGE, "out of range once expressed in UTC")


def test_timeline_bounds_out_of_range_in_utc_exit_2(url: str) -> None:
    """``--from`` and ``--to`` are checked when read, naming the option."""
    result = invoke(["timeline", url, "--entity", "p-1", "--from", BEFORE_YEAR_ONE])
    assert_one_line(result, EXIT_USAGE, f"--from: '{BEFORE_YEAR_ONE}' is out of range")
    result = invoke(["timeline", url, "--entity", "p-1", "--to", AFTER_YEAR_9999])
    assert_one_line(result, EXIT_USAGE, f"--to: '{AFTER_YEAR_9999}' is out of range")


def test_a_start_past_year_9999_in_utc_exits_2() -> None:
    """``--start`` past the end of year 9999 in UTC is a usage error, with nothing written."""
    result = invoke(["generate", "-n", "5", "--start", AFTER_YEAR_9999])
    assert_one_line(result, EXIT_USAGE, f"--start: '{AFTER_YEAR_9999}' is out of range")


@pytest.mark.parametrize("start", ["2001-12-31", "9990-01-01"])
def test_a_start_outside_the_generators_years_exits_2(start: str) -> None:
    """Years the generator cannot fill are refused up front, not half-way through the output."""
    result = invoke(["generate", "-n", "300", "--start", start])
    assert_one_line(result, EXIT_USAGE, "outside the years the generator can fill (2002 to 9989)")


def test_impossible_calendar_date_exits_2(url: str) -> None:
    """A date that does not exist is refused as not ISO-8601."""
    result = invoke(["timeline", url, "--entity", "p-1", "--from", "2024-02-30"])
    assert_one_line(result, EXIT_USAGE, "--from: '2024-02-30' is not an ISO-8601 date")


# ---------------------------------------------------------------------------------- help


def test_flags_show_no_value_type_in_help() -> None:
    """Flags such as ``--version`` and ``--json`` read as flags, not as taking a ``<bool>``."""
    for args in (["--help"], ["info", "--help"], ["conformance", "--help"], ["demo", "--help"]):
        result = invoke(args)
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout
    assert "<int>" in invoke(["demo", "--help"]).stdout


# ------------------------------------------------------------------ configuration and secrets


@pytest.fixture
def configured_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory, no caseport variables."""
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'[store]\nurl = "memory://"\n# caf\xe9\n', "caseport.toml, line 3: not valid UTF-8"),
        (
            b'[stor]\nurl = "memory://"\n',
            "line 1: unknown table or key stor; did you mean [store]?",
        ),
        (b'[store]\nurl = "memory://"\nurll = "x"\n', "unknown key store.urll"),
        (b'[store\nurl = "memory://"\n', "caseport.toml is not valid TOML"),
        (
            b'[store]\nurl = "memory://"\n[store.options]\nlatency_ms = "abc"\n',
            "memory:// option latency_ms must be a number from 0 to 3600000 milliseconds",
        ),
    ],
    ids=["not utf-8", "stor", "unknown key", "not toml", "bad option value"],
)
def test_a_broken_caseport_toml_exits_2_in_one_line(
    configured_directory: Path, content: bytes, fragment: str
) -> None:
    """Every configuration mistake is a ConfigurationError (exit 2), never an internal error."""
    (configured_directory / "caseport.toml").write_bytes(content)
    result = invoke(["info"])
    assert_one_line(result, EXIT_USAGE, fragment)
    assert "internal" not in result.stderr


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresql://alice:hunter2@db/x", "postgresql://alice:***@db/x carries a password"),
        ("postgresql:/alice:hunter2@db/x", "postgresql:/alice:***@db/x carries a password"),
        ("sqlite://admin:hunter2@/x.db", "sqlite://***@/x.db carries a password"),
        ("memory://alice@", "memory:// URLs take no user name or password"),
        ("memory://?token=hunter2", "secrets such as 'token'"),
        ("host=db password=hunter2", "libpq key=value connection string"),
        ("hunter2", "is not a store URL"),
    ],
)
def test_a_secret_in_a_url_exits_2_without_printing_it(url: str, fragment: str) -> None:
    """Passwords in URLs are refused in one line that shows the URL redacted, if at all."""
    for args in (["info", url], ["search", url, "--text", "x"], ["db", "status", url]):
        result = invoke(args)
        assert_one_line(result, EXIT_USAGE, fragment)
        assert "hunter2" not in result.output


def test_a_postgresql_password_points_to_pgpassword() -> None:
    """The one line says where the password goes instead."""
    result = invoke(["info", "postgresql://alice:hunter2@db/x"])
    assert_one_line(result, EXIT_USAGE, "PGPASSWORD environment variable or a .pgpass file")


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("sqlite:///x.db?busy_timeout_ms=" + "9" * 31, "busy_timeout_ms must be a whole number"),
        ("postgresql://u@127.0.0.1:1/x?sslmode=bogus", "sslmode must be one of disable"),
        ("postgresql://u@127.0.0.1:1/x?connect_timeout=abc", "connect_timeout must be a whole"),
        ("foundry+fake://?page_size=" + "9" * 40, "page_size must be a whole number"),
    ],
)
def test_an_option_value_out_of_range_exits_2(url: str, fragment: str) -> None:
    """Option values are checked before anything is opened or created."""
    result = invoke(["info", url])
    assert_one_line(result, EXIT_USAGE, fragment)
