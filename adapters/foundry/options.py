"""The options of ``foundry+https://`` and ``foundry+fake://`` URLs, parsed and checked."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final

from adapters._options import parse_boolean, parse_number, parse_whole, refuse_unknown
from adapters.foundry.client import ClientSettings
from adapters.foundry.retry import RetryPolicy
from adapters.foundry.store import StoreOptions
from contracts.errors import ConfigurationError, ValidationFailed

__all__ = ["CLIENT_OPTIONS", "ParsedOptions", "parse_options"]


_SCOPE: Final = re.compile(r"[A-Za-z0-9:_.-]{1,200}", re.ASCII)


def _seconds(text: str) -> float:
    return parse_number(text, 0.0, 86_400.0)


def _whole(text: str) -> int:
    return parse_whole(text, 0, 2**53)


def _count(text: str) -> int:
    return parse_whole(text, 1, 1_000)


_FORMS: Final[dict[Callable[[str], Any], str]] = {
    _seconds: "a number of seconds from 0 to 86400",
    _whole: "a whole number",
    _count: "a whole number from 1 to 1000",
    parse_boolean: "true or false (or 1/0, yes/no, on/off)",
}


_CLIENT: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "connect_timeout": ("connect_timeout", _seconds),
    "read_timeout": ("read_timeout", _seconds),
    "write_timeout": ("write_timeout", _seconds),
    "pool_timeout": ("pool_timeout", _seconds),
    "deadline": ("deadline", _seconds),
    "concurrency": ("concurrency", _whole),
    "max_response_bytes": ("max_response_bytes", _whole),
    "breaker_failures": ("breaker_failures", _count),
    "breaker_cooldown": ("breaker_cooldown", _seconds),
}
_RETRY: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    "max_attempts": ("max_attempts", _whole),
    "backoff_base": ("backoff_base", _seconds),
    "backoff_cap": ("backoff_cap", _seconds),
    "retry_after_cap": ("retry_after_cap", _seconds),
}
_STORE: Final[dict[str, tuple[str, Callable[[str], Any]]]] = {
    f.name: (f.name, parse_boolean if f.type in ("bool", bool) else _whole)
    for f in fields(StoreOptions)
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
    refuse_unknown(scheme, options, CLIENT_OPTIONS | extra)

    def convert(table: Mapping[str, tuple[str, Callable[[str], Any]]]) -> dict[str, Any]:
        out = {}
        for option, (attribute, parse) in table.items():
            if option in options:
                try:
                    out[attribute] = parse(options[option])
                except ValueError:
                    raise ConfigurationError(
                        f"{scheme}:// option {option} must be {_FORMS[parse]}"
                    ) from None
        return out

    try:
        retry = RetryPolicy(**convert(_RETRY))
        client = ClientSettings(retry=retry, **convert(_CLIENT))
        store = StoreOptions(**convert(_STORE))
    except ValidationFailed as exc:
        # The settings' own checks name the option and its bounds, never the value.
        raise ConfigurationError(f"{scheme}:// option {exc}") from None
    scopes = tuple(part for part in options.get("scopes", "").replace(",", " ").split() if part)
    if not all(_SCOPE.fullmatch(scope) for scope in scopes):
        raise ConfigurationError(
            f"{scheme}:// option scopes must be OAuth2 scope names (letters, digits, : _ . -) "
            "separated by spaces or commas"
        )
    rest = {key: value for key, value in options.items() if key in extra}
    return ParsedOptions(client, store, options.get("mapping") or None, scopes, rest)
