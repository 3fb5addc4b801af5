"""The conformance kit, run unchanged against SQLite and PostgreSQL in a separate pytest.

The atomicity test of BULK-003 runs through the engine's write fault point (the store's
``write_faults()``); the fault point itself is checked here too.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema

from adapters.sql.store import SqlCaseStore
from contracts.conformance.runner import plugin_arguments
from contracts.conformance.suite import data
from contracts.errors import BackendError, ValidationFailed
from contracts.models.entities import Entity
from contracts.spec import load_requirements

REPOSITORY = Path(__file__).resolve().parents[2]
REQUIREMENTS_TOTAL = len(load_requirements())
"""Every active requirement of the specification this code ships."""


def run_kit(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    """Run the kit against ``url`` and write its JSON report."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "contracts.conformance.suite",
        # An installed caseport loads the kit's plugin itself; naming it again is refused.
        *plugin_arguments(),
        "-p",
        "no:cacheprovider",
        "--caseport-url",
        url,
        "--caseport-report",
        str(report),
        "-q",
    ]
    return subprocess.run(
        command, cwd=REPOSITORY, capture_output=True, text=True, timeout=900, check=False
    )


def assert_passed(result: subprocess.CompletedProcess[str], report: Path) -> None:
    """Conformant with exact counts, every test run, the atomicity test under faults too."""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\n\d+ passed in ", result.stdout)
    data = json.loads(report.read_text())
    assert data["adapter"]["name"] == "sql"
    assert data["verdict"] == "conformant"
    assert data["summary"] == {
        "passed": REQUIREMENTS_TOTAL - 7,  # 5 held in the layer only, 2 outside a run
        "partly_tested": 0,
        "layer_only": 5,
        "failed": 0,
        "deviation": 0,
        "not_applicable": 0,
        "untested": 0,
        "outside_run": 2,
        "total": REQUIREMENTS_TOTAL,
        "tests_not_run": 0,
    }
    (bulk,) = [r for r in data["requirements"] if r["id"] == "BULK-003"]
    assert bulk["status"] == "passed"
    assert [test["outcome"] for test in bulk["tests"]] == ["passed", "passed", "passed"]


def test_the_write_fault_point_fails_only_its_own_stores_writes_and_only_when_armed(
    tmp_path: Path,
) -> None:
    """Unarmed it does nothing; armed, the failed batch rolls back; heal ends it; per store."""
    first = SqlCaseStore.open(f"sqlite:///{tmp_path / 'first.db'}")
    second = SqlCaseStore.open(f"sqlite:///{tmp_path / 'second.db'}")
    with first, second:
        faults = first.write_faults()
        assert faults is first.write_faults()
        assert faults is not second.write_faults()
        batch = [data.entity(entity_id) for entity_id in data.ids("e", 30)]
        first.upsert_many(batch[:10])
        faults.fail_writes_after(first, 1)
        with pytest.raises(BackendError, match="SQLITE_IOERR"):
            first.upsert_many(batch)
        assert len(first.list_records(Entity, page_size=100).items) == 10
        second.upsert_many(batch)
        faults.heal(first)
        first.upsert_many(batch)
        assert len(first.list_records(Entity, page_size=100).items) == 30
        with pytest.raises(ValidationFailed, match="another store"):
            faults.fail_writes_after(second, 0)


def test_the_conformance_kit_passes_on_sqlite(tmp_path: Path) -> None:
    """Every requirement the kit checks holds for a SQLite file per test."""
    report = tmp_path / "report.json"
    assert_passed(run_kit("sqlite:///{tmp}/store.db", report), report)


def test_the_conformance_kit_passes_on_postgresql(tmp_path: Path) -> None:
    """Every requirement the kit checks holds for a PostgreSQL schema per test."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    prefix = f"sqlc{uuid.uuid4().hex[:8]}"
    report = tmp_path / "report.json"
    try:
        assert_passed(run_kit(with_schema(base, prefix + "_{uid}"), report), report)
    finally:
        import psycopg

        with psycopg.connect(base, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
                (prefix + "_",),
            ).fetchall()
        for (schema,) in rows:
            drop_schema(base, schema)
