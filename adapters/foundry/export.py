"""Bulk export with concurrent paged reads.

A page token only arrives with the previous page, so one scan can never have two pages in
flight. To read faster, the id range is cut into pieces of about two pages (boundaries
interpolated between the smallest and largest id), each piece is read as its own ordered
``loadObjects`` scan on one of a few worker threads, and the pieces are yielded one after
the other, so the output is still in id order. Each piece being read buffers at most two
pages, so memory stays bounded however large the export; abandoning the iterator stops the
workers.
"""

from __future__ import annotations

import bisect
import itertools
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from adapters.foundry.mapping import RecordLayout
from contracts.models.common import Record
from contracts.results import UnreadableRecord

__all__ = ["partitioned_export", "split_keys"]

RangeReader = Callable[[RecordLayout, str | None, str | None], Iterator[Record | UnreadableRecord]]
"""Reads every record with ``low <= id < high`` in id order (``None``: open end)."""

_DIGITS: Final = 6
_DONE: Final = object()
_MAX_PIECES: Final = 4_096


_ALPHABETS: Final = (
    "0123456789",
    "0123456789abcdef",
    "0123456789ABCDEF",
    "-.0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz",
)
"""Digit sets tried in turn: decimal, hex (UUIDs), then every character an id may hold."""


def split_keys(low: str, high: str, parts: int) -> list[str]:
    """Up to ``parts - 1`` increasing strings strictly between ``low`` and ``high``.

    They are interpolated over the first characters after the common prefix, read as digits
    of the smallest alphabet that holds them (decimal, hexadecimal, or every id character),
    so ranges split evenly when ids spread evenly, as UUIDs and counters do.
    """
    if parts < 2 or low >= high:
        return []
    common = 0
    while common < min(len(low), len(high)) and low[common] == high[common]:
        common += 1
    prefix = low[:common]
    tails = (low[common : common + _DIGITS] + high[common : common + _DIGITS]).replace("-", "")
    alphabet = next(a for a in _ALPHABETS if set(tails) <= set(a) or a is _ALPHABETS[-1])
    base = len(alphabet)

    def number(text: str) -> int:
        value = 0
        for ch in text[common : common + _DIGITS].ljust(_DIGITS, alphabet[0]):
            value = value * base + max(0, bisect.bisect_right(alphabet, ch) - 1)
        return value

    def text(value: int) -> str:
        digits = []
        for _ in range(_DIGITS):
            value, digit = divmod(value, base)
            digits.append(alphabet[digit])
        return prefix + "".join(reversed(digits)).rstrip(alphabet[0])

    start, end = number(low), number(high)
    keys: list[str] = []
    for index in range(1, parts):
        key = text(start + (end - start) * index // parts)
        if low < key < high and (not keys or key > keys[-1]):
            keys.append(key)
    return keys


def partitioned_export(
    read_range: RangeReader,
    layout: RecordLayout,
    workers: int,
    bounds: tuple[str, str] | None,
    page_size: int,
    total: int | None = None,
) -> Iterator[Record | UnreadableRecord]:
    """Every record of ``layout``'s type in id order, ``workers`` ranges read at a time.

    ``bounds`` are the smallest and largest id (``None`` when the type is empty) and ``total``
    the number of objects, if Foundry said. The id range is cut into pieces of about two
    pages (or four per worker when the total is unknown); each worker reads one piece into a
    buffer of two pages, and the pieces are yielded in order, so at most ``workers`` pieces
    are buffered at once.
    """
    if bounds is None:
        return
    pieces = workers * 4 if total is None else -(-total // (2 * page_size))
    keys = split_keys(bounds[0], bounds[1], min(max(pieces, workers), _MAX_PIECES))
    edges: list[str | None] = [None, *keys, None]
    ranges = list(itertools.pairwise(edges))
    if len(ranges) == 1 or workers <= 1:
        yield from read_range(layout, None, None)
        return
    stop = threading.Event()
    buffers: list[queue.Queue[object]] = [queue.Queue(maxsize=2 * page_size) for _ in ranges]

    def produce(index: int) -> None:
        low, high = ranges[index]
        buffer = buffers[index]
        item: object
        try:
            for record in read_range(layout, low, high):
                if not _put(buffer, record, stop):
                    return
            item = _DONE
        except BaseException as exc:  # handed to the consumer, who re-raises it
            item = exc
        _put(buffer, item, stop)

    # Pieces start in order, so the piece being yielded is always running or done.
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="caseport-foundry-export")
    try:
        for index in range(len(ranges)):
            pool.submit(produce, index)
        for index, buffer in enumerate(buffers):
            while True:
                item = buffer.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, Record)
                yield item
            buffers[index] = queue.Queue()  # let the finished piece's buffer go
    finally:
        stop.set()
        for buffer in buffers:
            _drain(buffer)
        pool.shutdown(wait=True, cancel_futures=True)


def _put(buffer: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _drain(buffer: queue.Queue[object]) -> None:
    while True:
        try:
            buffer.get_nowait()
        except queue.Empty:
            return
