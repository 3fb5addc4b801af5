"""Cases: investigations that gather entities in roles without owning them."""

from __future__ import annotations

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import ValidationFailed
from contracts.models.cases import Case, CaseMember, CaseStatus
from contracts.models.common import Classification, Markings
from contracts.store import CaseStore

pytestmark = pytest.mark.capability(Capability.CASES)


@pytest.mark.requirement("CASE-001")
def test_a_case_is_stored_with_every_field(store: CaseStore) -> None:
    """Reference, title, status, officer, times, compartment and members read back."""
    store.create(data.entity("p-1"))
    full = data.case(
        "c-1",
        [("p-1", "suspect")],
        reference="OP-KESTREL/2024/01",
        title="Operation Kestrel",
        status=CaseStatus.SUSPENDED,
        description="Series of van thefts.",
        officer_in_case="DS 1234 Jones",
        opened_at=data.at(0),
        closed_at=data.at(48),
        compartment="KESTREL",
        markings=Markings(classification=Classification.SECRET),
    )
    created = store.create(full)
    assert store.get(Case, "c-1") == created
    assert created.status is CaseStatus.SUSPENDED
    minimal = store.create(data.case("c-2"))
    assert store.get(Case, "c-2").status is CaseStatus.OPEN
    assert minimal.members == ()


@pytest.mark.requirement("CASE-001")
def test_a_case_cannot_close_before_it_opens(store: CaseStore) -> None:
    """A closing time before the opening time is refused."""
    stored = store.create(data.case("c-1", opened_at=data.at(5)))
    with pytest.raises(ValidationFailed):
        stored.revise(closed_at=data.at(4))
    assert store.update(stored.revise(closed_at=data.at(5)), expected_version=1).version == 2


@pytest.mark.requirement("CASE-002")
def test_member_pairs_are_unique_but_entities_and_roles_are_not(store: CaseStore) -> None:
    """A repeated (entity, role) pair is refused; several roles and several cases are fine."""
    store.create(data.entity("p-1"))
    store.create(data.entity("p-2"))
    roles = store.create(
        data.case("c-1", [("p-1", "suspect"), ("p-1", "witness"), ("p-2", "victim")])
    )
    other = store.create(data.case("c-2", [("p-1", "victim")]))
    assert store.get(Case, "c-1").members == (
        CaseMember(entity_id="p-1", role="suspect"),
        CaseMember(entity_id="p-1", role="witness"),
        CaseMember(entity_id="p-2", role="victim"),
    )
    assert store.get_many(Case, ["c-1", "c-2"]) == [roles, other]
    with pytest.raises(ValidationFailed):
        roles.revise(members=(*roles.members, CaseMember(entity_id="p-1", role="suspect")))


@pytest.mark.requirement("CASE-003")
def test_a_case_may_name_members_that_do_not_exist(store: CaseStore) -> None:
    """The store accepts members whose entities are not stored."""
    created = store.create(data.case("c-1", [("not-yet-known", "suspect")]))
    assert store.get(Case, "c-1") == created
    assert created.members[0].entity_id == "not-yet-known"


@pytest.mark.requirement("CASE-004")
def test_a_case_may_change_its_status_and_members(store: CaseStore) -> None:
    """Closing a case and changing its members is an ordinary update."""
    store.create(data.entity("p-1"))
    store.create(data.entity("p-2"))
    stored = store.create(data.case("c-1", [("p-1", "suspect")], opened_at=data.at(0)))
    closed = stored.revise(
        status=CaseStatus.CLOSED,
        closed_at=data.at(100),
        title="Operation Kestrel (closed)",
        members=(CaseMember(entity_id="p-2", role="offender"),),
    )
    updated = store.update(closed, expected_version=1)
    assert store.get(Case, "c-1") == updated
    assert (updated.version, updated.status) == (2, CaseStatus.CLOSED)
    assert updated.members == (CaseMember(entity_id="p-2", role="offender"),)
