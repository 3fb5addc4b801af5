"""Reads and paging: get, get_many and listing with keyset cursors."""

from __future__ import annotations

import re

import pytest

from contracts.conformance.suite import data
from contracts.errors import InvalidCursor, NotFound, ValidationFailed
from contracts.models.entities import Entity
from contracts.models.links import Link
from contracts.store import CaseStore


def _pages(store: CaseStore, page_size: int) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = store.list_records(Entity, page_size=page_size, cursor=cursor)
        pages.append([entity.id for entity in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


@pytest.mark.requirement("READ-001", "ERR-002")
def test_get_returns_the_stored_record_or_raises_not_found(store: CaseStore) -> None:
    """Get finds the record by type and id, and names what it could not find."""
    created = store.create(data.entity("e-1"))
    assert store.get(Entity, "e-1") == created
    with pytest.raises(NotFound) as missing:
        store.get(Entity, "e-2")
    assert (missing.value.record_type, missing.value.record_id) == ("entity", "e-2")
    with pytest.raises(NotFound) as other_type:
        store.get(Link, "e-1")
    assert other_type.value.record_type == "link"


@pytest.mark.requirement("READ-002")
def test_get_many_keeps_the_order_asked_and_returns_each_once(store: CaseStore) -> None:
    """Records come in the order of the ids, duplicates once, absent ids left out."""
    for entity_id in data.ids("e", 5):
        store.create(data.entity(entity_id))
    got = store.get_many(Entity, ["e-03", "ghost", "e-01", "e-03", "e-04", "e-01"])
    assert [entity.id for entity in got] == ["e-03", "e-01", "e-04"]
    assert [e.id for e in store.get_many(Entity, (i for i in ["e-02", "e-00"]))] == ["e-02", "e-00"]
    assert store.get_many(Entity, []) == []
    assert store.get_many(Link, ["e-01"]) == []


@pytest.mark.requirement("READ-002")
def test_get_many_refuses_more_than_50000_ids(store: CaseStore) -> None:
    """50,001 distinct ids are refused; 50,000 are answered."""
    store.create(data.entity("id-00000"))
    asked = [f"id-{number:05d}" for number in range(50_000)]
    assert [entity.id for entity in store.get_many(Entity, asked)] == ["id-00000"]
    with pytest.raises(ValidationFailed):
        store.get_many(Entity, [*asked, "one-too-many"])


@pytest.mark.requirement("READ-003", "READ-004")
def test_listing_pages_through_every_record_once_in_id_order(store: CaseStore) -> None:
    """25 entities in pages of 7 come as 7, 7, 7 and 4, in id order, each once."""
    names = data.ids("e", 25)
    for number in data.SHUFFLED_25:
        store.create(data.entity(names[number]))
    pages = _pages(store, 7)
    assert [len(page) for page in pages] == [7, 7, 7, 4]
    assert [entity_id for page in pages for entity_id in page] == names
    assert _pages(store, 1) == [[name] for name in names]
    assert _pages(store, 1000) == [names]
    assert store.list_records(Entity).next_cursor is None
    assert len(store.list_records(Entity).items) == 25


@pytest.mark.requirement("READ-004")
def test_a_full_last_page_has_no_cursor(store: CaseStore) -> None:
    """21 entities in pages of 7 are three pages, the last without a next cursor."""
    for entity_id in data.ids("e", 21):
        store.create(data.entity(entity_id))
    assert [len(page) for page in _pages(store, 7)] == [7, 7, 7]
    empty = store.list_records(Link)
    assert (empty.items, empty.next_cursor) == ((), None)


@pytest.mark.requirement("READ-003")
def test_ids_are_listed_by_code_point(store: CaseStore) -> None:
    """Upper case sorts before lower case and punctuation by its code point."""
    chosen = ["a_b", "a", "Z", "a:b", "9", "a.b", "B", "a-b", "ab"]
    for entity_id in chosen:
        store.create(data.entity(entity_id))
    listed = [entity.id for entity in store.list_records(Entity).items]
    assert listed == ["9", "B", "Z", "a", "a-b", "a.b", "a:b", "a_b", "ab"]


@pytest.mark.requirement("READ-005")
def test_records_written_between_pages_are_neither_repeated_nor_skipped(store: CaseStore) -> None:
    """A page continues after the last item returned, whatever was written meanwhile."""
    for number in range(10, 100, 10):
        store.create(data.entity(f"e-{number}"))
    first = store.list_records(Entity, page_size=3)
    assert [e.id for e in first.items] == ["e-10", "e-20", "e-30"]
    store.create(data.entity("e-05"))
    store.create(data.entity("e-35"))
    moved = store.get(Entity, "e-40")
    store.update(moved.revise(label="changed meanwhile"), expected_version=1)
    rest: list[str] = []
    cursor = first.next_cursor
    while cursor is not None:
        page = store.list_records(Entity, page_size=3, cursor=cursor)
        rest.extend(entity.id for entity in page.items)
        cursor = page.next_cursor
    assert rest == ["e-35", "e-40", "e-50", "e-60", "e-70", "e-80", "e-90"]


@pytest.mark.requirement("READ-006", "ERR-001")
def test_a_cursor_only_continues_its_own_listing(store: CaseStore) -> None:
    """Cursors are URL-safe; another listing's or a made-up cursor raises InvalidCursor."""
    for entity_id in data.ids("e", 3):
        store.create(data.entity(entity_id))
    cursor = store.list_records(Entity, page_size=1).next_cursor
    assert cursor is not None
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    with pytest.raises(InvalidCursor):
        store.list_records(Link, cursor=cursor)
    for made_up in ("not-a-cursor", "e-01", "eyJmIjoxfQ"):
        with pytest.raises(InvalidCursor) as refused:
            store.list_records(Entity, cursor=made_up)
        assert isinstance(refused.value, ValidationFailed)
        assert isinstance(refused.value, ValueError)
    assert [e.id for e in store.list_records(Entity, cursor=cursor).items] == ["e-01", "e-02"]
