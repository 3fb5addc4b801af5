"""Records to action parameters, and Foundry objects back to records.

An object carries its record twice: as canonical JSON in the ``record`` property, which is
what caseport reads back (nothing lost, every field validated), and as typed properties for
Foundry to filter and sort on. Reading checks that the two agree on identity and version, so
an object edited in Foundry behind caseport's back is reported instead of silently trusted.
"""

from __future__ import annotations

from typing import Any

from adapters.foundry.mapping import RecordLayout
from adapters.foundry.wire import decode_long
from contracts.errors import UpstreamContractError, ValidationFailed
from contracts.evaluation import text_terms
from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.models.records import parse_record
from contracts.results import UnreadableRecord

__all__ = [
    "PRIMARY_KEY",
    "action_parameters",
    "decode_object",
    "read_object",
    "readable",
    "selected_properties",
]

PRIMARY_KEY = "__primaryKey"


def action_parameters(layout: RecordLayout, record: Record) -> dict[str, Any]:
    """The create / update / upsert parameters that store ``record`` as given."""
    params: dict[str, Any] = {
        layout.primary_key: record.id,
        layout.record_property: record.model_dump_json(),
    }
    params.update(layout.values(record))
    if layout.text_terms is not None and isinstance(record, Entity):
        params[layout.text_terms] = sorted(text_terms(record))
    return params


def selected_properties(layout: RecordLayout) -> list[str]:
    """The properties reads ask for: the canonical record and the version that checks it."""
    return [layout.record_property, layout.version_property]


def decode_object(layout: RecordLayout, obj: dict[str, Any]) -> Record:
    """The record an object of ``layout``'s object type holds.

    Raises:
        UpstreamContractError: the object has no canonical record, an invalid one, one of
            another type or id, or typed properties that disagree with it.
    """
    key = obj.get(PRIMARY_KEY, obj.get(layout.primary_key))
    name = f"{layout.object_type} {str(key)[:80]!r}"
    raw = obj.get(layout.record_property)
    if not isinstance(raw, str):
        raise UpstreamContractError(
            f"{name} has no {layout.record_property!r} string property; it was not written "
            "through caseport or the mapping names the wrong property"
        )
    try:
        record = parse_record(raw)
    except ValidationFailed as exc:
        raise UpstreamContractError(
            f"{name} holds an invalid canonical record: {exc}; write a valid record with its id "
            "with upsert_many to repair it"
        ) from exc
    if record.RECORD_TYPE is not layout.record_type or (key is not None and record.id != str(key)):
        raise UpstreamContractError(
            f"{name} holds the {record.RECORD_TYPE.value} {record.id!r}, not its own record"
        )
    version = obj.get(layout.version_property)
    if version is not None:
        try:
            stored = decode_long(version)
        except ValueError:
            raise UpstreamContractError(
                f"{name}: the version property holds {type(version).__name__}, not a long"
            ) from None
        if stored != record.version:
            raise UpstreamContractError(
                f"{name}: the version property says {stored} but the record says "
                f"{record.version}; the object was changed outside caseport"
            )
    return record


def read_object(layout: RecordLayout, obj: dict[str, Any]) -> Record | UnreadableRecord:
    """The record ``obj`` holds, or an :class:`UnreadableRecord` saying why it holds none.

    For reads that must go on past one damaged object: exports, and the reads that let a valid
    record be written over it.
    """
    try:
        return decode_object(layout, obj)
    except UpstreamContractError as exc:
        key = obj.get(PRIMARY_KEY, obj.get(layout.primary_key))
        return UnreadableRecord(
            record_type=layout.record_type, record_id=str(key)[:200], reason=str(exc)
        )


def readable(found: Record | UnreadableRecord | None) -> Record | None:
    """``found`` itself, unless it is unreadable.

    Raises:
        UpstreamContractError: ``found`` is an :class:`UnreadableRecord`.
    """
    if isinstance(found, UnreadableRecord):
        raise UpstreamContractError(found.reason)
    return found
