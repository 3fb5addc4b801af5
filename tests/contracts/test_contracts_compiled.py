"""A compiled filter answers exactly as the reference evaluation, for every record and filter."""

from __future__ import annotations

from typing import Any

from contracts_strategies import filters_for, search_entities
from hypothesis import given, settings
from hypothesis import strategies as st
from run_profile import by_profile

from contracts.compiled import accessor, compile_filter
from contracts.conformance.suite import data
from contracts.evaluation import field_values, matches
from contracts.models.cases import Case, CaseMember
from contracts.models.common import Provenance
from contracts.models.links import LinkRole
from contracts.query import RECORD_FIELDS, And, Eq, In, Not, Or, Prefix, Range, Text

scenarios = search_entities(min_size=1).flatmap(lambda es: st.tuples(st.just(es), filters_for(es)))


@settings(max_examples=by_profile(quick=300, ci=2_000, soak=20_000), deadline=None)
@given(scenario=scenarios)
def test_a_compiled_filter_matches_what_the_reference_matches(scenario: Any) -> None:
    """Entities and filter trees drawn from the values they hold, and look-alikes of them."""
    entities, condition = scenario
    compiled = compile_filter(condition)
    for entity in entities:
        assert compiled(entity) == matches(entity, condition)


def test_every_field_of_every_record_type_is_read_as_the_reference_reads_it() -> None:
    """The accessor of each catalogued field gives field_values' answer on real records."""
    source = Provenance(source_system="PNC", source_record_id="A1")
    records = [
        data.entity("e-1", provenance=(source,), properties={"rank": 3}),
        data.event("ev", data.at(1)),
        data.link("l-1", "e-1", "ev", role=LinkRole.SUSPECT, properties={"ranks": (1, 2)}),
        Case(
            id="c-1",
            reference="CASE/1",
            title="t",
            members=(CaseMember(entity_id="e-1", role="suspect"),),
        ),
        data.report("r-1"),
        data.exhibit("x-1", size_bytes=3),
    ]
    for record in records:
        for name in [*RECORD_FIELDS[record.RECORD_TYPE], "properties.rank", "properties.ranks"]:
            assert accessor(name)(record) == field_values(record, name), (record.id, name)


def test_each_kind_of_node_compiles_to_the_reference_answer() -> None:
    """Hand-picked edge cases: types never equal across families, empty and/or, no terms."""
    entity = data.entity("e-1", label="Blue van", properties={"n": 1, "b": True, "f": 1.0})
    conditions = [
        Eq("properties.n", 1.0),
        Eq("properties.b", 1),
        In("properties.f", (1, "1")),
        Range(field="properties.n", gt=0, lt=2),
        Range(field="properties.b", gte=0),
        Prefix("label", "Blue"),
        Text("VAN blue"),
        Text("!!"),
        And(),
        Or(),
        Not(Eq("label", "Blue van")),
    ]
    for condition in conditions:
        assert compile_filter(condition)(entity) == matches(entity, condition), condition
