"""Graph walks and the timeline in SQL: one query per breadth-first layer, never the whole graph.

Each layer is a single query over the indexed link endpoints for the whole frontier at once;
Python keeps only what the walk has reached (distances and the links followed), which is the
answer being built. The results are exactly those of :mod:`contracts.emulation` (same
membership, same path order), which the tests compare on random graphs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from adapters.sql.codec import decode_entity, decode_link
from adapters.sql.dialects import FALSE, Fragment
from adapters.sql.engine import Session
from adapters.sql.schema import instant
from contracts.emulation import Step, shortest_paths_by_layer
from contracts.errors import ValidationFailed
from contracts.models.entities import Entity, EntityKind
from contracts.results import Direction, Hop, Path, Subgraph, TimelineEntry

__all__ = ["degree", "expand", "neighbourhood", "shortest_paths", "timeline"]

_EVENT = EntityKind.EVENT.value


def _member(expression: str, values: frozenset[str] | None) -> Fragment | None:
    """``expression`` is one of ``values``; ``None`` when there is no restriction."""
    if values is None:
        return None
    if not values:
        return FALSE
    ordered = sorted(values)
    return Fragment(f"{expression} IN ({', '.join('?' for _ in ordered)})", tuple(ordered))


def _kinds(kinds: frozenset[EntityKind] | None) -> frozenset[str] | None:
    return None if kinds is None else frozenset(kind.value for kind in kinds)


def _hops_sql(
    session: Session,
    nodes: Sequence[str],
    direction: Direction,
    link_types: frozenset[str] | None,
    neighbour_kinds: frozenset[EntityKind] | None,
    columns: str,
) -> Fragment:
    """Every hop from any of ``nodes``: one query, as the union of its two ends.

    ``columns`` is the select list over the link ``l`` and the neighbour ``n``; in it
    ``{node}`` stands for the expanded node's id, ``{neighbour}`` for the neighbour's and
    ``{outgoing}`` for 1 (the node is the link's source) or 0. The neighbour's row is joined
    only when the columns or a kind filter need it: links always have both ends.
    """
    joined = "n." in columns or neighbour_kinds is not None
    parts = []
    for outgoing in (True, False):
        near, far = ("source_id", "target_id") if outgoing else ("target_id", "source_id")
        tests = [session.dialect.in_list(f"l.{near}", nodes)]
        if not outgoing:
            tests.append(Fragment("l.source_id <> l.target_id"))  # a self-link is one out-hop
        if (direction == "in") if outgoing else (direction == "out"):
            tests.append(Fragment("NOT l.directed"))  # only undirected links go both ways
        for extra in (_member("l.type", link_types), _member("n.kind", _kinds(neighbour_kinds))):
            if extra is not None:
                tests.append(extra)
        condition = Fragment.join(" AND ", tests)
        selected = columns.format(
            node=f"l.{near}", neighbour=f"l.{far}", outgoing=1 if outgoing else 0
        )
        join = f" JOIN entities n ON n.id = l.{far}" if joined else ""
        sql = f"SELECT {selected} FROM links l{join} WHERE {condition.sql}"
        parts.append(Fragment(sql, condition.params))
    return Fragment.join(" UNION ALL ", parts)


def expand(
    session: Session,
    entity_id: str,
    link_types: frozenset[str] | None,
    direction: Direction,
    neighbour_kinds: frozenset[EntityKind] | None,
) -> list[Hop]:
    """Every hop from ``entity_id``, ordered by link id (see ``CaseStore._expand``)."""
    union = _hops_sql(
        session,
        [entity_id],
        direction,
        link_types,
        neighbour_kinds,
        "l.id AS link_id, l.body, n.body, {outgoing} AS outgoing",
    )
    rows = session.rows(Fragment(f"{union.sql} ORDER BY link_id", union.params))
    return [
        Hop(
            link=decode_link(str(link)),
            neighbour=decode_entity(str(neighbour)),
            direction="out" if outgoing else "in",
        )
        for _, link, neighbour, outgoing in rows
    ]


def degree(
    session: Session,
    entity_ids: Sequence[str],
    link_types: frozenset[str] | None,
    direction: Direction,
) -> dict[str, int]:
    """How many hops :func:`expand` gives each of ``entity_ids``, counted in one statement.

    The hops are those of :func:`_hops_sql`: a self-link counts once (as ``out``), an
    undirected link in either direction.
    """
    union = _hops_sql(session, entity_ids, direction, link_types, None, "{node} AS node")
    statement = Fragment(
        f"SELECT h.node, count(*) FROM ({union.sql}) h GROUP BY h.node", union.params
    )
    counted = dict.fromkeys(entity_ids, 0)
    for node, hops in session.rows(statement):
        counted[str(node)] = int(hops)
    return counted


def _bodies(
    session: Session, entity_ids: Sequence[str], link_ids: Sequence[str]
) -> tuple[list[str], list[str]]:
    """The stored entities and links of these ids, each by id, read in one statement."""
    parts = []
    for table, ids in (("entities", entity_ids), ("links", link_ids)):
        if ids:
            test = session.dialect.in_list("id", ids)
            tag = 0 if table == "entities" else 1
            sql = f"SELECT {tag} AS tag, id, body FROM {table} WHERE {test.sql}"
            parts.append(Fragment(sql, test.params))
    found: tuple[list[str], list[str]] = ([], [])
    if parts:
        union = Fragment.join(" UNION ALL ", parts)
        for tag, _, body in session.rows(f"{union.sql} ORDER BY tag, id", union.params):
            found[int(tag)].append(str(body))
    return found


def neighbourhood(
    session: Session,
    root: Entity,
    depth: int,
    link_types: frozenset[str] | None,
    direction: Direction,
    kinds: frozenset[EntityKind] | None,
    max_entities: int,
) -> Subgraph:
    """Breadth-first neighbourhood, as :func:`contracts.emulation.neighbourhood` defines it.

    Raises:
        ValidationFailed: more than ``max_entities`` entities would be returned.
    """
    reached = {root.id}
    followed: set[str] = set()
    frontier = [root.id]
    for _ in range(depth):
        statement = _hops_sql(session, frontier, direction, link_types, kinds, "l.id, {neighbour}")
        found: set[str] = set()
        for link_id, neighbour in session.rows(statement):
            followed.add(str(link_id))
            if neighbour not in reached:
                found.add(str(neighbour))
        reached |= found
        if len(reached) > max_entities:
            raise ValidationFailed(
                f"the neighbourhood of {root.id!r} holds more than {max_entities} "
                "entities; lower the depth or filter by link type or kind"
            )
        frontier = sorted(found)
        if not frontier:
            break
    entity_bodies, link_bodies = _bodies(session, sorted(reached - {root.id}), sorted(followed))
    entities = {root.id: root}
    for body in entity_bodies:
        entity = decode_entity(body)
        entities[entity.id] = entity
    return Subgraph(
        entities=tuple(entities[key] for key in sorted(entities)),
        links=tuple(decode_link(body) for body in link_bodies),
    )


def shortest_paths(
    session: Session,
    source: Entity,
    target: Entity,
    max_depth: int,
    link_types: frozenset[str] | None,
    direction: Direction,
    via_kinds: frozenset[EntityKind] | None,
    max_paths: int,
) -> list[Path]:
    """All shortest paths, as :func:`contracts.emulation.shortest_paths` defines them.

    The layer's bidirectional search itself is reused; each layer of either side is one query
    over the indexed link endpoints for its whole frontier.
    """
    # The neighbours' kinds are read (which takes a join) only when a kind filter needs them.
    kind = "n.kind" if via_kinds is not None else "NULL"
    columns = f"{{node}} AS node, l.id, {{neighbour}}, {kind}"

    def expand_layer(frontier: Sequence[str], towards: Direction) -> Iterator[Step]:
        statement = _hops_sql(session, frontier, towards, link_types, None, columns)
        for node, link_id, neighbour, kind in session.rows(statement):
            known = None if kind is None else EntityKind(kind)
            yield str(node), str(link_id), str(neighbour), known

    return shortest_paths_by_layer(
        source.id,
        target.id,
        expand_layer,
        max_depth=max_depth,
        direction=direction,
        via_kinds=via_kinds,
        max_paths=max_paths,
    )


def _window(start: datetime | None, end: datetime | None, alias: str) -> Fragment:
    tests = [Fragment(f"{alias}.kind = ?", (_EVENT,))]
    tests.append(Fragment(f"{alias}.event_occurred_from IS NOT NULL"))
    if start is not None:
        tests.append(Fragment(f"{alias}.event_until >= ?", (instant(start),)))
    if end is not None:
        tests.append(Fragment(f"{alias}.event_occurred_from < ?", (instant(end),)))
    return Fragment.join(" AND ", tests)


def timeline(
    session: Session, targets: list[Entity], start: datetime | None, end: datetime | None
) -> list[TimelineEntry]:
    """Events that are, or are linked by one hop to, ``targets``, by start time then id.

    Filters on the indexed ``event_occurred_from`` and ``event_until`` columns; see
    :func:`contracts.emulation.timeline` for the definition.
    """
    ids = [target.id for target in targets]
    if not ids:
        return []
    own = _window(start, end, "e")
    via = _window(start, end, "n")
    selves = session.dialect.in_list("e.id", ids)
    sources = session.dialect.in_list("l.source_id", ids)
    targets_in = session.dialect.in_list("l.target_id", ids)
    statement = Fragment.join(
        " UNION ALL ",
        [
            Fragment(
                f"SELECT e.id, e.id FROM entities e WHERE {selves.sql} AND {own.sql}",
                (*selves.params, *own.params),
            ),
            Fragment(
                "SELECT n.id, l.source_id FROM links l JOIN entities n ON n.id = l.target_id"
                f" WHERE {sources.sql} AND {via.sql}",
                (*sources.params, *via.params),
            ),
            Fragment(
                "SELECT n.id, l.target_id FROM links l JOIN entities n ON n.id = l.source_id"
                f" WHERE {targets_in.sql} AND l.source_id <> l.target_id AND {via.sql}",
                (*targets_in.params, *via.params),
            ),
        ],
    )
    related: dict[str, set[str]] = {}
    for event_id, target_id in session.rows(statement):
        related.setdefault(str(event_id), set()).add(str(target_id))
    if not related:
        return []
    test = session.dialect.in_list("id", sorted(related))
    rows = session.rows(
        f"SELECT body FROM entities WHERE {test.sql} ORDER BY event_occurred_from, id",
        test.params,
    )
    entries = []
    for (body,) in rows:
        event = decode_entity(str(body))
        entries.append(TimelineEntry(event=event, related_ids=tuple(sorted(related[event.id]))))
    return entries
