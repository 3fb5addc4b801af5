"""Errors on the command line: one red line on stderr, no traceback, a documented exit code."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
import typer
from pydantic import BaseModel
from typer.testing import CliRunner, Result

import caseport
from caseport._errors import EXIT_FAILURE, EXIT_USAGE, ReportingGroup
from caseport.cli import app
from contracts.models import Entity, to_json_line

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
    assert_one_line(result, EXIT_USAGE, "unknown search field 'shoe_size'")


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
    assert_one_line(result, EXIT_USAGE, "cannot sort by 'description'")


def test_unknown_kind_exits_2(url: str) -> None:
    """``--kind`` must be one of the five kinds."""
    result = invoke(["search", url, "--kind", "vehicle"])
    assert_one_line(result, EXIT_USAGE, "'vehicle' is not a kind")


def test_missing_id_is_not_found_with_exit_1(url: str) -> None:
    """Asking for a record that does not exist fails with exit 1."""
    result = invoke(["get", url, "p-404"])
    assert_one_line(result, EXIT_FAILURE, "entity 'p-404' does not exist")


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
    """The contract's depth limit surfaces as a validation error."""
    result = invoke(["neighbours", url, "p-1", "--depth", "11"])
    assert_one_line(result, EXIT_USAGE, "depth must be between 0 and 10")


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
