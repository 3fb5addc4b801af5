"""Degrees of many entities as Foundry aggregates over link objects, grouped by endpoint.

``expand`` counts a link as ``out`` from its source and ``in`` at its target, an undirected
link in every direction, and a self-link once, as ``out``. The same count comes from three
aggregate requests per chunk of entities, each grouped by one endpoint property:

- links whose source is in the chunk (only undirected ones when ``direction`` is ``in``);
- links whose target is in the chunk (only undirected ones when ``direction`` is ``out``);
- self-links of the chunk that the second request counted, subtracted again: the where clause
  is an ``or`` of ``source = e and target = e`` per entity, three levels deep at most.

Link types are an ``in`` condition on the typed ``type`` property. Every request asks for an
accurate answer with room for one group per entity of the chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from adapters.foundry.mapping import RecordLayout
from adapters.foundry.wire import AggregateAnswer, decode_long
from contracts.errors import UpstreamContractError
from contracts.requests import DegreeRequest

__all__ = ["CHUNK", "DegreeQuery", "degree_layout_problem"]

CHUNK: Final = 200
"""Entities per request: their self-link clause holds up to four leaves each."""
_COUNT: Final = "count"


def degree_layout_problem(layout: RecordLayout) -> str | None:
    """Why degrees cannot be counted in Foundry with this link layout, or ``None``."""
    for path in ("source_id", "target_id", "type", "directed"):
        prop = layout.property_for(path)
        if prop is None or prop.multi:
            return f"the link mapping does not type {path}"
    return None


@dataclass(frozen=True, slots=True)
class DegreeQuery:
    """The aggregate requests counting the degrees of one chunk, and how to add them up."""

    request: DegreeRequest
    layout: RecordLayout
    chunk: tuple[str, ...]

    def _name(self, path: str) -> str:
        prop = self.layout.property_for(path)
        assert prop is not None  # checked by degree_layout_problem
        return prop.api_name

    def _common(self, undirected_only: bool) -> list[dict[str, Any]]:
        leaves: list[dict[str, Any]] = []
        if self.request.link_types is not None:
            types = sorted(self.request.link_types)
            leaves.append({"type": "in", "field": self._name("type"), "value": types})
        if undirected_only:
            leaves.append({"type": "eq", "field": self._name("directed"), "value": False})
        return leaves

    def _body(self, where: dict[str, Any], group: str) -> dict[str, Any]:
        return {
            "aggregation": [{"type": "count", "name": _COUNT}],
            "groupBy": [{"type": "exact", "field": group, "maxGroupCount": len(self.chunk)}],
            "where": where,
            "accuracy": "REQUIRE_ACCURATE",
        }

    @property
    def bodies(self) -> list[dict[str, Any]]:
        """The out, in and self-link request bodies, in that order."""
        source, target = self._name("source_id"), self._name("target_id")
        direction = self.request.direction
        ids = list(self.chunk)
        out = [{"type": "in", "field": source, "value": ids}, *self._common(direction == "in")]
        into_common = self._common(direction == "out")
        into = [{"type": "in", "field": target, "value": ids}, *into_common]
        loops = [
            {
                "type": "and",
                "value": [
                    {"type": "eq", "field": source, "value": entity_id},
                    {"type": "eq", "field": target, "value": entity_id},
                    *into_common,
                ],
            }
            for entity_id in ids
        ]
        return [
            self._body({"type": "and", "value": out}, source),
            self._body({"type": "and", "value": into}, target),
            self._body({"type": "or", "value": loops}, source),
        ]

    def read(self, answers: Sequence[AggregateAnswer]) -> dict[str, int]:
        """Each entity's degree from the answers to :attr:`bodies`."""
        out, into, loops = (
            self._counts(answer, group)
            for answer, group in zip(answers, ("source_id", "target_id", "source_id"), strict=True)
        )
        return {
            entity_id: out.get(entity_id, 0) + into.get(entity_id, 0) - loops.get(entity_id, 0)
            for entity_id in self.chunk
        }

    def _counts(self, answer: AggregateAnswer, path: str) -> dict[str, int]:
        if answer.accuracy not in (None, "ACCURATE") or answer.excluded_items:
            raise UpstreamContractError(
                "aggregate: Foundry answered approximately although asked to be accurate"
            )
        name = self._name(path)
        counts: dict[str, int] = {}
        for item in answer.data:
            key = item.group.get(name)
            found = [metric.value for metric in item.metrics if metric.name == _COUNT]
            if not isinstance(key, str) or len(found) != 1:
                raise UpstreamContractError(f"aggregate: Foundry's group {item.group!r}")
            try:
                counts[key] = decode_long(found[0])
            except ValueError:
                raise UpstreamContractError(f"aggregate: Foundry's count {found[0]!r}") from None
        return counts
