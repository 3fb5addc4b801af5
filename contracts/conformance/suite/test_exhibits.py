"""Exhibits: seized items with an append-only chain of custody and a fixed content hash."""

from __future__ import annotations

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import ValidationFailed
from contracts.models.entities import EntityKind
from contracts.models.exhibits import Exhibit
from contracts.store import CaseStore

pytestmark = pytest.mark.capability(Capability.EXHIBITS)


@pytest.mark.requirement("EXH-001")
def test_an_exhibit_is_stored_with_every_field(store: CaseStore) -> None:
    """Every field of an exhibit, its custody included, reads back."""
    store.create(data.entity("phone-1", EntityKind.OBJECT, subtype="phone"))
    full = data.exhibit(
        "x-1",
        reference="JS/1",
        description="Black mobile phone, cracked screen",
        object_entity_id="phone-1",
        case_id="c-1",
        seized_at=data.at(0),
        seized_by="PC 4321",
        seized_from="1 High Street, Anytown",
        storage_location="Property store B, locker 12",
        content_hash=data.SHA_A,
        media_type="application/x-ufdr",
        size_bytes=1_073_741_824,
        custody=(
            data.custody(1, "PC 4321", "Property officer", "booked in"),
            data.custody(30, "Property officer", "Digital forensics", "extraction"),
        ),
    )
    created = store.create(full)
    assert store.get(Exhibit, "x-1") == created
    assert created.custody == full.custody


@pytest.mark.requirement("EXH-002")
def test_custody_grows_only_at_the_end(store: CaseStore) -> None:
    """A later hand-over may be appended; earlier ones cannot change, move or go."""
    first = data.custody(1, "PC 4321", "Property officer", "booked in")
    second = data.custody(2, "Property officer", "Lab", "analysis")
    stored = store.create(data.exhibit("x-1", custody=(first, second)))
    third = data.custody(3, "Lab", "Property officer", "returned")
    grown = store.update(stored.with_custody(third), expected_version=1)
    assert store.get(Exhibit, "x-1").custody == (first, second, third)
    rewritten = data.custody(1, "PC 4321", "Property officer", "booked in again")
    for history in (
        (second, third),
        (first, third),
        (rewritten, second, third),
        (data.custody(0, "PC 1", "PC 4321", "seized"), first, second, third),
        (),
    ):
        with pytest.raises(ValidationFailed):
            store.update(grown.revise(custody=history), expected_version=2)
    assert store.get(Exhibit, "x-1") == grown


@pytest.mark.requirement("EXH-002")
@pytest.mark.layer_only("with_custody refuses the hand-over in the model, before any store call")
def test_custody_events_are_in_time_order(store: CaseStore) -> None:
    """A hand-over earlier than the last one recorded is refused."""
    stored = store.create(data.exhibit("x-1", custody=(data.custody(5, "A", "B"),)))
    with pytest.raises(ValidationFailed):
        stored.with_custody(data.custody(4, "B", "C"))
    assert store.get(Exhibit, "x-1") == stored


@pytest.mark.requirement("EXH-003")
def test_the_content_hash_is_fixed_once_set(store: CaseStore) -> None:
    """A hash may be set once; changing or clearing it is refused, as is a malformed one."""
    stored = store.create(data.exhibit("x-1"))
    hashed = store.update(stored.revise(content_hash=data.SHA_A), expected_version=1)
    assert store.get(Exhibit, "x-1").content_hash == data.SHA_A
    for changed in (data.SHA_B, None):
        with pytest.raises(ValidationFailed):
            store.update(hashed.revise(content_hash=changed), expected_version=2)
    for malformed in ("A" * 64, "a" * 63, "g" * 64):
        with pytest.raises(ValidationFailed):
            stored.revise(content_hash=malformed)
    assert store.get(Exhibit, "x-1") == hashed
