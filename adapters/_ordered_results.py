"""The matches of one search, sorted once, so that each page is a binary search away.

A store that filters in Python keeps one of these per recent query while nothing is written,
instead of filtering and sorting everything again for every page.
"""

from __future__ import annotations

import bisect
import functools
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Final

from contracts.evaluation import compare_positions, sort_entities, sort_position
from contracts.models.common import Record
from contracts.paging import SortPosition
from contracts.query import OrderKey

__all__ = ["OrderedResults", "ResultCache"]

_KEPT: Final = 16
"""Queries whose sorted results a cache keeps (the most recently used)."""


class OrderedResults:
    """Records matching a query, in the query's order, with their positions for paging."""

    def __init__(self, matches: Sequence[Record], order_by: tuple[OrderKey, ...]) -> None:
        self._records = sort_entities(matches, order_by)

        def compare(left: SortPosition, right: SortPosition) -> int:
            return compare_positions(left, right, order_by)

        self._key: Callable[[SortPosition], Any] = functools.cmp_to_key(compare)
        self._positions = [self._key(sort_position(r, order_by)) for r in self._records]

    def after(self, position: SortPosition | None, limit: int) -> list[Record]:
        """Up to ``limit`` records strictly after ``position`` (from the start when ``None``)."""
        start = 0 if position is None else bisect.bisect_right(self._positions, self._key(position))
        return self._records[start : start + limit]


class ResultCache:
    """The sorted results of recent queries, valid until the store's next write.

    Not thread-safe by itself: the store calls it under its own lock.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, tuple[int, OrderedResults]] = OrderedDict()

    def get(self, query: Hashable, generation: int) -> OrderedResults | None:
        """The results kept for ``query`` if nothing was written since (same generation)."""
        entry = self._entries.get(query)
        if entry is None or entry[0] != generation:
            return None
        self._entries.move_to_end(query)
        return entry[1]

    def put(self, query: Hashable, generation: int, results: OrderedResults) -> None:
        """Keep ``results`` for ``query`` as of ``generation``, dropping the least recent."""
        self._entries[query] = (generation, results)
        self._entries.move_to_end(query)
        while len(self._entries) > _KEPT:
            self._entries.popitem(last=False)
