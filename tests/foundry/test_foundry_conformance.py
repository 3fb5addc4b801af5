"""The conformance kit, run as users run it against foundry+fake://, with exact results.

The adapter declares one known deviation, BULK-003: a batch larger than one ``applyBatch``
is undone rather than rolled back when a later chunk fails, and stays partly written when the
undoing fails too. The fake Foundry's write fault point (the store's ``write_faults()``, which
answers 503 to the writes past a limit) lets the kit's atomicity test show it. A store over a
real tenant offers no fault point, so the test cannot run there.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from run_profile import PROFILE

from adapters.foundry.store import FoundryCaseStore
from adapters.foundry.testing import FakeFoundry
from contracts.conformance.runner import SUITE_PACKAGE, plugin_arguments
from contracts.spec import load_requirements

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS_TOTAL = len(load_requirements())
"""Every active requirement of the specification this code ships."""

FAULTY = (
    "foundry+fake://?short_pages=true&page_size=2&rate_limit_rate=0.02&unavailable_rate=0.02"
    "&lost_reply_rate=0.02&dropped_rate=0.02&seed=3"
)
ATOMICITY_TEST = "test_a_batch_is_all_or_nothing_whichever_backend_write_fails"


def run_kit(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    """The whole suite against ``url`` in a separate pytest, writing the JSON report."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        SUITE_PACKAGE,
        *plugin_arguments(),
        "--caseport-url",
        url,
        "--caseport-report",
        str(report),
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=1_800, check=False
    )


def bulk_003(data: dict[str, Any]) -> dict[str, Any]:
    """The report's entry for BULK-003."""
    found: dict[str, Any] = next(r for r in data["requirements"] if r["id"] == "BULK-003")
    return found


# The run under random faults is the longer one: the quick profile leaves it to the ci run.
_RUNS = {"clean": "foundry+fake://"} | (
    {} if PROFILE == "quick" else {"short-pages-and-faults": FAULTY}
)


@pytest.mark.parametrize("url", _RUNS.values(), ids=_RUNS)
def test_the_kit_passes_everything_but_the_declared_deviation_which_it_shows(
    tmp_path: Path, url: str
) -> None:
    """Exit 0; all holds but BULK-003, whose atomicity test shows a partly written batch."""
    report = tmp_path / "conformance-report.json"
    result = run_kit(url, report)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert re.search(r"\n\d+ passed, 1 xfailed, 2 xpassed in ", result.stdout)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["adapter"]["name"] == "foundry"
    assert data["verdict"] == "not_conformant"
    assert data["summary"] == {
        "passed": REQUIREMENTS_TOTAL - 8,  # 5 layer only, 2 outside a run, 1 deviation
        "partly_tested": 0,
        "layer_only": 5,
        "failed": 0,
        "deviation": 1,
        "not_applicable": 0,
        "untested": 0,
        "outside_run": 2,
        "total": REQUIREMENTS_TOTAL,
        "tests_not_run": 0,
    }
    bulk = bulk_003(data)
    assert (bulk["status"], bulk["note"]) == (
        "deviation",
        "declared by the adapter and observed in this run",
    )
    assert bulk["declared_deviation"].startswith("a batch is not one transaction")
    outcomes = {test["nodeid"].rpartition("::")[2]: test["outcome"] for test in bulk["tests"]}
    assert outcomes == {
        "test_records_are_written_in_batches_with_running_totals": "passed",
        "test_the_stream_is_read_at_most_two_batches_ahead": "passed",
        ATOMICITY_TEST: "deviation",
    }
    (atomicity,) = [t for t in bulk["tests"] if t["nodeid"].endswith(ATOMICITY_TEST)]
    assert atomicity["reason"].startswith("known deviation BULK-003")
    if url != _RUNS["clean"]:
        return  # under random faults the batch breaks at whichever write a fault hits first
    assert (
        "It failed with: AssertionError: with 1 backend writes let through" in (atomicity["reason"])
    )
    assert "undoing its first chunks failed too" in atomicity["reason"]
    assert "the batch is partly written" in atomicity["reason"]


def test_only_a_store_over_the_fake_offers_a_write_fault_point() -> None:
    """The fake's stores share its fault point; a store built on another client has none."""
    fake = FakeFoundry()
    store = fake.store()
    other = FoundryCaseStore(fake.client(), fake.mapping)
    with store, other:
        assert store.write_faults() is fake.write_faults
        assert other.write_faults() is None
