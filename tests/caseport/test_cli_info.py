"""``caseport info`` and ``caseport schema``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import adapters.sql
from adapters import DEFAULT_URL, connect
from adapters.config import DEFAULT_NOTE
from caseport.cli import app
from contracts import SPEC_VERSION
from contracts.capabilities import Capability
from contracts.models import RecordType

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def test_info_shows_the_adapter_and_what_each_capability_means() -> None:
    """The readable form names the adapter and explains every capability."""
    result = runner.invoke(app, ["info", "memory://"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "in-memory" in result.stdout
    for capability in Capability:
        assert capability.value in result.stdout
    assert "all shortest paths between two entities" in result.stdout
    assert "memory://" in result.stdout


def test_info_json_lists_capabilities_and_schemes() -> None:
    """``--json`` gives the adapter, every capability's support and the known schemes."""
    result = runner.invoke(app, ["info", "memory://?latency_ms=1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["adapter"]["name"] == "memory"
    with connect("memory://") as store:
        declared = store.capabilities()
    assert data["capabilities"] == {
        capability.value: declared[capability].value for capability in Capability
    }
    assert "memory" in data["schemes"]
    assert data["spec_version"] == SPEC_VERSION


def test_info_shows_every_level_of_support_a_store_declares() -> None:
    """A capability done partly by the backend (foundry+fake://) is shown and explained."""
    with connect("foundry+fake://") as store:
        levels = set(store.capabilities().values())
    result = runner.invoke(app, ["info", "foundry+fake://"], env=WIDE)
    assert result.exit_code == 0, result.output
    for level in levels:
        assert f" {level.value} " in result.stdout
    assert "partial: the backend does part of it and caseport the rest" in result.stdout


def test_info_without_url_reads_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no URL, CASEPORT_URL chooses the store and the output says so."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEPORT_CONFIG", raising=False)
    result = runner.invoke(app, ["info", "--json"], env={"CASEPORT_URL": "memory://?latency_ms=1"})
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["url"] == "memory://?latency_ms=1"
    assert data["source"] == "CASEPORT_URL"


def test_schema_covers_every_record_type() -> None:
    """The combined schema is valid JSON with a $defs entry and a tag for each record type."""
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"Entity", "Link", "Case", "IntelligenceReport", "Exhibit"} <= set(document["$defs"])
    assert set(document["discriminator"]["mapping"]) == {t.value for t in RecordType}
    assert len(document["oneOf"]) == len(RecordType)


def test_schema_of_one_record_type() -> None:
    """``--record link`` prints the Link model's schema only."""
    result = runner.invoke(app, ["schema", "--record", "link"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["title"] == "Link"
    assert {"source_id", "target_id", "type"} <= set(document["properties"])


def test_schema_refuses_an_unknown_record_type() -> None:
    """An unknown record type is a usage error."""
    result = runner.invoke(app, ["schema", "--record", "suspect"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_info_with_nothing_configured_says_the_default_is_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no URL and no configuration, a note on stderr says which default store is used."""
    monkeypatch.chdir(tmp_path)
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    adapters.sql.upgrade(DEFAULT_URL)
    result = runner.invoke(app, ["info", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == DEFAULT_URL
    assert result.stderr.strip() == DEFAULT_NOTE


def test_info_about_a_default_store_that_is_not_there_creates_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading only: with no ./caseport.db info says so after the note, and creates no file."""
    monkeypatch.chdir(tmp_path)
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(app, ["info"])
    assert result.exit_code == 2
    note, error = result.stderr.strip().split("\n")
    assert note == DEFAULT_NOTE
    assert error.startswith(f"Error (ConfigurationError): no caseport store at {tmp_path}")
    assert "the file does not exist" in error
    assert list(tmp_path.iterdir()) == []


def test_info_about_an_existing_sqlite_store_names_it_read_only(tmp_path: Path) -> None:
    """A SQLite store is opened read-only by info, and its file is left as it was."""
    url = f"sqlite:///{tmp_path}/case.db"
    adapters.sql.upgrade(url)
    before = (tmp_path / "case.db").read_bytes()
    result = runner.invoke(app, ["info", url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["adapter"]["backend"].endswith(f"file {tmp_path}/case.db (read-only)")
    assert (tmp_path / "case.db").read_bytes() == before
    with connect(url, mode="ro") as store:
        declared = store.capabilities()
    assert data["capabilities"] == {
        capability.value: declared[capability].value for capability in Capability
    }


def test_info_says_intelligence_gradings_are_kept_in_either_scheme() -> None:
    """Reports keep a 3x5x2 or a legacy 5x5x5 grading as given; info must not claim 3x5x2 only."""
    result = runner.invoke(app, ["info", "memory://"], env=WIDE)
    assert result.exit_code == 0, result.output
    row = next(
        line for line in result.stdout.splitlines() if Capability.INTELLIGENCE_REPORTS in line
    )
    assert "3x5x2 or legacy 5x5x5" in row
    assert "never converted" in row


def test_info_with_a_scheme_lists_its_options_from_the_model() -> None:
    """``caseport info sqlite`` shows each option's type, default, range and meaning."""
    result = runner.invoke(app, ["info", "sqlite"], env=WIDE)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if "busy_timeout_ms" in line)
    for cell in ("whole number", "10000", "a whole number from 0 to 3600000 milliseconds"):
        assert cell in row
    for name in ("synchronous", "mode", "upgrade"):
        assert name in result.stdout
    assert "Options of sqlite://" in result.stdout


def test_info_with_a_scheme_as_json_gives_every_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--json`` lists the options as data, and nothing is opened or created."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["info", "sqlite", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    options = {option["name"]: option for option in data["options"]}
    assert set(options) == {"busy_timeout_ms", "mode", "synchronous", "upgrade"}
    assert options["synchronous"] == {
        "name": "synchronous",
        "kind": "choice",
        "default": "full",
        "accepts": "one of off, normal, full, extra",
        "meaning": "how hard SQLite makes each commit durable (PRAGMA synchronous)",
    }
    assert list(tmp_path.iterdir()) == []


def test_info_with_an_unknown_scheme_suggests_the_close_one() -> None:
    """``caseport info postgres`` is a one-line usage error naming postgresql://."""
    result = runner.invoke(app, ["info", "postgres"])
    assert result.exit_code == 2, result.output
    assert "did you mean postgresql://?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
