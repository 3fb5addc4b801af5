"""POLE+O entities: people, organisations, objects, locations and events."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from contracts.models._fields import (
    MAX_LIST_ITEMS,
    Code,
    Name,
    PartialDate,
    Properties,
    Text,
    UtcDatetime,
)
from contracts.models.common import Record, RecordType, StrictModel

__all__ = [
    "Entity",
    "EntityKind",
    "EventFields",
    "Identifier",
    "LocationFields",
    "ObjectFields",
    "OrganisationFields",
    "PersonFields",
]


class EntityKind(StrEnum):
    """The five POLE+O kinds."""

    PERSON = "PERSON"
    ORGANISATION = "ORGANISATION"
    OBJECT = "OBJECT"
    LOCATION = "LOCATION"
    EVENT = "EVENT"


class Identifier(StrictModel):
    """A typed identifier: ``scheme`` says what the value is (pnc_id, vrm, imei, msisdn, ...)."""

    scheme: Code
    value: Name


class PersonFields(StrictModel):
    """Well-known fields of a PERSON."""

    given_names: tuple[Name, ...] = Field(default=(), max_length=20)
    family_name: Name | None = None
    date_of_birth: PartialDate | None = None
    gender: Literal["female", "male", "other", "unknown"] | None = None
    nationalities: tuple[Name, ...] = Field(default=(), max_length=20)
    identifiers: tuple[Identifier, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)


class OrganisationFields(StrictModel):
    """Well-known fields of an ORGANISATION (company, gang, agency, ...)."""

    organisation_type: Code | None = None
    registration_number: Name | None = None
    identifiers: tuple[Identifier, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)


class ObjectFields(StrictModel):
    """Well-known fields of an OBJECT (vehicle, phone, email account, weapon, ...)."""

    identifiers: tuple[Identifier, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    make: Name | None = None
    model: Name | None = None
    colour: Name | None = None


class LocationFields(StrictModel):
    """Well-known fields of a LOCATION (address, postcode, area, point)."""

    address: Text | None = None
    postcode: Name | None = None
    area_code: Name | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90, strict=True)
    longitude: float | None = Field(default=None, ge=-180, le=180, strict=True)

    @model_validator(mode="after")
    def _point_is_whole(self) -> Self:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("latitude and longitude must be given together")
        return self


class EventFields(StrictModel):
    """Well-known fields of an EVENT: when it happened and what it was."""

    occurred_from: UtcDatetime | None = None
    occurred_to: UtcDatetime | None = None
    reference: Name | None = None
    category: Name | None = None
    outcome: Name | None = None

    @model_validator(mode="after")
    def _interval_is_ordered(self) -> Self:
        if self.occurred_to is not None:
            if self.occurred_from is None:
                raise ValueError("occurred_to needs occurred_from")
            if self.occurred_to < self.occurred_from:
                raise ValueError("occurred_to must not be before occurred_from")
        return self


_KIND_BLOCKS: dict[EntityKind, str] = {
    EntityKind.PERSON: "person",
    EntityKind.ORGANISATION: "organisation",
    EntityKind.OBJECT: "object",
    EntityKind.LOCATION: "location",
    EntityKind.EVENT: "event",
}
_OTHER_BLOCKS: dict[EntityKind, tuple[str, ...]] = {
    kind: tuple(block for block in _KIND_BLOCKS.values() if block != own)
    for kind, own in _KIND_BLOCKS.items()
}


class Entity(Record):
    """A person, organisation, object, location or event.

    ``subtype`` narrows the kind (vehicle, phone, address, crime, phone_call, officer, ...).
    At most one well-known block is set and it must be the one named after the kind.
    """

    RECORD_TYPE: ClassVar[RecordType] = RecordType.ENTITY

    record_type: Literal["entity"] = "entity"
    kind: EntityKind
    subtype: Code
    label: Name
    aliases: tuple[Name, ...] = Field(default=(), max_length=50)
    description: Text | None = None
    person: PersonFields | None = None
    organisation: OrganisationFields | None = None
    object: ObjectFields | None = None
    location: LocationFields | None = None
    event: EventFields | None = None
    properties: Properties = Field(default_factory=dict)

    @model_validator(mode="after")
    def _block_matches_kind(self) -> Self:
        for block in _OTHER_BLOCKS[self.kind]:
            if getattr(self, block) is not None:
                raise ValueError(f"a {self.kind.value} entity cannot carry {block!r} fields")
        return self
