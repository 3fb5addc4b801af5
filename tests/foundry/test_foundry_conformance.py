"""The conformance kit, run as users run it, passes against foundry+fake://."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


FAULTY = (
    "foundry+fake://?short_pages=true&page_size=2&rate_limit_rate=0.02&unavailable_rate=0.02"
    "&lost_reply_rate=0.02&dropped_rate=0.02&seed=3"
)


@pytest.mark.parametrize(
    "url", ["foundry+fake://", FAULTY], ids=["clean", "short-pages-and-faults"]
)
def test_the_conformance_kit_passes_against_the_fake_foundry(tmp_path: Path, url: str) -> None:
    """The whole kit runs over the real adapter code and httpx; exit 0 and a passing report."""
    if importlib.util.find_spec("contracts.conformance.plugin") is None:
        pytest.skip("the conformance kit is not in this tree")
    report = tmp_path / "conformance-report.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "contracts.conformance.suite",
            "-p",
            "contracts.conformance.plugin",
            "--caseport-url",
            url,
            "--caseport-report",
            str(report),
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1_800,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["passed"] is True
    assert data["summary"]["failed"] == 0
    assert data["adapter"]["name"] == "foundry"
