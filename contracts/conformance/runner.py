"""Running the conformance suite in-process and returning its report."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import Final

import pytest

import contracts
from contracts.conformance.report import ConformanceReport, read_report
from contracts.errors import ConfigurationError

__all__ = ["PLUGIN_MODULE", "SUITE_PACKAGE", "plugin_arguments", "run_conformance"]

SUITE_PACKAGE: Final = "contracts.conformance.suite"
PLUGIN_MODULE: Final = "contracts.conformance.plugin"
_ENTRY_POINT_GROUP: Final = "pytest11"
_OUTPUT_TAIL: Final = 3_000


def plugin_arguments(environ: Mapping[str, str] | None = None) -> list[str]:
    """The pytest arguments that load the kit's plugin: none when pytest loads it already.

    An installed caseport registers the plugin as a ``pytest11`` entry point, which pytest
    loads unless ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` is set; naming it again with ``-p`` would
    register it twice, which pytest refuses.
    """
    environ = os.environ if environ is None else environ
    autoloaded = not environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and any(
        entry_point.value == PLUGIN_MODULE for entry_point in entry_points(group=_ENTRY_POINT_GROUP)
    )
    return [] if autoloaded else ["-p", PLUGIN_MODULE]


def run_conformance(
    url: str,
    *,
    report_path: Path | None = None,
    extra_args: Sequence[str] = (),
    verbose: bool = False,
) -> ConformanceReport:
    """Run the conformance suite against the store at ``url`` in this process.

    The run ignores the pytest configuration and the ``conftest.py`` files of the working
    directory, so a project's own options and hooks cannot change the verdict.

    Args:
        url: the store URL; ``{tmp}`` and ``{uid}`` are filled in afresh for every store.
        report_path: where to keep the JSON report (a temporary file when ``None``).
        extra_args: more pytest arguments, e.g. ``["-k", "search"]`` or ``["-x"]``; a run they
            narrow is reported as a partial run, never as conformant.
        verbose: show pytest's output test by test; otherwise nothing is printed.

    Returns:
        The report of the run.

    Raises:
        ConfigurationError: the run ended without a report, e.g. because of a bad argument.
    """
    with tempfile.TemporaryDirectory(prefix="caseport-conformance-") as scratch:
        target = report_path if report_path is not None else Path(scratch) / "report.json"
        # A report left by an earlier run must not pass for this run's.
        target.unlink(missing_ok=True)
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = [
            *plugin_arguments(),
            "-p",
            "no:cacheprovider",
            # conftest.py files of the working directory must not touch the verdict; the
            # suite's own conftest is loaded explicitly instead.
            "--noconftest",
            "-p",
            "contracts.conformance.suite.conftest",
            "-c",
            str(ini),
            "--rootdir",
            str(Path(contracts.__file__).resolve().parent.parent),
            "--caseport-url",
            url,
            "--caseport-report",
            str(target),
            "-v" if verbose else "-q",
            *extra_args,
            "--pyargs",
            SUITE_PACKAGE,
        ]
        output = io.StringIO()
        with contextlib.nullcontext() if verbose else contextlib.redirect_stdout(output):
            exit_code = pytest.main(args)
        if not target.is_file():
            tail = output.getvalue()[-_OUTPUT_TAIL:].strip()
            raise ConfigurationError(
                f"the conformance run ended without a report (pytest exit code {int(exit_code)})"
                + (f":\n{tail}" if tail else "")
            )
        return read_report(target)
