"""How records map to rows: the tables, their columns and the values derived from a record.

Every table keeps the record's JSON (:func:`adapters.sql.codec.encode_body`) in ``body``; that is
the truth, read back with full validation. The other columns are derived from it only to index and
query, and a migration may always recompute them from ``body``:

- ``entities``: one column per single-valued search field (:data:`COLUMN_FIELDS`), ``terms``
  (the search terms of :func:`contracts.evaluation.text_terms`) and ``event_until`` (the end of an
  event's interval, for the timeline);
- ``entity_values``: one row per value of a multi-valued field or a free property, so filters on
  them use an index;
- ``links``: endpoints, type and direction for graph walks;
- ``documents``: cases, intelligence reports and exhibits, kept whole.

Strings compare by code point on both backends (SQLite's BINARY collation, PostgreSQL's ``"C"``),
datetimes are stored as fixed-width UTC text (:func:`instant`) so text order is time order.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

from contracts.models.common import Provenance
from contracts.models.entities import Entity, EntityKind, PersonFields
from contracts.models.links import Link
from contracts.query import FIELDS

__all__ = [
    "COLUMN_FIELDS",
    "ENTITY_COLUMNS",
    "LINK_COLUMNS",
    "PROVENANCE_FIELDS",
    "SPILLED_TERMS_FIELD",
    "VALUE_COLUMNS",
    "Scalar",
    "ValueRow",
    "column_for",
    "entity_row",
    "entity_terms",
    "index_term",
    "instant",
    "link_row",
    "multi_values",
]

Scalar = str | int | float | bool | datetime
ValueRow = tuple[str, int, Scalar]
"""A side-table value of an entity: (field, position among its values, value)."""

COLUMN_FIELDS: Final[dict[str, str]] = {
    name: name.replace(".", "_") for name, spec in FIELDS.items() if not spec.multi
}
"""Single-valued search fields and the ``entities`` column holding each."""

MULTI_FIELDS: Final[tuple[str, ...]] = tuple(name for name, spec in FIELDS.items() if spec.multi)
"""Multi-valued search fields, kept in ``entity_values`` like free properties."""

ENTITY_COLUMNS: Final[tuple[str, ...]] = (
    "rid",
    *COLUMN_FIELDS.values(),
    "event_until",
    "body",
    "terms",
)
"""Columns of ``entities`` in the order :func:`entity_row` fills them."""

LINK_COLUMNS: Final = ("id", "version", "type", "source_id", "target_id", "directed", "body")
"""Columns of ``links`` in the order :func:`link_row` fills them."""

VALUE_COLUMNS: Final = ("rid", "field", "seq", "s", "n", "b")
"""Columns of ``entity_values``: one of ``s`` (text, datetimes), ``n`` (number), ``b`` (bool)."""

SPILLED_TERMS_FIELD: Final = "\u00a7terms"
"""The ``entity_values`` field of search terms that do not fit the dialect's text column.

No search field or property name can start with ``\u00a7``, so no filter ever reads it.
"""

MAX_INDEXED_TERM_BYTES: Final = 200
"""Longer terms are indexed by digest: PostgreSQL caps a lexeme at 2047 bytes."""

_TERM = re.compile(r"[^\W_]+")
_ASCII_TERM = re.compile(r"[a-z0-9]+")
_SURELY_SHORT: Final = MAX_INDEXED_TERM_BYTES // 4
"""Terms of at most this many characters fit the index whatever their script."""
_DIGEST_MARK: Final = "\u00a7"
"""Starts a digest term; no real term holds it, since ``tokenize`` drops punctuation."""


def column_for(field: str) -> str | None:
    """The ``entities`` column of a search field, ``None`` when it lives in ``entity_values``."""
    return COLUMN_FIELDS.get(field)


def instant(value: datetime) -> str:
    """A datetime as fixed-width UTC text that sorts in time order on every backend."""
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(timespec="microseconds")


def index_term(term: str) -> str:
    """The indexed form of a search term: itself, or a digest when it is too long to index."""
    raw = term.encode("utf-8")
    if len(raw) <= MAX_INDEXED_TERM_BYTES:
        return term
    return _DIGEST_MARK + hashlib.sha256(raw).hexdigest()


_BLOCK_NAME: Final = {kind: kind.value.lower() for kind in EntityKind}


def _block(entity: Entity) -> Any:
    return getattr(entity, _BLOCK_NAME[entity.kind])


def _identifiers(block: Any) -> tuple[Any, ...]:
    """The block's identifiers, or none when its kind has no such field.

    Asked by field list, not ``getattr`` with a default: a missing attribute costs a pydantic
    model an exception (microseconds a call, on every entity written).
    """
    return block.identifiers if "identifiers" in type(block).model_fields else ()


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            if isinstance(item, str):
                yield item


def entity_terms(entity: Entity) -> list[str]:
    """The indexed search terms of an entity, sorted: :func:`~contracts.evaluation.text_terms`.

    All text is joined with spaces and tokenized once; a space never joins or splits terms under
    NFKC and case folding, so this equals tokenizing each value on its own (a test checks it).
    """
    texts: list[str] = [entity.label, *entity.aliases]
    if entity.description is not None:
        texts.append(entity.description)
    block = _block(entity)
    if block is not None:
        for identifier in _identifiers(block):
            texts.append(identifier.value)
        match entity.kind:
            case EntityKind.PERSON:
                texts.extend(block.given_names)
                texts.append(block.family_name or "")
            case EntityKind.ORGANISATION:
                texts.append(block.registration_number or "")
            case EntityKind.OBJECT:
                texts.extend((block.make or "", block.model or "", block.colour or ""))
            case EntityKind.LOCATION:
                texts.extend((block.address or "", block.postcode or "", block.area_code or ""))
            case EntityKind.EVENT:
                texts.extend((block.reference or "", block.category or "", block.outcome or ""))
    for value in entity.properties.values():
        texts.extend(_strings(value))
    joined = " ".join(texts)
    if joined.isascii():
        # NFKC leaves ASCII alone and case folding is lower(): the common case, done fast.
        found = set(_ASCII_TERM.findall(joined.lower()))
    else:
        found = set(_TERM.findall(unicodedata.normalize("NFKC", joined).casefold()))
    return sorted({term if len(term) <= _SURELY_SHORT else index_term(term) for term in found})


_POSITION: Final = {column: index for index, column in enumerate(ENTITY_COLUMNS)}
_BLOCK_FIELDS: Final[dict[EntityKind, tuple[tuple[int, str, bool], ...]]] = {
    kind: tuple(
        (_POSITION[column], field.partition(".")[2], FIELDS[field].kind == "datetime")
        for field, column in COLUMN_FIELDS.items()
        if field.partition(".")[0] == kind.value.lower()
    )
    for kind in EntityKind
}
"""Per kind: where each of its block's single-valued fields goes, and whether it is a datetime."""
_FIXED: Final = tuple(
    _POSITION[column]
    for column in (
        "id",
        "kind",
        "subtype",
        "label",
        "description",
        "version",
        "created_at",
        "updated_at",
        "markings_classification",
        "markings_sensitive",
        "event_until",
        "body",
        "terms",
    )
)


def entity_row(entity: Entity, rid: int, body: str, terms: Any) -> tuple[Any, ...]:
    """The ``entities`` row of ``entity`` in :data:`ENTITY_COLUMNS` order.

    ``terms`` is passed through as the dialect stores it (see ``Dialect.stored_terms``). Built
    field by field for speed; a test checks it against :func:`contracts.evaluation.field_values`.
    """
    row: list[Any] = [None] * len(ENTITY_COLUMNS)
    row[0] = rid
    created, updated = entity.created_at, entity.updated_at
    created_text = None if created is None else instant(created)
    markings = entity.markings
    kind = entity.kind
    until = None
    block = getattr(entity, _BLOCK_NAME[kind])
    if block is not None:
        for index, name, is_datetime in _BLOCK_FIELDS[kind]:
            value = getattr(block, name)
            row[index] = instant(value) if is_datetime and value is not None else value
        if kind is EntityKind.EVENT and block.occurred_from is not None:
            until = instant(block.occurred_to or block.occurred_from)
    values = (
        entity.id,
        kind.value,
        entity.subtype,
        entity.label,
        entity.description,
        entity.version,
        created_text,
        created_text if updated == created else None if updated is None else instant(updated),
        markings.classification.value,
        markings.sensitive,
        until,
        body,
        terms,
    )
    for index, value in zip(_FIXED, values, strict=True):
        row[index] = value
    return tuple(row)


def _distinct(field: str, values: Iterable[Any], rows: list[ValueRow]) -> None:
    """Append a row per distinct value (``1`` and ``True`` are different values here)."""
    seen: set[tuple[type, Any]] = set()
    for value in values:
        if value is None:
            continue
        key = (type(value), value)
        if key not in seen:
            seen.add(key)
            rows.append((field, len(seen) - 1, value))


PROVENANCE_FIELDS: Final = (
    "provenance.source_system",
    "provenance.source_record_id",
    "provenance.source_dataset",
)
"""The provenance search fields, one ``entity_values`` row per distinct value of each."""


def _provenance_values(entries: tuple[Provenance, ...], rows: list[ValueRow]) -> None:
    _distinct(PROVENANCE_FIELDS[0], (entry.source_system for entry in entries), rows)
    _distinct(PROVENANCE_FIELDS[1], (entry.source_record_id for entry in entries), rows)
    _distinct(PROVENANCE_FIELDS[2], (entry.source_dataset for entry in entries), rows)


def multi_values(entity: Entity) -> list[ValueRow]:
    """Values of multi-valued fields and free properties, one row per distinct value.

    Field names are those filters use (``aliases``, ``properties.colour``, ...); values keep
    their Python type so the dialect can put each in the right column.
    """
    rows: list[ValueRow] = []
    if entity.aliases:
        _distinct("aliases", entity.aliases, rows)
    markings = entity.markings
    if markings.caveats:
        _distinct("markings.caveats", markings.caveats, rows)
    if markings.compartments:
        _distinct("markings.compartments", markings.compartments, rows)
    block = getattr(entity, _BLOCK_NAME[entity.kind])
    if block is not None:
        identifiers = _identifiers(block)
        if identifiers:
            _distinct("identifiers.scheme", (i.scheme for i in identifiers), rows)
            _distinct("identifiers.value", (i.value for i in identifiers), rows)
        if isinstance(block, PersonFields):
            if block.given_names:
                _distinct("person.given_names", block.given_names, rows)
            if block.nationalities:
                _distinct("person.nationalities", block.nationalities, rows)
    if entity.provenance:
        _provenance_values(entity.provenance, rows)
    for name, value in entity.properties.items():
        if isinstance(value, tuple):
            _distinct("properties." + name, value, rows)
        else:
            rows.append(("properties." + name, 0, value))
    return rows


def link_row(link: Link, body: str) -> tuple[Any, ...]:
    """The ``links`` row of ``link`` in :data:`LINK_COLUMNS` order."""
    return (
        link.id,
        link.version,
        link.type,
        link.source_id,
        link.target_id,
        link.directed,
        body,
    )
