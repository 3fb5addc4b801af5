"""Bulk writes that overlap: one batch is written while the caller prepares the next.

A store whose writes wait on something other than Python (a database file, a server) gains by
preparing batch N+1 (validating, serialising) while batch N is being written. The
:class:`WritePipeline` writes batches strictly in order on one background thread, holds at most
two batches besides the one being prepared (so memory stays bounded by the batch size) and
stops at the first failure: no later batch is written after one has failed.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final

from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.results import BulkReport

__all__ = ["WritePipeline"]

_MAX_WAITING: Final = 2
"""Batches submitted and not yet written (one being written, one queued) before submit waits."""


class _Skipped(Exception):
    """A batch queued behind one that failed: never written."""


class WritePipeline:
    """Write batches in order, on a background thread or (``threaded=False``) at once.

    ``written`` is called in the caller's thread with the report of each written batch, in
    order, as :meth:`submit` and :meth:`drain` learn of it (and always before they raise); if
    it raises, nothing more is written. Use as a context manager: leaving it waits for the
    batch being written (a transaction is never cut short; if nobody drained, its report is
    not delivered) and drops any still queued.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Record]], BulkReport],
        written: Callable[[BulkReport], None],
        *,
        threaded: bool,
    ) -> None:
        self._write = write
        self._written = written
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="caseport-bulk")
            if threaded
            else None
        )
        self._waiting: deque[tuple[Future[BulkReport], frozenset[str]]] = deque()
        self._failed = threading.Event()

    def __enter__(self) -> WritePipeline:
        return self

    def __exit__(self, *_: object) -> None:
        self._failed.set()  # whatever is still queued is not written
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def unwritten_entity_ids(self) -> frozenset[str]:
        """Ids of the entities submitted but not yet known to be written.

        A later batch may count them as stored: it is written only after they are.
        """
        if not self._waiting:
            return frozenset()
        return frozenset().union(*(ids for _, ids in self._waiting))

    def submit(self, batch: Sequence[Record]) -> None:
        """Queue ``batch`` to be written after those before it (waiting while two are queued).

        Raises:
            CaseportError: (or any error) the write of an earlier batch failed; nothing after
                it is written, this batch included.
        """
        ids = frozenset(record.id for record in batch if isinstance(record, Entity))
        if self._executor is None:
            self._written(self._write(batch))
        else:
            self._waiting.append((self._executor.submit(self._guarded, batch), ids))
            while len(self._waiting) > _MAX_WAITING:
                self._settle_oldest()
            while self._waiting and self._waiting[0][0].done():
                self._settle_oldest()

    def drain(self) -> None:
        """Wait until every submitted batch is written.

        Raises:
            CaseportError: (or any error) a write failed, as for :meth:`submit`.
        """
        while self._waiting:
            self._settle_oldest()

    def _guarded(self, batch: Sequence[Record]) -> BulkReport:
        if self._failed.is_set():
            raise _Skipped
        try:
            return self._write(batch)
        except BaseException:
            self._failed.set()
            raise

    @property
    def failed(self) -> bool:
        """Whether a write, or ``written`` on its report, has failed: nothing more is written."""
        return self._failed.is_set()

    def _settle_oldest(self) -> None:
        future, _ = self._waiting[0]
        try:
            report = future.result()
            self._waiting.popleft()
            self._written(report)
        except BaseException:
            self._failed.set()
            raise
