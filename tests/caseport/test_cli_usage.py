"""Usage errors: one line in our words and a hint naming ``--help``, never typer's box."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from typer.testing import CliRunner, Result

from caseport._errors import EXIT_USAGE
from caseport.cli import app

runner = CliRunner()


def invoke(args: Sequence[str]) -> Result:
    # Narrow, so that a boxed message would show its frame and wrap.
    return runner.invoke(app, list(args), env={"COLUMNS": "80"})


def assert_usage_error(result: Result, message: str, help_command: str | None) -> None:
    """Exit 2, nothing on stdout, ``Error (usage): message`` and at most the help hint."""
    assert result.exit_code == EXIT_USAGE, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"Error (usage): {message}"
    if help_command is None:
        assert len(lines) == 1, result.stderr
    else:
        assert lines[1:] == [f"Try '{help_command} --help' for help."]
    for leak in ("╭", "│", "Input should", "Value error", "Traceback"):
        assert leak not in result.stderr


@pytest.mark.parametrize(
    ("args", "message", "help_command"),
    [
        (["search", "memory://", "--bogus"], "No such option: --bogus", "caseport search"),
        (["serch"], "No such command 'serch'. Did you mean 'search'?", "caseport"),
        (["--bogus", "info"], "No such option: --bogus", "caseport"),
        (["get"], "Missing argument 'ID'.", "caseport get"),
        (["paths", "memory://", "a"], "Missing argument 'TO_ID'.", "caseport paths"),
        (["get", "a", "b"], "Got unexpected extra argument (b).", "caseport get"),
        (["db", "bogus"], "No such command 'bogus'.", "caseport db"),
    ],
)
def test_a_usage_error_is_one_line_and_a_help_hint(
    args: list[str], message: str, help_command: str
) -> None:
    """A mistyped command, option or missing argument: click's words, without the box."""
    assert_usage_error(invoke(args), message, help_command)


@pytest.mark.parametrize(
    ("args", "message", "help_command"),
    [
        (
            ["search", "memory://", "--limit", "abc"],
            "--limit: 'abc' is not a whole number from 1 to 1000",
            "caseport search",
        ),
        (
            ["search", "memory://", "--limit", "5000"],
            "--limit: '5000' is not a whole number from 1 to 1000",
            "caseport search",
        ),
        (
            ["neighbours", "memory://", "x", "--depth", "11"],
            "--depth: '11' is not a whole number from 0 to 10",
            "caseport neighbours",
        ),
        (
            ["paths", "memory://", "a", "b", "--max-paths", "0"],
            "--max-paths: '0' is not a whole number from 1 to 10000",
            "caseport paths",
        ),
        (
            ["demo", "--entities", "20"],
            "--entities: '20' is not a whole number of at least 100",
            "caseport demo",
        ),
        (
            ["neighbours", "memory://", "x", "--direction", "sideways"],
            "--direction: 'sideways' is not one of out, in, both",
            "caseport neighbours",
        ),
        (
            ["get", "memory://", "x", "--type", "bogus"],
            "--type: 'bogus' is not one of entity, link, case, intelligence_report, exhibit",
            "caseport get",
        ),
        (
            ["generate", "--seed", "1.5"],
            "--seed: '1.5' is not a whole number",
            "caseport generate",
        ),
    ],
)
def test_a_bad_option_value_names_the_option_and_what_it_takes(
    args: list[str], message: str, help_command: str
) -> None:
    """A value typer cannot convert is described in our words, never pydantic's."""
    assert_usage_error(invoke(args), message, help_command)


def test_no_command_shows_the_help() -> None:
    """``caseport`` alone prints its help, not an error."""
    result = invoke([])
    assert "Error" not in result.output
    assert "caseport demo" in result.output
