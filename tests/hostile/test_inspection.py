"""Inspection changes nothing: a store opened to read must exist, and is never created or written.

The SQL adapter's ``mode`` option says what opening may do: ``rwc`` (the default) creates a
missing database, ``rw`` and ``ro`` need an existing store, and ``ro`` refuses every write. The
command line's read commands open with :func:`caseport.query_commands.open_for_reading`, which
asks for ``mode=ro`` on SQLite and PostgreSQL. The in-process stores (memory://, foundry+fake://)
have nothing outside the process to create: opening one to read gives a new, empty store, and
``mode`` is not one of their options.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hostile_support import drop_schema

import adapters
from adapters.sql.sqlite import sqlite_path
from caseport.query_commands import open_for_reading
from contracts.errors import ConfigurationError, PermissionDenied
from contracts.models import Entity, EntityKind, Link, Record
from contracts.query import SearchQuery, Text
from contracts.store import CaseStore

SQL_ONLY = pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
"""The modes belong to the SQL adapter: these tests run on its two backends."""


def _is_sql(url: str) -> bool:
    return url.startswith(("sqlite:", "postgresql:"))


def _with(url: str, **options: str) -> str:
    query = "&".join(f"{key}={value}" for key, value in options.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _schema_of(url: str) -> str:
    return url.rsplit("schema=", 1)[1].split("&", 1)[0]


def _base_of(url: str) -> str:
    return url.split("?", 1)[0]


def _exists(url: str) -> bool:
    """Whether the SQLite file or the PostgreSQL schema named by a test URL exists."""
    if url.startswith("sqlite:"):
        return sqlite_path(url).exists()
    import psycopg

    with psycopg.connect(_base_of(url)) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (_schema_of(url),)
        ).fetchone()
    return found is not None


def _tables(url: str) -> list[str]:
    """The tables in the SQLite file or PostgreSQL schema named by a test URL."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(sqlite_path(url).as_uri() + "?mode=ro", uri=True)) as db:
            return [str(row[0]) for row in db.execute("SELECT name FROM sqlite_master")]
    import psycopg

    with psycopg.connect(_base_of(url)) as connection:
        rows = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (_schema_of(url),)
        ).fetchall()
    return [str(row[0]) for row in rows]


def _create_empty_database(url: str) -> None:
    """Make the SQLite file or the PostgreSQL schema a test URL names, holding no table."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(sqlite_path(url))) as db:
            db.execute("CREATE TABLE scratch (x)")
            db.execute("DROP TABLE scratch")
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(_base_of(url), autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(_schema_of(url))))


@pytest.fixture
def absent_url(store_url: str) -> Iterator[str]:
    """A URL of the same backend naming a store that does not exist.

    It is removed afterwards, had a test created it; for the in-process backends it is the
    same URL.
    """
    if store_url.startswith("sqlite:"):
        yield store_url.replace("store.db", "absent.db")
    elif store_url.startswith("postgresql:"):
        schema = f"absent_{uuid.uuid4().hex[:16]}"
        try:
            yield store_url.replace(_schema_of(store_url), schema)
        finally:
            drop_schema(_base_of(store_url), schema)
    else:
        yield store_url


def _people(count: int) -> list[Record]:
    people: list[Record] = [
        Entity(id=f"p-{i}", kind=EntityKind.PERSON, subtype="person", label=f"Smith {i}")
        for i in range(count)
    ]
    links = [
        Link(id=f"l-{i}", type="ASSOCIATE_OF", source_id=f"p-{i}", target_id=f"p-{i + 1}")
        for i in range(count - 1)
    ]
    return [*people, *links]


def test_reading_a_store_that_is_not_there_creates_nothing(
    store_url: str, store: CaseStore, absent_url: str
) -> None:
    """Opening a missing store to read it is refused on disk-backed stores and creates nothing."""
    store.upsert_many(_people(3))
    before = list(store.export())
    if _is_sql(store_url):
        with pytest.raises(ConfigurationError, match=r"no caseport store at .*does not exist"):
            open_for_reading(absent_url)
        with pytest.raises(ConfigurationError, match=r"no caseport store at .*does not exist"):
            adapters.connect(_with(absent_url, mode="rw"))
        assert not _exists(absent_url)
    else:
        # Nothing outside this process exists to be created: the store read is a new one.
        with open_for_reading(absent_url) as reader:
            assert list(reader.export()) == []
    assert list(store.export()) == before


@SQL_ONLY
def test_a_store_opened_read_only_refuses_every_write_and_stays_unchanged(
    store_url: str, store: CaseStore
) -> None:
    """Reads answer as usual; create, update and bulk writes raise PermissionDenied."""
    store.upsert_many(_people(4))
    before = list(store.export())
    main_file = sqlite_path(store_url).read_bytes() if store_url.startswith("sqlite:") else b""
    with open_for_reading(store_url) as reader:
        assert list(reader.export()) == before
        assert len(reader.search(SearchQuery(filter=Text("smith"))).items) == 4
        person = reader.get(Entity, "p-0")
        newcomer = Entity(id="p-new", kind=EntityKind.PERSON, subtype="person", label="New")
        with pytest.raises(PermissionDenied, match=r"read-only \(mode=ro\)"):
            reader.create(newcomer)
        with pytest.raises(PermissionDenied, match="read-only"):
            reader.update(person.model_copy(update={"label": "Changed"}), expected_version=1)
        with pytest.raises(PermissionDenied, match="read-only"):
            reader.upsert_many([newcomer])
        assert list(reader.export()) == before
    assert list(store.export()) == before
    if main_file:
        assert sqlite_path(store_url).read_bytes() == main_file


@SQL_ONLY
def test_a_database_without_caseport_tables_is_no_store_to_read(store_url: str) -> None:
    """An existing but empty file or schema is refused by mode=ro and mode=rw, and stays empty."""
    _create_empty_database(store_url)
    for mode in ("ro", "rw"):
        with pytest.raises(ConfigurationError, match="holds no caseport tables"):
            adapters.connect(_with(store_url, mode=mode))
    assert _tables(store_url) == []
    with adapters.connect(store_url) as created:
        assert list(created.export()) == []


@SQL_ONLY
def test_mode_rw_writes_to_a_store_that_exists(store_url: str, store: CaseStore) -> None:
    """mode=rw opens an existing store for writing like the default does."""
    with adapters.connect(_with(store_url, mode="rw")) as writer:
        writer.upsert_many(_people(2))
    assert [record.id for record in store.export()] == ["p-0", "p-1", "l-0"]


def test_an_unknown_mode_is_refused_before_anything_is_created(
    store_url: str, absent_url: str, tmp_path: Path
) -> None:
    """mode=readonly is a typed configuration error everywhere; no store appears."""
    with pytest.raises(ConfigurationError, match="mode"):
        adapters.connect(_with(absent_url, mode="readonly"))
    if _is_sql(store_url):
        assert not _exists(absent_url)
    assert not (tmp_path / "absent.db").exists()
    with adapters.connect(store_url) as store:
        assert list(store.export()) == []
