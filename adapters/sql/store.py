"""The in-house store: :class:`SqlBackend` over SQLite or PostgreSQL, and :class:`SqlCaseStore`.

Records are kept whole as JSON (:func:`adapters.sql.codec.encode_body`), beside the columns
that index them (see :mod:`adapters.sql.schema`). Entity filters, ordering and keyset paging
run in SQL (:mod:`adapters.sql.query`), full-text search with FTS5 or ``tsvector``; searches of
the other record types read their fields from the JSON (:mod:`adapters.sql.records`) and leave
only words to the layer. Graph walks and the timeline run as layered SQL
(:mod:`adapters.sql.graph`), bulk upserts in one transaction per batch
(:mod:`adapters.sql.writes`), and export streams.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import ClassVar, Final

from typing_extensions import override

from adapters._url import StoreURL
from adapters.sql import analytics, graph, records
from adapters.sql.codec import decode, decode_entity, read_body
from adapters.sql.connect import SqlOptions, engine_for, sql_arguments
from adapters.sql.dialects import Fragment
from adapters.sql.engine import Engine, OpenMode, Session, WriteFaultPoint, missing_store
from adapters.sql.errors import lock_timed_out
from adapters.sql.migrations import HEAD, migrate, schema_status
from adapters.sql.query import search_statement
from adapters.sql.writes import EncodedBatch, insert_record, replace_record, write_batch
from contracts.admission import is_record_id
from contracts.aggregation import AggregateQuery, Aggregation
from contracts.backend import StoreBackend
from contracts.capabilities import Capability, Support, declare
from contracts.errors import ConfigurationError, Unavailable
from contracts.models.common import Record, RecordType
from contracts.planning import split_conjuncts
from contracts.query import Filter, OrderKey
from contracts.requests import (
    DegreeRequest,
    ExpandRequest,
    NeighbourhoodRequest,
    PathsRequest,
    SearchPlan,
    SearchRequest,
    TimelineRequest,
)
from contracts.results import (
    AdapterInfo,
    BulkReport,
    Hop,
    Path,
    Subgraph,
    TimelineEntry,
    UnreadableRecord,
)
from contracts.store import CaseStore

__all__ = ["SqlBackend", "SqlCaseStore", "from_url"]

_VERSION: Final = "0.1.0"
_TABLES: Final = {RecordType.ENTITY: "entities", RecordType.LINK: "links"}
_LAYER_DOES: Final[Mapping[Capability, Support]] = {
    Capability.SEARCH_RECORDS: Support.PARTIAL,
    Capability.SEARCH_COUNT: Support.PARTIAL,
    Capability.SEARCH_AGGREGATE: Support.PARTIAL,
    Capability.GRAPH_EXPAND: Support.PARTIAL,
}
"""What the layer does, wholly or in part, for this backend; the rest is native."""
_RECORD_TEXT_NOTE: Final = (
    "SQL filters and orders links, cases, reports and exhibits by their fields; the layer "
    "matches words (text conditions) in them, over the records SQL returns"
)


def _source(record_type: RecordType) -> tuple[str, str, tuple[str, ...]]:
    """The table of a record type, the condition that selects its rows and its parameters."""
    table = _TABLES.get(record_type)
    if table is not None:
        return table, "1 = 1", ()
    return "documents", "record_type = ?", (record_type.value,)


class SqlBackend(StoreBackend):
    """A backend in a SQLite file or a PostgreSQL schema; safe to share between threads.

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

    CAPABILITIES = declare(
        **{
            capability.name: _LAYER_DOES.get(capability, Support.NATIVE)
            for capability in Capability
        }
    )
    NOTES: ClassVar[Mapping[Capability, str]] = {
        Capability.SEARCH_RECORDS: _RECORD_TEXT_NOTE,
        Capability.SEARCH_COUNT: (
            "SQL counts entities, and links, cases, reports and exhibits under any filter but "
            "one with text conditions, which the layer counts over the search's results"
        ),
        Capability.SEARCH_AGGREGATE: (
            "SQL groups entities by any field and property, links and documents by their column "
            "fields, with min and max of any field and exact integer sums and averages; the "
            "layer groups the rest (float sums and averages, properties' metrics, other fields "
            "of links and documents, numeric property keys on PostgreSQL)"
        ),
        Capability.GRAPH_EXPAND: (
            "SQL follows the links; filters on neighbours and links are applied by the layer, "
            "since a text condition on links has no exact SQL form"
        ),
    }

    def __init__(self, engine: Engine, *, upgrade: bool = True) -> None:
        self._engine = engine
        self.overlaps_writes = engine.overlaps_writes
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

    @property
    def engine(self) -> Engine:
        """The connections this backend uses (for upkeep commands and tests)."""
        return self._engine

    @property
    def info(self) -> AdapterInfo:
        """Name, version and the database behind this store."""
        return AdapterInfo(
            name="sql", version=_VERSION, backend=self._engine.describe(), kind=self._engine.kind
        )

    # ------------------------------------------------------------------ primitives

    @override
    def insert(self, record: Record) -> Record | None:
        return self._engine.run(lambda session: insert_record(session, record), write=True)

    @override
    def fetch(
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

    @override
    def replace(self, record: Record, expected_version: int) -> None:
        self._engine.run(
            lambda session: replace_record(session, record, expected_version), write=True
        )

    @override
    def scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        table, scope, params = _source(record_type)
        after = "" if after_id is None else " AND id > ?"
        statement = f"SELECT body FROM {table} WHERE {scope}{after} ORDER BY id LIMIT ?"
        values = (*params, *(() if after_id is None else (after_id,)), limit)
        rows = self._engine.run(lambda session: session.rows(statement, values), write=False)
        return [decode(record_type, str(body)) for (body,) in rows]

    @override
    def plan_search(
        self, record_type: RecordType, condition: Filter | None, order_by: tuple[OrderKey, ...]
    ) -> SearchPlan:
        """Entity searches run whole in SQL; of other records' searches, all but ``Text``."""
        if record_type is RecordType.ENTITY:
            return SearchPlan(pushed=condition)
        return split_conjuncts(
            condition,
            order_by,
            compiles=lambda part: records.compiles(record_type, part),
            orders=True,
            note=_RECORD_TEXT_NOTE,
        )

    @override
    def search(self, request: SearchRequest) -> list[Record]:
        kind = request.record_type

        def read(session: Session) -> list[Record]:
            if kind is RecordType.ENTITY:
                statement = search_statement(
                    request.condition,
                    request.order_by,
                    request.after,
                    request.limit,
                    session.dialect,
                )
                return [decode_entity(str(body)) for (body,) in session.rows(statement)]
            statement = records.record_search_statement(
                kind,
                request.condition,
                request.order_by,
                request.after,
                request.limit,
                session.dialect,
            )
            return [decode(kind, str(body)) for (body,) in session.rows(statement)]

        return self._engine.run(read, write=False)

    @override
    def expand(self, request: ExpandRequest) -> list[Hop]:
        return self._engine.run(
            lambda session: graph.expand(
                session,
                request.entity_id,
                request.link_types,
                request.direction,
                request.neighbour_kinds,
            ),
            write=False,
        )

    @override
    def degree(self, request: DegreeRequest) -> dict[str, int]:
        return self._engine.run(
            lambda session: graph.degree(
                session, request.entity_ids, request.link_types, request.direction
            ),
            write=False,
        )

    @override
    def count(self, record_type: RecordType, condition: Filter | None) -> int | None:
        """Counted in one statement; ``None`` for a filter of records SQL cannot decide."""
        return self._engine.run(
            lambda session: analytics.count(session, record_type, condition), write=False
        )

    @override
    def aggregate(self, record_type: RecordType, query: AggregateQuery) -> Aggregation | None:
        """One ``GROUP BY`` (see :mod:`adapters.sql.analytics`); ``None`` where it is not exact."""
        return self._engine.run(
            lambda session: analytics.aggregate(session, record_type, query), write=False
        )

    @override
    def encode_batch(self, records: list[Record]) -> Sequence[Record]:
        return EncodedBatch(self._engine.dialect, records)

    @override
    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        report = self._engine.run(lambda session: write_batch(session, records), write=True)
        self._engine.wrote(report.created + report.updated)
        return report

    @override
    def export_many(
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

    @override
    def existing_ids(self, record_type: RecordType, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored, reading the ids only, not the records."""
        wanted = [key for key in ids if is_record_id(key)]
        if not wanted:
            return set()

        def read(session: Session) -> set[str]:
            table, scope, params = _source(record_type)
            test = session.dialect.in_list("id", wanted)
            statement = f"SELECT id FROM {table} WHERE {scope} AND {test.sql}"
            return {str(row[0]) for row in session.rows(statement, (*params, *test.params))}

        return self._engine.run(read, write=False)

    # ------------------------------------------------------------------ native operations

    @override
    def neighbourhood(self, request: NeighbourhoodRequest) -> Subgraph:
        return self._engine.run(
            lambda session: graph.neighbourhood(
                session,
                request.root,
                request.depth,
                request.link_types,
                request.direction,
                request.kinds,
                request.max_entities,
            ),
            write=False,
        )

    @override
    def shortest_paths(self, request: PathsRequest) -> list[Path]:
        return self._engine.run(
            lambda session: graph.shortest_paths(
                session,
                request.source,
                request.target,
                request.max_depth,
                request.link_types,
                request.direction,
                request.via_kinds,
                request.max_paths,
            ),
            write=False,
        )

    @override
    def timeline(self, request: TimelineRequest) -> list[TimelineEntry]:
        return self._engine.run(
            lambda session: graph.timeline(
                session, list(request.targets), request.start, request.end
            ),
            write=False,
        )

    @override
    def write_faults(self) -> WriteFaultPoint:
        """The engine's write fault point, for conformance testing only (unarmed, it does nothing).

        A backend write is one statement of a write transaction; once armed, the statement it
        fails raises an injected driver error and its transaction rolls back.
        """
        return self._engine.write_faults

    @override
    def close(self) -> None:
        """Close every connection; calling it twice is harmless."""
        self._engine.close()


class SqlCaseStore(CaseStore):
    """The store over a new :class:`SqlBackend` (see there for the arguments and errors)."""

    def __init__(self, engine: Engine, *, upgrade: bool = True) -> None:
        self._sql = SqlBackend(engine, upgrade=upgrade)
        super().__init__(self._sql)

    @classmethod
    def open(cls, url: str, options: Mapping[str, str] | None = None) -> SqlCaseStore:
        """Open the store at a ``sqlite:`` or ``postgresql:`` URL (see :func:`from_url`)."""
        return from_url(url, options or {})

    @property
    def engine(self) -> Engine:
        """The connections the backend uses (for upkeep commands and tests)."""
        return self._sql.engine


def from_url(url: StoreURL | str, options: SqlOptions | Mapping[str, str]) -> SqlCaseStore:
    """Build a store from a ``sqlite:`` or ``postgresql:`` URL and its options.

    Called with text, the URL is parsed and the options validated here (see
    :class:`~adapters.sql.connect.SqliteOptions` and
    :class:`~adapters.sql.connect.PostgresqlOptions`); through :func:`adapters.connect`, the
    registry has done both.

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
    parsed, read = sql_arguments(url, options)
    return SqlCaseStore(engine_for(parsed, read), upgrade=read.upgrade)
