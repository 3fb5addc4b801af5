"""Searching every record type: links, cases, reports and exhibits by their own fields."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import ValidationFailed
from contracts.models.cases import Case, CaseStatus
from contracts.models.common import Provenance, Record
from contracts.models.entities import Entity
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.models.links import Link, LinkRole
from contracts.query import And, Eq, In, Not, OrderKey, Prefix, Range, SearchQuery, Text
from contracts.store import CaseStore

pytestmark = pytest.mark.capability(Capability.SEARCH_RECORDS, Capability.SEARCH_FILTER)


def _ids(store: CaseStore, kind: type[Record], **query: Any) -> list[str]:
    return [record.id for record in store.iter_search_records(kind, SearchQuery(**query))]


def _graph(store: CaseStore) -> None:
    for name in ("p-1", "p-2", "p-3", "crime-1"):
        store.create(data.entity(name))
    store.create(data.link("l-1", "p-1", "crime-1", "PARTY_TO", role=LinkRole.SUSPECT))
    store.create(data.link("l-2", "p-2", "crime-1", "PARTY_TO", role=LinkRole.VICTIM))
    store.create(
        data.link(
            "l-3",
            "p-1",
            "p-2",
            "KNOWS",
            directed=False,
            valid_from=data.at(0),
            valid_to=data.at(48),
            properties={"since": "2019", "strength": 3},
        )
    )
    store.create(data.link("l-4", "p-3", "crime-1", "INVESTIGATED_BY", role=LinkRole.OFFICER))


@pytest.mark.requirement("SRCH-018")
def test_links_are_found_by_type_role_endpoints_validity_and_properties(store: CaseStore) -> None:
    """Each link field filters; order and paging work as for entities."""
    _graph(store)
    assert _ids(store, Link, filter=Eq("type", "PARTY_TO")) == ["l-1", "l-2"]
    assert _ids(store, Link, filter=Eq("role", "suspect")) == ["l-1"]
    assert _ids(store, Link, filter=Eq("target_id", "crime-1")) == ["l-1", "l-2", "l-4"]
    assert _ids(store, Link, filter=And(Eq("source_id", "p-1"), Not(Eq("type", "KNOWS")))) == [
        "l-1"
    ]
    assert _ids(store, Link, filter=Range(field="valid_to", gt=data.at(24))) == ["l-3"]
    assert _ids(store, Link, filter=Eq("directed", False)) == ["l-3"]
    assert _ids(store, Link, filter=Eq("properties.strength", 3)) == ["l-3"]
    assert _ids(store, Link, filter=In("type", ("KNOWS", "INVESTIGATED_BY"))) == ["l-3", "l-4"]
    by_type = _ids(store, Link, order_by=(OrderKey(field="type"),), page_size=1)
    assert by_type == ["l-4", "l-3", "l-1", "l-2"]
    page = store.search_records(Link, SearchQuery(page_size=3))
    assert [link.id for link in page.items] == ["l-1", "l-2", "l-3"]
    assert page.next_cursor is not None
    rest = store.search_records(Link, SearchQuery(page_size=3, cursor=page.next_cursor))
    assert [link.id for link in rest.items] == ["l-4"]
    assert rest.next_cursor is None


@pytest.mark.requirement("SRCH-018")
def test_a_field_the_record_type_does_not_have_is_refused(store: CaseStore) -> None:
    """An entity's field on a link, or a link's on an entity, is a ValidationFailed."""
    _graph(store)
    with pytest.raises(ValidationFailed, match="link has no search field 'label'"):
        store.search_records(Link, SearchQuery(filter=Eq("label", "x")))
    with pytest.raises(ValidationFailed):
        store.search(SearchQuery(filter=Eq("source_id", "p-1")))
    with pytest.raises(ValidationFailed):
        store.search_records(Link, SearchQuery(order_by=(OrderKey(field="label"),)))
    entity_page = store.search_records(Entity, SearchQuery(filter=Prefix("id", "p-")))
    assert [entity.id for entity in entity_page.items] == ["p-1", "p-2", "p-3"]


@pytest.mark.requirement("SRCH-018", "SRCH-020")
@pytest.mark.capability(Capability.CASES, Capability.SEARCH_TEXT)
def test_a_case_is_found_by_its_reference_status_members_and_words(store: CaseStore) -> None:
    """A reference such as CASE/25/000001 finds the case; so do its status and members."""
    store.create(data.entity("p-1"))
    store.create(data.case("c-1", [("p-1", "suspect")], reference="CASE/25/000001"))
    store.create(
        data.case(
            "c-2", reference="CASE/25/000002", title="Blue van thefts", status=CaseStatus.CLOSED
        )
    )
    assert _ids(store, Case, filter=Eq("reference", "CASE/25/000001")) == ["c-1"]
    assert _ids(store, Case, filter=Eq("status", "closed")) == ["c-2"]
    assert _ids(store, Case, filter=Eq("members.entity_id", "p-1")) == ["c-1"]
    assert _ids(store, Case, filter=Text("van")) == ["c-2"]
    assert _ids(store, Case, filter=Text("suspect")) == []
    assert _ids(store, Case, order_by=(OrderKey(field="reference", descending=True),)) == [
        "c-2",
        "c-1",
    ]


@pytest.mark.requirement("SRCH-018", "SRCH-020")
@pytest.mark.capability(
    Capability.INTELLIGENCE_REPORTS, Capability.EXHIBITS, Capability.SEARCH_TEXT
)
def test_reports_and_exhibits_are_found_by_their_fields(store: CaseStore) -> None:
    """Grading, subjects and text find reports; the case and seizure find exhibits."""
    store.create(data.entity("p-1"))
    store.create(data.report("r-1"))
    store.create(data.report("r-2", grading=data.GRADE_B35, text="Nothing seen."))
    store.create(data.exhibit("x-1", case_id="c-9", seized_at=data.at(2)))
    store.create(data.exhibit("x-2", size_bytes=2_048))
    assert _ids(store, IntelligenceReport, filter=Eq("grading.scheme", "5x5x5")) == ["r-2"]
    assert _ids(store, IntelligenceReport, filter=Text("blue van")) == ["r-1"]
    assert _ids(store, Exhibit, filter=Eq("case_id", "c-9")) == ["x-1"]
    assert _ids(store, Exhibit, filter=Range(field="size_bytes", gte=1_024)) == ["x-2"]
    assert _ids(store, Exhibit, order_by=(OrderKey(field="seized_at"),)) == ["x-1", "x-2"]


@pytest.mark.requirement("SRCH-019")
@pytest.mark.capability(Capability.CASES)
def test_records_are_found_by_the_source_they_were_imported_from(store: CaseStore) -> None:
    """Both values must name the same provenance entry; every record type is looked at."""
    police = Provenance(source_system="PNC", source_record_id="A1", method="import")
    other = Provenance(source_system="CRIS", source_record_id="A1", method="import")
    elsewhere = Provenance(source_system="PNC", source_record_id="B2", method="import")
    store.create(data.entity("p-1", provenance=(police,)))
    store.create(data.entity("p-2", provenance=(other, elsewhere)))
    store.create(data.entity("p-3"))
    store.create(data.link("l-1", "p-1", "p-3", provenance=(police,)))
    store.create(data.case("c-1", provenance=(police,)))
    found = store.find_by_source("PNC", "A1")
    assert [(record.RECORD_TYPE.value, record.id) for record in found] == [
        ("entity", "p-1"),
        ("link", "l-1"),
        ("case", "c-1"),
    ]
    assert _ids(store, Link, filter=Eq("provenance.source_system", "PNC")) == ["l-1"]
    assert store.find_by_source("PNC", "A1", [Entity]) == [store.get(Entity, "p-1")]
    assert store.find_by_source("CRIS", "B2") == []
    with pytest.raises(ValidationFailed):
        store.find_by_source("", "A1")
