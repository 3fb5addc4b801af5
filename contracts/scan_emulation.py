"""Operations the layer composes from a backend's ``scan`` and ``fetch`` alone.

They make a backend with only the required primitives a complete store: search reads every
entity, ``expand`` every link, export pages through each record type. Correct by
construction and linear in the store's size, they are what a declaration of ``EMULATED``
means for search, ``graph.expand`` and ``bulk.export``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from contracts.backend import StoreBackend
from contracts.emulation import follows
from contracts.errors import UpstreamContractError
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.requests import ExpandRequest, SearchRequest
from contracts.results import Direction, Hop, UnreadableRecord

__all__ = [
    "SCAN_PAGE",
    "degree_over_scan",
    "expand_over_scan",
    "export_over_scan",
    "read_records",
    "readable",
]

SCAN_PAGE: Final = 1_000
"""Records read per ``scan`` call."""


def readable(item: Record | UnreadableRecord) -> Record:
    """``item`` when it is a record.

    Raises:
        UpstreamContractError: it is a stored record that is not valid, named with the repair.
    """
    if isinstance(item, UnreadableRecord):
        raise UpstreamContractError(
            f"the stored {item.record_type.value} {item.record_id!r} is not a valid record "
            f"({item.reason}); write a valid record with its id with upsert_many to repair it"
        )
    return item


def export_over_scan(
    backend: StoreBackend, record_types: Sequence[RecordType]
) -> Iterator[Record | UnreadableRecord]:
    """Every stored record of ``record_types``, each type by id, paged through ``scan``."""
    for record_type in record_types:
        after: str | None = None
        while True:
            rows = backend.scan(record_type, after, SCAN_PAGE)
            yield from rows
            if len(rows) < SCAN_PAGE:
                break
            last = rows[-1]
            after = last.record_id if isinstance(last, UnreadableRecord) else last.id


def read_records(backend: StoreBackend, request: SearchRequest) -> list[Record]:
    """Records of the request's type by id after ``request.after``: a search reader over scan.

    The request carries no condition and no order: the layer filters and sorts.
    """
    after = None if request.after is None else request.after.id
    rows = backend.scan(request.record_type, after, request.limit)
    return [readable(row) for row in rows]


def expand_over_scan(backend: StoreBackend, request: ExpandRequest) -> list[Hop]:
    """Every hop from ``request.entity_id``, found by reading every link."""
    entity_id = request.entity_id
    chosen: list[tuple[Link, bool]] = []
    for row in export_over_scan(backend, [RecordType.LINK]):
        link = readable(row)
        assert isinstance(link, Link)
        if entity_id not in (link.source_id, link.target_id):
            continue
        if request.link_types is not None and link.type not in request.link_types:
            continue
        outgoing = link.source_id == entity_id
        if follows(link, outgoing, request.direction):
            chosen.append((link, outgoing))
    others = sorted({link.target_id if out else link.source_id for link, out in chosen})
    found = backend.fetch(RecordType.ENTITY, others) if others else {}
    hops = []
    for link, outgoing in chosen:
        other = link.target_id if outgoing else link.source_id
        stored = found.get(other)
        if stored is None:
            raise UpstreamContractError(
                f"link {link.id!r} points to entity {other!r}, which the backend does not have"
            )
        neighbour = readable(stored)
        assert isinstance(neighbour, Entity)
        if request.neighbour_kinds is not None and neighbour.kind not in request.neighbour_kinds:
            continue
        hops.append(Hop(link=link, neighbour=neighbour, direction="out" if outgoing else "in"))
    return hops


def degree_over_scan(
    backend: StoreBackend,
    entity_ids: Sequence[str],
    link_types: frozenset[str] | None,
    direction: Direction,
) -> dict[str, int]:
    """How many hops ``expand`` gives each of ``entity_ids``, from one pass over every link."""
    wanted = set(entity_ids)
    counted = dict.fromkeys(entity_ids, 0)
    for row in export_over_scan(backend, [RecordType.LINK]):
        link = readable(row)
        assert isinstance(link, Link)
        if link_types is not None and link.type not in link_types:
            continue
        for end in {link.source_id, link.target_id} & wanted:
            if follows(link, link.source_id == end, direction):
                counted[end] += 1
    return counted
