"""PostgreSQL upkeep after bulk writes: search terms merged into their index, for any role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
from sql_postgres import postgres_base_url

import adapters.sql
from contracts import Entity, EntityKind
from contracts.query import SearchQuery, Text

psycopg = pytest.importorskip("psycopg")


def entity(entity_id: str, label: str) -> Entity:
    """A person with this id and label."""
    return Entity(id=entity_id, kind=EntityKind.PERSON, subtype="suspect", label=label)


def _server(store_url: str) -> tuple[str, str]:
    """The server's own URL and the schema a store URL names."""
    base = postgres_base_url()
    assert base is not None
    return base, store_url.rpartition("schema=")[2]


def _pending_pages(store_url: str) -> int:
    """Merge what is left in the text index's pending list; how many pages that took."""
    base, schema = _server(store_url)
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(f'SET search_path TO "{schema}"')
        row = connection.execute(
            "SELECT gin_clean_pending_list('entities_terms'::regclass)"
        ).fetchone()
        assert row is not None
        return int(row[0])


def test_a_bulk_write_leaves_no_search_terms_pending(postgres_url: str) -> None:
    """After upsert_many the text index holds every new term, so searches need not scan them."""
    with adapters.sql.from_url(postgres_url, {}) as store:
        store.upsert_many(
            (entity(f"e{n}", label=f"Alias{n} common words here") for n in range(3_000)),
            batch_size=1_000,
        )
        assert _pending_pages(postgres_url) == 0
        found = store.search(SearchQuery(filter=Text("alias2999 common")))
        assert [e.id for e in found.items] == ["e2999"]


@pytest.fixture
def role_without_ownership(postgres_url: str) -> Iterator[str]:
    """The store's URL for a role that may read and write its tables but does not own them."""
    base, schema = _server(postgres_url)
    role = f"caseport_writer_{uuid.uuid4().hex[:12]}"
    with adapters.sql.from_url(postgres_url, {}):
        pass  # create the schema and tables as their owner
    with psycopg.connect(base, autocommit=True) as connection:
        try:
            connection.execute(f'CREATE ROLE "{role}" LOGIN')
        except psycopg.errors.InsufficientPrivilege:
            pytest.skip("the test server's user may not create roles")
        connection.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        connection.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        connection.execute(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
    parts = urlsplit(postgres_url)
    host = parts.netloc.rpartition("@")[2]
    try:
        yield urlunsplit(parts._replace(netloc=f"{role}@{host}"))
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'DROP OWNED BY "{role}"')
            connection.execute(f'DROP ROLE "{role}"')


def test_a_role_that_does_not_own_the_tables_can_still_bulk_write(
    role_without_ownership: str,
) -> None:
    """Index upkeep and ANALYZE need ownership; without it every batch is still written."""
    with adapters.sql.from_url(role_without_ownership, {}) as store:
        # Enough records for the store to try ANALYZE too (it does after its first 1,000).
        report = store.upsert_many(entity(f"e{n:04d}", label=f"Name{n}") for n in range(1_200))
        assert (report.created, report.batches) == (1_200, 2)
        found = store.search(SearchQuery(filter=Text("name7")))
        assert [e.id for e in found.items] == ["e0007"]
        assert len(store.list_records(Entity, page_size=1_000).items) == 1_000
