"""run_conformance: the suite in-process, quietly, returning the parsed report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.conformance.report import ConformanceReport
from contracts.conformance.runner import PLUGIN_MODULE, plugin_arguments, run_conformance
from contracts.errors import ConfigurationError

REPOSITORY = Path(__file__).resolve().parents[2]
_TIMEOUT_S = 900  # a guard against a hung run, not a performance expectation

_SCRIPT = """
import sys
from pathlib import Path
from contracts.conformance.runner import run_conformance

report = run_conformance(
    "memory://", report_path=Path(sys.argv[1]), extra_args=["-k", "test_entities"]
)
sys.stderr.write(report.model_dump_json())
"""


def test_run_conformance_returns_the_report_and_prints_nothing(tmp_path: Path) -> None:
    """A quiet run in a fresh interpreter returns the report it also wrote to the path."""
    report_path = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(report_path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4_000:]
    assert result.stdout == ""
    returned = ConformanceReport.model_validate_json(result.stderr)
    assert returned == ConformanceReport.model_validate(json.loads(report_path.read_text()))
    assert returned.verdict == "partial_run"
    assert returned.selection.keyword == "test_entities"
    assert returned.selection.whole_suite
    entities = [r for r in returned.requirements if r.area == "Entities"]
    assert {r.id: r.status for r in entities} == {
        "ENT-001": "passed",
        "ENT-002": "layer_only",
        "ENT-003": "passed",
        "ENT-004": "passed",
        "ENT-005": "passed",
        "ENT-006": "passed",
    }
    assert returned.requirement("GRAPH-001").status == "untested"


def test_a_run_that_cannot_start_raises_configuration_error(tmp_path: Path) -> None:
    """Arguments pytest refuses end the run without a report, which is an error."""
    with pytest.raises(ConfigurationError, match="without a report"):
        run_conformance(
            "memory://", report_path=tmp_path / "r.json", extra_args=["--no-such-option"]
        )
    assert not (tmp_path / "r.json").exists()


def test_the_plugin_is_named_with_p_only_when_pytest_would_not_load_it() -> None:
    """With autoloading disabled the plugin is always passed explicitly."""
    assert plugin_arguments({"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}) == ["-p", PLUGIN_MODULE]
    assert plugin_arguments() in ([], ["-p", PLUGIN_MODULE])


def test_conftest_files_of_the_working_directory_cannot_change_the_verdict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A conftest.py that skips everything, in the directory the kit runs from, is ignored."""
    sabotage = (
        "import pytest\n\n"
        "def pytest_collection_modifyitems(items):\n"
        "    for item in items:\n"
        "        item.add_marker(pytest.mark.skip(reason='sabotage'))\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "conftest.py").write_text(sabotage, encoding="utf-8")
    (tmp_path / "tests" / "conftest.py").write_text(sabotage, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = run_conformance("memory://", extra_args=["-k", "client_chosen_ids_are_kept"])
    assert report.requirement("ID-001").status == "passed"
    assert (report.summary.passed, report.summary.failed) == (1, 0)
    assert report.verdict == "partial_run"
