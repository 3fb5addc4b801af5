"""The write pipeline: batches written in order, at most two waiting, nothing after a failure."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from contracts import Case, Entity, EntityKind
from contracts._pipeline import WritePipeline
from contracts.errors import Unavailable
from contracts.models import Record
from contracts.results import BulkReport


def _case(case_id: str) -> Record:
    return Case(id=case_id, reference=case_id.upper(), title="A case")


def _batch(*ids: str) -> list[Record]:
    return [Entity(id=i, kind=EntityKind.OBJECT, subtype="phone", label=i) for i in ids]


class Recorder:
    """A write that records what it wrote, can be held back, and fails on a chosen id."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.written: list[list[str]] = []
        self.reported: list[BulkReport] = []
        self.release = threading.Event()
        self.release.set()
        self.gates: dict[str, threading.Event] = {}
        self.fail_on = fail_on

    def write(self, batch: Sequence[Record]) -> BulkReport:
        self.release.wait(10)
        gate = self.gates.get(batch[0].id)
        if gate is not None:
            gate.wait(10)
        ids = [record.id for record in batch]
        if self.fail_on in ids:
            raise Unavailable("the backend went away")
        self.written.append(ids)
        return BulkReport(created=len(ids), batches=1)


@pytest.mark.parametrize("threaded", [True, False])
def test_batches_are_written_and_reported_in_order(threaded: bool) -> None:
    """Every batch is written once, in order, and reported in the caller's thread."""
    recorder = Recorder()
    threads: list[threading.Thread] = []

    def written(report: BulkReport) -> None:
        threads.append(threading.current_thread())
        recorder.reported.append(report)

    with WritePipeline(recorder.write, written, threaded=threaded) as pipeline:
        for number in range(5):
            pipeline.submit(_batch(f"a{number}", f"b{number}"))
        pipeline.drain()
    assert recorder.written == [[f"a{n}", f"b{n}"] for n in range(5)]
    assert [report.created for report in recorder.reported] == [2] * 5
    assert threads == [threading.current_thread()] * 5


def test_submit_waits_while_two_batches_are_unwritten() -> None:
    """With the writer held back, the third submit waits; the first two stay unwritten ids."""
    recorder = Recorder()
    recorder.release.clear()
    with WritePipeline(recorder.write, recorder.reported.append, threaded=True) as pipeline:
        pipeline.submit(_batch("a"))
        pipeline.submit([*_batch("b"), _case("not-an-entity")])
        assert pipeline.unwritten_entity_ids == {"a", "b"}
        third = threading.Thread(target=pipeline.submit, args=(_batch("c"),))
        third.start()
        third.join(0.2)
        assert third.is_alive()
        recorder.release.set()
        third.join(10)
        assert not third.is_alive()
        pipeline.drain()
        assert pipeline.unwritten_entity_ids == frozenset()
    assert recorder.written == [["a"], ["b", "not-an-entity"], ["c"]]


def test_a_failed_write_stops_every_later_batch_and_reports_the_earlier_ones() -> None:
    """The failure is raised to the caller; later batches are never written."""
    recorder = Recorder(fail_on="b")

    def run() -> None:
        with WritePipeline(recorder.write, recorder.reported.append, threaded=True) as pipeline:
            for name in "abcd":
                pipeline.submit(_batch(name))
            pipeline.drain()

    with pytest.raises(Unavailable):
        run()
    assert recorder.written == [["a"]]
    assert len(recorder.reported) == 1


def test_leaving_early_waits_for_the_write_under_way_and_drops_the_queued_one() -> None:
    """An error in the caller lets the batch being written finish; queued ones are dropped."""
    recorder = Recorder()
    recorder.release.clear()

    def run() -> None:
        with WritePipeline(recorder.write, recorder.reported.append, threaded=True) as pipeline:
            pipeline.submit(_batch("a"))
            pipeline.submit(_batch("b"))
            threading.Timer(0.1, recorder.release.set).start()
            raise KeyError("the caller's stream failed")

    with pytest.raises(KeyError):
        run()
    assert recorder.written == [["a"]]


def test_a_failing_report_stops_every_batch_not_yet_started() -> None:
    """When ``written`` raises (on_batch cancelling an import), queued batches are dropped."""
    recorder = Recorder()
    later = threading.Event()
    recorder.gates = {"b": later, "c": later}

    def refuse(report: BulkReport) -> None:
        # "b" and "c" may go on only once this failure has stopped the pipeline.
        threading.Timer(0.1, later.set).start()
        raise RuntimeError("stop the import")

    def run() -> None:
        with WritePipeline(recorder.write, refuse, threaded=True) as pipeline:
            pipeline.submit(_batch("a"))
            pipeline.submit(_batch("b"))
            pipeline.submit(_batch("c"))  # waits for "a", whose report raises

    with pytest.raises(RuntimeError):
        run()
    assert recorder.written[0] == ["a"]
    assert ["c"] not in recorder.written
