"""The options of ``foundry+https://`` and ``foundry+fake://`` URLs, parsed and checked."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from adapters.foundry.client import ClientSettings
from adapters.foundry.retry import RetryPolicy
from adapters.foundry.store import StoreOptions
from contracts.errors import CaseportError, ConfigurationError, ValidationFailed

__all__ = ["CLIENT_OPTIONS", "ParsedOptions", "parse_options"]


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("not a boolean")


_CLIENT: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "connect_timeout": ("connect_timeout", _seconds),
    "read_timeout": ("read_timeout", _seconds),
    "write_timeout": ("write_timeout", _seconds),
    "pool_timeout": ("pool_timeout", _seconds),
    "deadline": ("deadline", _seconds),
    "concurrency": ("concurrency", int),
    "max_response_bytes": ("max_response_bytes", int),
    "breaker_failures": ("breaker_failures", int),
    "breaker_cooldown": ("breaker_cooldown", _seconds),
}
_RETRY: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "max_attempts": ("max_attempts", int),
    "backoff_base": ("backoff_base", _seconds),
    "backoff_cap": ("backoff_cap", _seconds),
    "retry_after_cap": ("retry_after_cap", _seconds),
}
_STORE: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    f.name: (f.name, _boolean if f.type in ("bool", bool) else int) for f in fields(StoreOptions)
}
CLIENT_OPTIONS: Final = frozenset({*_CLIENT, *_RETRY, *_STORE, "mapping", "scopes"})
"""Options every Foundry URL accepts."""


@dataclass(frozen=True, slots=True)
class ParsedOptions:
    """Checked options: client settings, store options, mapping file, scopes and the rest."""

    client: ClientSettings
    store: StoreOptions
    mapping: str | None
    scopes: tuple[str, ...]
    extra: Mapping[str, str]


def parse_options(
    options: Mapping[str, str], scheme: str, extra: frozenset[str] = frozenset()
) -> ParsedOptions:
    """Check and convert URL options.

    Raises:
        ConfigurationError: an unknown option or a value of the wrong form.
    """
    known = CLIENT_OPTIONS | extra
    unknown = sorted(set(options) - known)
    if unknown:
        raise ConfigurationError(
            f"unknown {scheme}:// option {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )

    def convert(table: Mapping[str, tuple[str, Callable[[str], Any]]]) -> dict[str, Any]:
        out = {}
        for option, (attribute, parse) in table.items():
            if option in options:
                try:
                    out[attribute] = parse(options[option])
                except ValueError:
                    raise ConfigurationError(
                        f"{scheme}:// option {option}={options[option][:40]!r} is not valid"
                    ) from None
        return out

    try:
        retry = RetryPolicy(**convert(_RETRY))
        client = ClientSettings(retry=retry, **convert(_CLIENT))
        store = StoreOptions(**convert(_STORE))
    except (ValidationFailed, CaseportError) as exc:
        raise ConfigurationError(f"{scheme}:// options: {exc}") from exc
    scopes = tuple(part for part in options.get("scopes", "").replace(",", " ").split() if part)
    rest = {key: value for key, value in options.items() if key in extra}
    return ParsedOptions(client, store, options.get("mapping") or None, scopes, rest)
