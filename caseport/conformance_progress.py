"""Progress of a conformance run, area by area, and whether Ctrl-C stopped it.

The kit runs pytest in this process. This module joins that run as a pytest plugin (the
arguments in :attr:`RunWatch.pytest_args`) and hands what happens to the watch opened by
:func:`watch_run`: a live bar per area on a terminal, otherwise one plain line per area as it
finishes, both on stderr so that stdout keeps only the summary. An area is a module of the
kit's suite (``test_graph.py`` is ``graph``).

Only the watch of the current context sees a run, so a run nobody watches is left alone.

PYTEST_DONT_REWRITE: the plugin holds no assertions, and is imported before pytest starts.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Final, Protocol

import pytest
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

__all__ = ["AreaCount", "RunWatch", "watch_run"]

_CURRENT: ContextVar[RunWatch | None] = ContextVar("caseport_conformance_watch", default=None)
_TOTAL: Final = "all areas"
_REDRAW_S: Final = 0.1
"""Shortest time between two redraws of the bars, so that fast tests do not flood a slow
terminal; an area that finishes is always shown at once."""


@dataclass(slots=True)
class AreaCount:
    """How many of an area's tests ran, and how many of them failed."""

    total: int
    done: int = 0
    failed: int = 0


class _Display(Protocol):
    def begin(self, areas: dict[str, AreaCount]) -> None: ...

    def update(self, area: str, count: AreaCount, areas: dict[str, AreaCount]) -> None: ...

    def end(self) -> None: ...


def _area(nodeid: str) -> str:
    """``graph`` for ``.../test_graph.py::test_x``."""
    module = nodeid.partition("::")[0].rpartition("/")[2]
    return module.removesuffix(".py").removeprefix("test_").replace("_", " ")


def _failures(count: AreaCount) -> str:
    return f"{count.failed} failed" if count.failed else ""


class _Lines:
    """One line per area once it has run: for logs and pipes, where bars cannot redraw."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._started = time.monotonic()

    def _say(self, text: str) -> None:
        self._console.print(Text(f"conformance: {text}"), soft_wrap=True)

    def begin(self, areas: dict[str, AreaCount]) -> None:
        tests = sum(count.total for count in areas.values())
        self._say(f"running {tests} tests in {len(areas)} areas")

    def update(self, area: str, count: AreaCount, areas: dict[str, AreaCount]) -> None:
        if count.done < count.total:
            return
        finished = sum(1 for each in areas.values() if each.done >= each.total)
        failed = f", {count.failed} failed" if count.failed else ""
        elapsed = time.monotonic() - self._started
        self._say(
            f"{area}: {count.total} tests{failed} "
            f"({finished} of {len(areas)} areas, {elapsed:.1f} s)"
        )

    def end(self) -> None:
        """Nothing to take down."""


class _Bars:
    """A live bar per area and one for the whole run, gone once the run ends."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("  {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failures]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            # Redrawn from pytest's hooks only: between tests, when pytest is not capturing
            # the terminal. A refresh thread would draw into the capture of a running test.
            auto_refresh=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._drawn = 0.0

    def begin(self, areas: dict[str, AreaCount]) -> None:
        tests = sum(count.total for count in areas.values())
        self._progress.start()
        self._tasks[_TOTAL] = self._progress.add_task(_TOTAL, total=tests, failures="")
        for area, count in areas.items():
            self._tasks[area] = self._progress.add_task(
                area, total=count.total, failures="", start=False
            )
        self._progress.refresh()

    def update(self, area: str, count: AreaCount, areas: dict[str, AreaCount]) -> None:
        task = self._tasks[area]
        self._progress.start_task(task)
        self._progress.update(task, completed=count.done, failures=_failures(count))
        if count.done >= count.total:
            self._progress.stop_task(task)
        overall = AreaCount(
            total=sum(each.total for each in areas.values()),
            done=sum(each.done for each in areas.values()),
            failed=sum(each.failed for each in areas.values()),
        )
        self._progress.update(
            self._tasks[_TOTAL], completed=overall.done, failures=_failures(overall)
        )
        now = time.monotonic()
        if count.done >= count.total or now - self._drawn >= _REDRAW_S:
            self._drawn = now
            self._progress.refresh()

    def end(self) -> None:
        self._progress.stop()


@dataclass(slots=True)
class RunWatch:
    """What one conformance run has done so far, shown as it goes.

    Attributes:
        areas: each area's count, in the order the run takes them.
        interrupted: whether Ctrl-C stopped the run; its report is then not a verdict.
    """

    display: _Display | None = None
    areas: dict[str, AreaCount] = field(default_factory=dict)
    interrupted: bool = False
    _area_of: dict[str, str] = field(default_factory=dict)
    _failed: set[str] = field(default_factory=set)

    @property
    def pytest_args(self) -> Sequence[str]:
        """The pytest arguments that let this module watch the run."""
        return ("-p", __name__)

    def collected(self, nodeids: Sequence[str]) -> None:
        """The run's tests are known: count them per area."""
        for nodeid in nodeids:
            area = self._area_of[nodeid] = _area(nodeid)
            self.areas.setdefault(area, AreaCount(total=0)).total += 1
        if self.display is not None:
            self.display.begin(self.areas)

    def reported(self, nodeid: str, failed: bool) -> None:
        """One phase of a test (set-up, call, tear-down) has its outcome."""
        if failed:
            self._failed.add(nodeid)

    def finished(self, nodeid: str) -> None:
        """A test has run all its phases."""
        area = self._area_of.get(nodeid)
        if area is None:
            return
        count = self.areas[area]
        count.done += 1
        count.failed += nodeid in self._failed
        if self.display is not None:
            self.display.update(area, count, self.areas)

    def close(self) -> None:
        """Take the display down."""
        if self.display is not None:
            self.display.end()
            self.display = None


@contextlib.contextmanager
def watch_run(console: Console, *, show: bool = True) -> Iterator[RunWatch]:
    """Watch the conformance run made inside the block (pass it :attr:`RunWatch.pytest_args`).

    Args:
        console: where progress goes (stderr): bars on a terminal, plain lines elsewhere.
        show: ``False`` shows nothing, for a run that prints each test itself; the watch
            still notes an interruption.
    """
    display: _Display | None = None
    if show:
        display = _Bars(console) if console.is_terminal else _Lines(console)
    watch = RunWatch(display=display)
    token = _CURRENT.set(watch)
    try:
        yield watch
    finally:
        _CURRENT.reset(token)
        watch.close()


# ---------------------------------------------------------------------------- pytest hooks


def pytest_collection_finish(session: pytest.Session) -> None:
    """Hand the selected tests to the watch."""
    watch = _CURRENT.get()
    if watch is not None:
        watch.collected([item.nodeid for item in session.items])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Note a failed phase."""
    watch = _CURRENT.get()
    if watch is not None:
        watch.reported(report.nodeid, report.failed)


def pytest_runtest_logfinish(nodeid: str) -> None:
    """Count a finished test."""
    watch = _CURRENT.get()
    if watch is not None:
        watch.finished(nodeid)


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    """Note Ctrl-C; pytest calls this for ``pytest.exit()`` too, which is not one."""
    watch = _CURRENT.get()
    if watch is not None and isinstance(excinfo.value, KeyboardInterrupt):
        watch.interrupted = True
