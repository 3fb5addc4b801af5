"""The one paging loop for every paged Foundry read.

List, search, linked objects and ``loadObjects`` all answer ``{data, nextPageToken?}``. The
loop asks again with ``pageToken`` until ``nextPageToken`` is absent or null, and only then
stops: a short page, or an empty one, is never taken for the end. It can start from a token
(to resume an interrupted scan) and always knows the token to resume from; an expired token
becomes a clear :class:`~contracts.errors.InvalidCursor`. Full scans ask for ``snapshot=true``
(the caller puts it in the request); without a snapshot, objects can move between pages, so
the loop can drop repeats by primary key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from adapters.foundry.wire import ObjectPage
from contracts.errors import InvalidCursor, UpstreamContractError
from contracts.models._fields import check_clean_text

__all__ = ["PageFetcher", "Pages"]

PageFetcher = Callable[[str | None], ObjectPage]
"""Fetches the page a token names (``None``: the first page)."""


def _check_token(token: object, what: str) -> None:
    """Refuse a token no request can carry: not text, or text JSON cannot encode."""
    try:
        if not isinstance(token, str):
            raise ValueError("not text")
        check_clean_text(token)
    except ValueError:
        raise InvalidCursor(
            f"{what}: the page token is not one Foundry issued; start the read again without it"
        ) from None


class Pages:
    """Iterate every object of a paged read, page by page.

    Args:
        fetch: fetches one page for a token.
        what: names the read in errors.
        start_token: resume from this token instead of the first page.
        max_pages: refuse to read more pages than this (an answer that never ends).
        dedupe_key: drop objects whose value at this key was already seen (for reads
            without a snapshot); ``None`` keeps everything.

    Raises:
        InvalidCursor: ``start_token`` is not text that a request can carry (Foundry's tokens
            are opaque, so any other text is sent and Foundry judges it).
    """

    def __init__(
        self,
        fetch: PageFetcher,
        *,
        what: str,
        start_token: str | None = None,
        max_pages: int = 1_000_000,
        dedupe_key: str | None = None,
    ) -> None:
        if start_token is not None:
            _check_token(start_token, what)
        self._fetch = fetch
        self.what = what
        self.resume_token = start_token
        """The token of the page being read: pass it as ``start_token`` to resume there."""
        self.pages_read = 0
        self.total_count: int | None = None
        """``totalCount`` of the last page that had one."""
        self._max_pages = max_pages
        self._dedupe_key = dedupe_key
        self._seen: set[str] = set()

    def pages(self) -> Iterator[ObjectPage]:
        """Each page, in order, until Foundry gives no next token.

        Raises:
            InvalidCursor: a page token (given or received) expired or was refused.
            UpstreamContractError: Foundry repeated a token, or sent more than ``max_pages``.
        """
        token = self.resume_token
        while True:
            if self.pages_read >= self._max_pages:
                raise UpstreamContractError(
                    f"{self.what}: more than {self._max_pages} pages; stopped reading"
                )
            try:
                page = self._fetch(token)
            except InvalidCursor as exc:
                if token is None:
                    raise
                raise InvalidCursor(
                    f"{self.what}: the page token expired or was refused (page tokens are "
                    "short-lived); start the read again without a token"
                ) from exc
            self.pages_read += 1
            if page.total_count is not None:
                self.total_count = page.total_count
            yield page
            following = page.next_page_token
            if not following:
                self.resume_token = None
                return
            if following == token:
                raise UpstreamContractError(
                    f"{self.what}: Foundry sent the same page token twice; stopped reading"
                )
            token = following
            self.resume_token = token

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every object of every page, repeats dropped when ``dedupe_key`` is set."""
        key = self._dedupe_key
        for page in self.pages():
            if key is None:
                yield from page.data
                continue
            for item in page.data:
                value = str(item.get(key))
                if value in self._seen:
                    continue
                self._seen.add(value)
                yield item
