"""Searches of links and cases in SQL return what the in-memory reference returns.

Random links and cases are drawn from small pools full of the values a translation to JSON
extraction gets wrong (numbers equal across int and float, booleans beside 0 and 1, strings
that differ only in case or accents, datetimes with and without microseconds, values missing
altogether), and so are random filters and orders over every field of each type. Each example
writes its records under ids of its own into one store per backend and scopes its searches to
them, so the store need not be rebuilt for every example.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sql_postgres import open_sql_store
from sql_strategies import FLOATS, INTS, MOMENTS, phrases, properties, provenances, scalars, words

import adapters.sql
from adapters.memory import InMemoryCaseStore
from adapters.sql.dialects import Fragment
from adapters.sql.records import record_search_statement
from contracts.models import (
    Case,
    CaseMember,
    CaseStatus,
    Entity,
    EntityKind,
    Link,
    LinkRole,
    Markings,
    Record,
    RecordType,
)
from contracts.query import (
    RECORD_FIELDS,
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    OrderKey,
    Prefix,
    Range,
    SearchQuery,
    Text,
)
from contracts.store import CaseStore

ENDPOINTS = tuple(f"n{i}" for i in range(4))
MICRO_MOMENTS = (*MOMENTS, MOMENTS[1] + timedelta(microseconds=500), MOMENTS[1] - timedelta(0, 1))
REFERENCES = ("CASE/25/000001", "CASE/25/000002", "case/25/000001", "Zoë/1")
OFFICERS = ("PC Smith", "PC smith", "DS Zoë")
QUALIFIERS = ("driver", "owner", "driver_2")
ROLES = tuple(role.value for role in LinkRole)
MEMBER_ROLES = ("suspect", "victim", "witness")
CONFIDENCES = (0.0, 0.5, 1.0, 1)

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_EXAMPLES = itertools.count()

optional_moment = st.one_of(st.none(), st.sampled_from(MICRO_MOMENTS))
markings = st.builds(
    Markings,
    sensitive=st.booleans(),
    caveats=st.lists(words, max_size=2).map(tuple),
)


@st.composite
def _interval(draw: st.DrawFn) -> tuple[Any, Any]:
    start = draw(optional_moment)
    end = draw(optional_moment)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return start, end


@st.composite
def links(draw: st.DrawFn, link_id: str, prefix: str) -> Link:
    """A link between two of the example's endpoints, every optional field drawn or left out."""
    valid_from, valid_to = draw(_interval())
    return Link(
        id=link_id,
        type=draw(st.sampled_from(("KNOWS", "OWNS", "PARTY_TO"))),
        source_id=prefix + draw(st.sampled_from(ENDPOINTS)),
        target_id=prefix + draw(st.sampled_from(ENDPOINTS)),
        directed=draw(st.booleans()),
        role=draw(st.one_of(st.none(), st.sampled_from(list(LinkRole)))),
        qualifier=draw(st.one_of(st.none(), st.sampled_from(QUALIFIERS))),
        valid_from=valid_from,
        valid_to=valid_to,
        confidence=draw(st.one_of(st.none(), st.sampled_from(CONFIDENCES))),
        fact_or_assessment=draw(st.sampled_from(("fact", "assessment"))),
        properties=draw(properties),
        provenance=draw(provenances),
        markings=draw(markings),
        version=draw(st.integers(1, 3)),
        created_at=draw(st.sampled_from(MICRO_MOMENTS)),
        updated_at=draw(st.sampled_from(MICRO_MOMENTS)),
    )


@st.composite
def cases(draw: st.DrawFn, case_id: str, prefix: str) -> Case:
    """A case with members among the example's endpoints."""
    opened_at, closed_at = draw(_interval())
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(ENDPOINTS), st.sampled_from(MEMBER_ROLES)),
            max_size=3,
            unique=True,
        )
    )
    return Case(
        id=case_id,
        reference=draw(st.sampled_from(REFERENCES)),
        title=draw(phrases),
        status=draw(st.sampled_from(list(CaseStatus))),
        description=draw(st.one_of(st.none(), phrases)),
        officer_in_case=draw(st.one_of(st.none(), st.sampled_from(OFFICERS))),
        opened_at=opened_at,
        closed_at=closed_at,
        compartment=draw(st.one_of(st.none(), st.sampled_from(("ops", "Ops")))),
        members=tuple(CaseMember(entity_id=prefix + e, role=r) for e, r in pairs),
        provenance=draw(provenances),
        markings=draw(markings),
        created_at=draw(st.sampled_from(MICRO_MOMENTS)),
        updated_at=draw(st.sampled_from(MICRO_MOMENTS)),
    )


_STRINGS: dict[str, tuple[str, ...]] = {
    "type": ("KNOWS", "OWNS", "PARTY_TO", "KNOWS_2"),
    "role_of": ("source", "target"),
    "role": ROLES,
    "qualifier": QUALIFIERS,
    "fact_or_assessment": ("fact", "assessment"),
    "reference": REFERENCES,
    "status": tuple(status.value for status in CaseStatus),
    "officer_in_case": OFFICERS,
    "compartment": ("ops", "Ops"),
    "members.role": MEMBER_ROLES,
    "markings.classification": ("OFFICIAL", "SECRET"),
    "provenance.source_system": ("PNC", "CRIS", "Zoë"),
    "provenance.source_record_id": ("A1", "a1", "B2"),
    "provenance.source_dataset": ("nightly", "PNC"),
}
_CLOSED = frozenset(
    {"type", "role", "role_of", "status", "fact_or_assessment", "markings.classification"}
)
_PROPERTY_FIELDS = ("properties.colour", "properties.count", "properties.flag", "properties.tags")
_PREFIXES = ("K", "P", "CASE/25/00000", "c", "Z", "PC ", "d", "n", "A", "\U0010ffff")


def _strings(field: str, prefix: str) -> st.SearchStrategy[str]:
    """Values of a string field, mostly ones the data holds."""
    if field in ("id", "source_id", "target_id", "members.entity_id"):
        return st.sampled_from([prefix + end for end in ENDPOINTS] + [prefix + "l0", "n0"])
    known = _STRINGS.get(field)
    if known is None:
        return st.one_of(words, phrases)
    if field in _CLOSED:  # a value no record can hold is refused
        return st.sampled_from(known)
    return st.one_of(st.sampled_from(known), words)


@st.composite
def _leaf(draw: st.DrawFn, record_type: RecordType, prefix: str) -> Filter:
    catalog = RECORD_FIELDS[record_type]
    names = sorted(catalog)
    if record_type is RecordType.LINK:
        names += list(_PROPERTY_FIELDS) * 3  # the fields of every kind, drawn more often
    if draw(st.integers(0, 9)) == 0:
        return Text(draw(st.one_of(phrases, st.sampled_from((*QUALIFIERS, "smith zoe", "!!")))))
    field = draw(st.sampled_from(names))
    spec = catalog.get(field)
    kind = "property" if spec is None else spec.kind
    operator = draw(st.sampled_from(("eq", "in", "range", "prefix")))
    if kind == "property":
        if operator == "eq":
            return Eq(field, draw(scalars))
        if operator == "in":
            return In(field, tuple(draw(st.lists(scalars, min_size=2, max_size=4))))
        if operator == "range":
            bound = draw(st.one_of(st.sampled_from(INTS + FLOATS), words))
            return Range(field=field, **{draw(st.sampled_from(("gt", "lte"))): bound})
        return Prefix(field, draw(st.sampled_from(_PREFIXES)))
    if kind == "bool":
        return Eq(field, draw(st.booleans()))
    if kind == "datetime":
        moment = draw(st.sampled_from(MICRO_MOMENTS))
        if operator in ("eq", "in", "prefix"):
            return Eq(field, moment)
        return Range(field=field, **{draw(st.sampled_from(("gt", "gte", "lt", "lte"))): moment})
    if kind in ("int", "float"):
        numbers = st.sampled_from((1, 2, 3) if kind == "int" else (*CONFIDENCES, 2**60))
        if operator == "eq":
            return Eq(field, draw(numbers))
        if operator == "in":
            return In(field, tuple(draw(st.lists(numbers, min_size=1, max_size=3))))
        return Range(
            field=field, **{draw(st.sampled_from(("gt", "gte", "lt", "lte"))): draw(numbers)}
        )
    values = _strings(field, prefix)
    if operator == "eq":
        return Eq(field, draw(values))
    if operator == "in":
        return In(field, tuple(draw(st.lists(values, min_size=1, max_size=3))))
    if operator == "range":
        return Range(field=field, gte=draw(values), lt=draw(values))
    return Prefix(field, draw(st.one_of(st.sampled_from(_PREFIXES), values)))


def _filters(record_type: RecordType, prefix: str) -> st.SearchStrategy[Filter | None]:
    trees = st.recursive(
        _leaf(record_type, prefix),
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda items: And(filters=tuple(items))),
            st.lists(children, max_size=3).map(lambda items: Or(filters=tuple(items))),
            children.map(Not),
        ),
        max_leaves=5,
    )
    return st.one_of(st.none(), trees)


def _orders(record_type: RecordType) -> st.SearchStrategy[tuple[OrderKey, ...]]:
    sortable = sorted(name for name, spec in RECORD_FIELDS[record_type].items() if spec.sortable)
    return st.lists(
        st.builds(OrderKey, field=st.sampled_from(sortable), descending=st.booleans()),
        max_size=2,
        unique_by=lambda key: key.field,
    ).map(tuple)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CaseStore]:
    yield from open_sql_store(request.param, tmp_path_factory, "records")


def _endpoints(prefix: str) -> list[Entity]:
    return [
        Entity(
            id=prefix + end,
            kind=EntityKind.PERSON,
            subtype="person",
            label=end,
            created_at=MOMENTS[0],
            updated_at=MOMENTS[0],
        )
        for end in ENDPOINTS
    ]


def _pages(target: CaseStore, kind: type[Record], query: SearchQuery) -> Any:
    """Every page of a search (ids and cursors), or the error it raises."""
    pages = []
    try:
        while True:
            page = target.search_records(kind, query)
            pages.append(([record.id for record in page.items], page.next_cursor))
            if page.next_cursor is None:
                return pages
            query = query.model_copy(update={"cursor": page.next_cursor})
    except Exception as exc:  # the reference's error is part of the answer
        return (type(exc), str(exc))


def _check(
    store: CaseStore, records: list[Record], kind: type[Record], data: st.DataObject, prefix: str
) -> None:
    store.upsert_many(records)
    reference = InMemoryCaseStore(records)
    record_type = kind.RECORD_TYPE
    for _ in range(4):
        condition = data.draw(_filters(record_type, prefix))
        scoped = (
            And(Prefix("id", prefix), condition) if condition is not None else Prefix("id", prefix)
        )
        query = SearchQuery(
            filter=scoped,
            order_by=data.draw(_orders(record_type)),
            page_size=data.draw(st.integers(1, 4)),
        )
        assert _pages(store, kind, query) == _pages(reference, kind, query), query
        plan = store.plan_search(query, kind)
        assert plan.ordered
        assert plan.residual is None or "text" in plan.residual.model_dump_json()


@SETTINGS
@given(data=st.data())
def test_link_searches_return_the_reference_pages(store: CaseStore, data: st.DataObject) -> None:
    """Random filters and orders over random links give the reference's pages and cursors."""
    prefix = f"x{next(_EXAMPLES)}-"
    count = data.draw(st.integers(0, 8))
    found = [data.draw(links(f"{prefix}l{n}", prefix)) for n in range(count)]
    _check(store, [*_endpoints(prefix), *found], Link, data, prefix)


@SETTINGS
@given(data=st.data())
def test_case_searches_return_the_reference_pages(store: CaseStore, data: st.DataObject) -> None:
    """Random filters and orders over random cases give the reference's pages and cursors."""
    prefix = f"y{next(_EXAMPLES)}-"
    count = data.draw(st.integers(0, 8))
    found = [data.draw(cases(f"{prefix}c{n}", prefix)) for n in range(count)]
    _check(store, [*_endpoints(prefix), *found], Case, data, prefix)


def test_numbers_and_instants_compare_as_the_reference_compares_them(sql_url: str) -> None:
    """Large integers beside floats, floats written with exponents, microseconds or none."""
    prefix = "z-"
    values: list[Any] = [2.0**60, 2**60, 2**60 + 1, 1e16, 10**16, -0.0, 0, True, "1e16", 0.1]
    found = [
        Link(
            id=f"{prefix}l{n}",
            type="KNOWS",
            source_id=prefix + "n0",
            target_id=prefix + "n1",
            properties={"big": value, "list": (value, "x")},
            valid_from=MICRO_MOMENTS[n % len(MICRO_MOMENTS)],
            created_at=MOMENTS[0],
            updated_at=MOMENTS[0],
        )
        for n, value in enumerate(values)
    ]
    records: list[Record] = [*_endpoints(prefix), *found]
    reference = InMemoryCaseStore(records)
    conditions: list[Filter] = [
        Eq("properties.big", 2**60),
        Eq("properties.big", 2.0**60),
        Eq("properties.big", 2**60 + 1),
        Eq("properties.list", 10**16),
        In("properties.big", (0, 0.1, "1e16")),
        Range(field="properties.big", gt=2**59),
        Range(field="properties.list", gte=1e16, lt=2**60),
        Eq("properties.big", False),
        Range(field="valid_from", gt=MICRO_MOMENTS[1]),
        Eq("valid_from", MICRO_MOMENTS[-2]),
    ]
    orders = [(), (OrderKey(field="valid_from", descending=True),)]
    with adapters.sql.from_url(sql_url, {}) as store:
        store.upsert_many(records)
        for condition in conditions:
            for order in orders:
                query = SearchQuery(filter=condition, order_by=order, page_size=2)
                assert _pages(store, Link, query) == _pages(reference, Link, query), query


def test_links_by_type_and_documents_by_reference_are_read_through_an_index(
    sql_url: str,
) -> None:
    """The expressions a search compiles are those migration 6 indexes."""
    with adapters.sql.from_url(sql_url, {}) as store:
        engine = store.engine
        dialect = engine.dialect
        searches = [
            (RecordType.LINK, Eq("type", "KNOWS"), "links_type"),
            (RecordType.CASE, Eq("reference", "CASE/25/000001"), "documents_reference"),
            (RecordType.EXHIBIT, Eq("reference", "X/1"), "documents_reference"),
        ]
        for record_type, condition, index in searches:
            statement = record_search_statement(record_type, condition, (), None, 10, dialect)

            def explain(session: Any, statement: Any = statement) -> list[Any]:
                if dialect.name == "postgresql":
                    # The tables are empty: make the planner show whether it can use the index.
                    session.execute("SET LOCAL enable_seqscan = off")
                    return session.rows(Fragment("EXPLAIN " + statement.sql, statement.params))
                query = Fragment("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
                return session.rows(query)

            plan = " ".join(str(row) for row in engine.run(explain, write=False))
            assert index in plan, (record_type, plan)


def test_a_body_written_before_a_field_existed_reads_with_its_default(sql_url: str) -> None:
    """A stored link without ``role_of`` or a case without ``status`` match as they decode."""
    prefix = "old-"
    link = Link(
        id=prefix + "l0",
        type="PARTY_TO",
        source_id=prefix + "n0",
        target_id=prefix + "n1",
        role=LinkRole.SUSPECT,
        created_at=MOMENTS[0],
        updated_at=MOMENTS[0],
    )
    case = Case(
        id=prefix + "c0",
        reference="CASE/1",
        title="Old",
        created_at=MOMENTS[0],
        updated_at=MOMENTS[0],
    )
    records: list[Record] = [*_endpoints(prefix), link, case]
    reference = InMemoryCaseStore(records)
    searches: list[tuple[type[Record], SearchQuery]] = [
        (Link, SearchQuery(filter=Eq("role_of", "source"))),
        (Link, SearchQuery(filter=Not(Eq("role_of", "target")))),
        (Link, SearchQuery(filter=Eq("fact_or_assessment", "fact"))),
        (Case, SearchQuery(filter=Eq("status", "open"))),
        (Case, SearchQuery(order_by=(OrderKey(field="status"),))),
    ]
    with adapters.sql.from_url(sql_url, {}) as store:
        store.upsert_many(records)
        stripped = {
            "links": (link.id, {"role_of", "fact_or_assessment"}),
            "documents": (case.id, {"status"}),
        }
        for table, (key, dropped) in stripped.items():
            body = {
                name: value
                for name, value in json.loads(
                    (link if table == "links" else case).model_dump_json(exclude_none=True)
                ).items()
                if name not in dropped
            }
            store.engine.run(
                lambda session, table=table, key=key, body=body: session.execute(
                    f"UPDATE {table} SET body = ? WHERE id = ?", (json.dumps(body), key)
                ),
                write=True,
            )
        assert store.get(Link, link.id) == link
        for kind, query in searches:
            assert _pages(store, kind, query) == _pages(reference, kind, query), query
