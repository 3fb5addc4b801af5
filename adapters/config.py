"""Where the store URL comes from when the code does not say.

In order, later sources winning: the built-in default, the file ``caseport.toml`` in the
working directory (or the file named by ``CASEPORT_CONFIG``), then environment variables.

The built-in default is the embedded SQLite store in the file ``caseport.db`` of the working
directory (:data:`DEFAULT_URL`, ``sqlite:///caseport.db``), created with its schema on first
use. Relative ``sqlite:///`` paths are relative to the working directory; an absolute path
takes four slashes (``sqlite:////var/lib/caseport/case.db``); an in-memory SQLite database is
not supported (``memory://`` is the in-memory store)::

    # caseport.toml
    [store]
    url = "sqlite:////var/lib/caseport/case.db"

    [store.options]
    busy_timeout_ms = 5000

The file holds one table, ``[store]``, with the keys ``url`` (a string) and ``options`` (a table
of strings, whole numbers or booleans). Anything else fails with
:class:`~contracts.errors.ConfigurationError` naming the file and, where it can be found, the
line: a file that is not UTF-8 or not TOML, an unknown table (``[stor]``: did you mean
``[store]``?), an unknown key, a value of the wrong type. Messages never quote values.

``CASEPORT_URL`` sets the URL; ``CASEPORT_OPTION_<NAME>`` sets the option ``<name>``. Other
``CASEPORT_*`` variables are not errors, because other tools, tests and later versions share
the prefix (as most tools treat their environment); one that is a near miss of a variable
caseport reads (``CASEPORT_ULR``) is logged as a warning on the ``adapters.config`` logger,
naming the variable, never its value. Secrets (tokens, client secrets, passwords) belong in
the environment variables the adapters read or in files such as ``.pgpass``, never in the URL
or the options, which may be logged: :func:`adapters.connect` refuses them.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from adapters._options import check_option_name
from adapters._url import StoreURL
from contracts.errors import ConfigurationError

__all__ = ["DEFAULT_NOTE", "DEFAULT_URL", "KNOWN_VARIABLES", "StoreSettings", "load_settings"]

_log = logging.getLogger(__name__)
_warned: set[str] = set()
"""Variables already warned about: a process warns once per variable."""

DEFAULT_URL: Final = "sqlite:///caseport.db"
"""The store used when nothing is configured: ``./caseport.db``, created on first use."""

DEFAULT_NOTE: Final = (
    "No store configured: using the SQLite file ./caseport.db in the working directory "
    "(created on first use); set CASEPORT_URL or caseport.toml to choose another."
)
"""One line for tools to show when the store in use is the built-in default."""

KNOWN_VARIABLES: Final = frozenset(
    {
        "CASEPORT_CONFIG",
        "CASEPORT_URL",
        "CASEPORT_FOUNDRY_TOKEN",
        "CASEPORT_FOUNDRY_CLIENT_ID",
        "CASEPORT_FOUNDRY_CLIENT_SECRET",
        "CASEPORT_TEST_POSTGRES_URL",
        "CASEPORT_HYPOTHESIS_PROFILE",
        "CASEPORT_SOAK",
    }
)
"""``CASEPORT_*`` variables some part of caseport reads, besides ``CASEPORT_OPTION_<NAME>``."""

_CONFIG_FILE: Final = "caseport.toml"
_OPTION_PREFIX: Final = "CASEPORT_OPTION_"
_MAX_FILE_BYTES: Final = 1024 * 1024
_TABLES: Final = ("store",)
_STORE_KEYS: Final = ("url", "options")


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The store to connect to, and where that choice came from (for messages)."""

    url: str
    options: Mapping[str, str] = field(default_factory=dict)
    source: str = "default"


def _did_you_mean(name: str, known: tuple[str, ...] | frozenset[str], form: str = "{}") -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {form.format(close[0])}?" if close else ""


def _safe(name: str) -> str:
    """A key of the file, shown only when it looks like a key (it could be anything)."""
    if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name, re.ASCII):
        return name
    return f"(a key of {len(name)} characters)"


def _line_of(text: str, key: str, table: bool) -> str:
    """``", line N"`` where ``key`` is first defined in ``text``, or ``""`` when not found."""
    name = re.escape(key)
    pattern = (
        rf"^[ \t]*\[+[ \t]*{name}[ \t]*[\].]"
        if table
        else rf"^[ \t]*(?:{name}|\"{name}\")[ \t]*[=.]"
    )
    found = re.search(pattern, text, re.MULTILINE)
    if found is None and table:
        # A dotted key at the top (``stor.url = ...``) also makes a table.
        found = re.search(rf"^[ \t]*{name}[ \t]*[.=]", text, re.MULTILINE)
    return "" if found is None else f", line {text.count(chr(10), 0, found.start()) + 1}"


def _toml_problem(error: tomllib.TOMLDecodeError) -> str:
    """The description and position tomllib gives, without the keys or characters it quotes."""
    message = str(error)
    detail, _, position = message.partition(" (at ")
    if not re.fullmatch(r"[A-Za-z ,]{1,80}", detail):
        detail = "syntax error"
    return f"{detail} (at {position}" if position else detail


def _is_file(path: Path, what: str) -> bool:
    try:
        return path.is_file()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {what} {path}: {exc.strerror}") from None


def _option_value(path: Path, text: str, key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    raise ConfigurationError(
        f"{path}{_line_of(text, key, table=False)}: store.options.{_safe(key)} must be a "
        f"string, a number or true/false, not a {type(value).__name__}"
    )


def _read_file(path: Path) -> tuple[str | None, dict[str, str]]:
    """The URL and options ``path`` sets.

    Raises:
        ConfigurationError: unreadable, not UTF-8, not TOML, or not the expected shape.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > _MAX_FILE_BYTES:
        raise ConfigurationError(f"{path} is larger than {_MAX_FILE_BYTES} bytes")
    # The errors are raised after the except blocks, so that neither the decoder's error
    # (which holds the file's bytes) nor tomllib's stays attached as __context__.
    problem: str | None = None
    text = ""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = f"{path}, line {line}: not valid UTF-8 (TOML files must be UTF-8)"
    if problem is not None:
        raise ConfigurationError(problem)
    data: dict[str, Any] = {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problem = f"{path} is not valid TOML: {_toml_problem(exc)}"
    if problem is not None:
        raise ConfigurationError(problem)
    for name in sorted(set(data) - set(_TABLES)):
        hint = _did_you_mean(name, _TABLES, "[{}]")
        raise ConfigurationError(
            f"{path}{_line_of(text, name, table=True)}: unknown table or key "
            f"{_safe(name)}{hint} (caseport.toml holds only [store])"
        )
    store = data.get("store", {})
    if not isinstance(store, dict):
        raise ConfigurationError(
            f"{path}{_line_of(text, 'store', table=False)}: [store] must be a table"
        )
    for name in sorted(set(store) - set(_STORE_KEYS)):
        hint = _did_you_mean(name, _STORE_KEYS, "store.{}")
        raise ConfigurationError(
            f"{path}{_line_of(text, name, table=False)}: unknown key store.{_safe(name)}{hint} "
            "(known: store.url, [store.options])"
        )
    url = store.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigurationError(
            f"{path}{_line_of(text, 'url', table=False)}: store.url must be a string"
        )
    options = store.get("options", {})
    if not isinstance(options, dict):
        raise ConfigurationError(
            f"{path}{_line_of(text, 'options', table=False)}: [store.options] must be a table"
        )
    values = {
        str(key): _option_value(path, text, str(key), value) for key, value in options.items()
    }
    return url, values


def _warn_near_misses(environ: Mapping[str, str]) -> None:
    for name in environ:
        if not name.startswith("CASEPORT_") or name in KNOWN_VARIABLES or name in _warned:
            continue
        if name.startswith(_OPTION_PREFIX):
            continue
        close = difflib.get_close_matches(name, sorted(KNOWN_VARIABLES), n=1, cutoff=0.85)
        if close:
            hint = f"did you mean {close[0]}?"
        elif difflib.get_close_matches(name[:16], [_OPTION_PREFIX], n=1, cutoff=0.85):
            hint = f"options are set with {_OPTION_PREFIX}<NAME>"
        else:
            continue
        _warned.add(name)
        _log.warning("environment variable %s is not read; %s", name, hint)


def _check(url: str, source: str, origins: Mapping[str, str]) -> None:
    """Check the configured URL and option names where they enter, naming their source.

    Raises:
        ConfigurationError: as :meth:`adapters.StoreURL.parse`, or a secret-bearing option name.
    """
    try:
        scheme = StoreURL.parse(url).scheme
    except ConfigurationError as exc:
        raise ConfigurationError(f"{source}: {exc}") from None
    for name, origin in origins.items():
        check_option_name(name, scheme, origin)


def load_settings(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> StoreSettings:
    """Resolve the store settings from the default, the config file and the environment.

    The URL and the option names are checked here (no secret, well formed), so a mistake is
    reported with the file or variable it came from; option values are checked by the
    adapter that reads them.

    Raises:
        ConfigurationError: the config file named or found cannot be read or is malformed,
            or the configured URL or an option name is refused.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    url, options, source = DEFAULT_URL, {}, "default"
    origins: dict[str, str] = {}
    explicit = environ.get("CASEPORT_CONFIG")
    path = Path(explicit) if explicit else cwd / _CONFIG_FILE
    found = _is_file(path, "the configuration file")
    if explicit and not found:
        problem = "is not a file" if path.exists() else "does not exist"
        raise ConfigurationError(f"CASEPORT_CONFIG names {path}, which {problem}")
    if found:
        file_url, file_options = _read_file(path)
        if file_url is not None:
            url, source = file_url, str(path)
        options.update(file_options)
        origins.update(dict.fromkeys(file_options, f"{path}: [store.options]"))
    _warn_near_misses(environ)
    for name, value in environ.items():
        if name.startswith(_OPTION_PREFIX) and len(name) > len(_OPTION_PREFIX):
            option = name.removeprefix(_OPTION_PREFIX).lower()
            options[option] = value
            origins[option] = "environment variable " + name
    if environ.get("CASEPORT_URL"):
        url, source = environ["CASEPORT_URL"], "CASEPORT_URL"
    _check(url, source, origins)
    return StoreSettings(url=url, options=options, source=source)
