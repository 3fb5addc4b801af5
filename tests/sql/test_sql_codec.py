"""The stored JSON of records: compact, read back equal, and the older full form still read."""

from __future__ import annotations

import types
import typing
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sql_data import awkward_records, dataset
from sql_strategies import ENTITY_IDS, entities, links

from adapters.sql.codec import decode, encode_body
from caseport.generate import generate
from contracts.models import Record
from contracts.models.records import RECORD_CLASSES

KNOWN_RECORDS = [*generate(300, seed=4), *dataset(60, seed=4), *awkward_records()]


def _may_be_none(annotation: Any) -> bool:
    if annotation is type(None):
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _may_be_none(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_may_be_none(arg) for arg in typing.get_args(annotation))
    return False


def _models_within(annotation: Any) -> list[type[BaseModel]]:
    """Every model class named anywhere in a field's type (inside tuples, unions, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models_within(arg)]


def test_every_field_that_may_be_none_defaults_to_none() -> None:
    """What lets the stored form leave out None fields: each reads back as its default."""
    seen: set[type[BaseModel]] = set()
    waiting: list[type[BaseModel]] = list(RECORD_CLASSES.values())
    offending = []
    while waiting:
        model = waiting.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            if _may_be_none(field.annotation) and (
                field.is_required() or field.default is not None
            ):
                offending.append(f"{model.__name__}.{name}")
            waiting.extend(_models_within(field.annotation))
    assert len(seen) > len(RECORD_CLASSES)  # the walk reached the nested blocks too
    assert offending == []


def _round_trips(record: Record) -> None:
    body = encode_body(record)
    assert ":null" not in body
    assert decode(record.RECORD_TYPE, body) == record
    # Bodies stored in the full form by earlier versions read back the same.
    assert decode(record.RECORD_TYPE, record.model_dump_json()) == record


def test_known_records_of_every_type_read_back_equal() -> None:
    """Generated and awkward records (every record type, unusual values) survive it."""
    assert {record.RECORD_TYPE for record in KNOWN_RECORDS} == set(RECORD_CLASSES)
    for record in KNOWN_RECORDS:
        _round_trips(record)
    assert sum(len(encode_body(r)) for r in KNOWN_RECORDS) < sum(
        len(r.model_dump_json()) for r in KNOWN_RECORDS
    )


@given(st.one_of(entities(), links("l1", list(ENTITY_IDS))))
def test_random_entities_and_links_read_back_equal(record: Record) -> None:
    """Entities of every kind with optional fields set or not, and links, survive it."""
    _round_trips(record)
