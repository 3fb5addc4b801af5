"""Stored canonical JSON back to records, validated like any input."""

from __future__ import annotations

from pydantic import ValidationError

from contracts.errors import UpstreamContractError
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.models.records import RECORD_CLASSES

__all__ = ["decode", "decode_entity", "decode_link"]


def decode(record_type: RecordType, body: str) -> Record:
    """The record stored as ``body``.

    Raises:
        UpstreamContractError: the stored JSON is not a valid record (written by something
            other than this adapter, or damaged).
    """
    try:
        return RECORD_CLASSES[record_type].model_validate_json(body)
    except ValidationError as exc:
        raise UpstreamContractError(
            f"a stored {record_type.value} is not a valid record ({exc.error_count()} problems)"
        ) from exc


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
