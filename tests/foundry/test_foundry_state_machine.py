"""Model-based test: the Foundry adapter under random faults behaves like the in-memory reference.

Random operations run against a store over the fake Foundry (with 429s, 503s, lost replies and
dropped connections injected at random) and against :class:`InMemoryCaseStore`. When a fault
outlasts every retry, the test reads the truth back with faults off and moves the model to it,
as a caller would; then every read must agree. ``CASEPORT_HYPOTHESIS_PROFILE`` (``quick`` by
default, ``ci``, ``soak``) sets how many and how long the sequences are.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from foundry_support import person, settings
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    multiple,
    precondition,
    rule,
)
from run_profile import by_profile

from adapters.foundry.store import StoreOptions
from adapters.foundry.testing import FakeFoundry, FaultRates
from adapters.memory import InMemoryCaseStore
from contracts.errors import BackendError, Conflict
from contracts.models import Entity, Link
from contracts.query import And, Eq, Not, Or, OrderKey, Prefix, SearchQuery, Text

NOW = datetime(2025, 6, 1, tzinfo=UTC)
LABELS = ["John Smith", "Mary Smith", "Blue van", "Ann Jones", "Zoë Brown"]


def _now() -> datetime:
    return NOW


queries = st.one_of(
    st.builds(lambda w: Text(w), st.sampled_from(["smith", "blue", "jones van", "zoë"])),
    st.builds(lambda p: Prefix("label", p), st.sampled_from(["J", "M", "Z", "B"])),
    st.builds(lambda k: Eq("kind", k), st.sampled_from(["PERSON", "OBJECT"])),
    st.builds(lambda p: Not(Prefix("label", p)), st.sampled_from(["J", "A"])),
    st.builds(
        lambda a, b: Or(And(Text(a), Not(Eq("kind", "OBJECT"))), Eq("label", b)),
        st.sampled_from(["smith", "ann"]),
        st.sampled_from(LABELS),
    ),
)


class FoundryAgainstReference(RuleBasedStateMachine):
    """Operations on both stores; reads must always agree."""

    entities = Bundle("entities")

    def __init__(self) -> None:
        super().__init__()
        self.rates = FaultRates(
            rate_limited=0.04, unavailable=0.04, lost_reply=0.04, dropped=0.03, seed=11
        )
        self.fake = FakeFoundry(rates=self.rates)
        self.store = self.fake.store(
            settings=settings(max_attempts=3),
            options=StoreOptions(page_size=3, batch_requests=2),
        )
        self.store.clock = _now  # type: ignore[method-assign]
        self.model = InMemoryCaseStore()
        self.model.clock = _now  # type: ignore[method-assign]
        self.counter = 0

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Turn random faults off while reading the truth back."""
        self.fake.rates = FaultRates()
        try:
            yield
        finally:
            self.fake.rates = self.rates

    def _sync(self, record_type: type[Any], ids: list[str]) -> None:
        with self.quiet():
            found = self.store.get_many(record_type, ids)
        if found:
            self.model.upsert_many(found)

    @initialize()
    def seed(self) -> None:
        self.fake.ontology.short_pages = True

    @rule(
        target=entities, label=st.sampled_from(LABELS), kind=st.sampled_from(["PERSON", "OBJECT"])
    )
    def create_entity(self, label: str, kind: str) -> Any:
        self.counter += 1
        entity_id = f"e-{self.counter:04d}"
        if kind == "PERSON":
            entity = person(label, id=entity_id)
        else:
            entity = Entity(id=entity_id, kind="OBJECT", subtype="vehicle", label=label)
        try:
            stored = self.store.create(entity)
        except BackendError:
            self._sync(Entity, [entity_id])
            return entity_id if self.model.get_many(Entity, [entity_id]) else multiple()
        assert self.model.create(entity) == stored
        return entity_id

    @rule(source=entities, target_=entities, directed=st.booleans())
    def link(self, source: str, target_: str, directed: bool) -> None:
        self.counter += 1
        link = Link(
            id=f"k-{self.counter:04d}",
            type="ASSOCIATE_OF",
            source_id=source,
            target_id=target_,
            directed=directed,
        )
        try:
            stored = self.store.create(link)
        except BackendError:
            self._sync(Link, [link.id])
            return
        assert self.model.create(link) == stored

    @rule(entity_id=entities, label=st.sampled_from(LABELS), stale=st.booleans())
    def update(self, entity_id: str, label: str, stale: bool) -> None:
        current = self.model.get(Entity, entity_id)
        expected = current.version - 1 if stale else current.version
        revised = current.revise(label=label)
        outcome: Any
        try:
            outcome = self.store.update(revised, expected_version=expected)
        except Conflict:
            outcome = "conflict"
        except BackendError:
            self._sync(Entity, [entity_id])
            return
        try:
            reference: Any = self.model.update(revised, expected_version=expected)
        except Conflict:
            reference = "conflict"
        assert outcome == reference

    @rule(ids=st.lists(entities, max_size=4, unique=True), label=st.sampled_from(LABELS))
    def bulk(self, ids: list[str], label: str) -> None:
        self.counter += 1
        fresh = person(label, id=f"b-{self.counter:04d}", created_at=NOW, updated_at=NOW)
        batch = [self.model.get(Entity, i).revise(label=label) for i in ids] + [fresh]
        try:
            report = self.store.upsert_many(batch)
        except BackendError:
            self._sync(Entity, [record.id for record in batch])
            return
        assert self.model.upsert_many(batch) == report

    @rule(condition=queries, descending=st.booleans(), page_size=st.integers(1, 4))
    def search(self, condition: Any, descending: bool, page_size: int) -> None:
        query = SearchQuery(
            filter=condition,
            order_by=(OrderKey(field="label", descending=descending),),
            page_size=page_size,
        )
        with self.quiet():
            assert list(self.store.iter_search(query)) == list(self.model.iter_search(query))

    @precondition(lambda self: self.counter > 0)
    @rule(entity_id=entities, direction=st.sampled_from(["out", "in", "both"]))
    def expand(self, entity_id: str, direction: Any) -> None:
        with self.quiet():
            assert self.store.expand(entity_id, direction=direction) == self.model.expand(
                entity_id, direction=direction
            )

    @rule(entity_id=consumes(entities))
    def read(self, entity_id: str) -> None:
        try:
            found = self.store.get(Entity, entity_id)
        except BackendError:
            return
        assert found == self.model.get(Entity, entity_id)

    def teardown(self) -> None:
        with self.quiet():
            assert list(self.store.export()) == list(self.model.export())
        self.store.close()


FoundryAgainstReference.TestCase.settings = hsettings(
    max_examples=by_profile(quick=30, ci=120, soak=1_000),
    stateful_step_count=by_profile(quick=30, ci=40, soak=50),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_foundry_matches_the_reference_under_faults = FoundryAgainstReference.TestCase
