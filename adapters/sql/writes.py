"""Writing records: single creates and compare-and-set updates, and bulk batches.

Every writing function runs inside a write transaction given by the engine, so each is
atomic; serialising a record and deriving its rows (:func:`encode`) needs no transaction, so a
bulk write does it beforehand, while the previous batch is being written. Derived rows (an
entity's ``entity_values`` and its full-text entry) are written in the same transaction as the
record. Entities are keyed internally by ``rid`` (the full-text index and
``entity_values`` refer to it); links and documents by their id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, overload

from adapters.sql.codec import decode, encode_body, read_body
from adapters.sql.dialects import Dialect
from adapters.sql.engine import Row, Session
from adapters.sql.schema import (
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    SPILLED_TERMS_FIELD,
    VALUE_COLUMNS,
    entity_row,
    entity_terms,
    instant,
    link_row,
    multi_values,
)
from contracts.errors import Conflict
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.results import BulkReport

__all__ = [
    "DOCUMENT_COLUMNS",
    "Encoded",
    "EncodedBatch",
    "encode",
    "insert_record",
    "replace_record",
    "value_rows",
    "write_batch",
]

DOCUMENT_COLUMNS: Final = ("record_type", "id", "version", "body")
_ENTITY_SET: Final = tuple(c for c in ENTITY_COLUMNS if c not in ("rid", "id"))
_LINK_SET: Final = tuple(c for c in LINK_COLUMNS if c != "id")
_UPDATE_ENTITY: Final = (
    f"UPDATE entities SET {', '.join(f'{c} = ?' for c in _ENTITY_SET)} WHERE rid = ?"
)
_UPDATE_LINK: Final = f"UPDATE links SET {', '.join(f'{c} = ?' for c in _LINK_SET)} WHERE id = ?"
_UPDATE_DOCUMENT: Final = (
    "UPDATE documents SET version = ?, body = ? WHERE record_type = ? AND id = ?"
)


def value_rows(
    dialect: Dialect, entity: Entity, spilled: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """The ``entity_values`` rows of an entity less their leading ``rid``.

    Each value sits in the column of its kind; ``spilled`` are the entity's search terms that
    the dialect keeps here (``Dialect.stored_terms``).
    """
    rows: list[tuple[Any, ...]] = []
    for name, seq, value in multi_values(entity):
        text = number = flag = None
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, int | float):
            number = dialect.number(value)
        elif isinstance(value, datetime):
            text = instant(value)
        else:
            text = value
        rows.append((name, seq, text, number, flag))
    for seq, term in enumerate(spilled):
        rows.append((SPILLED_TERMS_FIELD, seq, term, None, None))
    return rows


@dataclass(frozen=True, slots=True)
class Encoded:
    """A record with the rows that store it, computed outside any transaction.

    ``row`` is the record's row in its table; an entity's starts with a placeholder ``rid`` of
    0 (the real one is drawn when it is written) and ``values`` are its ``entity_values`` rows
    less the ``rid``.
    """

    record: Record
    body: str
    row: tuple[Any, ...]
    values: list[tuple[Any, ...]]

    def entity_rows(self, rid: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        """The entity's row and ``entity_values`` rows with ``rid`` filled in."""
        return (rid, *self.row[1:]), [(rid, *value) for value in self.values]


def encode(dialect: Dialect, record: Record) -> Encoded:
    """Serialise ``record`` and derive its rows (see :mod:`adapters.sql.schema`)."""
    body = encode_body(record)
    if isinstance(record, Entity):
        column, spilled = dialect.stored_terms(entity_terms(record))
        row = entity_row(record, 0, body, column)
        return Encoded(record, body, row, value_rows(dialect, record, spilled))
    if isinstance(record, Link):
        return Encoded(record, body, link_row(record, body), [])
    return Encoded(record, body, (record.RECORD_TYPE.value, record.id, record.version, body), [])


class EncodedBatch(Sequence[Record]):
    """A batch of records with their encodings, grouped by record type.

    It is the sequence of its records, so it can travel wherever a batch of records does.
    """

    def __init__(self, dialect: Dialect, records: Sequence[Record]) -> None:
        self._records = list(records)
        self.groups: dict[RecordType, list[Encoded]] = {}
        for record in self._records:
            self.groups.setdefault(record.RECORD_TYPE, []).append(encode(dialect, record))

    def __len__(self) -> int:
        return len(self._records)

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        return self._records[index]


def _settable(row: tuple[Any, ...], columns: tuple[str, ...], kept: tuple[str, ...]) -> list[Any]:
    """The values of ``kept`` columns, taken from a full row of ``columns``."""
    return [value for column, value in zip(columns, row, strict=True) if column in kept]


def _index_terms(session: Session, first_rid: int, last_rid: int) -> None:
    statement = session.dialect.index_new_terms(first_rid, last_rid)
    if statement is not None:
        session.execute(statement)


def _replace_values(session: Session, rids: list[int], rows: list[tuple[Any, ...]]) -> None:
    """Replace every ``entity_values`` row of the entities ``rids`` with ``rows``."""
    test = session.dialect.in_list("rid", rids)
    session.execute(f"DELETE FROM entity_values WHERE {test.sql}", test.params)
    session.insert_rows("entity_values", VALUE_COLUMNS, rows)


def insert_record(session: Session, record: Record) -> Record | None:
    """Store a new record unless its id is taken; return the stored one when it is."""
    encoded = encode(session.dialect, record)
    if isinstance(record, Entity):
        rid = session.next_ids("entities", 1)[0]
        row, values = encoded.entity_rows(rid)
        names, marks = ", ".join(ENTITY_COLUMNS), ", ".join("?" for _ in ENTITY_COLUMNS)
        inserted = session.rows(
            f"INSERT INTO entities ({names}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING"
            " RETURNING rid",
            row,
        )
        if inserted:
            session.insert_rows("entity_values", VALUE_COLUMNS, values)
            _index_terms(session, rid, rid)
            return None
        found = session.one("SELECT body FROM entities WHERE id = ?", (record.id,))
    elif isinstance(record, Link):
        names, marks = ", ".join(LINK_COLUMNS), ", ".join("?" for _ in LINK_COLUMNS)
        inserted = session.rows(
            f"INSERT INTO links ({names}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING"
            " RETURNING id",
            encoded.row,
        )
        if inserted:
            return None
        found = session.one("SELECT body FROM links WHERE id = ?", (record.id,))
    else:
        inserted = session.rows(
            "INSERT INTO documents (record_type, id, version, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (record_type, id) DO NOTHING RETURNING id",
            encoded.row,
        )
        if inserted:
            return None
        found = session.one(
            "SELECT body FROM documents WHERE record_type = ? AND id = ?",
            (record.RECORD_TYPE.value, record.id),
        )
    if found is None:  # pragma: no cover - the conflicting row cannot vanish: nothing deletes
        raise Conflict(record.RECORD_TYPE.value, record.id, 0, None)
    return decode(record.RECORD_TYPE, str(found[0]))


def replace_record(session: Session, record: Record, expected_version: int) -> None:
    """Replace the stored record if its version is ``expected_version``.

    Raises:
        Conflict: the stored version differs, or there is no stored record.
    """
    encoded = encode(session.dialect, record)
    kind = record.RECORD_TYPE.value
    if isinstance(record, Entity):
        assignments = ", ".join(f"{c} = ?" for c in _ENTITY_SET)
        changed = session.rows(
            f"UPDATE entities SET {assignments} WHERE id = ? AND version = ? RETURNING rid",
            (*_settable(encoded.row, ENTITY_COLUMNS, _ENTITY_SET), record.id, expected_version),
        )
        if changed:
            rid = int(changed[0][0])
            _replace_values(session, [rid], encoded.entity_rows(rid)[1])
        table, key = "entities", "id = ?"
        params: tuple[str, ...] = (record.id,)
    elif isinstance(record, Link):
        assignments = ", ".join(f"{c} = ?" for c in _LINK_SET)
        changed = session.rows(
            f"UPDATE links SET {assignments} WHERE id = ? AND version = ? RETURNING id",
            (*_settable(encoded.row, LINK_COLUMNS, _LINK_SET), record.id, expected_version),
        )
        table, key, params = "links", "id = ?", (record.id,)
    else:
        changed = session.rows(
            "UPDATE documents SET version = ?, body = ? WHERE record_type = ? AND id = ?"
            " AND version = ? RETURNING id",
            (record.version, encoded.body, kind, record.id, expected_version),
        )
        table, key, params = "documents", "record_type = ? AND id = ?", (kind, record.id)
    if not changed:
        found = session.one(f"SELECT version FROM {table} WHERE {key}", params)
        actual = None if found is None else int(found[0])
        raise Conflict(kind, record.id, expected_version, actual)


@dataclass
class _Plan:
    """What a batch does to one table: rows to create, rows to rewrite, records left alone."""

    creates: list[Encoded] = field(default_factory=list)
    updates: list[tuple[int, Encoded]] = field(default_factory=list)
    unchanged: int = 0


def _existing(session: Session, record_type: RecordType, ids: list[str]) -> dict[str, Row]:
    """The stored (id, rid, body) of those of ``ids`` that exist, locked where rows can be."""
    test = session.dialect.in_list("id", ids)
    lock = session.dialect.for_update
    if record_type is RecordType.ENTITY:
        statement = f"SELECT id, rid, body FROM entities WHERE {test.sql}{lock}"
        params: tuple[Any, ...] = test.params
    elif record_type is RecordType.LINK:
        statement = f"SELECT id, 0, body FROM links WHERE {test.sql}{lock}"
        params = test.params
    else:
        statement = f"SELECT id, 0, body FROM documents WHERE record_type = ? AND {test.sql}{lock}"
        params = (record_type.value, *test.params)
    return {str(row[0]): row for row in session.rows(statement, params)}


def _plan(session: Session, record_type: RecordType, group: list[Encoded]) -> _Plan:
    plan = _Plan()
    existing = _existing(session, record_type, [encoded.record.id for encoded in group])
    for encoded in group:
        stored = existing.get(encoded.record.id)
        if stored is None:
            plan.creates.append(encoded)
        elif stored[2] == encoded.body or (
            read_body(record_type, encoded.record.id, str(stored[2])) == encoded.record
        ):
            # Equal models may serialise differently (1 and 1.0, or a body stored in the full
            # form by an earlier version); the stored one is kept. A stored body that is not a
            # valid record is never equal: writing over it repairs it.
            plan.unchanged += 1
        else:
            plan.updates.append((int(stored[1]), encoded))
    return plan


def _create(session: Session, record_type: RecordType, creates: list[Encoded]) -> None:
    if record_type is RecordType.LINK:
        session.insert_rows("links", LINK_COLUMNS, [encoded.row for encoded in creates])
    elif record_type is RecordType.ENTITY:
        rids = session.next_ids("entities", len(creates))
        rows, values = [], []
        for rid, encoded in zip(rids, creates, strict=True):
            row, entity_values = encoded.entity_rows(rid)
            rows.append(row)
            values.extend(entity_values)
        session.insert_rows("entities", ENTITY_COLUMNS, rows)
        session.insert_rows("entity_values", VALUE_COLUMNS, values)
        _index_terms(session, rids[0], rids[-1])
    else:
        session.insert_rows("documents", DOCUMENT_COLUMNS, [encoded.row for encoded in creates])


def _update(session: Session, record_type: RecordType, updates: list[tuple[int, Encoded]]) -> None:
    if record_type is RecordType.ENTITY:
        rows, values = [], []
        for rid, encoded in updates:
            row, entity_values = encoded.entity_rows(rid)
            rows.append([*_settable(row, ENTITY_COLUMNS, _ENTITY_SET), rid])
            values.extend(entity_values)
        session.executemany(_UPDATE_ENTITY, rows)
        _replace_values(session, [rid for rid, _ in updates], values)
    elif record_type is RecordType.LINK:
        session.executemany(
            _UPDATE_LINK,
            [[*_settable(e.row, LINK_COLUMNS, _LINK_SET), e.record.id] for _, e in updates],
        )
    else:
        session.executemany(
            _UPDATE_DOCUMENT,
            [(e.record.version, e.body, record_type.value, e.record.id) for _, e in updates],
        )


def write_batch(session: Session, records: Sequence[Record]) -> BulkReport:
    """Store every record as given, all in the caller's transaction.

    ``records`` may be an :class:`EncodedBatch` made beforehand. Entities are written before
    links so every link finds its endpoints.
    """
    if not isinstance(records, EncodedBatch):
        records = EncodedBatch(session.dialect, records)
    created = updated = unchanged = 0
    for record_type in RecordType:
        group = records.groups.get(record_type)
        if not group:
            continue
        plan = _plan(session, record_type, group)
        if plan.creates:
            _create(session, record_type, plan.creates)
        if plan.updates:
            _update(session, record_type, plan.updates)
        created += len(plan.creates)
        updated += len(plan.updates)
        unchanged += plan.unchanged
    return BulkReport(created=created, updated=updated, unchanged=unchanged, batches=1)
