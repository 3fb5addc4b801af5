"""Pausing Python's cyclic garbage collector while a bulk batch is prepared.

Preparing a batch (validating, serialising, deriving rows) allocates tens of container objects
per record, none of them in reference cycles. Each 700 allocations start a collection, and the
older generations' collections walk every live object, including all the records the caller
holds: about an eighth of a bulk import's time went there (``benchmarks/sql_bench.py``).
Reference counting still frees everything as usual while the collector is paused; only cycles
wait for it to resume.

The collector is process-wide, so the pause is shared: the first holder pauses it (if it was
running), the last one to leave resumes it, and a collector that was already off stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collection_paused"]

_lock = threading.Lock()
_holders = 0
_resume = False


@contextmanager
def collection_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector off inside the block (threads may nest it)."""
    global _holders, _resume
    with _lock:
        if _holders == 0:
            _resume = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _resume:
                gc.enable()
