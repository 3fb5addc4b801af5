"""The closed list of capabilities and how an adapter declares them.

Each adapter declares every capability as ``NATIVE`` (the backend does it), ``EMULATED`` (the
layer composes it from other operations, e.g. shortest paths as a breadth-first search over
``expand``) or ``UNSUPPORTED`` (calling it raises :class:`~contracts.errors.NotSupported`).
Nothing is guessed: a capability missing from a declaration is an error when the adapter class
is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = ["EMULATABLE", "Capability", "Support", "declare"]


class Capability(StrEnum):
    """Everything a store may be able to do beyond keeping entities and links."""

    CASES = "records.cases"
    INTELLIGENCE_REPORTS = "records.intelligence_reports"
    EXHIBITS = "records.exhibits"
    SEARCH_FILTER = "search.filter"
    SEARCH_TEXT = "search.text"
    SEARCH_ORDER = "search.order"
    GRAPH_EXPAND = "graph.expand"
    GRAPH_NEIGHBOURHOOD = "graph.neighbourhood"
    GRAPH_SHORTEST_PATHS = "graph.shortest_paths"
    TIMELINE = "timeline"
    BULK_UPSERT = "bulk.upsert"
    BULK_EXPORT = "bulk.export"


class Support(StrEnum):
    """How an adapter provides a capability."""

    NATIVE = "native"
    EMULATED = "emulated"
    UNSUPPORTED = "unsupported"


EMULATABLE: Final[frozenset[Capability]] = frozenset(
    {Capability.GRAPH_NEIGHBOURHOOD, Capability.GRAPH_SHORTEST_PATHS, Capability.TIMELINE}
)
"""Capabilities the layer can provide on top of ``expand`` and reads."""


def declare(**support: Support) -> Mapping[Capability, Support]:
    """Build a complete, read-only declaration from ``CAPABILITY_NAME=Support`` keywords.

    Example: ``declare(**{c.name: Support.NATIVE for c in Capability})``.

    Raises:
        ValueError: a capability is missing or unknown, or declared ``EMULATED`` when it cannot
            be emulated or when ``GRAPH_EXPAND``, which emulation walks, is unsupported.
    """
    names = {capability.name: capability for capability in Capability}
    unknown = set(support) - set(names)
    if unknown:
        raise ValueError(f"unknown capabilities: {', '.join(sorted(unknown))}")
    missing = set(names) - set(support)
    if missing:
        raise ValueError(f"undeclared capabilities: {', '.join(sorted(missing))}")
    declared = {names[name]: Support(value) for name, value in support.items()}
    for capability, how in declared.items():
        if how is Support.EMULATED and capability not in EMULATABLE:
            raise ValueError(f"{capability.value} cannot be emulated by the layer")
        if how is Support.EMULATED and declared[Capability.GRAPH_EXPAND] is Support.UNSUPPORTED:
            raise ValueError(
                f"{capability.value} is emulated over graph.expand, which is unsupported"
            )
    return MappingProxyType(dict(sorted(declared.items(), key=lambda kv: kv[0].value)))
