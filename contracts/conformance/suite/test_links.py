"""Links: typed relations with their own identity, fixed endpoints and existing entities."""

from __future__ import annotations

import pytest

from contracts.conformance.suite import data
from contracts.errors import NotFound, ValidationFailed
from contracts.models.common import Markings, Provenance
from contracts.models.entities import EntityKind
from contracts.models.links import Link, LinkRole
from contracts.store import CaseStore


def _two_people(store: CaseStore) -> None:
    store.create(data.entity("p-1"))
    store.create(data.entity("p-2"))


@pytest.mark.requirement("LNK-001")
def test_a_link_joins_two_entities_with_its_own_identity(store: CaseStore) -> None:
    """Every field of a link is kept; links are directed unless told otherwise."""
    _two_people(store)
    full = data.link(
        "l-1",
        "p-1",
        "p-2",
        "PARTY_TO",
        role=LinkRole.SUSPECT,
        qualifier="driver",
        valid_from=data.at(0),
        valid_to=data.at(24),
        confidence=0.75,
        fact_or_assessment="assessment",
        properties={"source_page": 12},
    )
    created = store.create(full)
    assert store.get(Link, "l-1") == created
    assert (created.source_id, created.target_id, created.directed) == ("p-1", "p-2", True)
    assert created.role is LinkRole.SUSPECT
    undirected = store.create(data.link("l-2", "p-1", "p-2", "KNOWS", directed=False))
    assert store.get(Link, "l-2").directed is False
    assert store.get(Link, "l-2") == undirected


@pytest.mark.requirement("LNK-001")
@pytest.mark.layer_only("revise refuses the fields in the model, before any store call")
def test_link_fields_are_constrained(store: CaseStore) -> None:
    """Lower-case types, unknown roles, confidence outside 0..1 and backwards validity fail."""
    _two_people(store)
    stored = store.create(data.link("l-1", "p-1", "p-2"))
    for bad in (
        {"type": "associate_of"},
        {"type": ""},
        {"role": "boss"},
        {"confidence": 1.5},
        {"confidence": -0.1},
        {"valid_from": data.at(2), "valid_to": data.at(1)},
    ):
        with pytest.raises(ValidationFailed):
            stored.revise(**bad)
    assert store.get(Link, "l-1") == stored


@pytest.mark.requirement("LNK-002", "ERR-002", "ERR-003")
def test_a_link_to_a_missing_entity_is_refused(store: CaseStore) -> None:
    """A link whose source or target does not exist raises NotFound naming it."""
    store.create(data.entity("p-1"))
    with pytest.raises(NotFound) as missing_target:
        store.create(data.link("l-1", "p-1", "ghost"))
    assert (missing_target.value.record_type, missing_target.value.record_id) == (
        "entity",
        "ghost",
    )
    with pytest.raises(NotFound) as missing_source:
        store.create(data.link("l-2", "phantom", "p-1"))
    assert missing_source.value.record_id == "phantom"
    assert store.get_many(Link, ["l-1", "l-2"]) == []
    assert store.list_records(Link).items == ()


@pytest.mark.requirement("LNK-003")
def test_a_links_endpoints_and_direction_are_fixed(store: CaseStore) -> None:
    """Changing source, target or direction is refused; every other field may change."""
    _two_people(store)
    store.create(data.entity("p-3"))
    stored = store.create(data.link("l-1", "p-1", "p-2"))
    for fixed in (
        {"target_id": "p-3"},
        {"source_id": "p-3"},
        {"source_id": "p-2", "target_id": "p-1"},
        {"directed": False},
    ):
        with pytest.raises(ValidationFailed):
            store.update(stored.revise(**fixed), expected_version=1)
    assert store.get(Link, "l-1") == stored
    changed = stored.revise(
        type="CO_OFFENDER_OF",
        role=LinkRole.OFFENDER,
        qualifier="lookout",
        valid_from=data.at(-1),
        confidence=0.5,
        fact_or_assessment="assessment",
        properties={"seen": True},
        markings=Markings(sensitive=True),
        provenance=(Provenance(source_system="analyst-notebook"),),
    )
    updated = store.update(changed, expected_version=1)
    assert store.get(Link, "l-1") == updated
    assert updated.model_dump(exclude={"version", "updated_at"}) == changed.model_dump(
        exclude={"version", "updated_at"}
    )


@pytest.mark.requirement("LNK-004")
def test_parallel_links_and_self_links_are_kept_separately(store: CaseStore) -> None:
    """Two links between the same entities and a link from an entity to itself all stay."""
    _two_people(store)
    first = store.create(data.link("l-1", "p-1", "p-2"))
    second = store.create(data.link("l-2", "p-1", "p-2"))
    own = store.create(data.link("l-3", "p-1", "p-1", "MENTIONS"))
    assert store.get_many(Link, ["l-3", "l-1", "l-2"]) == [own, first, second]
    assert [link.id for link in store.list_records(Link).items] == ["l-1", "l-2", "l-3"]


@pytest.mark.requirement("LNK-005")
def test_a_role_may_belong_to_the_target(store: CaseStore) -> None:
    """An officer investigating a crime: the role is the target's, kept as written."""
    store.create(data.entity("crime", EntityKind.EVENT, subtype="crime"))
    store.create(data.entity("officer"))
    link = data.link(
        "l-1", "crime", "officer", "INVESTIGATED_BY", role=LinkRole.OFFICER, role_of="target"
    )
    stored = store.create(link)
    assert (stored.role, stored.role_of) == (LinkRole.OFFICER, "target")
    assert store.get(Link, "l-1") == stored
    assert data.link("l-2", "crime", "officer").role_of == "source"
    with pytest.raises(ValidationFailed):
        store.create(Link.model_construct(**{**link.model_dump(), "id": "l-3", "role": None}))
