"""Typed readers for store options: each value is checked where it enters, and never repeated.

Options reach an adapter as strings, from the URL's query, keyword arguments of
:func:`adapters.connect`, ``[store.options]`` in ``caseport.toml`` or ``CASEPORT_OPTION_*``
variables. An adapter reads each one through an :class:`OptionReader`, which checks its form and
bounds and raises :class:`~contracts.errors.ConfigurationError` naming the option and what it
accepts. No message repeats the value given: it may be a secret pasted into the wrong place or
personal data, and a hostile one may be megabytes long. Option *names* are repeated only when
they look like names (:func:`option_label`), so a typo can be pointed out.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Final

from contracts.errors import ConfigurationError

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "OptionReader",
    "check_option_name",
    "is_option_name",
    "is_secret_name",
    "option_label",
    "parse_boolean",
    "parse_number",
    "parse_whole",
    "refuse_unknown",
    "secret_hint",
    "suggestion",
]

TRUE_WORDS: Final = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS: Final = frozenset({"0", "false", "no", "off"})

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", re.ASCII)
_WHOLE: Final = re.compile(r"[+-]?[0-9]{1,19}", re.ASCII)
_NUMBER: Final = re.compile(
    r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?", re.ASCII
)
_SECRET_NAMES: Final = frozenset(
    {
        "access_key",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "bearer",
        "client_secret",
        "credential",
        "credentials",
        "pass",
        "passphrase",
        "passwd",
        "password",
        "private_key",
        "pwd",
        "secret",
        "secret_key",
        "sslpassword",
        "token",
    }
)
# Any name ending so holds a secret too (``db_password``, ``refresh_token``); none of the
# adapters' own options (``page_token_ttl``, ``passfile``) ends in one of these.
_SECRET_ENDINGS: Final = ("password", "passwd", "secret", "token", "api_key", "apikey")


def is_option_name(name: str) -> bool:
    """Whether ``name`` looks like an option name (``[A-Za-z_][A-Za-z0-9_.-]{0,63}``)."""
    return _NAME.fullmatch(name) is not None


def is_secret_name(name: str) -> bool:
    """Whether an option called ``name`` would carry a secret (password, token, key...)."""
    normal = name.strip().lower().replace("-", "_")
    return normal in _SECRET_NAMES or normal.endswith(_SECRET_ENDINGS)


def option_label(name: str) -> str:
    """``name`` quoted for a message, or a description when it does not look like a name."""
    if is_option_name(name):
        return repr(name)
    return f"(a name of {len(name)} characters that is not a valid option name)"


def suggestion(name: str, known: Collection[str]) -> str:
    """``"; did you mean 'x'?"`` for the known name closest to ``name``, or ``""``."""
    if not is_option_name(name):
        return ""
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def refuse_unknown(scheme: str, options: Mapping[str, str], known: Collection[str]) -> None:
    """Fail on the first option (alphabetically) that ``scheme`` does not know.

    Raises:
        ConfigurationError: naming the option, the closest known one and every known one.
    """
    unknown = sorted(set(options) - set(known))
    if unknown:
        name = unknown[0]
        raise ConfigurationError(
            f"unknown {scheme}:// option {option_label(name)}{suggestion(name, known)} "
            f"(known: {', '.join(sorted(known))})"
        )


def secret_hint(scheme: str | None) -> str:
    """Where the secrets of a store served by ``scheme`` belong instead of a URL or option."""
    if scheme == "postgresql":
        return (
            "give only the user name (postgresql://USER@HOST/DB) and put the password in the "
            "PGPASSWORD environment variable or a .pgpass file, which libpq reads"
        )
    if scheme is not None and scheme.startswith("foundry"):
        return (
            "set CASEPORT_FOUNDRY_TOKEN, or CASEPORT_FOUNDRY_CLIENT_ID and "
            "CASEPORT_FOUNDRY_CLIENT_SECRET, in the environment"
        )
    return "keep secrets in the environment or a file the adapter reads"


def check_option_name(name: str, scheme: str | None, where: str) -> None:
    """Refuse an option whose name holds a secret or is not a name.

    Args:
        name: the option's name.
        scheme: the store's scheme, to say where its secrets belong.
        where: where the option was given, for the message (``"in the URL"``...).

    Raises:
        ConfigurationError: a secret-bearing name (``password``, ``sslpassword``, ``token``...)
            or one that is not a name; the value is never looked at.
    """
    if is_secret_name(name):
        raise ConfigurationError(
            f"secrets such as {option_label(name)} ({where}) must not travel in a URL or in "
            f"store options, which end up in logs: {secret_hint(scheme)}"
        )
    if not is_option_name(name):
        raise ConfigurationError(
            f"an option {where} has a name of {len(name)} characters that is not a valid "
            "option name (letters, digits, _ . -)"
        )


def parse_whole(text: str, minimum: int, maximum: int) -> int:
    """``text`` as a whole number from ``minimum`` to ``maximum``.

    Only ASCII digits with an optional sign are read: no ``1_000``, no ``1e3``, no spaces.

    Raises:
        ValueError: another form, or out of bounds (the message never repeats ``text``).
    """
    if _WHOLE.fullmatch(text) is None:
        raise ValueError("not a whole number")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError("out of bounds")
    return value


def parse_number(text: str, minimum: float, maximum: float) -> float:
    """``text`` as a finite decimal number from ``minimum`` to ``maximum``.

    Raises:
        ValueError: another form (``nan``, ``inf``, hex...), or out of bounds.
    """
    if _NUMBER.fullmatch(text) is None:
        raise ValueError("not a number")
    value = float(text)
    if not (math.isfinite(value) and minimum <= value <= maximum):
        raise ValueError("out of bounds")
    return value


def parse_boolean(text: str) -> bool:
    """``text`` as a boolean: ``true``/``false``, ``1``/``0``, ``yes``/``no`` or ``on``/``off``.

    Raises:
        ValueError: any other word.
    """
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("not a boolean")


def _show(number: float) -> str:
    return str(int(number)) if number.is_integer() else f"{number:g}"


class OptionReader:
    """Reads the options of one store, each through a typed, bounded parser.

    Args:
        scheme: the URL scheme, for messages (``sqlite``, ``postgresql``...).
        options: the options as strings.
    """

    def __init__(self, scheme: str, options: Mapping[str, str]) -> None:
        self.scheme = scheme
        self.options = options

    def _refuse(self, name: str, accepts: str) -> ConfigurationError:
        return ConfigurationError(f"{self.scheme}:// option {name} must be {accepts}")

    def whole(self, name: str, default: int, minimum: int, maximum: int, unit: str = "") -> int:
        """Option ``name`` as a whole number within bounds, ``default`` when absent.

        Raises:
            ConfigurationError: not a whole number within bounds.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_whole(raw, minimum, maximum)
        except ValueError:
            raise self._refuse(name, f"a whole number from {minimum} to {maximum}{unit}") from None

    def number(
        self, name: str, default: float, minimum: float, maximum: float, unit: str = ""
    ) -> float:
        """Option ``name`` as a finite number within bounds, ``default`` when absent.

        Raises:
            ConfigurationError: not a finite number within bounds.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_number(raw, minimum, maximum)
        except ValueError:
            raise self._refuse(
                name, f"a number from {_show(minimum)} to {_show(maximum)}{unit}"
            ) from None

    def flag(self, name: str, default: bool) -> bool:
        """Option ``name`` as a boolean, ``default`` when absent.

        Raises:
            ConfigurationError: not one of the boolean words.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        try:
            return parse_boolean(raw)
        except ValueError:
            raise self._refuse(name, "true or false (or 1/0, yes/no, on/off)") from None

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        """Option ``name`` as one of ``choices`` (compared without case), ``default`` when absent.

        Raises:
            ConfigurationError: not one of ``choices``.
        """
        raw = self.options.get(name)
        if raw is None:
            return default
        by_lower = {choice.lower(): choice for choice in choices}
        found = by_lower.get(raw.strip().lower())
        if found is None:
            raise self._refuse(name, f"one of {', '.join(choices)}")
        return found

    def names(self, name: str, allowed: Collection[str]) -> frozenset[str]:
        """Option ``name`` as a comma-separated set of words, each one of ``allowed``.

        Raises:
            ConfigurationError: a word that is not allowed.
        """
        words = frozenset(
            part.strip() for part in self.options.get(name, "").split(",") if part.strip()
        )
        if not words <= set(allowed):
            raise self._refuse(name, f"a comma-separated list of {', '.join(sorted(allowed))}")
        return words
