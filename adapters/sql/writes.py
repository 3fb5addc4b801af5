"""Writing records: single creates and compare-and-set updates, and bulk batches.

Every function runs inside a write transaction given by the engine, so each is atomic. Derived
rows (an entity's ``entity_values`` and its full-text entry) are written in the same
transaction as the record. Entities are keyed internally by ``rid`` (the full-text index and
``entity_values`` refer to it); links and documents by their id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from adapters.sql.codec import decode
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

__all__ = ["DOCUMENT_COLUMNS", "insert_record", "replace_record", "value_rows", "write_batch"]

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
    session: Session, rid: int, entity: Entity, spilled: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """The ``entity_values`` rows of an entity, each value in the column of its kind.

    ``spilled`` are its search terms that the dialect keeps here (``Dialect.stored_terms``).
    """
    rows: list[tuple[Any, ...]] = []
    for name, seq, value in multi_values(entity):
        text = number = flag = None
        if isinstance(value, bool):
            flag = value
        elif isinstance(value, int | float):
            number = session.dialect.number(value)
        elif isinstance(value, datetime):
            text = instant(value)
        else:
            text = value
        rows.append((rid, name, seq, text, number, flag))
    for seq, term in enumerate(spilled):
        rows.append((rid, SPILLED_TERMS_FIELD, seq, term, None, None))
    return rows


def _entity_rows(
    session: Session, entity: Entity, rid: int, body: str
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    """The ``entities`` row of an entity and its ``entity_values`` rows."""
    column, spilled = session.dialect.stored_terms(entity_terms(entity))
    return entity_row(entity, rid, body, column), value_rows(session, rid, entity, spilled)


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
    body = record.model_dump_json()
    if isinstance(record, Entity):
        rid = session.next_ids("entities", 1)[0]
        names, marks = ", ".join(ENTITY_COLUMNS), ", ".join("?" for _ in ENTITY_COLUMNS)
        row, values = _entity_rows(session, record, rid, body)
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
            link_row(record, body),
        )
        if inserted:
            return None
        found = session.one("SELECT body FROM links WHERE id = ?", (record.id,))
    else:
        inserted = session.rows(
            "INSERT INTO documents (record_type, id, version, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (record_type, id) DO NOTHING RETURNING id",
            (record.RECORD_TYPE.value, record.id, record.version, body),
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
    body = record.model_dump_json()
    kind = record.RECORD_TYPE.value
    if isinstance(record, Entity):
        column, spilled = session.dialect.stored_terms(entity_terms(record))
        row = entity_row(record, 0, body, column)
        assignments = ", ".join(f"{c} = ?" for c in _ENTITY_SET)
        changed = session.rows(
            f"UPDATE entities SET {assignments} WHERE id = ? AND version = ? RETURNING rid",
            (*_settable(row, ENTITY_COLUMNS, _ENTITY_SET), record.id, expected_version),
        )
        if changed:
            rid = int(changed[0][0])
            _replace_values(session, [rid], value_rows(session, rid, record, spilled))
        table, key = "entities", "id = ?"
        params: tuple[str, ...] = (record.id,)
    elif isinstance(record, Link):
        assignments = ", ".join(f"{c} = ?" for c in _LINK_SET)
        row = link_row(record, body)
        changed = session.rows(
            f"UPDATE links SET {assignments} WHERE id = ? AND version = ? RETURNING id",
            (*_settable(row, LINK_COLUMNS, _LINK_SET), record.id, expected_version),
        )
        table, key, params = "links", "id = ?", (record.id,)
    else:
        changed = session.rows(
            "UPDATE documents SET version = ?, body = ? WHERE record_type = ? AND id = ?"
            " AND version = ? RETURNING id",
            (record.version, body, kind, record.id, expected_version),
        )
        table, key, params = "documents", "record_type = ? AND id = ?", (kind, record.id)
    if not changed:
        found = session.one(f"SELECT version FROM {table} WHERE {key}", params)
        actual = None if found is None else int(found[0])
        raise Conflict(kind, record.id, expected_version, actual)


@dataclass
class _Plan:
    """What a batch does to one table: rows to create, rows to rewrite, records left alone."""

    creates: list[tuple[Record, str]] = field(default_factory=list)
    updates: list[tuple[int, Record, str]] = field(default_factory=list)
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


def _plan(session: Session, record_type: RecordType, records: Sequence[Record]) -> _Plan:
    plan = _Plan()
    existing = _existing(session, record_type, [record.id for record in records])
    for record in records:
        body = record.model_dump_json()
        stored = existing.get(record.id)
        if stored is None:
            plan.creates.append((record, body))
        elif stored[2] == body or decode(record_type, str(stored[2])) == record:
            # Equal models may serialise differently (1 and 1.0); the stored one is kept.
            plan.unchanged += 1
        else:
            plan.updates.append((int(stored[1]), record, body))
    return plan


def _create(session: Session, record_type: RecordType, creates: list[tuple[Record, str]]) -> None:
    if record_type is RecordType.LINK:
        rows = [link_row(record, body) for record, body in creates if isinstance(record, Link)]
        session.insert_rows("links", LINK_COLUMNS, rows)
    elif record_type is RecordType.ENTITY:
        entities = [(record, body) for record, body in creates if isinstance(record, Entity)]
        rids = session.next_ids("entities", len(entities))
        pairs = list(zip(rids, entities, strict=True))
        rows, values = [], []
        for rid, (entity, body) in pairs:
            row, entity_values = _entity_rows(session, entity, rid, body)
            rows.append(row)
            values.extend(entity_values)
        session.insert_rows("entities", ENTITY_COLUMNS, rows)
        session.insert_rows("entity_values", VALUE_COLUMNS, values)
        _index_terms(session, rids[0], rids[-1])
    else:
        rows = [(record_type.value, record.id, record.version, body) for record, body in creates]
        session.insert_rows("documents", DOCUMENT_COLUMNS, rows)


def _update(
    session: Session, record_type: RecordType, updates: list[tuple[int, Record, str]]
) -> None:
    if record_type is RecordType.ENTITY:
        rows, values, rids = [], [], []
        for rid, record, body in updates:
            if isinstance(record, Entity):
                row, entity_values = _entity_rows(session, record, rid, body)
                rows.append(row)
                values.extend(entity_values)
                rids.append(rid)
        session.executemany(
            _UPDATE_ENTITY, [[*_settable(row, ENTITY_COLUMNS, _ENTITY_SET), row[0]] for row in rows]
        )
        _replace_values(session, rids, values)
    elif record_type is RecordType.LINK:
        links = [link_row(r, body) for _, r, body in updates if isinstance(r, Link)]
        session.executemany(
            _UPDATE_LINK, [[*_settable(row, LINK_COLUMNS, _LINK_SET), row[0]] for row in links]
        )
    else:
        session.executemany(
            _UPDATE_DOCUMENT,
            [(record.version, body, record_type.value, record.id) for _, record, body in updates],
        )


def write_batch(session: Session, records: Sequence[Record]) -> BulkReport:
    """Store every record as given, all in the caller's transaction.

    Entities are written before links so every link finds its endpoints.
    """
    created = updated = unchanged = 0
    for record_type in RecordType:
        group = [record for record in records if record.RECORD_TYPE is record_type]
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
