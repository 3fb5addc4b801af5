"""The closed list of capabilities and how an adapter declares them.

Each backend declares every capability as ``NATIVE`` (the backend does all of it), ``PARTIAL``
(the backend does part of it and the layer the rest, e.g. a filter pushed down with a residual
the layer applies; the backend says which part in its notes), ``EMULATED`` (the layer composes
it from other operations, e.g. shortest paths as a breadth-first search over ``expand``, or a
search over ``scan``) or ``UNSUPPORTED`` (calling it raises
:class:`~contracts.errors.NotSupported`). Nothing is guessed: a capability missing from a
declaration is an error when the backend class is defined.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "EMULATABLE",
    "GRAPH_WALKS",
    "PARTIABLE",
    "Capability",
    "Support",
    "declaration_problem",
    "declare",
]


class Capability(StrEnum):
    """Everything a store may be able to do beyond keeping entities and links."""

    CASES = "records.cases"
    INTELLIGENCE_REPORTS = "records.intelligence_reports"
    EXHIBITS = "records.exhibits"
    SEARCH_FILTER = "search.filter"
    SEARCH_TEXT = "search.text"
    SEARCH_ORDER = "search.order"
    SEARCH_RECORDS = "search.records"
    SEARCH_COUNT = "search.count"
    SEARCH_AGGREGATE = "search.aggregate"
    GRAPH_EXPAND = "graph.expand"
    GRAPH_DEGREE = "graph.degree"
    GRAPH_NEIGHBOURHOOD = "graph.neighbourhood"
    GRAPH_SHORTEST_PATHS = "graph.shortest_paths"
    TIMELINE = "timeline"
    BULK_UPSERT = "bulk.upsert"
    BULK_EXPORT = "bulk.export"


class Support(StrEnum):
    """How an adapter provides a capability."""

    NATIVE = "native"
    PARTIAL = "partial"
    EMULATED = "emulated"
    UNSUPPORTED = "unsupported"


EMULATABLE: Final[frozenset[Capability]] = frozenset(
    {
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
        Capability.GRAPH_EXPAND,
        Capability.GRAPH_DEGREE,
        Capability.GRAPH_NEIGHBOURHOOD,
        Capability.GRAPH_SHORTEST_PATHS,
        Capability.TIMELINE,
        Capability.BULK_EXPORT,
    }
)
"""Capabilities the layer can provide from a backend's ``scan`` and ``fetch``.

Search, ordering, counts, aggregates and ``expand`` are composed over ``scan``; neighbourhoods,
paths, degrees and timelines over ``expand`` (the backend's or the layer's); export pages
through ``scan``. Record types and
bulk writes cannot be emulated: they are storage.
"""

PARTIABLE: Final[frozenset[Capability]] = frozenset(
    {
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
        Capability.GRAPH_EXPAND,
    }
)
"""Capabilities a backend may do in part, the layer doing the rest (see
:class:`contracts.requests.SearchPlan`)."""


def declare(**support: Support) -> Mapping[Capability, Support]:
    """Build a complete, read-only declaration from ``CAPABILITY_NAME=Support`` keywords.

    Example: ``declare(**{c.name: Support.NATIVE for c in Capability})``.

    Raises:
        ValueError: a capability is missing or unknown, declared ``EMULATED`` or ``PARTIAL``
            when it cannot be, or a graph operation emulated over an unsupported
            ``GRAPH_EXPAND``.
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
        problem = declaration_problem(capability, how, declared)
        if problem:
            raise ValueError(problem)
    return MappingProxyType(dict(sorted(declared.items(), key=lambda kv: kv[0].value)))


GRAPH_WALKS: Final[frozenset[Capability]] = frozenset(
    {Capability.GRAPH_NEIGHBOURHOOD, Capability.GRAPH_SHORTEST_PATHS, Capability.TIMELINE}
)
"""The walks the layer composes from ``expand`` alone, for backends that leave them to it."""

_OVER_EXPAND: Final = GRAPH_WALKS | {Capability.GRAPH_DEGREE}


def declaration_problem(
    capability: Capability, how: Support, declared: Mapping[Capability, Support]
) -> str | None:
    """Why declaring ``capability`` as ``how`` beside ``declared`` is impossible, or ``None``."""
    if how is Support.EMULATED and capability not in EMULATABLE:
        return f"{capability.value} cannot be emulated by the layer"
    if how is Support.PARTIAL and capability not in PARTIABLE:
        return f"{capability.value} cannot be partial: the backend does all of it or none"
    expand = declared.get(Capability.GRAPH_EXPAND)
    if how is Support.EMULATED and capability in _OVER_EXPAND and expand is Support.UNSUPPORTED:
        return f"{capability.value} is emulated over graph.expand, which is unsupported"
    return None
