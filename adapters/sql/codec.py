"""Records to the JSON kept in ``body`` columns, and back, validated like any input.

The stored form leaves out fields whose value is ``None``: every field that may be ``None``
defaults to ``None`` (a test checks every model), so the record reads back equal, and a quarter
fewer bytes are written and parsed than with every field spelled out. Bodies written in the
full form (by earlier versions) read back the same.
"""

from __future__ import annotations

import json

from pydantic import ValidationError

from contracts.admission import is_record_id
from contracts.errors import UpstreamContractError
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.models.records import RECORD_CLASSES
from contracts.results import UnreadableRecord

__all__ = ["decode", "decode_entity", "decode_link", "encode_body", "read_body"]


def encode_body(record: Record) -> str:
    """The JSON stored for ``record``: its canonical JSON less the fields that are ``None``."""
    return record.model_dump_json(exclude_none=True)


def decode(record_type: RecordType, body: str) -> Record:
    """The record stored as ``body``.

    Raises:
        UpstreamContractError: the stored JSON is not a valid record (written by something
            other than this adapter, or damaged).
    """
    try:
        return RECORD_CLASSES[record_type].model_validate_json(body)
    except ValidationError as exc:
        problem = _problem(record_type, exc, _stored_id(body))
    raise UpstreamContractError(problem)  # unchained: pydantic's error repeats the stored data


def read_body(record_type: RecordType, record_id: str, body: str) -> Record | UnreadableRecord:
    """The record stored as ``body``, or an :class:`UnreadableRecord` naming ``record_id``."""
    try:
        return RECORD_CLASSES[record_type].model_validate_json(body)
    except ValidationError as exc:
        return UnreadableRecord(
            record_type=record_type, record_id=record_id, reason=_problem(record_type, exc)
        )


def _problem(record_type: RecordType, exc: ValidationError, record_id: str | None = None) -> str:
    which = f"the stored {record_type.value}" + (f" {record_id!r}" if record_id else "")
    return (
        f"{which} is not a valid record ({exc.error_count()} problems); write a valid record "
        "with its id with upsert_many to repair it"
    )


def _stored_id(body: str) -> str | None:
    """The id a damaged body names, when it names one an id can be, to say what to repair."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) and is_record_id(found) else None


def decode_entity(body: str) -> Entity:
    """The entity stored as ``body`` (see :func:`decode`)."""
    record = decode(RecordType.ENTITY, body)
    assert isinstance(record, Entity)
    return record


def decode_link(body: str) -> Link:
    """The link stored as ``body`` (see :func:`decode`)."""
    record = decode(RecordType.LINK, body)
    assert isinstance(record, Link)
    return record
