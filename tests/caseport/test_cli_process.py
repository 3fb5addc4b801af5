"""The command line as a real process: a closed output pipe and Ctrl-C (SIGINT).

These need a real process: a pipe whose reader has gone, and a signal, behave differently in a
test runner's captured streams.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from caseport._errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from caseport.generate import generate, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 120.0
"""Generous bound on waiting for a child; only reached when something is broken."""

# A shell starting a command in the background may have it ignore SIGINT; a terminal's Ctrl-C
# reaches a foreground command with the default handling, which this restores.
_AS_IN_A_TERMINAL = (
    "import runpy, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "sys.argv = ['caseport', *sys.argv[1:]]\n"
    "runpy.run_module('caseport.cli', run_name='__main__')\n"
)


def start(args: Sequence[str], cwd: Path) -> subprocess.Popen[bytes]:
    """``caseport ARGS`` as a child process with stdout and stderr on pipes."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", _AS_IN_A_TERMINAL, *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": "100"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert proc.poll() is None, "the command ended before it could be interrupted"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def read_first_line_then_close(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Read one line of stdout, close it as ``head -1`` does, and collect stderr."""
    assert proc.stdout is not None
    assert proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    errors = proc.stderr.read()
    proc.stderr.close()
    proc.wait(timeout=WAIT_S)
    return first, errors


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("process") / "case.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        write_jsonl(generate(1_500, seed=3), stream)
    return f"memory://?load={path}"


def test_generate_into_a_closed_pipe_ends_quietly_with_141(tmp_path: Path) -> None:
    """``caseport generate | head -1``: no traceback, no error line, exit 141."""
    proc = start(["generate", "-n", "3000"], tmp_path)
    first, errors = read_first_line_then_close(proc)
    assert first.startswith(b'{"id":')
    assert errors == b""
    assert proc.returncode == EXIT_BROKEN_PIPE == 141


def test_a_table_into_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, store_url: str) -> None:
    """A table meets the same quiet 141, where rich on its own would exit 1."""
    proc = start(["search", store_url, "--limit", "1000"], tmp_path)
    first, errors = read_first_line_then_close(proc)
    assert first.startswith(b"1000 entities")
    assert errors == b""
    assert proc.returncode == EXIT_BROKEN_PIPE


def test_json_into_a_closed_pipe_ends_quietly_with_141(tmp_path: Path, store_url: str) -> None:
    """A large ``--json`` document is cut short as visibly as the rest."""
    proc = start(["search", store_url, "--limit", "1000", "--json"], tmp_path)
    first, errors = read_first_line_then_close(proc)
    assert first == b"{\n"
    assert errors == b""
    assert proc.returncode == EXIT_BROKEN_PIPE


def _partial_files(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.name.endswith(".part")]


def test_ctrl_c_during_generate_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    """SIGINT: one ``interrupted`` line, exit 130, the target as it was, nothing left over."""
    target = tmp_path / "case.jsonl"
    target.write_text("the previous run's file\n", encoding="utf-8")
    proc = start(["generate", "-n", "500000", "--output", str(target)], tmp_path)
    wait_for(lambda: bool(_partial_files(tmp_path)), proc)
    proc.send_signal(signal.SIGINT)
    out, errors = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == EXIT_INTERRUPTED
    assert errors.decode().strip().splitlines() == ["interrupted"]
    assert out == b""
    assert target.read_text(encoding="utf-8") == "the previous run's file\n"
    assert sorted(tmp_path.iterdir()) == [target]


def test_a_killed_generate_leaves_no_file_under_the_target_name(tmp_path: Path) -> None:
    """Even SIGKILL, which nothing can clean up after, leaves only the hidden ``.part``."""
    target = tmp_path / "case.jsonl"
    proc = start(["generate", "-n", "500000", "--output", str(target)], tmp_path)
    wait_for(lambda: bool(_partial_files(tmp_path)), proc)
    proc.kill()
    proc.communicate(timeout=WAIT_S)
    assert not target.exists()
    assert [path.name.startswith(".case.jsonl.") for path in tmp_path.iterdir()] == [True]


def test_ctrl_c_during_conformance_is_interrupted_with_130_and_no_verdict(tmp_path: Path) -> None:
    """SIGINT mid-run: one ``interrupted`` line, exit 130, no NOT CONFORMANT, no summary."""
    # A little latency per call keeps the run going long enough to be interrupted in it.
    proc = start(["conformance", "memory://?latency_ms=2"], tmp_path)
    assert proc.stderr is not None
    first = proc.stderr.readline().decode()
    assert first.startswith("conformance: running"), first
    proc.send_signal(signal.SIGINT)
    out, rest = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == EXIT_INTERRUPTED
    assert out == b""
    lines = rest.decode().strip().splitlines()
    assert lines[-1] == "interrupted"
    assert all(line.startswith("conformance: ") for line in lines[:-1]), lines
    assert "CONFORMANT" not in rest.decode()
