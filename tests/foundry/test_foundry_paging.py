"""One paging loop: it ends only without nextPageToken, resumes, and reports expired tokens."""

from __future__ import annotations

import itertools
import json

import pytest
from foundry_support import fake_store, person, sample_records

from adapters.foundry.paging import Pages
from adapters.foundry.store import StoreOptions
from adapters.foundry.testing import FakeFoundry, Fault
from adapters.foundry.wire import ObjectPage
from contracts.errors import InvalidCursor, UpstreamContractError
from contracts.models import Entity
from contracts.models.common import RecordType
from contracts.query import SearchQuery


def pages_of(*pages: tuple[list[int], str | None]) -> dict[str | None, ObjectPage]:
    """Pages keyed by the token that fetches them (None: the first)."""
    tokens: list[str | None] = [None, *(token for _, token in pages[:-1])]
    return {
        token: ObjectPage(data=[{"__primaryKey": k} for k in keys], nextPageToken=nxt)
        for token, (keys, nxt) in zip(tokens, pages, strict=True)
    }


def test_short_and_empty_pages_do_not_end_the_read() -> None:
    """Only a missing nextPageToken ends it; short and empty pages in between do not."""
    book = pages_of(([1], "a"), ([], "b"), ([2, 3], "c"), ([4], None))
    read = Pages(book.__getitem__, what="test")
    assert [obj["__primaryKey"] for obj in read] == [1, 2, 3, 4]
    assert read.pages_read == 4
    assert read.resume_token is None


def test_a_read_resumes_from_a_token() -> None:
    """Starting from a token reads that page and the rest."""
    book = pages_of(([1], "a"), ([2], "b"), ([3], None))
    read = Pages(book.__getitem__, what="test", start_token="a")
    assert [obj["__primaryKey"] for obj in read] == [2, 3]


def test_resume_token_names_the_page_being_read() -> None:
    """While a page is read, resume_token fetches it again."""
    book = pages_of(([1, 2], "a"), ([3, 4], None))
    read = Pages(book.__getitem__, what="test")
    objects = iter(read)
    next(objects)
    assert read.resume_token is None
    next(objects)
    next(objects)
    assert read.resume_token == "a"


def test_a_repeated_token_stops_the_read() -> None:
    """A server that sends the same token again would loop for ever; the read stops."""

    def fetch(token: str | None) -> ObjectPage:
        return ObjectPage(data=[{"__primaryKey": 1}], nextPageToken="same")

    with pytest.raises(UpstreamContractError, match="same page token"):
        list(Pages(fetch, what="test"))


def test_a_read_that_never_ends_is_cut_at_max_pages() -> None:
    """Endless pages are refused after max_pages."""
    counter = itertools.count()

    def fetch(token: str | None) -> ObjectPage:
        return ObjectPage(data=[], nextPageToken=f"t{next(counter)}")

    with pytest.raises(UpstreamContractError, match="more than 5 pages"):
        list(Pages(fetch, what="test", max_pages=5))


def test_without_a_snapshot_repeats_are_dropped_by_primary_key() -> None:
    """Objects that move between live pages are yielded once."""
    book = pages_of(([1, 2], "a"), ([2, 3], None))
    read = Pages(book.__getitem__, what="test", dedupe_key="__primaryKey")
    assert [obj["__primaryKey"] for obj in read] == [1, 2, 3]


def test_short_pages_from_foundry_lose_nothing() -> None:
    """With Foundry returning random short pages, search, listing and export stay complete."""
    fake = FakeFoundry()
    fake.ontology.short_pages = True
    _, store = fake_store(fake, options=StoreOptions(page_size=3, export_page_size=3))
    entities = [person(f"Person {n:03d}", id=f"p-{n:03d}") for n in range(40)]
    store.upsert_many(entities)
    assert [e.id for e in store.iter_search(SearchQuery(page_size=7))] == [e.id for e in entities]
    assert [e.id for e in store.export([RecordType.ENTITY])] == [e.id for e in entities]
    page = store.list_records(Entity, page_size=11)
    assert [e.id for e in page.items] == [e.id for e in entities[:11]]


def test_a_scan_resumes_where_it_stopped() -> None:
    """A scan interrupted mid-way continues from its resume token without gaps."""
    _, store = fake_store(options=StoreOptions(export_page_size=5))
    entities = [person(f"Person {n:02d}", id=f"p-{n:02d}") for n in range(23)]
    store.upsert_many(entities)
    scan = store.scan(RecordType.ENTITY)
    seen = [record.id for record in itertools.islice(scan, 12)]
    token = scan.resume_token
    assert token is not None
    resumed = store.scan(RecordType.ENTITY, resume_from=token)
    rest = [record.id for record in resumed]
    assert seen[:10] + rest == [e.id for e in entities]
    assert scan.total_count == 23


def test_an_expired_page_token_is_reported_clearly() -> None:
    """A token that expired mid-scan raises InvalidCursor saying to start again."""
    fake, store = fake_store(options=StoreOptions(export_page_size=5))
    store.upsert_many(person(f"P {n}", id=f"p-{n:02d}") for n in range(12))
    fake.inject(Fault("expire_page_tokens", path_contains="loadObjects"))
    fake.inject(Fault("expire_page_tokens", path_contains="loadObjects"))
    scan = store.scan(RecordType.ENTITY)
    objects = iter(scan)
    next(objects)
    token = scan.resume_token
    with pytest.raises(InvalidCursor, match="start the read again"):
        list(objects)
    fake.clock.advance(10_000)
    with pytest.raises(InvalidCursor, match="expired"):
        list(store.scan(RecordType.ENTITY, resume_from=token or "v1.gone"))


@pytest.mark.parametrize(
    "token", ["\ud800", "v1.\x00", 5, b"v1.page"], ids=["surrogate", "nul", "int", "bytes"]
)
def test_a_resume_token_no_request_can_carry_is_refused_before_sending(token: object) -> None:
    """A resume token that is not clean text is InvalidCursor, and nothing is sent.

    A lone surrogate used to end in a raw UnicodeEncodeError while the request was encoded.
    """
    fake, store = fake_store(options=StoreOptions(export_page_size=5))
    store.upsert_many(person(f"P {n}", id=f"p-{n:02d}") for n in range(7))
    sent = len(fake.requests)
    with pytest.raises(InvalidCursor, match="start the read again without it"):
        store.scan(RecordType.ENTITY, resume_from=token)  # type: ignore[arg-type]
    assert len(fake.requests) == sent
    assert [record.id for record in store.scan(RecordType.ENTITY)] == [
        f"p-{n:02d}" for n in range(7)
    ]


def test_full_scans_ask_for_snapshots() -> None:
    """Export, scans and searches read their pages from a snapshot."""
    fake, store = fake_store()
    for record in sample_records():
        store.create(record)
    before = len(fake.requests)
    list(store.export())
    list(store.scan(RecordType.LINK))
    store.search(SearchQuery(page_size=2))
    paged = [
        json.loads(r.content)
        for r in fake.requests[before:]
        if r.url.path.endswith(("/loadObjects", "/search"))
    ]
    assert len(paged) >= 7
    assert all(body["snapshot"] is True for body in paged)
