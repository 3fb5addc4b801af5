"""Migration between stores: complete, idempotent, resumable after a failed write, verified."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from run_profile import by_profile
from typer.testing import CliRunner

import adapters
from adapters import InMemoryCaseStore
from adapters.faults import FaultInjector, FaultPlan
from caseport.cli import app
from caseport.generate import generate
from caseport.portability.bundle import write_bundle
from caseport.portability.migrate import migrate
from caseport.portability.verify import verify_stores
from contracts import Case, CaseStore, Entity
from contracts.errors import ConfigurationError, Unavailable

RECORDS = list(generate(150, seed=5))
_TIMEOUT_S = 300  # a guard against a hung process, not a performance expectation


def _run(source: CaseStore, target: CaseStore, checkpoint: Path, batch: int = 40) -> object:
    return migrate(
        source,
        target,
        checkpoint=checkpoint,
        source_name="memory://a",
        target_name="target://b",
        batch_size=batch,
    )


def test_every_record_arrives_and_verifies_on_every_backend(
    store: CaseStore, tmp_path: Path
) -> None:
    """Memory -> this backend: all records, then a second run that changes nothing."""
    source = InMemoryCaseStore(RECORDS)
    checkpoint = tmp_path / "checkpoint.json"
    first = _run(source, store, checkpoint)
    assert (first.read, first.created) == (len(RECORDS), len(RECORDS))  # type: ignore[attr-defined]
    assert not checkpoint.exists()
    check = verify_stores(source, store)
    assert check.identical, check.differences[:5]
    assert check.source_sha256 == check.target_sha256
    before = list(store.export())
    again = _run(source, store, checkpoint)
    assert again.unchanged == len(RECORDS)  # type: ignore[attr-defined]
    assert list(store.export()) == before


@pytest.mark.parametrize("fail_after", [0, 1, 3, 7])
def test_a_migration_that_fails_part_way_resumes_where_it_stopped(
    tmp_path: Path, fail_after: int
) -> None:
    """The k-th write fails; the same call later finishes with nothing lost or doubled."""
    source = InMemoryCaseStore(RECORDS)
    target = InMemoryCaseStore()
    outcomes = ("ok",) * fail_after
    plan = FaultPlan(script=outcomes, failure_rate=1.0, operations=frozenset({"write_batch"}))
    target.faults = FaultInjector(plan)
    checkpoint = tmp_path / "checkpoint.json"
    with pytest.raises(Unavailable):
        _run(source, target, checkpoint)
    assert checkpoint.exists() or fail_after == 0
    target.faults = None
    resumed = _run(source, target, checkpoint)
    assert resumed.resumed == (fail_after > 0)  # type: ignore[attr-defined]
    check = verify_stores(source, target)
    assert check.identical
    assert (check.source_records, check.target_records) == (len(RECORDS), len(RECORDS))


def test_verification_finds_a_changed_a_dropped_and_an_added_record() -> None:
    """Each kind of difference is named by record type and id; a clean copy never is."""
    source = InMemoryCaseStore(RECORDS)
    target = InMemoryCaseStore(RECORDS)
    assert verify_stores(source, target).identical
    entities = [r for r in RECORDS if isinstance(r, Entity)]
    changed = entities[3].model_copy(update={"label": entities[3].label + "!"})
    target.upsert_many([changed])
    extra = Entity(id="zz-extra", kind="PERSON", subtype="person", label="Extra")
    target.upsert_many([extra])
    case = next(r for r in RECORDS if isinstance(r, Case))
    dropped = InMemoryCaseStore([r for r in RECORDS if r is not case])
    check = verify_stores(dropped, target)
    kinds = {(d.kind, d.record_id) for d in check.differences}
    assert ("differing", entities[3].id) in kinds
    assert ("unexpected", "zz-extra") in kinds
    assert ("unexpected", case.id) in kinds
    missing = verify_stores(source, dropped)
    assert [(d.kind, d.record_id) for d in missing.differences] == [("missing", case.id)]
    assert not check.identical


def test_a_checkpoint_of_another_migration_is_refused(tmp_path: Path) -> None:
    """Resuming with the checkpoint of another pair of stores would skip records: refused."""
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(
        '{"source": "sqlite:///x.db", "target": "memory://", "finished": ["entity"]}',
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError, match="another --checkpoint"):
        _run(InMemoryCaseStore(RECORDS), InMemoryCaseStore(), checkpoint)


def test_the_command_copies_verifies_and_exits_1_when_stores_differ(tmp_path: Path) -> None:
    """Caseport migrate between SQLite files, then --verify-only against a changed copy."""
    runner = CliRunner()
    write_bundle(InMemoryCaseStore(RECORDS), tmp_path / "seed")
    source = f"sqlite:///{tmp_path}/source.db"
    target = f"sqlite:///{tmp_path}/target.db"
    assert runner.invoke(app, ["import", source, str(tmp_path / "seed")]).exit_code == 0
    checkpoint = tmp_path / "cp.json"
    copied = runner.invoke(app, ["migrate", source, target, "--checkpoint", str(checkpoint)])
    assert copied.exit_code == 0, copied.output
    assert "Verified: identical" in copied.stdout
    assert not checkpoint.exists()
    with adapters.connect(target) as store:
        entity = store.list_records(Entity, page_size=1).items[0]
        store.upsert_many([entity.model_copy(update={"label": "changed"})])
    checked = runner.invoke(app, ["migrate", source, target, "--verify-only", "--json"])
    assert checked.exit_code == 1
    assert '"differing": 1' in checked.stdout


@pytest.mark.parametrize("run", range(by_profile(quick=2, ci=20, soak=100)))
def test_a_migration_killed_at_a_random_moment_resumes_and_verifies(
    tmp_path: Path, run: int
) -> None:
    """SIGKILL mid-copy (D3): the target opens, the same command finishes, the stores match."""
    write_bundle(InMemoryCaseStore(list(generate(4_000, seed=run))), tmp_path / "seed")
    source = f"sqlite:///{tmp_path}/source.db"
    target = f"sqlite:///{tmp_path}/target.db"
    runner = CliRunner()
    assert runner.invoke(app, ["import", source, str(tmp_path / "seed")]).exit_code == 0
    command = [sys.executable, "-m", "caseport.cli", "migrate", source, target]
    command += ["--checkpoint", str(tmp_path / "cp.json"), "--batch-size", "100"]
    child = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(random.Random(run).uniform(0.6, 1.6))  # the copy takes about 1.3 s
    child.send_signal(signal.SIGKILL)
    killed = child.wait(timeout=_TIMEOUT_S) == -signal.SIGKILL
    assert killed or not (tmp_path / "cp.json").exists()  # killed, or it had finished
    finished = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    assert "Verified: identical" in finished.stdout
    with adapters.connect(source) as left, adapters.connect(target) as right:
        assert verify_stores(left, right).identical
