"""Model-based tests: random sequences of operations give the reference's answers, step by step.

A hypothesis state machine drives the in-memory reference and a SQL store through the same
creates, updates (conflicting ones too), links, bulk upserts, searches, expansions,
neighbourhoods, paths, timelines and exports, and compares every answer, errors included, and
the full export after every step. ``CASEPORT_HYPOTHESIS_PROFILE`` (``quick`` by default, ``ci``,
``soak``) sets how many and how long the sequences are.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from run_profile import by_profile
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema
from sql_strategies import (
    ENTITY_IDS,
    LINK_TYPES,
    MOMENTS,
    entities,
    filters,
    links,
    order_keys,
)

import adapters.sql
from adapters.memory import InMemoryCaseStore
from contracts.models import Entity, EntityKind, Link, Record
from contracts.query import SearchQuery
from contracts.store import CaseStore

MACHINE_SETTINGS = settings(
    max_examples=by_profile(quick=25, ci=100, soak=2_000),
    stateful_step_count=by_profile(quick=20, ci=30, soak=60),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""How many and how long the sequences are, by the run's profile (see ``run_profile``)."""

LINK_IDS = tuple(f"k{i:02d}" for i in range(15))
NOW = datetime(2025, 6, 1, tzinfo=UTC)
directions = st.sampled_from(["out", "in", "both"])
link_type_filters = st.one_of(
    st.none(), st.lists(st.sampled_from(LINK_TYPES), max_size=2, unique=True)
)
kind_filters = st.one_of(st.none(), st.lists(st.sampled_from(list(EntityKind)), max_size=2))
windows = st.one_of(st.none(), st.sampled_from(MOMENTS))


def fixed_clock() -> datetime:
    return NOW


def outcome(target: CaseStore, method: str, *args: Any, **options: Any) -> Any:
    """What a call returns, or the type and message of what it raises."""
    try:
        result = getattr(target, method)(*args, **options)
    except Exception as exc:  # the reference's error is part of the answer
        return ("raised", type(exc), str(exc))
    return list(result) if method == "export" else result


class StoreComparison(RuleBasedStateMachine):
    """Compares a SQL store with the in-memory reference; subclasses say which store."""

    def __init__(self) -> None:
        super().__init__()
        self.reference = InMemoryCaseStore()
        self.store, self._cleanup = self.open_store()
        for target in (self.reference, self.store):
            target.clock = fixed_clock  # type: ignore[method-assign]

    def open_store(self) -> tuple[CaseStore, Callable[[], None]]:
        raise NotImplementedError

    def teardown(self) -> None:
        self._cleanup()

    def same(self, method: str, *args: Any, **options: Any) -> Any:
        expected = outcome(self.reference, method, *args, **options)
        actual = outcome(self.store, method, *args, **options)
        assert actual == expected, (method, args, options)
        return expected

    def entity_ids(self) -> list[str]:
        return sorted(e.id for e in self.reference.export() if isinstance(e, Entity))

    def link_ids(self) -> list[str]:
        return sorted(r.id for r in self.reference.export() if isinstance(r, Link))

    def has_entities(self) -> bool:
        return bool(self.entity_ids())

    # ------------------------------------------------------------------ writes

    @rule(entity=entities())
    def create_entity(self, entity: Entity) -> None:
        self.same("create", entity)

    @precondition(has_entities)
    @rule(data=st.data())
    def update_entity(self, data: st.DataObject) -> None:
        current = self.reference.get(Entity, data.draw(st.sampled_from(self.entity_ids())))
        same_kind = data.draw(st.integers(0, 9)) > 0
        changed = data.draw(entities(current.id, current.kind if same_kind else None))
        drift = data.draw(st.sampled_from([0, 0, 0, -1, 1]))
        self.same("update", changed, expected_version=current.version + drift)

    @precondition(has_entities)
    @rule(data=st.data())
    def create_link(self, data: st.DataObject) -> None:
        endpoints = [*self.entity_ids(), "ghost"]
        link = data.draw(links(data.draw(st.sampled_from(LINK_IDS)), endpoints))
        self.same("create", link)

    @precondition(lambda self: bool(self.link_ids()))
    @rule(data=st.data())
    def update_link(self, data: st.DataObject) -> None:
        current = self.reference.get(Link, data.draw(st.sampled_from(self.link_ids())))
        changed = current.revise(
            type=data.draw(st.sampled_from(LINK_TYPES)),
            directed=data.draw(st.sampled_from([current.directed] * 4 + [not current.directed])),
        )
        drift = data.draw(st.sampled_from([0, 0, 0, 1]))
        self.same("update", changed, expected_version=current.version + drift)

    @rule(data=st.data(), batch_size=st.integers(1, 3))
    def upsert_many(self, data: st.DataObject, batch_size: int) -> None:
        records: list[Record] = []
        known = self.entity_ids()
        for _ in range(data.draw(st.integers(0, 5))):
            if known and data.draw(st.booleans()):
                link_id = data.draw(st.sampled_from(LINK_IDS))
                records.append(data.draw(links(link_id, [*known, "ghost"])))
            else:
                entity = data.draw(entities())
                version = data.draw(st.integers(1, 3))
                records.append(entity.model_copy(update={"version": version}))
                known.append(entity.id)
        self.same("upsert_many", records, batch_size=batch_size)

    # ------------------------------------------------------------------ reads

    @rule(condition=filters, order_by=order_keys, page_size=st.integers(1, 4))
    def search(self, condition: Any, order_by: Any, page_size: int) -> None:
        query = SearchQuery(filter=condition, order_by=order_by, page_size=page_size)
        while True:
            page = self.same("search", query)
            if isinstance(page, tuple) or page.next_cursor is None:
                return
            query = query.model_copy(update={"cursor": page.next_cursor})

    @rule(
        entity_id=st.sampled_from([*ENTITY_IDS, "ghost"]),
        direction=directions,
        link_types=link_type_filters,
        kinds=kind_filters,
    )
    def expand(self, entity_id: str, direction: str, link_types: Any, kinds: Any) -> None:
        self.same(
            "expand", entity_id, link_types=link_types, direction=direction, neighbour_kinds=kinds
        )

    @rule(
        entity_id=st.sampled_from(ENTITY_IDS),
        depth=st.integers(0, 3),
        direction=directions,
        link_types=link_type_filters,
        kinds=kind_filters,
        max_entities=st.sampled_from([2, 10_000]),
    )
    def neighbourhood(
        self,
        entity_id: str,
        depth: int,
        direction: str,
        link_types: Any,
        kinds: Any,
        max_entities: int,
    ) -> None:
        self.same(
            "neighbourhood",
            entity_id,
            depth=depth,
            link_types=link_types,
            direction=direction,
            neighbour_kinds=kinds,
            max_entities=max_entities,
        )

    @rule(
        origin=st.sampled_from(ENTITY_IDS),
        goal=st.sampled_from(ENTITY_IDS),
        max_depth=st.integers(0, 5),
        direction=directions,
        via=kind_filters,
        max_paths=st.sampled_from([1, 2, 100]),
    )
    def shortest_paths(
        self, origin: str, goal: str, max_depth: int, direction: str, via: Any, max_paths: int
    ) -> None:
        self.same(
            "shortest_paths",
            origin,
            goal,
            max_depth=max_depth,
            direction=direction,
            via_kinds=via,
            max_paths=max_paths,
        )

    @rule(
        ids=st.lists(st.sampled_from(ENTITY_IDS), min_size=1, max_size=3),
        start=windows,
        end=windows,
    )
    def timeline(self, ids: list[str], start: Any, end: Any) -> None:
        self.same("timeline", entity_ids=ids, start=start, end=end)

    @invariant()
    def exports_agree(self) -> None:
        self.same("export")


class SqliteComparison(StoreComparison):
    """The comparison against a new SQLite file per sequence."""

    def open_store(self) -> tuple[CaseStore, Callable[[], None]]:
        directory = tempfile.mkdtemp(prefix="caseport-sql-machine-")
        store = adapters.sql.from_url(f"sqlite:///{directory}/store.db", {"synchronous": "off"})

        def cleanup() -> None:
            store.close()
            shutil.rmtree(directory, ignore_errors=True)

        return store, cleanup


class PostgresqlComparison(StoreComparison):
    """The comparison against a new PostgreSQL schema per sequence."""

    def open_store(self) -> tuple[CaseStore, Callable[[], None]]:
        base = postgres_base_url()
        assert base is not None
        schema = f"sqlt_machine_{uuid.uuid4().hex[:12]}"
        store = adapters.sql.from_url(with_schema(base, schema), {"pool_max": "2"})

        def cleanup() -> None:
            store.close()
            drop_schema(base, schema)

        return store, cleanup


TestSqliteMatchesTheReference = SqliteComparison.TestCase
TestSqliteMatchesTheReference.settings = MACHINE_SETTINGS

TestPostgresqlMatchesTheReference = pytest.mark.skipif(
    postgres_base_url() is None, reason=SKIP_POSTGRES
)(PostgresqlComparison.TestCase)
TestPostgresqlMatchesTheReference.settings = MACHINE_SETTINGS
