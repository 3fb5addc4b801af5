"""Arbitrary Python values in every argument position of the public store API.

Whatever a caller passes (wrong types, records built around validation, non-finite floats,
huge integers, lone surrogates), only :class:`CaseportError` subclasses may escape, and the
store's export must still read back completely and round-trip into a fresh store.
``CASEPORT_HYPOTHESIS_PROFILE`` (``quick`` by default, ``ci``, ``soak``) sets how many calls.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from run_profile import by_profile

from adapters.memory import InMemoryCaseStore
from contracts.errors import CaseportError
from contracts.models import (
    Case,
    Entity,
    EntityKind,
    Exhibit,
    IntelligenceReport,
    Link,
    Markings,
    PersonFields,
)
from contracts.models.common import RecordType
from contracts.query import Eq, Range, SearchQuery, Text
from contracts.store import CaseStore

_EXAMPLES = by_profile(quick=60, ci=300, soak=2_000)

_SEED_PEOPLE = [
    Entity(
        id=f"p-{n}",
        kind=EntityKind.PERSON,
        subtype="person",
        label=f"Person {n}",
        person=PersonFields(family_name=f"Name{n}"),
    )
    for n in range(3)
]
_SEED_LINK = Link(id="l-0", type="KNOWS", source_id="p-0", target_id="p-1")

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**64),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1.0, 0.5]),
    st.text(max_size=20),
    st.sampled_from(["p-0", "p-1", "l-0", "", "\x00", "\ud800", "a b", "x" * 300, "entity"]),
    st.binary(max_size=10),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
)


def _tampered(value: Any) -> st.SearchStrategy[Any]:
    """A seed record with one field swapped for ``value``, without validation."""
    fields = ["id", "label", "kind", "version", "properties", "markings", "created_at", "aliases"]
    return st.sampled_from([*_SEED_PEOPLE, _SEED_LINK]).flatmap(
        lambda record: st.sampled_from(fields).map(
            lambda name: record.model_copy(update={name: value})
        )
    )


_records = st.one_of(
    st.sampled_from([*_SEED_PEOPLE, _SEED_LINK]),
    _scalars.flatmap(_tampered),
    st.builds(lambda: Entity.model_construct(id="p-9", label="no kind")),
    st.builds(lambda: Link.model_construct(id="l-9", source_id="p-0", target_id="ghost")),
    st.builds(lambda: Exhibit.model_construct(id="x-1", reference="E/1", size_bytes=10**5000)),
    st.builds(lambda: Markings.model_construct(classification="BOGUS")),
)
_values = st.one_of(
    _scalars,
    _records,
    st.sampled_from([Entity, Link, Case, IntelligenceReport, Exhibit, dict, int, RecordType]),
    st.sampled_from(list(RecordType)),
    st.sampled_from(list(EntityKind)),
    st.lists(_scalars, max_size=4),
    st.lists(_records, max_size=3),
    st.dictionaries(st.text(max_size=5), _scalars, max_size=3),
    st.sampled_from(
        [
            SearchQuery(),
            SearchQuery(filter=Text("person")),
            SearchQuery(filter=Eq(field="kind", value="PERSON")),
            SearchQuery().model_copy(update={"page_size": 10**6}),
            SearchQuery().model_copy(
                update={"filter": Range.model_construct(field="x", lt=math.nan)}
            ),
            SearchQuery().model_copy(update={"cursor": "\ud800"}),
        ]
    ),
)

_CALLS: dict[str, Callable[[CaseStore, list[Any]], object]] = {
    "create": lambda s, a: s.create(a[0]),
    "get": lambda s, a: s.get(a[0], a[1]),
    "get_many": lambda s, a: s.get_many(a[0], a[1]),
    "update": lambda s, a: s.update(a[0], expected_version=a[1]),
    "list_records": lambda s, a: s.list_records(a[0], page_size=a[1], cursor=a[2]),
    "search": lambda s, a: s.search(a[0]),
    "iter_search": lambda s, a: list(s.iter_search(a[0])),
    "expand": lambda s, a: s.expand(a[0], link_types=a[1], direction=a[2], neighbour_kinds=a[3]),
    "neighbourhood": lambda s, a: s.neighbourhood(a[0], depth=a[1], max_entities=a[2]),
    "shortest_paths": lambda s, a: s.shortest_paths(a[0], a[1], max_depth=a[2], via_kinds=a[3]),
    "timeline": lambda s, a: s.timeline(entity_ids=a[0], case_id=a[1], start=a[2], end=a[3]),
    "upsert_many": lambda s, a: s.upsert_many(a[0], batch_size=a[1]),
    "export": lambda s, a: list(s.export(a[0])),
}


@pytest.fixture
def seeded(store: CaseStore) -> CaseStore:
    """The backend's fresh store holding a few people and a link."""
    store.upsert_many([*_SEED_PEOPLE, _SEED_LINK])
    return store


@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    calls=st.lists(
        st.tuples(st.sampled_from(sorted(_CALLS)), st.lists(_values, min_size=4, max_size=4)),
        min_size=1,
        max_size=4,
    )
)
def test_only_contract_errors_escape_and_the_store_still_exports(
    seeded: CaseStore, calls: list[tuple[str, list[Any]]]
) -> None:
    for name, arguments in calls:
        with contextlib.suppress(CaseportError):
            _CALLS[name](seeded, arguments)
    exported = list(seeded.export())
    assert {record.id for record in exported} >= {"p-0", "p-1", "p-2", "l-0"}
    copy = InMemoryCaseStore(exported)
    assert list(copy.export()) == exported
    assert all(
        type(record).model_validate_json(record.model_dump_json()) == record for record in exported
    )
