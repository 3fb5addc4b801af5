"""``caseport generate``: canonical JSON Lines on stdout or in a file."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from caseport.cli import app
from caseport.generate import generate, write_jsonl
from contracts.models import Entity, parse_record

runner = CliRunner()


def expected_text(entities: int, seed: int, start: datetime | None = None) -> str:
    buffer = io.StringIO()
    write_jsonl(generate(entities, seed=seed, start=start), buffer)
    return buffer.getvalue()


def test_generate_writes_the_generator_output_to_stdout() -> None:
    """With no --output the JSON Lines go to stdout, identical to the library's output."""
    result = runner.invoke(app, ["generate", "--entities", "120", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected_text(120, 4)
    records = [parse_record(line) for line in result.stdout.splitlines()]
    assert sum(isinstance(record, Entity) for record in records) == 120


def test_generate_to_a_file_reports_on_stderr(tmp_path: Path) -> None:
    """--output writes the file; stdout stays empty and stderr says how much was written."""
    target = tmp_path / "case.jsonl"
    result = runner.invoke(app, ["generate", "-n", "150", "--seed", "2", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert text == expected_text(150, 2)
    assert f"Wrote {len(text.splitlines()):,} records (150 entities)" in result.stderr


def test_generate_dash_means_stdout() -> None:
    """``--output -`` is stdout, as in most tools."""
    result = runner.invoke(app, ["generate", "-n", "10", "--output", "-"])
    assert result.stdout == expected_text(10, 0)


def test_generate_start_moves_the_generated_year() -> None:
    """--start without a zone is read as UTC and passed to the generator."""
    result = runner.invoke(app, ["generate", "-n", "120", "--start", "2030-06-01"])
    assert result.exit_code == 0, result.output
    assert result.stdout == expected_text(120, 0, datetime(2030, 6, 1, tzinfo=UTC))


def test_generate_to_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    """A directory that does not exist is named in a one-line error with exit 2."""
    target = tmp_path / "missing" / "case.jsonl"
    result = runner.invoke(app, ["generate", "-n", "5", "--output", str(target)])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error (ValidationFailed): --output: cannot write {target}: No such file or directory"
    ]
