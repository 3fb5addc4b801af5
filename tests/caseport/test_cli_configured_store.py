"""Query commands without a URL read the configured store: caseport.toml, then CASEPORT_URL.

The store is a real SQLite file; each command is run in a working directory holding only the
configuration, and must answer from that file and leave it unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import adapters
from caseport._errors import EXIT_USAGE
from caseport.cli import app
from contracts.models import Case, Entity, EntityKind, Link, Record

runner = CliRunner()
WIDE = {"COLUMNS": "250"}

COMMANDS: list[tuple[list[str], str]] = [
    (["search", "--text", "smith"], "Smith 0"),
    (["search", "--type", "case", "--where", "reference=CASE/25/000001"], "Known suspects"),
    (["get", "p-0"], "Smith 0"),
    (["get", "CASE/25/000001"], "Known suspects"),
    (["neighbours", "p-0"], "Smith 1"),
    (["neighbours", "p-0", "--link-where", "type=ASSOCIATE_OF"], "Smith 1"),
    (["paths", "p-0", "p-1"], "Smith 1"),
    (["timeline", "--case", "c-1"], "0 events"),
    (["count", "--kind", "person"], "3 entities"),
    (["aggregate", "--type", "link", "--by", "type"], "ASSOCIATE_OF"),
    (["degree", "p-0", "p-2"], "Smith 2"),
]


def _records() -> list[Record]:
    people: list[Record] = [
        Entity(id=f"p-{i}", kind=EntityKind.PERSON, subtype="person", label=f"Smith {i}")
        for i in range(3)
    ]
    return [
        *people,
        Link(id="l-0", type="ASSOCIATE_OF", source_id="p-0", target_id="p-1"),
        Case(id="c-1", reference="CASE/25/000001", title="Known suspects"),
    ]


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "configured.db"
    with adapters.connect(f"sqlite:///{path}") as store:
        store.upsert_many(_records())
    return path


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no caseport variables."""
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, list(args), env={**WIDE, **(env or {})})


@pytest.mark.parametrize(("args", "expected"), COMMANDS, ids=lambda v: " ".join(v)[:40])
def test_caseport_toml_chooses_the_store(
    workdir: Path, store_file: Path, args: list[str], expected: str
) -> None:
    """With caseport.toml naming the SQLite file, no URL is needed; the file is not changed."""
    (workdir / "caseport.toml").write_text(f'[store]\nurl = "sqlite:///{store_file}"\n')
    before = store_file.read_bytes()
    result = invoke(args)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    assert store_file.read_bytes() == before
    assert sorted(p.name for p in workdir.iterdir()) == ["caseport.toml"]


@pytest.mark.parametrize(("args", "expected"), COMMANDS, ids=lambda v: " ".join(v)[:40])
def test_caseport_url_chooses_the_store(
    workdir: Path, store_file: Path, args: list[str], expected: str
) -> None:
    """CASEPORT_URL alone is enough too."""
    result = invoke(args, env={"CASEPORT_URL": f"sqlite:///{store_file}"})
    assert result.exit_code == 0, result.output
    assert expected in result.stdout


def test_the_environment_wins_over_the_file(workdir: Path, store_file: Path) -> None:
    """caseport.toml names an empty in-memory store; CASEPORT_URL the SQLite file, which wins."""
    (workdir / "caseport.toml").write_text('[store]\nurl = "memory://"\n')
    env = {"CASEPORT_URL": f"sqlite:///{store_file}"}
    answer = invoke(["count", "--json"], env=env)
    assert answer.exit_code == 0, answer.output
    assert json.loads(answer.stdout) == {"record_type": "entity", "count": 3}
    assert json.loads(invoke(["count", "--json"]).stdout)["count"] == 0


def test_an_explicit_url_wins_over_the_configuration(workdir: Path, store_file: Path) -> None:
    """A URL on the command line is used whatever is configured."""
    (workdir / "caseport.toml").write_text('[store]\nurl = "memory://"\n')
    result = invoke(["get", f"sqlite:///{store_file}", "p-0", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["label"] == "Smith 0"


@pytest.mark.parametrize(("args", "expected"), COMMANDS[:3], ids=lambda v: " ".join(v)[:40])
def test_with_no_configuration_the_default_store_must_exist(
    workdir: Path, args: list[str], expected: str
) -> None:
    """Nothing configured and no ./caseport.db: one line saying so, and no file created."""
    result = invoke(args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == EXIT_USAGE, result.output
    assert len(lines) == 1
    assert "no caseport store at" in lines[0]
    assert "caseport.db" in lines[0]
    assert list(workdir.iterdir()) == []


def test_an_id_after_the_url_that_looks_like_a_url_is_refused(workdir: Path) -> None:
    """The URL goes first; a second URL among the ids is a usage error, not a lookup."""
    result = invoke(["paths", "p-0", "memory://", "p-1"])
    assert result.exit_code == EXIT_USAGE
    assert "looks like a store URL; give the URL first" in result.stderr
