"""Entities: the POLE+O kinds, their well-known fields and what an update may change."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import ValidationFailed
from contracts.models.entities import Entity, EntityKind, Identifier
from contracts.query import Eq, SearchQuery
from contracts.store import CaseStore

_FULL_BLOCKS: dict[EntityKind, dict[str, Any]] = {
    EntityKind.PERSON: {
        "person": {
            "given_names": ("Ann", "Marie"),
            "family_name": "Smith",
            "date_of_birth": "1980-07-14",
            "gender": "female",
            "nationalities": ("GB", "IE"),
            "identifiers": (Identifier(scheme="pnc_id", value="2001/0001234A"),),
        }
    },
    EntityKind.ORGANISATION: {
        "organisation": {
            "organisation_type": "company",
            "registration_number": "01234567",
            "identifiers": (Identifier(scheme="company_number", value="01234567"),),
        }
    },
    EntityKind.OBJECT: {
        "object": {
            "identifiers": (Identifier(scheme="vrm", value="AB12CDE"),),
            "make": "Ford",
            "model": "Transit",
            "colour": "blue",
        }
    },
    EntityKind.LOCATION: {
        "location": {
            "address": "1 High Street, Anytown",
            "postcode": "AN1 1AA",
            "area_code": "E01000001",
            "latitude": 51.5072,
            "longitude": -0.1276,
        }
    },
    EntityKind.EVENT: {
        "event": {
            "occurred_from": data.at(0),
            "occurred_to": data.at(2),
            "reference": "CAD 0421",
            "category": "burglary",
            "outcome": "under investigation",
        }
    },
}


@pytest.mark.requirement("ENT-001")
@pytest.mark.parametrize("kind", list(EntityKind), ids=[kind.value for kind in EntityKind])
def test_entities_of_every_kind_are_stored(store: CaseStore, kind: EntityKind) -> None:
    """Each kind is stored with its subtype, label, aliases and description."""
    created = store.create(
        data.entity(
            "e-1",
            kind,
            label="Known as",
            subtype="thing_of_interest",
            aliases=("first", "second"),
            description="a description",
        )
    )
    got = store.get(Entity, "e-1")
    assert got == created
    assert (got.kind, got.subtype, got.label) == (kind, "thing_of_interest", "Known as")
    assert got.aliases == ("first", "second")
    assert got.description == "a description"


@pytest.mark.requirement("ENT-002")
@pytest.mark.layer_only("revise refuses the block in the model, before any store call")
def test_a_well_known_block_must_match_the_kind(store: CaseStore) -> None:
    """Only the block named after the kind is accepted."""
    stored = store.create(data.entity("p-1", person={"family_name": "Smith"}))
    with pytest.raises(ValidationFailed):
        stored.revise(organisation={"organisation_type": "company"})
    with pytest.raises(ValidationFailed):
        data.entity("o-1", EntityKind.OBJECT).revise(location={"postcode": "AN1 1AA"})
    assert store.get(Entity, "p-1") == stored


@pytest.mark.requirement("ENT-003")
@pytest.mark.parametrize("kind", list(EntityKind), ids=[kind.value for kind in EntityKind])
def test_every_well_known_field_is_kept(store: CaseStore, kind: EntityKind) -> None:
    """A fully filled block of each kind reads back field for field."""
    created = store.create(data.entity("e-1", kind, **_FULL_BLOCKS[kind]))
    got = store.get(Entity, "e-1")
    assert got == created
    block = getattr(got, kind.value.lower())
    for name, value in _FULL_BLOCKS[kind][kind.value.lower()].items():
        assert getattr(block, name) == value, name


@pytest.mark.requirement("ENT-003")
@pytest.mark.parametrize("born", ["1980", "1980-07", "1980-07-14"])
def test_partial_dates_of_birth_are_kept(store: CaseStore, born: str) -> None:
    """Years and year-months are valid dates of birth and are not completed."""
    store.create(data.entity("p-1", person={"date_of_birth": born}))
    person = store.get(Entity, "p-1").person
    assert person is not None
    assert person.date_of_birth == born
    for bad in ("1980-13", "80", "1980-7-1", "1980-02-30T00:00"):
        with pytest.raises(ValidationFailed):
            store.get(Entity, "p-1").revise(person={"date_of_birth": bad})


@pytest.mark.requirement("ENT-004")
def test_points_and_intervals_must_be_consistent(store: CaseStore) -> None:
    """A half point, a point out of range or a backwards interval is refused."""
    place = store.create(data.entity("l-1", EntityKind.LOCATION, location={"postcode": "X"}))
    for bad in (
        {"latitude": 51.5},
        {"longitude": -0.1},
        {"latitude": 90.5, "longitude": 0.0},
        {"latitude": 0.0, "longitude": -180.5},
    ):
        with pytest.raises(ValidationFailed):
            place.revise(location=bad)
    happening = store.create(data.event("ev-1", data.at(1)))
    with pytest.raises(ValidationFailed):
        happening.revise(event={"occurred_to": data.at(2)})
    with pytest.raises(ValidationFailed):
        happening.revise(event={"occurred_from": data.at(2), "occurred_to": data.at(1)})
    point = place.revise(location={"latitude": -90.0, "longitude": 180.0})
    assert store.update(point, expected_version=1).location == point.location


@pytest.mark.requirement("ENT-005", "SRCH-005")
@pytest.mark.capability(Capability.SEARCH_FILTER)
def test_identifiers_are_typed_and_searchable_whatever_the_kind(store: CaseStore) -> None:
    """identifiers.scheme and identifiers.value find identifiers in any block."""
    for kind in (EntityKind.PERSON, EntityKind.ORGANISATION, EntityKind.OBJECT):
        store.create(data.entity(f"id-{kind.value.lower()}", kind, **_FULL_BLOCKS[kind]))
    store.create(data.entity("id-plain"))

    def found(field: str, value: str) -> list[str]:
        query = SearchQuery(filter=Eq(field, value))
        return [entity.id for entity in store.search(query).items]

    assert found("identifiers.scheme", "vrm") == ["id-object"]
    assert found("identifiers.scheme", "pnc_id") == ["id-person"]
    assert found("identifiers.value", "01234567") == ["id-organisation"]
    assert found("identifiers.value", "2001/0001234A") == ["id-person"]
    assert found("identifiers.value", "ab12cde") == []


@pytest.mark.requirement("ENT-006", "ERR-003")
def test_an_update_may_change_everything_but_the_kind(store: CaseStore) -> None:
    """Label, subtype, aliases, block and properties change; a change of kind is refused."""
    stored = store.create(data.entity("p-1"))
    changed = stored.revise(
        subtype="officer",
        label="PC Smith",
        aliases=("Smithy",),
        description="now known",
        person={"family_name": "Smith"},
        properties={"collar": 1234},
    )
    updated = store.update(changed, expected_version=1)
    assert store.get(Entity, "p-1") == updated
    assert (updated.subtype, updated.label, updated.aliases) == ("officer", "PC Smith", ("Smithy",))
    with pytest.raises(ValidationFailed):
        store.update(updated.revise(kind=EntityKind.OBJECT, person=None), expected_version=2)
    assert store.get(Entity, "p-1") == updated
