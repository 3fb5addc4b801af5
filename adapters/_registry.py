"""Which adapter serves which URL scheme.

Three sources, looked up in this order: adapters registered at run time with
:func:`register_adapter` (tests, embedding applications), the built-in table below, and
third-party packages that declare an entry point in the group ``caseport.adapters`` (name: the
URL scheme; value: ``module:object``). Nothing is overridden silently: registering a scheme that
is taken fails, and so does an entry point that claims a built-in scheme.

An adapter is an :class:`Adapter`: a factory that takes the checked
:class:`~adapters._url.StoreURL` and the store's options validated against the adapter's
:class:`~adapters._options.AdapterOptions` model, and returns a
:class:`~contracts.store.CaseStore`. A plain function ``factory(url: str, options:
Mapping[str, str])`` (an :data:`AdapterFactory`, the form of earlier versions) still works: it
gets the URL as text and the options as strings, and checks them itself.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Generic

from pydantic import Field

from adapters._options import AdapterOptions, OptionsT
from contracts.errors import ConfigurationError
from contracts.store import CaseStore

if TYPE_CHECKING:
    from adapters._url import StoreURL

__all__ = [
    "BUILTIN_ADAPTERS",
    "ENTRY_POINT_GROUP",
    "Adapter",
    "AdapterFactory",
    "AdapterSpec",
    "known_schemes",
    "missing_dependency",
    "register_adapter",
    "resolve",
    "suggest_scheme",
]

ENTRY_POINT_GROUP: Final = "caseport.adapters"

AdapterFactory = Callable[[str, Mapping[str, str]], CaseStore]
"""A factory of the earlier form: the URL as text and its options as strings."""


@dataclass(frozen=True, slots=True)
class Adapter(Generic[OptionsT]):
    """A factory and the model of the options it reads.

    Attributes:
        factory: builds the store from the checked URL and the validated options.
        options: the options model; the registry validates every store's options against it.
    """

    factory: Callable[[StoreURL, OptionsT], CaseStore]
    options: type[OptionsT]

    @property
    def declares_options(self) -> bool:
        """Whether :attr:`options` lists the options (not so for a factory of the earlier form)."""
        return self.options is not UndeclaredOptions


class UndeclaredOptions(AdapterOptions):
    """The options of an adapter of the earlier form, which checks them itself."""

    PASSTHROUGH = "given"

    given: dict[str, str] = Field(default_factory=dict)


def _earlier(factory: AdapterFactory) -> Adapter[UndeclaredOptions]:
    """``factory``, of the earlier form, as an :class:`Adapter`."""

    def build(url: StoreURL, options: UndeclaredOptions) -> CaseStore:
        return factory(url.text, dict(options.given))

    return Adapter(build, UndeclaredOptions)


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """Where a built-in adapter lives and what it needs.

    Attributes:
        target: ``module:function`` of the factory, imported on first use.
        extra: the optional-dependency extra that provides its packages, if any.
        description: one line for ``caseport info`` and error messages.
        user_names: whether its URLs may name a user (``postgresql://USER@HOST/DB``); a
            password is never accepted in any URL.
        options: ``module:class`` of its :class:`~adapters._options.AdapterOptions` model
            (none: the factory is of the earlier form and checks its options itself).
        requires: the top-level packages it needs from its extra, looked for before import.
    """

    target: str
    extra: str | None
    description: str
    user_names: bool = False
    options: str | None = None
    requires: tuple[str, ...] = ()


_HTTP: Final = ("httpx", "tenacity")
BUILTIN_ADAPTERS: Final[Mapping[str, AdapterSpec]] = MappingProxyType(
    {
        "foundry+fake": AdapterSpec(
            "adapters.foundry.testing:from_url",
            "http",
            "Palantir Foundry adapter over an in-memory fake ontology (foundry+fake://)",
            options="adapters.foundry.options:FoundryFakeOptions",
            requires=_HTTP,
        ),
        "foundry+https": AdapterSpec(
            "adapters.foundry:from_url",
            "http",
            "Palantir Foundry Ontology API v2 (foundry+https://HOST/ONTOLOGY?mapping=FILE)",
            options="adapters.foundry.options:FoundryOptions",
            requires=_HTTP,
        ),
        "memory": AdapterSpec(
            "adapters.memory:from_url",
            None,
            "in-memory reference store with fault injection",
            options="adapters.memory:MemoryOptions",
        ),
        "postgresql": AdapterSpec(
            "adapters.sql:from_url",
            "postgres",
            "PostgreSQL server, one schema per store (postgresql://user@host/db?schema=NAME)",
            user_names=True,
            options="adapters.sql.connect:PostgresqlOptions",
            requires=("psycopg", "psycopg_pool"),
        ),
        "sqlite": AdapterSpec(
            "adapters.sql:from_url",
            None,
            "SQLite file, the embedded default (sqlite:///relative.db, sqlite:////abs/path.db)",
            options="adapters.sql.connect:SqliteOptions",
        ),
    }
)
"""Built-in schemes, alphabetical, read-only."""

_SCHEME: Final = re.compile(r"[a-z][a-z0-9+.-]{0,31}", re.ASCII)
_runtime: dict[str, Adapter[Any]] = {}
_lock = threading.Lock()


def register_adapter(
    scheme: str, factory: Adapter[Any] | AdapterFactory, *, replace: bool = False
) -> None:
    """Serve ``scheme`` with ``factory`` in this process.

    ``factory`` is an :class:`Adapter`, or a function of the earlier form (an
    :data:`AdapterFactory`), which gets the URL as text and the options as strings.

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
        _runtime[scheme] = _adapter(factory)


def _adapter(factory: Adapter[Any] | AdapterFactory) -> Adapter[Any]:
    return factory if isinstance(factory, Adapter) else _earlier(factory)


def missing_dependency(scheme: str, package: str) -> ConfigurationError:
    """The error for a ``scheme`` whose ``package`` is not installed, with the command to run."""
    spec = BUILTIN_ADAPTERS.get(scheme)
    extra = spec.extra if spec is not None else None
    hint = f"pip install 'caseport[{extra}]'" if extra else "reinstall caseport"
    return ConfigurationError(
        f"the {scheme}:// adapter needs the package {package!r}, which is not installed; "
        f"run: {hint}"
    )


def _import(target: str, scheme: str) -> Any:
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise missing_dependency(scheme, exc.name or module_name) from exc
    found = getattr(module, attribute, None)
    if found is None:
        raise ConfigurationError(f"the {scheme}:// adapter has no {target!r}")
    return found


def _builtin(scheme: str, spec: AdapterSpec) -> Adapter[Any]:
    for package in spec.requires:
        if importlib.util.find_spec(package) is None:
            raise missing_dependency(scheme, package)
    factory = _import(spec.target, scheme)
    if not callable(factory):
        raise ConfigurationError(f"the {scheme}:// adapter has no factory {spec.target!r}")
    if spec.options is None:
        return _earlier(factory)
    model = _import(spec.options, scheme)
    return Adapter(factory, model)


def _entry_point_factory(scheme: str) -> Adapter[Any] | None:
    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == scheme]
    if not matches:
        return None
    if len(matches) > 1:
        owners = ", ".join(sorted(ep.value for ep in matches))
        raise ConfigurationError(f"several packages claim scheme {scheme!r}: {owners}")
    try:
        loaded = matches[0].load()
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(
            f"the adapter for {scheme}:// ({matches[0].value}) cannot be imported: {exc}"
        ) from exc
    if not (isinstance(loaded, Adapter) or callable(loaded)):
        raise ConfigurationError(
            f"the entry point for {scheme}:// ({matches[0].value}) is neither an Adapter nor "
            "a factory function"
        )
    return _adapter(loaded)


def known_schemes() -> list[str]:
    """Every scheme that can be served, sorted."""
    schemes = set(BUILTIN_ADAPTERS) | set(_runtime)
    schemes |= {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(schemes)


def resolve(scheme: str) -> Adapter[Any]:
    """The adapter serving ``scheme``: its factory and its options model.

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
        return _builtin(scheme, spec)
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


def suggest_scheme(scheme: str) -> str:
    """`` (did you mean postgresql://?)`` when ``scheme`` is near a known scheme, else ``""``."""
    return _did_you_mean(scheme, known_schemes())


def _did_you_mean(scheme: str, known: list[str]) -> str:
    """`` (did you mean postgresql://?)`` for a known alias or a close scheme, else nothing."""
    alias = _SCHEME_ALIASES.get(scheme)
    close = [alias] if alias in known else difflib.get_close_matches(scheme, known, n=2)
    if not close:
        return ""
    return f" (did you mean {' or '.join(f'{name}://' for name in close)}?)"
