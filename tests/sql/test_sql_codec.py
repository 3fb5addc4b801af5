"""The stored JSON of records: compact, read back equal, and the older full form still read."""

from __future__ import annotations

import json
import types
import typing
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel
from sql_data import awkward_records, dataset
from sql_strategies import ENTITY_IDS, MOMENTS, entities, links

from adapters.sql.codec import decode, encode_body
from caseport.generate import generate
from contracts.models import Link, LinkRole, Record
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


def _holds_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_null(item) for item in value)
    return value is None


def _round_trips(record: Record) -> None:
    body = encode_body(record)
    assert not _holds_null(json.loads(body))
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


@st.composite
def links_with_optional_fields(draw: st.DrawFn) -> Link:
    """A link whose optional fields are each set or left out."""
    link = draw(links("l1", list(ENTITY_IDS)))
    start = draw(st.none() | st.sampled_from(MOMENTS))
    return Link(
        **link.model_dump(exclude={"role", "qualifier", "confidence", "valid_from", "valid_to"}),
        role=draw(st.none() | st.sampled_from(list(LinkRole))),
        qualifier=draw(st.none() | st.sampled_from(["driver", "owner"])),
        confidence=draw(st.none() | st.floats(0, 1)),
        valid_from=start,
        valid_to=None if start is None else draw(st.none() | st.just(start)),
    )


@given(st.one_of(entities(), links_with_optional_fields()))
def test_random_entities_and_links_read_back_equal(record: Record) -> None:
    """Entities of every kind and links, with optional fields set or not, survive it."""
    _round_trips(record)
