"""Capabilities: complete declarations, and NotSupported for what is declared unsupported.

Some tests wrap the store under test in :class:`_Delegating`, a store that keeps its records in
the wrapped one but declares capabilities of its own, to see what callers meet when a
capability is unsupported without changing the adapter under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

from contracts.capabilities import EMULATABLE, Capability, Support, declare
from contracts.conformance.suite import data
from contracts.errors import NotSupported
from contracts.models.cases import Case
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.paging import SortPosition
from contracts.query import And, Eq, Filter, Not, OrderKey, SearchQuery, Text
from contracts.results import AdapterInfo, BulkReport, Direction, Hop, Path, UnreadableRecord
from contracts.store import CaseStore


class _Delegating(CaseStore):
    """Keeps records in ``inner``; subclasses declare the capabilities."""

    def __init__(self, inner: CaseStore) -> None:
        self._inner = inner

    @property
    def info(self) -> AdapterInfo:
        return self._inner.info

    def _insert(self, record: Record) -> Record | None:
        return self._inner._insert(record)

    def _fetch(
        self, record_type: RecordType, ids: Sequence[str]
    ) -> Mapping[str, Record | UnreadableRecord]:
        return self._inner._fetch(record_type, ids)

    def _replace(self, record: Record, expected_version: int) -> None:
        self._inner._replace(record, expected_version)

    def _scan(self, record_type: RecordType, after_id: str | None, limit: int) -> list[Record]:
        return self._inner._scan(record_type, after_id, limit)

    def _search(
        self,
        condition: Filter | None,
        order_by: tuple[OrderKey, ...],
        after: SortPosition | None,
        limit: int,
    ) -> list[Entity]:
        return self._inner._search(condition, order_by, after, limit)

    def _expand(
        self,
        entity_id: str,
        link_types: frozenset[str] | None,
        direction: Direction,
        neighbour_kinds: frozenset[EntityKind] | None,
    ) -> list[Hop]:
        return self._inner._expand(entity_id, link_types, direction, neighbour_kinds)

    def _write_batch(self, records: Sequence[Record]) -> BulkReport:
        return self._inner._write_batch(records)

    def _export(self, record_type: RecordType) -> Iterator[Record | UnreadableRecord]:
        return self._inner._export(record_type)


def _restricted(inner: CaseStore, *unsupported: Capability) -> CaseStore:
    """A view of ``inner`` without ``unsupported``, emulating what can be emulated."""

    def how(capability: Capability) -> Support:
        if capability in unsupported or not inner.supports(capability):
            return Support.UNSUPPORTED
        return Support.EMULATED if capability in EMULATABLE else Support.NATIVE

    declaration = declare(**{capability.name: how(capability) for capability in Capability})
    view: type[_Delegating] = type("Restricted", (_Delegating,), {"CAPABILITIES": declaration})
    return view(inner)


def _refused(call: Callable[[], object], capability: Capability, store: CaseStore) -> None:
    with pytest.raises(NotSupported) as refused:
        call()
    assert (refused.value.capability, refused.value.adapter) == (
        capability.value,
        store.info.name,
    )
    assert capability.value in str(refused.value)


@pytest.mark.requirement("CAP-001")
def test_every_capability_is_declared_and_supports_follows_it(store: CaseStore) -> None:
    """The declaration covers the closed list; supports() is true unless unsupported."""
    declared = store.capabilities()
    assert set(declared) == set(Capability)
    assert all(isinstance(how, Support) for how in declared.values())
    assert dict(store.capabilities()) == dict(declared)
    for capability, how in declared.items():
        assert store.supports(capability) is (how is not Support.UNSUPPORTED)
    incomplete = {Capability.CASES: Support.NATIVE}
    with pytest.raises(TypeError, match="does not declare"):
        type("Incomplete", (_Delegating,), {"CAPABILITIES": incomplete})


@pytest.mark.requirement("CAP-002")
def test_only_graph_operations_and_timelines_may_be_emulated(store: CaseStore) -> None:
    """Emulated declarations are limited to neighbourhood, shortest paths and timeline."""
    emulatable = {
        Capability.GRAPH_NEIGHBOURHOOD,
        Capability.GRAPH_SHORTEST_PATHS,
        Capability.TIMELINE,
    }
    assert emulatable == EMULATABLE
    emulated = {c for c, how in store.capabilities().items() if how is Support.EMULATED}
    assert emulated <= emulatable
    everything_native = {capability.name: Support.NATIVE for capability in Capability}
    with pytest.raises(ValueError, match="cannot be emulated"):
        declare(**{**everything_native, "GRAPH_EXPAND": Support.EMULATED})


@pytest.mark.requirement("CAP-002", "GRAPH-005", "GRAPH-007", "TIME-001")
@pytest.mark.capability(
    Capability.GRAPH_EXPAND,
    Capability.GRAPH_NEIGHBOURHOOD,
    Capability.GRAPH_SHORTEST_PATHS,
    Capability.TIMELINE,
)
def test_emulated_graph_operations_answer_as_the_store_does(store: CaseStore) -> None:
    """The layer's emulation over this store's expand gives this store's own answers."""
    for name in "ABCD":
        store.create(data.entity(name))
    store.create(data.event("EV", data.at(1)))
    for number, (source, target) in enumerate(
        [("A", "B"), ("A", "B"), ("B", "C"), ("A", "C"), ("C", "D"), ("D", "EV"), ("A", "A")]
    ):
        store.create(data.link(f"l{number}", source, target, directed=number % 2 == 0))
    emulated = _restricted(store)
    assert emulated.capabilities()[Capability.GRAPH_NEIGHBOURHOOD] is Support.EMULATED
    for depth in range(4):
        for direction in ("out", "in", "both"):
            assert emulated.neighbourhood("A", depth=depth, direction=direction) == (
                store.neighbourhood("A", depth=depth, direction=direction)
            )
    for target in ("A", "C", "D", "EV"):
        assert emulated.shortest_paths("A", target) == store.shortest_paths("A", target)
        assert emulated.shortest_paths("A", target, direction="out") == store.shortest_paths(
            "A", target, direction="out"
        )
    assert emulated.timeline(entity_ids=["D", "A"]) == store.timeline(entity_ids=["D", "A"])
    assert [entry.event.id for entry in store.timeline(entity_ids=["D"])] == ["EV"]


@pytest.mark.requirement("CAP-003")
def test_a_native_declaration_needs_its_own_implementation(store: CaseStore) -> None:
    """Operations declared native are overridden by the adapter; the layer checks it."""
    hooks = {
        Capability.GRAPH_NEIGHBOURHOOD: "_native_neighbourhood",
        Capability.GRAPH_SHORTEST_PATHS: "_native_shortest_paths",
        Capability.TIMELINE: "_native_timeline",
    }
    for capability, hook in hooks.items():
        if store.capabilities()[capability] is Support.NATIVE:
            assert getattr(type(store), hook) is not getattr(CaseStore, hook), hook
    all_native = declare(**{capability.name: Support.NATIVE for capability in Capability})
    with pytest.raises(TypeError, match="_native_"):
        type("NativeWithoutHooks", (_Delegating,), {"CAPABILITIES": all_native})


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
        Capability.TIMELINE,
        Capability.BULK_UPSERT,
        Capability.BULK_EXPORT,
    )
    _refused(lambda: view.expand("e-1"), Capability.GRAPH_EXPAND, store)
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
