"""Which adapter serves which URL scheme.

Three sources, looked up in this order: adapters registered at run time with
:func:`register_adapter` (tests, embedding applications), the built-in table below, and
third-party packages that declare an entry point in the group ``caseport.adapters`` (name: the
URL scheme; value: ``module:factory``). A factory takes the URL and its options and returns a
:class:`~contracts.store.CaseStore`. Nothing is overridden silently: registering a scheme that
is taken fails, and so does an entry point that claims a built-in scheme.
"""

from __future__ import annotations

import difflib
import importlib
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import Final

from contracts.errors import ConfigurationError
from contracts.store import CaseStore

__all__ = [
    "BUILTIN_ADAPTERS",
    "ENTRY_POINT_GROUP",
    "AdapterFactory",
    "AdapterSpec",
    "known_schemes",
    "register_adapter",
    "resolve",
]

ENTRY_POINT_GROUP: Final = "caseport.adapters"

AdapterFactory = Callable[[str, Mapping[str, str]], CaseStore]
"""Builds a store from a URL and its options (query parameters merged with keywords)."""


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """Where a built-in adapter lives and what it needs.

    Attributes:
        target: ``module:function`` of the factory, imported on first use.
        extra: the optional-dependency extra that provides its packages, if any.
        description: one line for ``caseport info`` and error messages.
        user_names: whether its URLs may name a user (``postgresql://USER@HOST/DB``); a
            password is never accepted in any URL.
    """

    target: str
    extra: str | None
    description: str
    user_names: bool = False


BUILTIN_ADAPTERS: Final[Mapping[str, AdapterSpec]] = MappingProxyType(
    {
        "foundry+fake": AdapterSpec(
            "adapters.foundry.testing:from_url",
            "http",
            "Palantir Foundry adapter over an in-memory fake ontology (foundry+fake://)",
        ),
        "foundry+https": AdapterSpec(
            "adapters.foundry:from_url",
            "http",
            "Palantir Foundry Ontology API v2 (foundry+https://HOST/ONTOLOGY?mapping=FILE)",
        ),
        "memory": AdapterSpec(
            "adapters.memory:from_url", None, "in-memory reference store with fault injection"
        ),
        "postgresql": AdapterSpec(
            "adapters.sql:from_url",
            "postgres",
            "PostgreSQL server, one schema per store (postgresql://user@host/db?schema=NAME)",
            user_names=True,
        ),
        "sqlite": AdapterSpec(
            "adapters.sql:from_url",
            None,
            "SQLite file, the embedded default (sqlite:///relative.db, sqlite:////abs/path.db)",
        ),
    }
)
"""Built-in schemes, alphabetical, read-only."""

_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}", re.ASCII)
_runtime: dict[str, AdapterFactory] = {}
_lock = threading.Lock()


def register_adapter(scheme: str, factory: AdapterFactory, *, replace: bool = False) -> None:
    """Serve ``scheme`` with ``factory`` in this process.

    Raises:
        ConfigurationError: the scheme is not a lowercase URL scheme (a letter, then letters,
            digits, ``+``, ``-`` or ``.``), is built in, or is already registered and
            ``replace`` is false.
    """
    if not _SCHEME.fullmatch(str(scheme)):
        raise ConfigurationError(
            "an adapter's scheme must be a lowercase URL scheme such as 'vendor+https'"
        )
    with _lock:
        if scheme in BUILTIN_ADAPTERS:
            raise ConfigurationError(f"scheme {scheme!r} is built in and cannot be replaced")
        if scheme in _runtime and not replace:
            raise ConfigurationError(f"scheme {scheme!r} is already registered")
        _runtime[scheme] = factory


def _import_factory(target: str, scheme: str, extra: str | None) -> AdapterFactory:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = f"pip install 'caseport[{extra}]'" if extra else "reinstall caseport"
        missing = exc.name or module_name
        raise ConfigurationError(
            f"the {scheme}:// adapter needs the package {missing!r}, which is not installed; "
            f"run: {hint}"
        ) from exc
    factory: AdapterFactory | None = getattr(module, attribute, None)
    if not callable(factory):
        raise ConfigurationError(f"the {scheme}:// adapter has no factory {target!r}")
    return factory


def _entry_point_factory(scheme: str) -> AdapterFactory | None:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == scheme]
    if not matches:
        return None
    if len(matches) > 1:
        owners = ", ".join(sorted(ep.value for ep in matches))
        raise ConfigurationError(f"several packages claim scheme {scheme!r}: {owners}")
    try:
        factory: AdapterFactory = matches[0].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"the adapter for {scheme}:// ({matches[0].value}) cannot be imported: {exc}"
        ) from exc
    return factory


def known_schemes() -> list[str]:
    """Every scheme that can be served, sorted."""
    schemes = set(BUILTIN_ADAPTERS) | set(_runtime)
    schemes |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(schemes)


def resolve(scheme: str) -> AdapterFactory:
    """The factory serving ``scheme``.

    Raises:
        ConfigurationError: no adapter serves it, it is claimed twice, or its dependencies are
            not installed (the message names the ``pip install`` command).
    """
    with _lock:
        runtime = _runtime.get(scheme)
    if runtime is not None:
        return runtime
    spec = BUILTIN_ADAPTERS.get(scheme)
    if spec is not None:
        if any(ep.name == scheme for ep in entry_points(group=ENTRY_POINT_GROUP)):
            raise ConfigurationError(
                f"an installed package claims the built-in scheme {scheme!r}; uninstall it"
            )
        return _import_factory(spec.target, scheme, spec.extra)
    factory = _entry_point_factory(scheme)
    if factory is None:
        known = known_schemes()
        raise ConfigurationError(
            f"no adapter for URL scheme {scheme!r}{_did_you_mean(scheme, known)}; known "
            f"schemes: {', '.join(known)}. Third-party adapters register under the "
            f"entry-point group {ENTRY_POINT_GROUP!r}"
        )
    return factory


_SCHEME_ALIASES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "postgres": "postgresql",
        "pg": "postgresql",
        "postgresql+psycopg": "postgresql",
        "postgresql+psycopg2": "postgresql",
        "sqlite3": "sqlite",
        "file": "sqlite",
        "mem": "memory",
        "foundry": "foundry+https",
        "https": "foundry+https",
    }
)
"""Schemes other tools use for a backend served here under another name."""


def _did_you_mean(scheme: str, known: list[str]) -> str:
    """`` (did you mean postgresql://?)`` for a known alias or a close scheme, else nothing."""
    alias = _SCHEME_ALIASES.get(scheme)
    close = [alias] if alias in known else difflib.get_close_matches(scheme, known, n=2)
    if not close:
        return ""
    return f" (did you mean {' or '.join(f'{name}://' for name in close)}?)"
