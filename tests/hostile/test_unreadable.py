"""A stored body that is not a valid record never blocks an export or its own repair.

Such bodies come from older releases, damage, or edits behind caseport's back; here they are
written straight into the backend's own storage (the SQLite file, the PostgreSQL schema, the
fake Foundry's objects). The in-memory store keeps validated objects, never bodies, so it has
no such case.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_support import drop_schema, person, postgres_base, with_schema

import adapters
from adapters.foundry.testing import FakeFoundry
from contracts.errors import UnreadableRecords, UpstreamContractError
from contracts.models import Entity, Link
from contracts.models.common import RecordType
from contracts.query import SearchQuery
from contracts.results import UnreadableRecord
from contracts.store import CaseStore

_BROKEN = '{"record_type": "entity", "id": "p-2", "kind": "ALIEN"}'


@dataclass
class Damageable:
    """A store and a way to overwrite one stored entity's body with broken JSON."""

    store: CaseStore
    damage: Callable[[str], None]


@pytest.fixture(params=["sqlite", "postgresql", "foundry"])
def damageable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Damageable]:
    """Each backend that keeps bodies, with a way to damage one of them."""
    if request.param == "sqlite":
        path = tmp_path / "damaged.db"
        store = adapters.connect(f"sqlite:///{path}")

        def damage_file(record_id: str) -> None:
            with sqlite3.connect(path) as raw:
                raw.execute("UPDATE entities SET body = ? WHERE id = ?", (_BROKEN, record_id))

        yield Damageable(store, damage_file)
        store.close()
    elif request.param == "postgresql":
        import psycopg
        from psycopg import sql

        base = postgres_base()
        schema = f"damaged_{uuid.uuid4().hex[:16]}"
        store = adapters.connect(with_schema(base, schema))

        def damage_row(record_id: str) -> None:
            with psycopg.connect(base, autocommit=True) as raw:
                raw.execute(
                    sql.SQL("UPDATE {}.entities SET body = %s WHERE id = %s").format(
                        sql.Identifier(schema)
                    ),
                    (_BROKEN, record_id),
                )

        try:
            yield Damageable(store, damage_row)
        finally:
            store.close()
            drop_schema(base, schema)
    else:
        fake = FakeFoundry()
        store = fake.store()
        layout = fake.mapping.require(RecordType.ENTITY)

        def damage_object(record_id: str) -> None:
            stored = fake.ontology.objects[layout.object_type][record_id]
            stored[layout.record_property] = _BROKEN

        yield Damageable(store, damage_object)
        store.close()


def _fill(store: CaseStore) -> None:
    store.upsert_many(
        [
            person("p-1", "Ann Lee"),
            person("p-2", "Bo Tan"),
            person("p-3", "Cy Roe"),
            Link(id="l-1", type="KNOWS", source_id="p-1", target_id="p-3"),
        ]
    )


def test_an_export_streams_every_readable_record_then_names_the_unreadable_one(
    damageable: Damageable,
) -> None:
    store = damageable.store
    _fill(store)
    damageable.damage("p-2")
    streamed = []
    with pytest.raises(UnreadableRecords) as left_out:
        streamed.extend(record.id for record in store.export())
    assert streamed == ["p-1", "p-3", "l-1"]
    assert left_out.value.records == (("entity", "p-2"),)
    assert "ALIEN" not in str(left_out.value)


def test_an_export_with_a_handler_finishes_and_hands_it_each_unreadable_record(
    damageable: Damageable,
) -> None:
    store = damageable.store
    _fill(store)
    damageable.damage("p-2")
    unreadable: list[UnreadableRecord] = []
    ids = [record.id for record in store.export(on_unreadable=unreadable.append)]
    assert ids == ["p-1", "p-3", "l-1"]
    assert [(u.record_type, u.record_id) for u in unreadable] == [(RecordType.ENTITY, "p-2")]


def test_reading_an_unreadable_record_is_a_typed_error_naming_the_repair(
    damageable: Damageable,
) -> None:
    store = damageable.store
    _fill(store)
    damageable.damage("p-2")
    with pytest.raises(UpstreamContractError, match="upsert_many"):
        store.get(Entity, "p-2")
    assert [entity.id for entity in store.get_many(Entity, ["p-1", "p-3"])] == ["p-1", "p-3"]


def test_upsert_many_repairs_an_unreadable_record(damageable: Damageable) -> None:
    store = damageable.store
    _fill(store)
    damageable.damage("p-2")
    repaired = person("p-2", "Bo Tan")
    report = store.upsert_many([repaired, person("p-4", "Di Ho")])
    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert store.get(Entity, "p-2").label == "Bo Tan"
    assert [record.id for record in store.export()] == ["p-1", "p-2", "p-3", "p-4", "l-1"]


def test_a_search_meeting_an_unreadable_record_names_it(damageable: Damageable) -> None:
    store = damageable.store
    _fill(store)
    damageable.damage("p-2")
    with pytest.raises(UpstreamContractError, match="p-2") as refused:
        store.search(SearchQuery())
    assert "upsert_many" in str(refused.value)
    assert "ALIEN" not in str(refused.value)
