"""Timelines: the events that are, or touch, the entities asked about, in time order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import NotFound, ValidationFailed
from contracts.models.entities import Entity, EntityKind
from contracts.results import TimelineEntry
from contracts.store import CaseStore

pytestmark = pytest.mark.capability(Capability.TIMELINE)


def _events(store: CaseStore) -> None:
    """Two people, a van and the events around them.

    ev-2 starts at T0 and is open; ev-1 runs from T0+1h to T0+2h; ev-7 is at T0+1h; ev-3 runs
    from T0+3h to T0+5h and touches only the van; ev-4 has no start and ev-8 no event fields.
    """
    store.create(data.entity("p-1"))
    store.create(data.entity("p-2"))
    store.create(data.entity("v-1", EntityKind.OBJECT))
    store.create(data.event("ev-1", data.at(1), data.at(2)))
    store.create(data.event("ev-2", data.at(0)))
    store.create(data.event("ev-3", data.at(3), data.at(5)))
    store.create(data.event("ev-4", None))
    store.create(data.event("ev-7", data.at(1)))
    store.create(data.entity("ev-8", EntityKind.EVENT))
    for link_id, source, target in [
        ("l-1", "p-1", "ev-1"),
        ("l-2", "p-1", "ev-2"),
        ("l-3", "p-2", "ev-2"),
        ("l-4", "v-1", "ev-3"),
        ("l-5", "p-1", "ev-4"),
        ("l-6", "ev-7", "p-2"),
        ("l-7", "p-1", "v-1"),
        ("l-8", "p-1", "ev-8"),
    ]:
        store.create(data.link(link_id, source, target, "PARTY_TO"))


def _entries(entries: list[TimelineEntry]) -> list[tuple[str, list[str]]]:
    return [(entry.event.id, list(entry.related_ids)) for entry in entries]


@pytest.mark.requirement("TIME-001", "TIME-002", "TIME-004")
def test_a_timeline_holds_the_events_one_link_away_in_time_order(store: CaseStore) -> None:
    """Events linked either way, or asked for directly, come by start time then id."""
    _events(store)
    assert _entries(store.timeline(entity_ids=["p-1"])) == [("ev-2", ["p-1"]), ("ev-1", ["p-1"])]
    assert _entries(store.timeline(entity_ids=["p-1", "p-2"])) == [
        ("ev-2", ["p-1", "p-2"]),
        ("ev-1", ["p-1"]),
        ("ev-7", ["p-2"]),
    ]
    assert _entries(store.timeline(entity_ids=["ev-3"])) == [("ev-3", ["ev-3"])]
    assert _entries(store.timeline(entity_ids=["v-1", "ev-3"])) == [("ev-3", ["ev-3", "v-1"])]
    entry = store.timeline(entity_ids=["p-2"])[0]
    assert entry.event == store.get(Entity, "ev-2")


@pytest.mark.requirement("TIME-003")
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, ["ev-2", "ev-1", "ev-7", "ev-3"]),
        (data.at(2), data.at(3), ["ev-1"]),
        (data.at(4), None, ["ev-3"]),
        (None, data.at(1), ["ev-2"]),
        (data.at(0), data.at(1.5), ["ev-2", "ev-1", "ev-7"]),
        (data.at(1), data.at(1), []),
        (data.at(5), data.at(6), ["ev-3"]),
        (data.at(5.5), None, []),
    ],
)
def test_an_event_is_kept_when_its_interval_overlaps_the_window(
    store: CaseStore, start: datetime | None, end: datetime | None, expected: list[str]
) -> None:
    """An event ending at or after start and starting before end is kept; no start, no entry."""
    _events(store)
    entries = store.timeline(entity_ids=["p-1", "p-2", "v-1"], start=start, end=end)
    assert [entry.event.id for entry in entries] == expected


@pytest.mark.requirement("TIME-005")
def test_bounds_compare_as_instants_and_must_carry_a_time_zone(store: CaseStore) -> None:
    """Bounds in any zone mean the same instant; naive bounds and no subject are refused."""
    _events(store)
    india = timezone(timedelta(hours=5, minutes=30))
    new_york = timezone(timedelta(hours=-5))
    start = datetime(2024, 3, 1, 16, 30, tzinfo=india)  # T0 + 2h
    end = datetime(2024, 3, 1, 7, 0, tzinfo=new_york)  # T0 + 3h
    assert [e.event.id for e in store.timeline(entity_ids=["p-1"], start=start, end=end)] == [
        "ev-1"
    ]
    with pytest.raises(ValidationFailed):
        store.timeline(entity_ids=["p-1"], start=datetime(2024, 3, 1, 9, 0))
    with pytest.raises(ValidationFailed):
        store.timeline(entity_ids=["p-1"], end=datetime(2024, 3, 1, 9, 0))
    with pytest.raises(ValidationFailed):
        store.timeline()


@pytest.mark.requirement("TIME-006")
def test_an_entity_that_does_not_exist_raises_not_found(store: CaseStore) -> None:
    """Without a case, every entity asked about must exist."""
    _events(store)
    for asked in (["ghost"], ["p-1", "ghost"]):
        with pytest.raises(NotFound) as missing:
            store.timeline(entity_ids=asked)
        assert (missing.value.record_type, missing.value.record_id) == ("entity", "ghost")


@pytest.mark.requirement("TIME-001", "TIME-006", "CASE-003")
@pytest.mark.capability(Capability.CASES)
def test_a_case_timeline_covers_its_members_and_skips_missing_ones(store: CaseStore) -> None:
    """A case's members count as asked for; members and ids that do not exist are skipped."""
    _events(store)
    store.create(data.case("c-1", [("p-2", "witness"), ("ghost", "suspect")]))
    assert _entries(store.timeline(case_id="c-1")) == [("ev-2", ["p-2"]), ("ev-7", ["p-2"])]
    assert _entries(store.timeline(case_id="c-1", entity_ids=["p-1", "phantom"])) == [
        ("ev-2", ["p-1", "p-2"]),
        ("ev-1", ["p-1"]),
        ("ev-7", ["p-2"]),
    ]
    with pytest.raises(NotFound) as missing:
        store.timeline(case_id="nope")
    assert (missing.value.record_type, missing.value.record_id) == ("case", "nope")
