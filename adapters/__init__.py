"""caseport adapters: the backends behind the contract, and how to pick one.

``connect(url)`` returns a :class:`~contracts.store.CaseStore`; with no URL it reads the
configuration (see :mod:`adapters.config`).
"""

from adapters._connect import connect, redact_url, split_url
from adapters._registry import (
    BUILTIN_ADAPTERS,
    ENTRY_POINT_GROUP,
    AdapterFactory,
    AdapterSpec,
    known_schemes,
    register_adapter,
)
from adapters._registry import resolve as resolve_adapter
from adapters.config import DEFAULT_NOTE, DEFAULT_URL, StoreSettings, load_settings
from adapters.faults import FaultInjector, FaultPlan
from adapters.memory import InMemoryCaseStore, MemoryBackend

__all__ = [
    "AdapterFactory",
    "AdapterSpec",
    "BUILTIN_ADAPTERS",
    "DEFAULT_NOTE",
    "DEFAULT_URL",
    "ENTRY_POINT_GROUP",
    "FaultInjector",
    "FaultPlan",
    "InMemoryCaseStore",
    "MemoryBackend",
    "StoreSettings",
    "connect",
    "known_schemes",
    "load_settings",
    "redact_url",
    "register_adapter",
    "resolve_adapter",
    "split_url",
]
