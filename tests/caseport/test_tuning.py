"""The garbage collector pause an application takes around bulk loads: shared, given back."""

from __future__ import annotations

import gc
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import pytest

from adapters.memory import MemoryBackend
from caseport import tuning as collection
from caseport.tuning import collection_paused
from contracts import Entity, EntityKind, Link
from contracts.errors import ValidationFailed
from contracts.models import Record
from contracts.results import BulkReport
from contracts.store import CaseStore


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    gc.enable()
    yield
    leaked = dict(collection._holds)
    gc.enable()
    assert leaked == {}, "a pause was left held"


def _entity(key: str) -> Entity:
    return Entity(id=key, kind=EntityKind.OBJECT, subtype="phone", label=key)


class WatchingBackend(MemoryBackend):
    """Notes whether the collector ran while each batch was encoded and written."""

    def __init__(self, *, overlaps: bool) -> None:
        super().__init__()
        self.overlaps_writes = overlaps
        self.collector_while_encoding: list[bool] = []
        self.collector_while_writing: list[bool] = []

    def encode_batch(self, records: list[Record]) -> Sequence[Record]:
        self.collector_while_encoding.append(gc.isenabled())
        return super().encode_batch(records)

    def write_batch(self, records: Sequence[Record]) -> BulkReport:
        self.collector_while_writing.append(gc.isenabled())
        return super().write_batch(records)


class WatchingStore(CaseStore):
    """A store over a :class:`WatchingBackend`, exposing what it noted."""

    def __init__(self, *, overlaps: bool = False) -> None:
        self.watching = WatchingBackend(overlaps=overlaps)
        super().__init__(self.watching)

    @property
    def collector_while_encoding(self) -> list[bool]:
        return self.watching.collector_while_encoding

    @property
    def collector_while_writing(self) -> list[bool]:
        return self.watching.collector_while_writing


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(10)
        assert not thread.is_alive()


def test_bulk_writes_leave_the_collector_as_the_application_set_it() -> None:
    """The library never switches the process's collector on or off by itself."""
    store = WatchingStore()
    store.upsert_many((_entity(f"e{i}") for i in range(25)), batch_size=10)
    assert store.collector_while_encoding == [True, True, True]
    assert store.collector_while_writing == [True, True, True]
    gc.disable()
    store.upsert_many((_entity(f"f{i}") for i in range(5)), batch_size=10)
    assert store.collector_while_encoding[-1] is False
    assert not gc.isenabled()


def test_a_pause_around_a_bulk_load_covers_every_batch_and_is_given_back() -> None:
    """Encoding and writing run paused inside the pause; the collector runs after."""
    store = WatchingStore()
    with collection_paused():
        report = store.upsert_many((_entity(f"e{i}") for i in range(25)), batch_size=10)
    assert report.batches == 3
    assert store.collector_while_encoding == [False, False, False]
    assert store.collector_while_writing == [False, False, False]
    assert gc.isenabled()


def test_writes_on_a_background_thread_inside_a_pause_leave_the_collector_as_it_was() -> None:
    """With overlapping writes every batch is still written and the pause is given back."""
    store = WatchingStore(overlaps=True)
    with collection_paused():
        report = store.upsert_many((_entity(f"e{i}") for i in range(50)), batch_size=7)
    assert (report.batches, report.created) == (8, 50)
    assert store.collector_while_encoding == [False] * 8
    assert gc.isenabled()


def test_a_failing_bulk_load_inside_a_pause_gives_the_collector_back() -> None:
    """A batch refused for a missing link endpoint leaves the collector running."""
    store = WatchingStore()
    dangling = Link(id="l1", type="OWNS", source_id="a", target_id="missing")
    with pytest.raises(ValidationFailed, match="missing"), collection_paused():
        store.upsert_many([_entity("a"), dangling], batch_size=1)
    assert store.collector_while_writing == [False]
    assert gc.isenabled()


def test_a_collector_switched_off_by_the_application_stays_off() -> None:
    """The pause never turns on a collector the application had turned off."""
    gc.disable()
    with collection_paused():
        WatchingStore().upsert_many([_entity("a")])
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
    _join(threads)
    assert seen == {"after the first left": False}
    assert gc.isenabled()


@contextmanager
def _held_by_another_thread() -> Iterator[None]:
    """Inside the block another thread holds the pause; it lets go when the block ends."""
    holding, done = threading.Event(), threading.Event()

    def holder() -> None:
        with collection_paused():
            holding.set()
            done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait(10)
    try:
        yield
    finally:
        done.set()
        _join([thread])


def test_leaving_without_holding_changes_nothing() -> None:
    """A thread that never paused cannot resume the collector under one that did."""
    with _held_by_another_thread():
        collection._leave()
        assert not gc.isenabled()
    assert gc.isenabled()


def _in_child(check: Callable[[], bool]) -> bool:
    """Fork, run ``check`` in the child, and return its answer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # forking with threads running
        child = os.fork()
    if child == 0:
        os._exit(0 if check() else 1)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


@needs_fork
def test_a_process_forked_while_another_thread_holds_the_pause_gets_the_collector_back() -> None:
    """Only the forking thread lives on in the child, so the other thread's hold is dropped."""
    with _held_by_another_thread():
        assert _in_child(lambda: gc.isenabled() and not collection._holds)
        assert not gc.isenabled()  # the parent's holder still holds it
    assert gc.isenabled()


@needs_fork
def test_a_process_forked_by_a_holder_keeps_its_pause_until_it_leaves() -> None:
    """The forking thread's own hold carries over, and leaving it in the child resumes."""

    def child_check() -> bool:
        paused = not gc.isenabled()
        collection._leave()
        return paused and gc.isenabled() and not collection._holds

    with collection_paused():
        assert _in_child(child_check)
    assert gc.isenabled()


@needs_fork
def test_a_process_forked_after_the_application_switched_the_collector_off_keeps_it_off() -> None:
    """A pause that has ended leaves nothing behind for a later fork to resume."""
    WatchingStore().upsert_many([_entity("a")])
    gc.disable()
    assert _in_child(lambda: not gc.isenabled())
