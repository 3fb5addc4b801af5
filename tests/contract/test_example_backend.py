"""The documented example backend passes the whole conformance kit from its five primitives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from contracts import Capability, CaseStore, Entity, Support
from contracts.conformance.report import read_report
from contracts.conformance.runner import SUITE_PACKAGE, plugin_arguments

REPOSITORY = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
EXAMPLES = REPOSITORY / "docs" / "examples"
_TIMEOUT_S = 900  # a guard against a hung run, not a performance expectation

sys.path.insert(0, str(EXAMPLES))
from dict_backend import DictBackend, dict_store  # noqa: E402


def test_the_example_overrides_only_the_required_primitives() -> None:
    """Nothing but insert, fetch, replace, scan and write_batch (and its info) is its own."""
    own = {name for name in vars(DictBackend) if not name.startswith("_")}
    assert own == {"CAPABILITIES", "info", "insert", "fetch", "replace", "scan", "write_batch"}
    store = dict_store()
    assert store.capabilities()[Capability.SEARCH_FILTER] is Support.EMULATED
    assert store.capabilities()[Capability.GRAPH_EXPAND] is Support.EMULATED
    store.create(Entity(id="e-1", kind="PERSON", subtype="person", label="Ann"))
    assert [entity.id for entity in store.iter_search()] == ["e-1"]


def test_the_kit_passes_on_the_example_backend(tmp_path: Path) -> None:
    """A complete run, every test run, no requirement failed: the verdict is conformant."""
    report_path = tmp_path / "report.json"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        SUITE_PACKAGE,
        *plugin_arguments(),
        "-p",
        "example_backend_plugin",
        "--caseport-url=example://",
        f"--caseport-report={report_path}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    path = os.pathsep.join([str(REPOSITORY), str(HERE), str(EXAMPLES)])
    result = subprocess.run(
        command,
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8_000:] + result.stderr[-4_000:]
    report = read_report(report_path)
    assert report.verdict == "conformant"
    assert report.adapter.name == "dict-example"
    assert report.summary.failed == report.summary.untested == report.summary.tests_not_run == 0
    assert report.capabilities["search.filter"] == "emulated"
    assert "scan" in report.capability_notes["search.filter"]
    assert isinstance(dict_store(), CaseStore)
