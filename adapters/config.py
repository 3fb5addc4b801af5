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
    busy_timeout_ms = "5000"

``CASEPORT_URL`` sets the URL; ``CASEPORT_OPTION_<NAME>`` sets the option ``<name>``. Secrets
(tokens, client secrets) belong in the environment or a secrets file read by the adapter, never
in the URL, which may be logged.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from contracts.errors import ConfigurationError

__all__ = ["DEFAULT_NOTE", "DEFAULT_URL", "StoreSettings", "load_settings"]

DEFAULT_URL: Final = "sqlite:///caseport.db"
"""The store used when nothing is configured: ``./caseport.db``, created on first use."""

DEFAULT_NOTE: Final = (
    "No store configured: using the SQLite file ./caseport.db in the working directory "
    "(created on first use); set CASEPORT_URL or caseport.toml to choose another."
)
"""One line for tools to show when the store in use is the built-in default."""

_CONFIG_FILE: Final = "caseport.toml"
_OPTION_PREFIX: Final = "CASEPORT_OPTION_"


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The store to connect to, and where that choice came from (for messages)."""

    url: str
    options: Mapping[str, str] = field(default_factory=dict)
    source: str = "default"


def _read_file(path: Path) -> tuple[str | None, dict[str, str]]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path} is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    store = data.get("store", {})
    if not isinstance(store, dict):
        raise ConfigurationError(f"{path}: [store] must be a table")
    unknown = set(store) - {"url", "options"}
    if unknown:
        raise ConfigurationError(f"{path}: unknown key store.{sorted(unknown)[0]}")
    url = store.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigurationError(f"{path}: store.url must be a string")
    options = store.get("options", {})
    if not isinstance(options, dict):
        raise ConfigurationError(f"{path}: [store.options] must be a table")
    return url, {str(key): str(value) for key, value in options.items()}


def load_settings(
    environ: Mapping[str, str] | None = None, cwd: Path | None = None
) -> StoreSettings:
    """Resolve the store settings from the default, the config file and the environment.

    Raises:
        ConfigurationError: the config file exists but cannot be read or is malformed.
    """
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    url, options, source = DEFAULT_URL, {}, "default"
    explicit = environ.get("CASEPORT_CONFIG")
    path = Path(explicit) if explicit else cwd / _CONFIG_FILE
    if explicit and not path.is_file():
        raise ConfigurationError(f"CASEPORT_CONFIG names {path}, which does not exist")
    if path.is_file():
        file_url, file_options = _read_file(path)
        if file_url is not None:
            url, source = file_url, str(path)
        options.update(file_options)
    for name, value in environ.items():
        if name.startswith(_OPTION_PREFIX) and len(name) > len(_OPTION_PREFIX):
            options[name.removeprefix(_OPTION_PREFIX).lower()] = value
    if environ.get("CASEPORT_URL"):
        url, source = environ["CASEPORT_URL"], "CASEPORT_URL"
    return StoreSettings(url=url, options=options, source=source)
