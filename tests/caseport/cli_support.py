"""Helpers shared by the command-line tests: a wide terminal and a generated data file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from caseport.cli import app
from caseport.generate import generate, write_jsonl
from contracts.models import Record, parse_record

__all__ = ["WIDE", "generated_file", "invoke", "read_records", "runner"]

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def invoke(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """Run ``caseport ARGS`` in-process on a 250-column terminal."""
    return runner.invoke(app, list(args), env={**WIDE, **(env or {})})


def generated_file(tmp_path_factory: pytest.TempPathFactory, seed: int) -> Path:
    """A JSON Lines file of a generated investigation of 300 entities."""
    path = tmp_path_factory.mktemp("generated") / "case.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        write_jsonl(generate(300, seed=seed), stream)
    return path


def read_records(path: Path) -> list[Record]:
    """The records of a JSON Lines file."""
    return [parse_record(line) for line in path.read_text(encoding="utf-8").splitlines()]
