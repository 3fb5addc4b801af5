"""The options of ``foundry+https://`` and ``foundry+fake://`` URLs, as models.

Defaults come from the settings they fill (:class:`~adapters.foundry.client.ClientSettings`,
:class:`~adapters.foundry.retry.RetryPolicy`, :class:`~adapters.foundry.store.StoreOptions`),
and the bounds are theirs, so a value these options accept is one those settings accept.
"""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from pydantic import field_validator

from adapters._options import AdapterOptions, Flag, Number, Whole, Word, Words, option
from adapters.foundry.client import MAX_BATCH_REQUESTS, ClientSettings
from adapters.foundry.retry import RetryPolicy
from adapters.foundry.store import StoreOptions

__all__ = ["FoundryFakeOptions", "FoundryOptions"]

_SCOPE: Final = re.compile(r"[A-Za-z0-9:_.-]{1,200}", re.ASCII)
_CLIENT: Final = ClientSettings()
_RETRY: Final = RetryPolicy()
_STORE: Final = StoreOptions()
_DAY: Final = 86_400
_HOUR: Final = 3_600
_MOST: Final = 2**53
_SECONDS: Final = "seconds"


def _timeout(default: float, meaning: str) -> float:
    result: float = option(default, meaning, gt=0, le=_HOUR, unit=_SECONDS)
    return result


def _wait(default: float, meaning: str) -> float:
    result: float = option(default, meaning, ge=0, le=_DAY, unit=_SECONDS)
    return result


def _count(default: int, meaning: str, most: int) -> int:
    result: int = option(default, meaning, ge=1, le=most)
    return result


class FoundryOptions(AdapterOptions):
    """The options of ``foundry+https://`` URLs (credentials come only from the environment)."""

    mapping: str | None = option(
        None,
        "a TOML mapping file from records to object types (default: the reference design)",
        form="a file path",
    )
    scopes: Annotated[tuple[str, ...], Words] = option(
        (),
        "OAuth2 scopes to ask for with client credentials",
        form="OAuth2 scope names (letters, digits, : _ . -) separated by commas",
    )
    connect_timeout: Number = _timeout(_CLIENT.connect_timeout, "seconds to connect")
    read_timeout: Number = _timeout(_CLIENT.read_timeout, "seconds of silence while reading")
    write_timeout: Number = _timeout(_CLIENT.write_timeout, "seconds to send a request body")
    pool_timeout: Number = _timeout(_CLIENT.pool_timeout, "seconds to wait for a connection")
    deadline: Number = option(
        _CLIENT.deadline, "seconds for one call, retries included", gt=0, le=_DAY, unit=_SECONDS
    )
    concurrency: Whole = _count(_CLIENT.concurrency, "requests in flight at once", 800)
    max_response_bytes: Whole = option(
        _CLIENT.max_response_bytes, "larger answers are refused", ge=1024, le=_MOST, unit="bytes"
    )
    breaker_failures: Whole = _count(
        _CLIENT.breaker_failures, "consecutive failures that open the circuit breaker", 1_000
    )
    breaker_cooldown: Number = _wait(_CLIENT.breaker_cooldown, "seconds the circuit stays open")
    max_attempts: Whole = _count(_RETRY.max_attempts, "attempts per call, the first included", 10)
    backoff_base: Number = _wait(_RETRY.backoff_base, "seconds; the n-th wait is at most base*2^n")
    backoff_cap: Number = _wait(_RETRY.backoff_cap, "seconds; no backoff wait is longer")
    retry_after_cap: Number = _wait(
        _RETRY.retry_after_cap, "seconds; a longer Retry-After fails at once as rate limited"
    )
    page_size: Whole = _count(_STORE.page_size, "objects per page of search and links", 1_000)
    export_page_size: Whole = _count(
        _STORE.export_page_size, "objects per loadObjects page when exporting", 10_000
    )
    export_partitions: Whole = _count(
        _STORE.export_partitions, "key ranges an export reads at once", 64
    )
    batch_requests: Whole = _count(
        _STORE.batch_requests, "requests per applyBatch call", MAX_BATCH_REQUESTS
    )
    write_attempts: Whole = _count(
        _STORE.write_attempts, "sends of a write whose outcome stayed unknown", 10
    )
    max_client_sort: Whole = option(
        _STORE.max_client_sort,
        "most matches sorted in Python when the order is not mapped",
        ge=0,
        le=_MOST,
    )
    max_where_depth: Whole = _count(_STORE.max_where_depth, "nesting Foundry allows in where", 16)
    aggregate_groups: Whole = _count(
        _STORE.aggregate_groups, "maxGroupCount of each grouping of an aggregate", 100_000
    )
    snapshot: Flag = option(_STORE.snapshot, "ask for consistent snapshots across pages")
    workers: Whole = _count(_STORE.workers, "threads for concurrent reads", 64)

    @field_validator("scopes")
    @classmethod
    def _scope_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        scopes = tuple(word for part in value for word in part.split() if word)
        if not all(_SCOPE.fullmatch(scope) for scope in scopes):
            raise ValueError("not scope names")
        return scopes

    def client_settings(self) -> ClientSettings:
        """The client's timeouts, limits and retry policy."""
        retry = RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            retry_after_cap=self.retry_after_cap,
        )
        return ClientSettings(
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            write_timeout=self.write_timeout,
            pool_timeout=self.pool_timeout,
            deadline=self.deadline,
            concurrency=self.concurrency,
            max_response_bytes=self.max_response_bytes,
            retry=retry,
            breaker_failures=self.breaker_failures,
            breaker_cooldown=self.breaker_cooldown,
        )

    def store_options(self) -> StoreOptions:
        """How the store uses Foundry."""
        return StoreOptions(
            page_size=self.page_size,
            export_page_size=self.export_page_size,
            export_partitions=self.export_partitions,
            batch_requests=self.batch_requests,
            write_attempts=self.write_attempts,
            max_client_sort=self.max_client_sort,
            max_where_depth=self.max_where_depth,
            aggregate_groups=self.aggregate_groups,
            snapshot=self.snapshot,
            workers=self.workers,
        )


def _rate(meaning: str) -> float:
    result: float = option(0.0, meaning, ge=0, le=1)
    return result


class FoundryFakeOptions(FoundryOptions):
    """The options of ``foundry+fake://`` URLs: the Foundry ones, and how the fake behaves."""

    short_pages: Flag = option(False, "answer with pages shorter than asked for")
    total_count: Annotated[Literal["number", "string", "missing", "rotate"], Word] = option(
        "rotate", "how the fake reports a search's total count"
    )
    page_token_ttl: Number = _wait(600.0, "seconds a page token stays valid")
    rate_limit_rate: Number = _rate("chance that a request is refused as rate limited (429)")
    unavailable_rate: Number = _rate("chance that a request fails as unavailable (503)")
    lost_reply_rate: Number = _rate("chance that a request runs but its reply is lost")
    dropped_rate: Number = _rate("chance that a request's connection is dropped")
    seed: Whole = option(
        0, "seed of the random faults, so a run can be replayed", ge=0, le=2**64 - 1
    )
