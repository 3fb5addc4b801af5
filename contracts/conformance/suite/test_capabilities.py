"""Capabilities: complete, truthful declarations, and NotSupported for what is unsupported.

Some tests build a store over :class:`_Delegating`, a backend that keeps its records in the
backend under test through the five required primitives only and declares capabilities of its
own: to see what callers meet when a capability is unsupported, and that the layer's emulation
over those primitives answers as the backend's own hooks do, without changing the adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pytest

from contracts.aggregation import AggregateQuery
from contracts.backend import StoreBackend
from contracts.capabilities import EMULATABLE, PARTIABLE, Capability, Support, declare
from contracts.conformance.suite import data
from contracts.errors import NotSupported
from contracts.evaluation import matches, sort_entities
from contracts.models.cases import Case
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.models.links import Link
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, SearchQuery, Text
from contracts.results import AdapterInfo, BulkReport, Path, UnreadableRecord
from contracts.store import CaseStore


class _Delegating(StoreBackend):
    """Keeps records in ``inner`` through the required primitives; subclasses declare."""

    def __init__(self, inner: StoreBackend) -> None:
        self._inner = inner

    @property
    def info(self) -> AdapterInfo:
        return self._inner.info

    def insert(self, record: Record) -> Record | None:
        return self._inner.insert(record)

    def fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> Mapping[str, Record | UnreadableRecord]:
        return self._inner.fetch(record_type, ids)

    def replace(self, record: Record, expected_version: int) -> None:
        self._inner.replace(record, expected_version)

    def scan(
        self, record_type: RecordType, after_id: str | None, limit: int
    ) -> Sequence[Record | UnreadableRecord]:
        return self._inner.scan(record_type, after_id, limit)

    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        return self._inner.write_batch(records)


def _restricted(inner: CaseStore, *unsupported: Capability) -> CaseStore:
    """A store over ``inner``'s backend without ``unsupported``, the layer emulating the rest."""

    def how(capability: Capability) -> Support:
        if capability in unsupported or not inner.supports(capability):
            return Support.UNSUPPORTED
        return Support.EMULATED if capability in EMULATABLE else Support.NATIVE

    declaration = declare(**{capability.name: how(capability) for capability in Capability})
    view: type[_Delegating] = type("Restricted", (_Delegating,), {"CAPABILITIES": declaration})
    return CaseStore(view(inner.backend))


def _refused(call: Callable[[], object], capability: Capability, store: CaseStore) -> None:
    with pytest.raises(NotSupported) as refused:
        call()
    assert (refused.value.capability, refused.value.adapter) == (
        capability.value,
        store.info.name,
    )
    assert capability.value in str(refused.value)


_ALL_NATIVE: Mapping[str, Support] = {capability.name: Support.NATIVE for capability in Capability}


@pytest.mark.requirement("CAP-009")
def test_every_capability_is_declared_at_one_of_four_levels(store: CaseStore) -> None:
    """The declaration covers the closed list; partial and emulated ones carry a note."""
    declared = store.capabilities()
    assert set(declared) == set(Capability)
    assert all(isinstance(how, Support) for how in declared.values())
    assert {level.value for level in Support} == {"native", "partial", "emulated", "unsupported"}
    notes = store.capability_notes()
    for capability, how in declared.items():
        assert store.supports(capability) is (how is not Support.UNSUPPORTED)
        if how in (Support.PARTIAL, Support.EMULATED):
            assert notes.get(capability, "").strip(), capability
    incomplete = {Capability.CASES: Support.NATIVE}
    with pytest.raises(TypeError, match="does not declare"):
        type("Incomplete", (_Delegating,), {"CAPABILITIES": incomplete})
    unexplained = {
        **{c: Support.EMULATED if c in EMULATABLE else Support.NATIVE for c in Capability},
        Capability.SEARCH_FILTER: Support.PARTIAL,
    }
    with pytest.raises(TypeError, match="without a note"):
        type("Unexplained", (_Delegating,), {"CAPABILITIES": unexplained})


@pytest.mark.requirement("CAP-010")
def test_only_search_graph_walks_and_export_may_be_emulated(store: CaseStore) -> None:
    """Record types and bulk writes are storage: never emulated; only search is partial."""
    assert {
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
        Capability.GRAPH_EXPAND,
        Capability.GRAPH_DEGREE,
        Capability.GRAPH_NEIGHBOURHOOD,
        Capability.GRAPH_SHORTEST_PATHS,
        Capability.TIMELINE,
        Capability.BULK_EXPORT,
    } == EMULATABLE
    assert {
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
        Capability.GRAPH_EXPAND,
    } == PARTIABLE
    declared = store.capabilities()
    assert {c for c, how in declared.items() if how is Support.EMULATED} <= EMULATABLE
    assert {c for c, how in declared.items() if how is Support.PARTIAL} <= PARTIABLE
    with pytest.raises(ValueError, match="cannot be emulated"):
        declare(**{**_ALL_NATIVE, "BULK_UPSERT": Support.EMULATED})
    with pytest.raises(ValueError, match="cannot be partial"):
        declare(**{**_ALL_NATIVE, "TIMELINE": Support.PARTIAL})
    with pytest.raises(ValueError, match="unsupported"):
        declare(
            **{**_ALL_NATIVE, "GRAPH_EXPAND": Support.UNSUPPORTED, "TIMELINE": Support.EMULATED}
        )


@pytest.mark.requirement("CAP-011")
def test_a_native_declaration_needs_the_backends_own_hook(store: CaseStore) -> None:
    """Capabilities declared native are the backend's own; the port refuses a bare claim."""
    hooks = {
        Capability.SEARCH_COUNT: "count",
        Capability.SEARCH_AGGREGATE: "aggregate",
        Capability.GRAPH_DEGREE: "degree",
        Capability.SEARCH_RECORDS: "search",
        Capability.GRAPH_EXPAND: "expand",
        Capability.GRAPH_NEIGHBOURHOOD: "neighbourhood",
        Capability.GRAPH_SHORTEST_PATHS: "shortest_paths",
        Capability.TIMELINE: "timeline",
        Capability.BULK_EXPORT: "export_many",
        Capability.SEARCH_FILTER: "search",
        Capability.SEARCH_TEXT: "search",
        Capability.SEARCH_ORDER: "search",
    }
    backend = type(store.backend)
    for capability, hook in hooks.items():
        if store.capabilities()[capability] in (Support.NATIVE, Support.PARTIAL):
            assert getattr(backend, hook) is not getattr(StoreBackend, hook), hook
        in_part = store.capabilities()[capability] is Support.PARTIAL
        if in_part and hook == "search":
            assert backend.plan_search is not StoreBackend.plan_search
    all_native = declare(**_ALL_NATIVE)
    with pytest.raises(TypeError, match="does not override"):
        type("NativeWithoutHooks", (_Delegating,), {"CAPABILITIES": all_native})
    notes = {Capability.SEARCH_ORDER: "sorted by the layer"}
    partial = {
        **{c: Support.EMULATED if c in EMULATABLE else Support.NATIVE for c in Capability},
        Capability.SEARCH_ORDER: Support.PARTIAL,
    }

    def search(self: StoreBackend, request: object) -> list[Entity]:
        return []

    attributes = {"CAPABILITIES": partial, "NOTES": notes, "search": search}
    with pytest.raises(TypeError, match="plan_search"):
        type("PartialWithoutPlan", (_Delegating,), attributes)


def _planned_queries() -> list[SearchQuery]:
    """Queries touching every operator, text inside and outside of and/or/not, and orders."""
    filters: list[Filter | None] = [
        None,
        Eq("kind", "PERSON"),
        In("subtype", ("person", "vehicle")),
        Range(field="version", gte=1),
        Prefix("label", "Person"),
        Eq("properties.rank", 3),
        Text("blue van"),
        And(Eq("kind", "PERSON"), Text("blue")),
        Or(Eq("kind", "OBJECT"), Text("van")),
        Not(Eq("properties.rank", 3)),
        And(Eq("markings.classification", "OFFICIAL"), Not(Prefix("label", "Object"))),
    ]
    orders: list[tuple[OrderKey, ...]] = [
        (),
        (OrderKey(field="label"),),
        (OrderKey(field="kind", descending=True), OrderKey(field="updated_at")),
    ]
    return [
        SearchQuery(filter=condition, order_by=order, page_size=2)
        for condition in filters
        for order in orders
    ]


def _planned_rows() -> list[Entity]:
    return [
        data.entity("p-1", label="blue van driver", properties={"rank": 3}),
        data.entity("p-2", label="red car", properties={"rank": 1}),
        data.entity("p-3", EntityKind.PERSON, label="Person blue"),
        data.entity("o-1", EntityKind.OBJECT, label="van", properties={"rank": 3}),
        data.entity("o-2", EntityKind.OBJECT, label="Object blue van"),
        data.entity("l-1", EntityKind.LOCATION, properties={"rank": "3"}),
    ]


def _has_text(condition: Filter | None) -> bool:
    if isinstance(condition, Text):
        return True
    if isinstance(condition, And | Or):
        return any(_has_text(child) for child in condition.filters)
    if isinstance(condition, Not):
        return _has_text(condition.filter)
    return False


def _every_page(store: CaseStore, query: SearchQuery) -> list[str]:
    return [entity.id for entity in store.iter_search(query)]


@pytest.mark.requirement("CAP-012", "CAP-013")
@pytest.mark.capability(Capability.SEARCH_FILTER, Capability.SEARCH_TEXT, Capability.SEARCH_ORDER)
def test_a_search_runs_as_planned_and_the_plan_matches_the_declaration(store: CaseStore) -> None:
    """Each plan keeps what the declaration promises; pushed plus residual is the reference."""
    rows = _planned_rows()
    for row in rows:
        store.create(row)
    declared = store.capabilities()
    stored = store.get_many(Entity, [row.id for row in rows])
    for query in _planned_queries():
        plan = store.plan_search(query)
        if declared[Capability.SEARCH_FILTER] is Support.NATIVE:
            assert plan.residual is None, query
        if declared[Capability.SEARCH_TEXT] is Support.NATIVE:
            assert not _has_text(plan.residual), query
        if declared[Capability.SEARCH_ORDER] is Support.NATIVE:
            assert plan.ordered, query
        if declared[Capability.SEARCH_FILTER] is Support.EMULATED:
            assert plan.pushed is None, query
            assert plan.residual == query.filter, query
        if not plan.complete:
            assert plan.note.strip(), query
        expected = [
            entity.id
            for entity in sort_entities(
                [entity for entity in stored if matches(entity, query.filter)], query.order_by
            )
        ]
        assert _every_page(store, query) == expected, query


@pytest.mark.requirement("CAP-014", "GRAPH-005", "GRAPH-007", "TIME-001")
@pytest.mark.capability(
    Capability.GRAPH_EXPAND,
    Capability.GRAPH_NEIGHBOURHOOD,
    Capability.GRAPH_SHORTEST_PATHS,
    Capability.TIMELINE,
    Capability.SEARCH_FILTER,
    Capability.SEARCH_TEXT,
    Capability.SEARCH_ORDER,
    Capability.BULK_EXPORT,
)
def test_the_required_primitives_alone_answer_as_the_store_does(store: CaseStore) -> None:
    """Over scan and fetch alone, the layer gives this store's own answers to everything."""
    for name in "ABCD":
        store.create(data.entity(name, label=f"blue {name}" if name in "AC" else None))
    store.create(data.event("EV", data.at(1)))
    for number, (source, target) in enumerate(
        [("A", "B"), ("A", "B"), ("B", "C"), ("A", "C"), ("C", "D"), ("D", "EV"), ("A", "A")]
    ):
        store.create(data.link(f"l{number}", source, target, directed=number % 2 == 0))
    minimal = _restricted(store)
    assert minimal.capabilities()[Capability.GRAPH_EXPAND] is Support.EMULATED
    for direction in ("out", "in", "both"):
        for entity_id in "ABCD":
            assert minimal.expand(entity_id, direction=direction) == store.expand(
                entity_id, direction=direction
            )
        for depth in range(4):
            assert minimal.neighbourhood("A", depth=depth, direction=direction) == (
                store.neighbourhood("A", depth=depth, direction=direction)
            )
    for target in ("A", "C", "D", "EV"):
        assert minimal.shortest_paths("A", target) == store.shortest_paths("A", target)
        assert minimal.shortest_paths("A", target, direction="out") == store.shortest_paths(
            "A", target, direction="out"
        )
    assert minimal.timeline(entity_ids=["D", "A"]) == store.timeline(entity_ids=["D", "A"])
    assert [entry.event.id for entry in store.timeline(entity_ids=["D"])] == ["EV"]
    for query in _planned_queries():
        assert _every_page(minimal, query) == _every_page(store, query), query
    assert list(minimal.export()) == list(store.export())


_PROBES: dict[Capability, tuple[tuple[Capability, ...], Callable[[CaseStore], Any], Any]] = {
    Capability.CASES: ((Capability.CASES,), lambda s: s.list_records(Case).items, ()),
    Capability.INTELLIGENCE_REPORTS: (
        (Capability.INTELLIGENCE_REPORTS,),
        lambda s: s.list_records(IntelligenceReport).items,
        (),
    ),
    Capability.EXHIBITS: ((Capability.EXHIBITS,), lambda s: s.list_records(Exhibit).items, ()),
    Capability.SEARCH_FILTER: (
        (Capability.SEARCH_FILTER,),
        lambda s: [e.id for e in s.search(SearchQuery(filter=Eq("kind", "PERSON"))).items],
        ["probe"],
    ),
    Capability.SEARCH_TEXT: (
        (Capability.SEARCH_FILTER, Capability.SEARCH_TEXT),
        lambda s: [e.id for e in s.search(SearchQuery(filter=Text("probe"))).items],
        ["probe"],
    ),
    Capability.SEARCH_ORDER: (
        (Capability.SEARCH_ORDER,),
        lambda s: [e.id for e in s.search(SearchQuery(order_by=(OrderKey(field="label"),))).items],
        ["probe"],
    ),
    Capability.SEARCH_RECORDS: (
        (Capability.SEARCH_RECORDS,),
        lambda s: [link.id for link in s.search_records(Link).items],
        [],
    ),
    Capability.SEARCH_COUNT: ((Capability.SEARCH_COUNT,), lambda s: s.count(), 1),
    Capability.SEARCH_AGGREGATE: (
        (Capability.SEARCH_AGGREGATE,),
        lambda s: s.aggregate(AggregateQuery()).total,
        1,
    ),
    Capability.GRAPH_DEGREE: (
        (Capability.GRAPH_DEGREE,),
        lambda s: s.degree(["probe"]),
        {"probe": 0},
    ),
    Capability.GRAPH_EXPAND: ((Capability.GRAPH_EXPAND,), lambda s: s.expand("probe"), []),
    Capability.GRAPH_NEIGHBOURHOOD: (
        (Capability.GRAPH_NEIGHBOURHOOD,),
        lambda s: [e.id for e in s.neighbourhood("probe").entities],
        ["probe"],
    ),
    Capability.GRAPH_SHORTEST_PATHS: (
        (Capability.GRAPH_SHORTEST_PATHS,),
        lambda s: s.shortest_paths("probe", "probe"),
        [Path(entity_ids=("probe",), link_ids=())],
    ),
    Capability.TIMELINE: ((Capability.TIMELINE,), lambda s: s.timeline(entity_ids=["probe"]), []),
    Capability.BULK_UPSERT: ((Capability.BULK_UPSERT,), lambda s: s.upsert_many([]), BulkReport()),
    Capability.BULK_EXPORT: (
        (Capability.BULK_EXPORT,),
        lambda s: [record.id for record in s.export()],
        ["probe"],
    ),
}


@pytest.mark.requirement("CAP-004", "ERR-002")
@pytest.mark.parametrize("capability", list(Capability), ids=[c.value for c in Capability])
def test_each_operation_works_or_raises_not_supported_as_declared(
    store: CaseStore, capability: Capability
) -> None:
    """A supported capability's operation answers; an unsupported one raises NotSupported."""
    store.create(data.entity("probe"))
    needs, call, expected = _PROBES[capability]
    unsupported = [need for need in needs if not store.supports(need)]
    if unsupported:
        _refused(lambda: call(store), unsupported[0], store)
    else:
        assert call(store) == expected


@pytest.mark.requirement("CAP-004", "ERR-002", "ERR-003")
@pytest.mark.parametrize(
    ("build", "capability"),
    [
        (lambda: data.case("c-1"), Capability.CASES),
        (lambda: data.report("r-1"), Capability.INTELLIGENCE_REPORTS),
        (lambda: data.exhibit("x-1"), Capability.EXHIBITS),
    ],
    ids=["case", "intelligence_report", "exhibit"],
)
def test_an_unsupported_record_type_is_refused_by_name(
    store: CaseStore, build: Callable[[], Record], capability: Capability
) -> None:
    """Every create, read, update and listing of an unsupported record type is refused."""
    view = _restricted(store, capability)
    record = build()
    kind = type(record)
    _refused(lambda: view.create(record), capability, store)
    _refused(lambda: view.get(kind, record.id), capability, store)
    _refused(lambda: view.get_many(kind, [record.id]), capability, store)
    _refused(lambda: view.update(record, expected_version=1), capability, store)
    _refused(lambda: view.list_records(kind), capability, store)
    if store.supports(capability):
        assert store.list_records(kind).items == ()
    assert view.create(data.entity("e-1")) == store.get(Entity, "e-1")


@pytest.mark.requirement("CAP-005")
@pytest.mark.capability(Capability.BULK_EXPORT, Capability.CASES)
def test_export_skips_unsupported_types_unless_they_are_named(store: CaseStore) -> None:
    """Unnamed unsupported types are left out of an export; a named one is refused."""
    person = store.create(data.entity("e-1"))
    store.create(data.case("c-1", [("e-1", "suspect")]))
    view = _restricted(store, Capability.CASES)
    assert list(view.export()) == [person]
    assert list(view.export([RecordType.ENTITY])) == [person]
    _refused(lambda: list(view.export([RecordType.CASE])), Capability.CASES, store)
    assert [record.id for record in store.export()] == ["e-1", "c-1"]


@pytest.mark.requirement("CAP-004")
@pytest.mark.capability(Capability.SEARCH_FILTER)
def test_search_needs_filter_text_and_order_capabilities(store: CaseStore) -> None:
    """Filters, text (however deeply nested) and ordering each need their capability."""
    store.create(data.entity("e-1", label="blue van"))
    person = SearchQuery(filter=Eq("kind", "PERSON"))
    no_text = _restricted(store, Capability.SEARCH_TEXT)
    assert [e.id for e in no_text.search(person).items] == ["e-1"]
    _refused(lambda: no_text.search(SearchQuery(filter=Text("van"))), Capability.SEARCH_TEXT, store)
    nested = SearchQuery(filter=And(Eq("kind", "PERSON"), Not(Text("van"))))
    _refused(lambda: no_text.search(nested), Capability.SEARCH_TEXT, store)
    no_filter = _restricted(store, Capability.SEARCH_FILTER)
    assert [e.id for e in no_filter.search().items] == ["e-1"]
    _refused(lambda: no_filter.search(person), Capability.SEARCH_FILTER, store)
    no_order = _restricted(store, Capability.SEARCH_ORDER)
    assert [e.id for e in no_order.search(person).items] == ["e-1"]
    ordered = SearchQuery(order_by=(OrderKey(field="label"),))
    _refused(lambda: no_order.search(ordered), Capability.SEARCH_ORDER, store)


@pytest.mark.requirement("CAP-004", "ERR-003")
def test_graph_timeline_and_bulk_operations_need_their_capability(store: CaseStore) -> None:
    """Each graph operation, the timeline and bulk reads and writes are refused by name."""
    store.create(data.entity("e-1"))
    view = _restricted(
        store,
        Capability.GRAPH_EXPAND,
        Capability.GRAPH_NEIGHBOURHOOD,
        Capability.GRAPH_SHORTEST_PATHS,
        Capability.GRAPH_DEGREE,
        Capability.TIMELINE,
        Capability.BULK_UPSERT,
        Capability.BULK_EXPORT,
    )
    _refused(lambda: view.expand("e-1"), Capability.GRAPH_EXPAND, store)
    _refused(lambda: view.degree(["e-1"]), Capability.GRAPH_DEGREE, store)
    _refused(lambda: view.neighbourhood("e-1"), Capability.GRAPH_NEIGHBOURHOOD, store)
    _refused(lambda: view.shortest_paths("e-1", "e-1"), Capability.GRAPH_SHORTEST_PATHS, store)
    _refused(lambda: view.timeline(entity_ids=["e-1"]), Capability.TIMELINE, store)
    _refused(lambda: view.upsert_many([data.entity("e-2")]), Capability.BULK_UPSERT, store)
    _refused(lambda: list(view.export()), Capability.BULK_EXPORT, store)
    assert store.get_many(Entity, ["e-2"]) == []


@pytest.mark.requirement("CAP-008")
def test_info_names_the_adapter_its_version_and_backend(store: CaseStore) -> None:
    """Info has a name, a version, a backend description and a known kind."""
    info = store.info
    assert isinstance(info, AdapterInfo)
    assert info.name.strip()
    assert info.version.strip()
    assert info.backend.strip()
    assert info.kind in ("reference", "embedded", "server", "remote")
    assert info.backend in repr(store)
