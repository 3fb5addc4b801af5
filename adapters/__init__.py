"""caseport adapters: the backends behind the contract, and how to pick one.

``connect(url)`` returns a :class:`~contracts.store.CaseStore`; with no URL it reads the
configuration (see :mod:`adapters.config`). The URL is parsed once into a :class:`StoreURL`;
each adapter declares its options as an :class:`AdapterOptions` model, which the registry
validates the store's options against before the adapter's factory runs.
"""

from adapters._connect import connect, redact_url, split_url, store_arguments
from adapters._options import AdapterOptions, OptionDoc, describe_options, validate_options
from adapters._registry import (
    BUILTIN_ADAPTERS,
    ENTRY_POINT_GROUP,
    Adapter,
    AdapterFactory,
    AdapterSpec,
    known_schemes,
    missing_dependency,
    register_adapter,
    suggest_scheme,
)
from adapters._registry import resolve as resolve_adapter
from adapters._url import StoreURL
from adapters.config import DEFAULT_NOTE, DEFAULT_URL, StoreSettings, load_settings
from adapters.faults import FaultInjector, FaultOptions, FaultPlan
from adapters.memory import InMemoryCaseStore, MemoryBackend, MemoryOptions

__all__ = [
    "Adapter",
    "AdapterFactory",
    "AdapterOptions",
    "AdapterSpec",
    "BUILTIN_ADAPTERS",
    "DEFAULT_NOTE",
    "DEFAULT_URL",
    "ENTRY_POINT_GROUP",
    "FaultInjector",
    "FaultOptions",
    "FaultPlan",
    "InMemoryCaseStore",
    "MemoryBackend",
    "MemoryOptions",
    "OptionDoc",
    "StoreSettings",
    "StoreURL",
    "connect",
    "describe_options",
    "known_schemes",
    "load_settings",
    "missing_dependency",
    "redact_url",
    "register_adapter",
    "resolve_adapter",
    "split_url",
    "store_arguments",
    "suggest_scheme",
    "validate_options",
]
