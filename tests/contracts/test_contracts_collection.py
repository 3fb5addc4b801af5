"""The garbage collector pause around bulk batches: shared by threads, always given back."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence

import pytest

from adapters.memory import InMemoryCaseStore
from contracts import Entity, EntityKind, Link
from contracts._collection import collection_paused
from contracts.errors import ValidationFailed
from contracts.models import Record


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def _entity(key: str) -> Entity:
    return Entity(id=key, kind=EntityKind.OBJECT, subtype="phone", label=key)


class WatchingStore(InMemoryCaseStore):
    """Notes whether the collector ran while each batch was encoded and written."""

    def __init__(self) -> None:
        super().__init__()
        self.collector_while_encoding: list[bool] = []
        self.collector_while_writing: list[bool] = []

    def _encode_batch(self, records: list[Record]) -> Sequence[Record]:
        self.collector_while_encoding.append(gc.isenabled())
        return super()._encode_batch(records)

    def _write_batch(self, records: Sequence[Record]) -> object:  # type: ignore[override]
        self.collector_while_writing.append(gc.isenabled())
        return super()._write_batch(records)


def test_the_collector_is_off_while_batches_are_prepared_and_on_afterwards() -> None:
    store = WatchingStore()
    report = store.upsert_many((_entity(f"e{i}") for i in range(25)), batch_size=10)
    assert report.batches == 3
    assert store.collector_while_encoding == [False, False, False]
    assert store.collector_while_writing == [False, False, False]
    assert gc.isenabled()


def test_a_failing_batch_gives_the_collector_back() -> None:
    store = WatchingStore()
    dangling = Link(id="l1", type="OWNS", source_id="a", target_id="missing")
    with pytest.raises(ValidationFailed, match="missing"):
        store.upsert_many([_entity("a"), dangling], batch_size=1)
    assert store.collector_while_writing == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    gc.disable()
    store = WatchingStore()
    store.upsert_many([_entity("a")])
    assert not gc.isenabled()


def test_the_collector_resumes_only_when_the_last_holder_leaves() -> None:
    """Threads pausing it together: the first to leave must not resume it under the other."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with collection_paused():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with collection_paused():
            second_in.set()
            first_out.wait(10)
            seen["after the first left"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first left": False}
    assert gc.isenabled()
