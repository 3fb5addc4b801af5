"""What read operations return: pages, hops, subgraphs, paths, timeline entries, reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from contracts.models.common import RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link

__all__ = [
    "AdapterInfo",
    "BulkReport",
    "Direction",
    "Hop",
    "Page",
    "Path",
    "PathIdentity",
    "Paths",
    "Subgraph",
    "TimelineEntry",
    "UnreadableRecord",
]

T = TypeVar("T")

Direction = Literal["out", "in", "both"]
"""Which links ``expand`` follows: those leaving the entity, entering it, or either.

An undirected link is followed in every direction.
"""


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Page(_Result, Generic[T]):
    """One page of results; pass ``next_cursor`` back to get the next, ``None`` at the end."""

    items: tuple[T, ...]
    next_cursor: str | None = None


class Hop(_Result):
    """One step of ``expand``: the link followed and the entity at its other end.

    ``direction`` is ``out`` when the expanded entity is the link's source, ``in`` when it is
    the target; for a self-link it is ``out``.
    """

    link: Link
    neighbour: Entity
    direction: Literal["out", "in"]


class Subgraph(_Result):
    """Entities and the links between them, each sorted by id."""

    entities: tuple[Entity, ...]
    links: tuple[Link, ...]


class Path(_Result):
    """A path: ``entity_ids[0]`` to ``entity_ids[-1]`` through ``link_ids`` in order.

    ``len(link_ids) == len(entity_ids) - 1``; a path from an entity to itself has no links.
    """

    entity_ids: tuple[str, ...]
    link_ids: tuple[str, ...]

    @property
    def length(self) -> int:
        """Number of links on the path."""
        return len(self.link_ids)


PathIdentity = Literal["links", "entities"]
"""When two paths are the same: by their links, or by the entities they pass through."""


class Paths(list[Path]):
    """Shortest paths in order; ``truncated`` is true when more existed than were returned."""

    def __init__(self, paths: Iterable[Path] = (), *, truncated: bool = False) -> None:
        super().__init__(paths)
        self.truncated = truncated

    def __repr__(self) -> str:
        return f"Paths({list.__repr__(self)}, truncated={self.truncated})"


class TimelineEntry(_Result):
    """An event on a timeline with the requested entities it is linked to (or is)."""

    event: Entity
    related_ids: tuple[str, ...]


class BulkReport(_Result):
    """What a bulk upsert wrote: counts per outcome and the number of committed batches."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        """Records seen."""
        return self.created + self.updated + self.unchanged


class AdapterInfo(_Result):
    """Who answers: the adapter's name and version, and a description of the backend."""

    name: str
    version: str
    backend: str
    kind: Literal["reference", "embedded", "server", "remote"] = "reference"


class UnreadableRecord(_Result):
    """A stored record its backend holds but that is not a valid record.

    Written by an older release, damaged, or edited behind caseport's back. Adapters hand one
    back from ``_fetch`` and ``_export_many`` instead of failing the whole read; ``reason`` says
    what is wrong without repeating the stored content.
    """

    record_type: RecordType
    record_id: str
    reason: str
