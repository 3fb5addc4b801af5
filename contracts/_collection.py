"""Pausing Python's cyclic garbage collector while bulk batches are prepared and written.

Preparing a batch (validating, serialising, deriving rows) allocates tens of container objects
per record, none of them in reference cycles. Every few hundred such allocations start a
collection, and the collections of the oldest generation walk every live object, the records
the caller holds included: about an eighth of a bulk import's time went there
(``benchmarks/sql_bench.py``). Reference counting still frees everything as usual while the
collector is paused; only cycles wait for it to resume.

The collector is process-wide, so the pause is shared: the first holder pauses it (if it was
running), the last one to leave resumes it, and a collector that was already off stays off.
Holds are counted per thread, so leaving twice or without having entered changes nothing, and
a child process forked while another thread held the pause gets the collector back.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]

_lock = threading.Lock()
_holds: dict[int, int] = {}
"""Pauses held, by thread id."""
_resume = False
"""Whether the collector was running when the first holder paused it."""


def _enter() -> None:
    global _resume
    thread = threading.get_ident()
    with _lock:
        if not _holds:
            _resume = gc.isenabled()
            gc.disable()
        _holds[thread] = _holds.get(thread, 0) + 1


def _leave() -> None:
    thread = threading.get_ident()
    with _lock:
        held = _holds.get(thread, 0)
        if held == 0:
            return
        if held == 1:
            del _holds[thread]
        else:
            _holds[thread] = held - 1
        if not _holds and _resume:
            gc.enable()


def _after_fork_in_child() -> None:
    # Only the forking thread lives on in the child: the other holders will never leave, and
    # the lock may have been held by one of them at the fork.
    global _lock
    _lock = threading.Lock()
    thread = threading.get_ident()
    kept = _holds.get(thread, 0)
    _holds.clear()
    if kept:
        _holds[thread] = kept
    elif _resume:
        gc.enable()


if hasattr(os, "register_at_fork"):  # not on Windows
    os.register_at_fork(after_in_child=_after_fork_in_child)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off inside the block (threads may nest it)."""
    try:
        _enter()
        yield
    finally:
        _leave()
