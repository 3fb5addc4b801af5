"""``caseport demo``: the investigation story on two backends."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters import DEFAULT_URL, register_adapter
from adapters.memory import MemoryBackend
from caseport.cli import app
from caseport.demo import fresh_store_url
from contracts.models import Link, Record
from contracts.results import BulkReport
from contracts.spec import load_requirements
from contracts.store import CaseStore

runner = CliRunner()
WIDE = {"COLUMNS": "200"}


@pytest.fixture(autouse=True)
def no_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each demo where no caseport.toml or CASEPORT_* setting can reach it."""
    monkeypatch.chdir(tmp_path)
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)


class ForgetfulBackend(MemoryBackend):
    """A backend that silently drops associations: one that does not keep its promises."""

    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        kept = [r for r in records if not (isinstance(r, Link) and r.type == "ASSOCIATE_OF")]
        return super().write_batch(kept)


def test_demo_tells_the_story_and_the_backends_agree() -> None:
    """A small demo walks every step and shows a tick for each of the four questions."""
    args = ["demo", "--entities", "300", "--url", "memory://", "--no-conformance"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for heading in (
        "1 · Connect to a store",
        "2 · Load a synthetic investigation",
        "3 · Find a person by name",
        "5 · How are two suspects connected?",
        "6 · A case timeline",
        "7 · Same questions, another backend",
    ):
        assert heading in out
    assert "Do the backends agree?" in out
    assert out.count("✓") == 4
    assert "✗" not in out
    assert "Every answer matches, id for id." in out
    assert "—ASSOCIATE_OF—" in out or "—FAMILY_OF—" in out or "—LIVES_WITH—" in out
    assert "Conformance" not in out
    assert "Finished in" in out


def test_demo_uses_the_configured_store_when_no_url_is_given() -> None:
    """CASEPORT_URL picks the first store, and the demo says where the choice came from."""
    env = {**WIDE, "CASEPORT_URL": "memory://?jitter_ms=0"}
    result = runner.invoke(app, ["demo", "-n", "300", "--no-conformance"], env=env)
    assert result.exit_code == 0, result.output
    assert "memory://?jitter_ms=0" in result.stdout
    assert "configuration (CASEPORT_URL)" in result.stdout


def test_demo_without_configuration_uses_the_default_store(tmp_path: Path) -> None:
    """With nothing configured the demo loads the default store and says it was the default."""
    result = runner.invoke(app, ["demo", "-n", "300", "--no-conformance"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert DEFAULT_URL in result.stdout
    assert "configuration (default)" in result.stdout
    assert result.stdout.count("✓") == 4


def test_fresh_store_urls_give_the_kit_empty_stores() -> None:
    """Loaded memory stores lose their file, SQLite files move to {tmp}, marked URLs stay."""
    assert fresh_store_url("memory://?load=/data/a.jsonl&latency_ms=1") == "memory://?latency_ms=1"
    assert fresh_store_url("sqlite:///caseport.db") == "sqlite:///{tmp}/conformance.db"
    assert fresh_store_url("sqlite:///{tmp}/s.db") == "sqlite:///{tmp}/s.db"
    assert fresh_store_url("postgresql://u@h/db?schema=x") == "postgresql://u@h/db?schema=x"


def test_demo_fails_when_the_second_backend_answers_differently() -> None:
    """A backend that loses links gets a cross in the comparison and the demo exits 1."""

    def forgetful(url: str, options: Mapping[str, str]) -> CaseStore:
        return CaseStore(ForgetfulBackend())

    register_adapter("forgetful", forgetful, replace=True)
    args = ["demo", "-n", "300", "--url", "memory://", "--no-conformance"]
    args += ["--second-url", "forgetful://"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 1
    assert "✗" in result.stdout
    assert "The backends disagree" in result.stdout


def test_demo_with_an_unknown_second_backend_is_one_line() -> None:
    """A second URL no adapter serves stops the demo with a one-line configuration error."""
    args = ["demo", "-n", "300", "--url", "memory://", "--no-conformance"]
    args += ["--second-url", "nosuch://"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error (ConfigurationError): no adapter")
    assert "Traceback" not in result.output


def test_demo_refuses_too_few_entities_for_a_story() -> None:
    """Fewer than 100 entities hold no crimes, so the option refuses them."""
    result = runner.invoke(app, ["demo", "--entities", "20"])
    assert result.exit_code == 2


def test_demo_ends_with_the_conformance_summary_of_the_first_store() -> None:
    """With conformance on, the demo runs the kit on the first store, every test of it."""
    result = runner.invoke(app, ["demo", "--entities", "300", "--url", "memory://"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "8 · Conformance of the first backend" in result.stdout
    assert "Each test gets a new, empty store from memory://." in result.stdout
    assert "Requirements by area" in result.stdout
    total = len(load_requirements())
    assert (
        f"CONFORMANT: {total - 7} of {total} requirements passed against the store, 5 held in "
        "the layer only, 2 outside what a run can check." in result.stdout
    )
    assert "NOT CONFORMANT" not in result.stdout
    assert "Partly tested requirements" not in result.stdout


def test_demo_counts_the_neighbourhood_the_same_way_in_steps_4_and_7() -> None:
    """Step 4's sentence and table and step 7's comparison give one count, centre included."""
    args = ["demo", "--entities", "300", "--url", "memory://", "--no-conformance"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    told = re.search(r"Within 2 hops of (.+?): (\d+) entities including \1, (\d+) links\.", out)
    assert told is not None, out
    entities, links = told.group(2), told.group(3)
    assert f"{entities} entities including the suspect, {links} links" in out
    # The per-kind table counts the centre at 0 hops, so its totals add up to the same number.
    section = out[out.index("Neighbourhood to depth 2") : told.start()]
    totals = [
        int(line.split("│")[-2])
        for line in section.splitlines()
        if line.startswith("│") and line.split("│")[1].strip()
    ]
    assert sum(totals) == int(entities)


def test_demo_shows_a_store_url_that_looks_like_markup_as_given(tmp_path: Path) -> None:
    """The store description prints a bracketed load path literally instead of as markup."""
    folder = tmp_path / "[bold]cases"
    folder.mkdir()
    (folder / "empty.jsonl").write_text("", encoding="utf-8")
    url = f"memory://?load={folder}/empty.jsonl"
    args = ["demo", "--entities", "300", "--url", url, "--no-conformance"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    assert url in result.stdout
