"""Records and arguments built or passed around validation are refused at the layer's door.

Each test does the hostile thing on every backend and checks three things: the typed error,
the store unchanged, and a whole-store export that still succeeds.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import pytest
from hostile_support import person

from contracts.errors import CaseportError, Conflict, ValidationFailed
from contracts.models import Entity, EntityKind, Exhibit, Link
from contracts.models.common import Markings, Record
from contracts.query import Eq, SearchQuery, Text
from contracts.store import CaseStore


def _filled(store: CaseStore) -> list[Record]:
    store.create(person("p-1", "Ann Lee"))
    store.create(person("p-2", "Bo Tan"))
    store.create(Link(id="l-1", type="KNOWS", source_id="p-1", target_id="p-2"))
    return list(store.export())


def _assert_unchanged(store: CaseStore, before: list[Record]) -> None:
    assert list(store.export()) == before


_BUILT_AROUND_VALIDATION: dict[str, Callable[[Entity], Record]] = {
    "bad id by copy": lambda e: e.model_copy(update={"id": "bad id"}),
    "NUL by copy": lambda e: e.model_copy(update={"label": "a\x00b"}),
    "lone surrogate by copy": lambda e: e.model_copy(update={"label": "a\ud800"}),
    "NaN property by copy": lambda e: e.model_copy(update={"properties": {"x": math.nan}}),
    "huge int property by copy": lambda e: e.model_copy(update={"properties": {"x": 10**30}}),
    "unknown kind by copy": lambda e: e.model_copy(update={"kind": "ALIEN"}),
    "float version by copy": lambda e: e.model_copy(update={"version": 1.0}),
    "version past int64 by copy": lambda e: e.model_copy(update={"version": 2**63}),
    "bad markings inside": lambda e: e.model_copy(
        update={"markings": Markings.model_construct(classification="BOGUS")}
    ),
    "constructed with bad id": lambda e: Entity.model_construct(**{**dict(e), "id": "../../etc"}),
    "constructed without a kind": lambda e: Entity.model_construct(
        id="p-9", subtype="person", label="x"
    ),
    "constructed with an object inside": lambda e: e.model_copy(
        update={"properties": {"x": object()}}
    ),
}


@pytest.mark.parametrize("build", _BUILT_AROUND_VALIDATION.values(), ids=_BUILT_AROUND_VALIDATION)
def test_a_record_built_around_validation_is_refused_by_every_write(
    store: CaseStore, build: Callable[[Entity], Record]
) -> None:
    before = _filled(store)
    fresh = build(person("p-3", "Cy Roe"))
    over = build(store.get(Entity, "p-1"))
    with pytest.raises(ValidationFailed):
        store.create(fresh)
    with pytest.raises(ValidationFailed):
        store.upsert_many([person("p-4", "Di Ho"), fresh])
    with pytest.raises(ValidationFailed):
        store.update(over, expected_version=1)
    _assert_unchanged(store, before)


def test_an_exhibit_with_an_unbounded_integer_is_refused(store: CaseStore) -> None:
    before = _filled(store)
    exhibit = Exhibit(id="x-1", reference="EXH/1", description="a phone")
    huge = exhibit.model_copy(update={"size_bytes": 10**5000})
    with pytest.raises(ValidationFailed):
        store.create(huge)
    with pytest.raises(ValidationFailed):
        store.upsert_many([huge])
    _assert_unchanged(store, before)


@pytest.mark.parametrize("version", [1.0, True, 2**63 - 1, 2**63, -(2**63) - 1, "1", None])
def test_an_expected_version_that_is_not_a_whole_stored_version_is_refused(
    store: CaseStore, version: Any
) -> None:
    before = _filled(store)
    changed = store.get(Entity, "p-1").revise(label="Ann Leigh")
    with pytest.raises(ValidationFailed, match="expected_version"):
        store.update(changed, expected_version=version)
    _assert_unchanged(store, before)
    assert store.update(changed, expected_version=1).version == 2


@pytest.mark.parametrize("version", [0, -1, -(2**63)])
def test_an_expected_version_below_one_is_stale(store: CaseStore, version: int) -> None:
    before = _filled(store)
    changed = store.get(Entity, "p-1").revise(label="Ann Leigh")
    with pytest.raises(Conflict):
        store.update(changed, expected_version=version)
    _assert_unchanged(store, before)


_WRONG_CALLS: dict[str, Callable[[CaseStore], object]] = {
    "get with a type name": lambda s: s.get("entity", "p-1"),  # type: ignore[arg-type]
    "get with an int id": lambda s: s.get(Entity, 5),  # type: ignore[arg-type]
    "get_many with an int id": lambda s: s.get_many(Entity, [5]),  # type: ignore[list-item]
    "get_many with None": lambda s: s.get_many(Entity, None),  # type: ignore[arg-type]
    "get_many with bytes": lambda s: s.get_many(Entity, b"p-1"),  # type: ignore[arg-type]
    "list with a dict": lambda s: s.list_records(dict),  # type: ignore[type-var]
    "list with a bool page size": lambda s: s.list_records(Entity, page_size=True),
    "list with an int cursor": lambda s: s.list_records(Entity, cursor=5),  # type: ignore[arg-type]
    "search with a dict": lambda s: s.search({"filter": None}),  # type: ignore[arg-type]
    "create a dict": lambda s: s.create({"id": "p-5"}),  # type: ignore[type-var]
    "upsert a record": lambda s: list(s.upsert_many(person("p-1", "Ann Lee"))),  # type: ignore[call-overload]
    "upsert with a bool batch": lambda s: s.upsert_many(
        [person("p-1", "Ann Lee")], batch_size=True
    ),
    "upsert with a string callback": lambda s: s.upsert_many([], on_batch="x"),  # type: ignore[arg-type]
    "expand an int": lambda s: s.expand(5),  # type: ignore[arg-type]
    "expand with int link types": lambda s: s.expand("p-1", link_types=[1]),  # type: ignore[list-item]
    "expand with unknown kinds": lambda s: s.expand("p-1", neighbour_kinds=["ALIEN"]),  # type: ignore[list-item]
    "expand with unhashable kinds": lambda s: s.expand("p-1", neighbour_kinds=[[1]]),  # type: ignore[list-item]
    "neighbourhood with a bool depth": lambda s: s.neighbourhood("p-1", depth=True),
    "neighbourhood with a float limit": lambda s: s.neighbourhood("p-1", max_entities=1.5),  # type: ignore[arg-type]
    "paths with an int target": lambda s: s.shortest_paths("p-1", 2),  # type: ignore[arg-type]
    "paths with a bool max": lambda s: s.shortest_paths("p-1", "p-2", max_paths=True),
    "timeline with a text start": lambda s: s.timeline(entity_ids=["p-1"], start="2024"),  # type: ignore[arg-type]
    "timeline with an int case": lambda s: s.timeline(case_id=5),  # type: ignore[arg-type]
    "timeline with a string of ids": lambda s: s.timeline(entity_ids="p-1"),
    "export a string": lambda s: list(s.export("entity")),  # type: ignore[arg-type]
    "export with a bad callback": lambda s: list(s.export(on_unreadable=3)),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("call", _WRONG_CALLS.values(), ids=_WRONG_CALLS)
def test_an_argument_of_the_wrong_type_is_a_validation_error(
    store: CaseStore, call: Callable[[CaseStore], object]
) -> None:
    before = _filled(store)
    with pytest.raises(ValidationFailed) as refused:
        call(store)
    assert "SELECT" not in str(refused.value).upper()
    _assert_unchanged(store, before)


def test_a_valid_record_of_a_subclass_is_stored_as_its_contract_class(store: CaseStore) -> None:
    class Tagged(Entity):
        def shout(self) -> str:
            return self.label.upper()

    tagged = Tagged(id="p-7", kind=EntityKind.PERSON, subtype="person", label="Ed Fox")
    stored = store.create(tagged)
    assert type(stored) is Entity
    assert store.get(Entity, "p-7") == stored
    assert [record.id for record in store.export()] == ["p-7"]


def test_refusals_name_the_field_but_never_the_value_nor_chain_it(store: CaseStore) -> None:
    marker = "CANARY-PERSONAL-7f3a"
    bad = person("p-1", "Ann Lee").model_copy(update={"label": marker + "\x00"})
    with pytest.raises(ValidationFailed) as refused:
        store.create(bad)
    seen: list[BaseException] = []
    error: BaseException | None = refused.value
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    assert "label" in str(refused.value)
    assert refused.value.problems == (("label", "value_error"),)
    for link in seen:
        assert marker not in str(link)
        assert marker not in repr(link)
        assert isinstance(link, CaseportError)


def test_personal_data_never_reaches_a_debug_log_or_an_error(
    store: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A8 and S3: logs and errors carry ids, never record contents or search text."""
    marker = "Canarysurname"
    caplog.set_level(logging.DEBUG)
    store.create(person("p-1", f"Ann {marker}"))
    assert [e.id for e in store.search(SearchQuery(filter=Text(marker))).items] == ["p-1"]
    errors: list[BaseException] = []
    for attempt in (
        lambda: store.create(person("p-1", f"Other {marker}")),
        lambda: store.update(person("p-1", f"New {marker}"), expected_version=7),
        lambda: store.create(person("p-2", "Bo Tan").model_copy(update={"label": marker + "\x00"})),
        lambda: store.upsert_many(
            [
                person("p-3", f"Cy {marker}"),
                Link(id="l-9", type="KNOWS", source_id="p-3", target_id="ghost"),
            ]
        ),
    ):
        with pytest.raises(CaseportError) as refused:
            attempt()
        errors.append(refused.value)
    assert [record.label for record in store.export()] == [f"Ann {marker}"]
    for record in caplog.records:
        assert marker not in record.getMessage()
    for error in errors:
        for link in _chain(error):
            assert marker not in str(link)
            assert marker not in repr(link)


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def test_a_refused_query_value_is_never_repeated(store: CaseStore) -> None:
    marker = "Jane Canary 1970"
    smuggled = SearchQuery().model_copy(
        update={"filter": Eq.model_construct(op="eq", field="created_at", value=marker)}
    )
    with pytest.raises(ValidationFailed) as refused:
        store.search(smuggled)
    assert "created_at" in str(refused.value)
    for link in _chain(refused.value):
        assert marker not in str(link)
        assert marker not in repr(link)
