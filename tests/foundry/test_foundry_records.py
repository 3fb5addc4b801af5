"""Searching links, cases, reports and exhibits through Foundry equals the memory reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from foundry_support import fake_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run_profile import by_profile

from adapters.memory import InMemoryCaseStore
from contracts.conformance.suite import data
from contracts.models import Case, Entity, Exhibit, IntelligenceReport, Link
from contracts.models.cases import CaseStatus
from contracts.models.common import Record
from contracts.models.links import LinkRole
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, SearchQuery, Text
from contracts.store import CaseStore

T0 = datetime(2024, 1, 1, tzinfo=UTC)
ENDS = ("e-0", "e-1", "e-2", "e-3")
TYPES = ("KNOWS", "PARTY_TO", "OCCURRED_AT")
ROLES = (None, *LinkRole)
moments = st.integers(0, 5_000).map(lambda us: T0 + timedelta(microseconds=us))


def _entities() -> list[Entity]:
    return [data.entity(end) for end in ENDS]


@st.composite
def links(draw: st.DrawFn, link_id: str) -> Link:
    """A link between two of four entities with any mix of its searchable fields."""
    valid_from = draw(st.none() | moments)
    return data.link(
        link_id,
        draw(st.sampled_from(ENDS)),
        draw(st.sampled_from(ENDS)),
        draw(st.sampled_from(TYPES)),
        directed=draw(st.booleans()),
        role=draw(st.sampled_from(ROLES)),
        qualifier=draw(st.sampled_from([None, "owner", "driver"])),
        confidence=draw(st.none() | st.sampled_from([0.0, 0.25, 0.5, 1.0]) | st.floats(0, 1)),
        valid_from=valid_from,
        properties=draw(st.sampled_from([{}, {"weight": 2}, {"weight": 5, "note": "blue van"}])),
        created_at=T0,
        updated_at=T0,
    )


def _link_leaves() -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(Eq, st.just("type"), st.sampled_from(TYPES)),
        st.builds(In, st.just("type"), st.lists(st.sampled_from(TYPES), min_size=1).map(tuple)),
        st.builds(Eq, st.sampled_from(["source_id", "target_id"]), st.sampled_from(ENDS)),
        st.builds(Eq, st.just("directed"), st.booleans()),
        st.builds(Eq, st.just("role"), st.sampled_from([r.value for r in LinkRole])),
        st.builds(Prefix, st.just("role"), st.sampled_from(["s", "vi", "o"])),
        st.builds(Eq, st.just("qualifier"), st.sampled_from(["owner", "driver"])),
        st.builds(lambda v: Range(field="confidence", gte=v), st.floats(0, 1)),
        st.builds(lambda v: Range(field="valid_from", lt=v), moments),
        st.builds(Eq, st.just("properties.weight"), st.sampled_from([2, 5])),
        st.builds(Text, st.sampled_from(["owner", "blue", "!!"])),
    )


def _trees(leaves: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda fs: And(filters=tuple(fs))),
            st.lists(children, max_size=3).map(lambda fs: Or(filters=tuple(fs))),
            children.map(Not),
        ),
        max_leaves=8,
    )


@st.composite
def cases(draw: st.DrawFn, case_id: str) -> Case:
    """A case with a status, an officer, an opening time and some members."""
    members = draw(
        st.lists(st.tuples(st.sampled_from(ENDS), st.sampled_from(["subject", "witness"])))
    )
    return data.case(
        case_id,
        list(dict.fromkeys(members)),
        reference=draw(st.sampled_from(["OP-A", "OP-B", "CASE/25/000001"])),
        status=draw(st.sampled_from(list(CaseStatus))),
        officer_in_case=draw(st.sampled_from([None, "DC Smith", "DS Jones"])),
        opened_at=draw(st.none() | moments),
        description=draw(st.sampled_from([None, "blue van", "stolen goods"])),
        created_at=T0,
        updated_at=T0,
    )


def _case_leaves() -> st.SearchStrategy[Filter]:
    return st.one_of(
        st.builds(Eq, st.just("status"), st.sampled_from([s.value for s in CaseStatus])),
        st.builds(Prefix, st.just("reference"), st.sampled_from(["OP", "OP-A", "CASE/25"])),
        st.builds(Eq, st.just("members.entity_id"), st.sampled_from(ENDS)),
        st.builds(Eq, st.just("members.role"), st.sampled_from(["subject", "witness"])),
        st.builds(Eq, st.just("officer_in_case"), st.sampled_from(["DC Smith", "DS Jones"])),
        st.builds(lambda v: Range(field="opened_at", gte=v), moments),
        st.builds(Eq, st.just("description"), st.just("blue van")),
        st.builds(Text, st.sampled_from(["van", "OP", "smith"])),
    )


def _same_pages(
    store: CaseStore,
    reference: CaseStore,
    kind: type[Record],
    condition: Filter,
    order: list[OrderKey],
    page_size: int,
) -> None:
    query = SearchQuery(filter=condition, order_by=tuple(order), page_size=page_size)
    ours = [record.id for record in store.iter_search_records(kind, query)]
    assert ours == [record.id for record in reference.iter_search_records(kind, query)]
    assert store.search_records(kind, query).items == reference.search_records(kind, query).items


def _stores(records: list[Record]) -> tuple[CaseStore, CaseStore]:
    _, store = fake_store()
    reference = InMemoryCaseStore()
    for target in (store, reference):
        target.upsert_many([*_entities(), *records])
    return store, reference


_SETTINGS = settings(
    max_examples=by_profile(quick=50, ci=200, soak=2_000),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(
    st.lists(st.integers(0, 40), max_size=10, unique=True).flatmap(
        lambda numbers: st.tuples(*(links(f"l-{n:02d}") for n in numbers))
    ),
    _trees(_link_leaves()),
    st.lists(
        st.builds(
            OrderKey,
            field=st.sampled_from(["type", "role", "confidence", "valid_from", "source_id"]),
            descending=st.booleans(),
        ),
        max_size=2,
        unique_by=lambda key: key.field,
    ),
    st.integers(1, 4),
)
def test_link_searches_return_what_the_reference_returns(
    batch: tuple[Link, ...], condition: Filter, order: list[OrderKey], page_size: int
) -> None:
    """Paged link searches over typed and untyped fields equal the reference, page by page."""
    store, reference = _stores(list(batch))
    _same_pages(store, reference, Link, condition, order, page_size)


@_SETTINGS
@given(
    st.lists(st.integers(0, 40), max_size=8, unique=True).flatmap(
        lambda numbers: st.tuples(*(cases(f"c-{n:02d}") for n in numbers))
    ),
    _trees(_case_leaves()),
    st.lists(
        st.builds(
            OrderKey,
            field=st.sampled_from(["reference", "status", "opened_at", "officer_in_case"]),
            descending=st.booleans(),
        ),
        max_size=2,
        unique_by=lambda key: key.field,
    ),
    st.integers(1, 4),
)
def test_case_searches_return_what_the_reference_returns(
    batch: tuple[Case, ...], condition: Filter, order: list[OrderKey], page_size: int
) -> None:
    """Paged case searches (members, references, statuses, text) equal the reference."""
    store, reference = _stores(list(batch))
    _same_pages(store, reference, Case, condition, order, page_size)


def test_a_case_is_found_by_its_reference_in_one_exact_search() -> None:
    """A reference is a typed property: the plan leaves nothing to the layer."""
    fake, store = fake_store()
    store.upsert_many([data.case("c-1", reference="CASE/25/000001"), data.case("c-2")])
    query = SearchQuery(filter=Eq("reference", "CASE/25/000001"))
    assert store.plan_search(query, Case).complete
    before = fake.count("POST", "/objects/CaseportCase/search")
    assert [case.id for case in store.search_records(Case, query).items] == ["c-1"]
    assert fake.count("POST", "/objects/CaseportCase/search") == before + 1


def test_reports_and_exhibits_are_searched_by_their_own_fields() -> None:
    """Typed fields are exact in Foundry; others are applied again by the layer."""
    _, store = fake_store()
    reports = [
        data.report("r-1", submitted_by="DC 1"),
        data.report("r-2", submitted_by="DC 2", sanitised=True),
    ]
    exhibits = [data.exhibit("x-1", size_bytes=10), data.exhibit("x-2", size_bytes=2_000)]
    store.upsert_many([*reports, *exhibits])
    sanitised = SearchQuery(filter=Eq("sanitised", True))
    assert store.plan_search(sanitised, IntelligenceReport).complete
    assert [r.id for r in store.search_records(IntelligenceReport, sanitised).items] == ["r-2"]
    big = SearchQuery(filter=Range(field="size_bytes", gt=100))
    assert [x.id for x in store.search_records(Exhibit, big).items] == ["x-2"]
    described = SearchQuery(filter=Eq("description", "Exhibit x-1"))
    assert store.plan_search(described, Exhibit).residual is not None
    assert [x.id for x in store.search_records(Exhibit, described).items] == ["x-1"]
