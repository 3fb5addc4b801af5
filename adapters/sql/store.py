"""The in-house store: :class:`SqlCaseStore` over SQLite or PostgreSQL.

Records are kept whole as JSON (:func:`adapters.sql.codec.encode_body`), beside the columns
that index them (see :mod:`adapters.sql.schema`). Every capability is native: filters, ordering
and keyset paging in SQL (:mod:`adapters.sql.query`), full-text search with FTS5 or
``tsvector``, graph walks and the timeline as layered SQL (:mod:`adapters.sql.graph`), bulk
upserts in one transaction per batch (:mod:`adapters.sql.writes`) and streaming export.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Final

from adapters._connect import split_url
from adapters._options import OptionReader
from adapters.sql import graph
from adapters.sql.codec import decode, decode_entity, read_body
from adapters.sql.connect import open_engine
from adapters.sql.dialects import Fragment
from adapters.sql.engine import Engine, OpenMode, Session, WriteFaultPoint, missing_store
from adapters.sql.errors import lock_timed_out
from adapters.sql.migrations import HEAD, migrate, schema_status
from adapters.sql.query import search_statement
from adapters.sql.writes import EncodedBatch, insert_record, replace_record, write_batch
from contracts.admission import is_record_id
from contracts.capabilities import Capability, Support, declare
from contracts.errors import ConfigurationError, NotFound, Unavailable
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.paging import SortPosition
from contracts.query import Filter, OrderKey
from contracts.results import (
    AdapterInfo,
    BulkReport,
    Direction,
    Hop,
    Path,
    Subgraph,
    TimelineEntry,
    UnreadableRecord,
)
from contracts.store import CaseStore

__all__ = ["SqlCaseStore", "from_url"]

_VERSION: Final = "0.1.0"
_TABLES: Final = {RecordType.ENTITY: "entities", RecordType.LINK: "links"}


def _source(record_type: RecordType) -> tuple[str, str, tuple[str, ...]]:
    """The table of a record type, the condition that selects its rows and its parameters."""
    table = _TABLES.get(record_type)
    if table is not None:
        return table, "1 = 1", ()
    return "documents", "record_type = ?", (record_type.value,)


class SqlCaseStore(CaseStore):
    """A store in a SQLite file or a PostgreSQL schema; safe to share between threads.

    Args:
        engine: the connections to use; the store closes it. Its ``mode`` decides what opening
            may do: ``rwc`` creates the store's tables in a new database; ``rw`` and ``ro``
            need a database that holds a caseport store already, and ``ro`` never migrates.
        upgrade: apply pending schema migrations when the database is behind (the default);
            when false, a database behind this code is refused.

    Raises:
        ConfigurationError: the schema is newer than this code, or behind and ``upgrade`` is
            false or the engine read-only; or (``rw``, ``ro``) the database holds no store.
        Unavailable: the schema is behind and another process held the database for longer than
            the engine waits (SQLite's ``busy_timeout_ms``) while this one tried to upgrade it.
    """

    CAPABILITIES = declare(**{capability.name: Support.NATIVE for capability in Capability})

    def __init__(self, engine: Engine, *, upgrade: bool = True) -> None:
        self._engine = engine
        self._overlaps_writes = engine.overlaps_writes
        try:
            current = schema_status(engine).current
            if current == 0 and engine.mode is not OpenMode.CREATE:
                raise missing_store(engine.location, "it holds no caseport tables")
            if current < HEAD:
                if engine.mode is OpenMode.READ_ONLY:
                    raise ConfigurationError(
                        f"the database schema is at version {current} and this caseport needs "
                        f"{HEAD}; a store opened read-only is never upgraded: run caseport db "
                        "upgrade URL first"
                    )
                if not upgrade:
                    raise ConfigurationError(
                        f"the database schema is at version {current} and this caseport needs "
                        f"{HEAD}; run: caseport db upgrade URL"
                    )
                try:
                    migrate(engine)
                except Unavailable as exc:
                    if not lock_timed_out(exc):
                        raise
                    raise Unavailable(
                        f"{exc}, while upgrading the schema from version {current} to {HEAD}: "
                        "another process holds the database, and may be upgrading it too; on a "
                        "large database run `caseport db upgrade URL` alone before starting others"
                    ) from exc
        except BaseException:
            engine.close()
            raise

    @classmethod
    def open(cls, url: str, options: Mapping[str, str] | None = None) -> SqlCaseStore:
        """Open the store at a ``sqlite:`` or ``postgresql:`` URL (see :func:`from_url`)."""
        return from_url(url, options or {})

    @property
    def info(self) -> AdapterInfo:
        """Name, version and the database behind this store."""
        return AdapterInfo(
            name="sql", version=_VERSION, backend=self._engine.describe(), kind=self._engine.kind
        )

    # ------------------------------------------------------------------ primitives

    def _insert(self, record: Record) -> Record | None:
        return self._engine.run(lambda session: insert_record(session, record), write=True)

    def _fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> dict[str, Record | UnreadableRecord]:
        wanted = [key for key in ids if is_record_id(key)]
        if not wanted:
            return {}

        def read(session: Session) -> dict[str, Record | UnreadableRecord]:
            table, scope, params = _source(record_type)
            test = session.dialect.in_list("id", wanted)
            rows = session.rows(
                f"SELECT id, body FROM {table} WHERE {scope} AND {test.sql}",
                (*params, *test.params),
            )
            return {str(key): read_body(record_type, str(key), str(body)) for key, body in rows}

        return self._engine.run(read, write=False)

    def _replace(self, record: Record, expected_version: int) -> None:
        self._engine.run(
            lambda session: replace_record(session, record, expected_version), write=True
        )

    def _scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        table, scope, params = _source(record_type)
        after = "" if after_id is None else " AND id > ?"
        statement = f"SELECT body FROM {table} WHERE {scope}{after} ORDER BY id LIMIT ?"
        values = (*params, *(() if after_id is None else (after_id,)), limit)
        rows = self._engine.run(lambda session: session.rows(statement, values), write=False)
        return [decode(record_type, str(body)) for (body,) in rows]

    def _search(
        self,
        condition: Filter | None,
        order_by: tuple[OrderKey, ...],
        after: SortPosition | None,
        limit: int,
    ) -> list[Entity]:
        def read(session: Session) -> list[Entity]:
            statement = search_statement(condition, order_by, after, limit, session.dialect)
            return [decode_entity(str(body)) for (body,) in session.rows(statement)]

        return self._engine.run(read, write=False)

    def _expand(
        self,
        entity_id: str,
        link_types: frozenset[str] | None,
        direction: Direction,
        neighbour_kinds: frozenset[EntityKind] | None,
    ) -> list[Hop]:
        return self._engine.run(
            lambda session: graph.expand(
                session, entity_id, link_types, direction, neighbour_kinds
            ),
            write=False,
        )

    def _encode_batch(self, records: list[Record]) -> Sequence[Record]:
        return EncodedBatch(self._engine.dialect, records)

    def _write_batch(self, records: Sequence[Record]) -> BulkReport:
        report = self._engine.run(lambda session: write_batch(session, records), write=True)
        self._engine.wrote(report.created + report.updated)
        return report

    def _export(self, record_type: RecordType) -> Iterator[Record | UnreadableRecord]:
        return self._export_many([record_type])

    def _export_many(
        self, record_types: Sequence[RecordType]
    ) -> Iterator[Record | UnreadableRecord]:
        """Stream the records of ``record_types`` in that order from one snapshot."""
        statements = []
        for record_type in record_types:
            table, scope, params = _source(record_type)
            sql = f"SELECT id, body FROM {table} WHERE {scope} ORDER BY id"
            statements.append(Fragment(sql, params))
        for index, (key, body) in self._engine.stream(statements):
            yield read_body(record_types[index], str(key), str(body))

    def _check_endpoints(self, links: Sequence[Link], known: set[str]) -> None:
        """As the base class, but reads only whether the endpoints exist, not the entities."""
        wanted = {end for link in links for end in (link.source_id, link.target_id)} - known
        if not wanted:
            return

        def read(session: Session) -> set[str]:
            test = session.dialect.in_list("id", sorted(wanted))
            return {
                str(row[0])
                for row in session.rows(f"SELECT id FROM entities WHERE {test.sql}", test.params)
            }

        found = self._engine.run(read, write=False)
        for link in links:
            for end in (link.source_id, link.target_id):
                if end not in known and end not in found:
                    raise NotFound(RecordType.ENTITY.value, end)

    # ------------------------------------------------------------------ native operations

    def _native_neighbourhood(
        self,
        root: Entity,
        depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        kinds: frozenset[EntityKind] | None,
        max_entities: int,
    ) -> Subgraph:
        return self._engine.run(
            lambda session: graph.neighbourhood(
                session, root, depth, link_types, direction, kinds, max_entities
            ),
            write=False,
        )

    def _native_shortest_paths(
        self,
        source: Entity,
        target: Entity,
        max_depth: int,
        link_types: frozenset[str] | None,
        direction: Direction,
        via_kinds: frozenset[EntityKind] | None,
        max_paths: int,
    ) -> list[Path]:
        return self._engine.run(
            lambda session: graph.shortest_paths(
                session, source, target, max_depth, link_types, direction, via_kinds, max_paths
            ),
            write=False,
        )

    def _native_timeline(
        self, targets: list[Entity], start: datetime | None, end: datetime | None
    ) -> list[TimelineEntry]:
        return self._engine.run(
            lambda session: graph.timeline(session, targets, start, end), write=False
        )

    def write_faults(self) -> WriteFaultPoint:
        """The engine's write fault point, for conformance testing only (unarmed, it does nothing).

        A backend write is one statement of a write transaction; once armed, the statement it
        fails raises an injected driver error and its transaction rolls back.
        """
        return self._engine.write_faults

    def close(self) -> None:
        """Close every connection; calling it twice is harmless."""
        self._engine.close()


def from_url(url: str, options: Mapping[str, str]) -> SqlCaseStore:
    """Build a store from a ``sqlite:`` or ``postgresql:`` URL and its options.

    ``sqlite:///caseport.db`` is a file relative to the working directory, created on first
    use; ``sqlite:////var/lib/caseport/case.db`` an absolute path. SQLite options:
    ``busy_timeout_ms`` (10000), ``synchronous`` (``full``). PostgreSQL options: ``schema``
    (created when missing), ``pool_min`` (1), ``pool_max`` (10), ``temporary`` (``true``: the
    store creates the schema and drops it on close; a schema that exists is refused), and any
    libpq parameter. Both: ``upgrade`` (``true``: apply pending schema migrations on open) and
    ``mode``: ``rwc`` (the default) creates the database and its tables when missing; ``rw``
    opens only an existing store; ``ro`` opens an existing store at this code's schema version
    for reading only: nothing is created, migrated or written, and writes raise
    ``PermissionDenied``.

    Raises:
        ConfigurationError: a bad URL or option, missing psycopg, a schema this code cannot
            use, or (``rw``, ``ro``) no store at the URL.
        Unavailable: the PostgreSQL server cannot be reached.
    """
    scheme, url_options = split_url(url)
    upgrade = OptionReader(scheme, {**url_options, **options}).flag("upgrade", default=True)
    return SqlCaseStore(open_engine(url, options), upgrade=upgrade)
