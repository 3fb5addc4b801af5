"""Schema versions: numbered migrations, upgrades that keep every record, and ``caseport db``."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from sql_data import T0, awkward_records
from typer.testing import CliRunner

import adapters.sql
from adapters.memory import InMemoryCaseStore
from adapters.sql.engine import Session
from adapters.sql.schema import (
    ENTITY_COLUMNS,
    LINK_COLUMNS,
    PROVENANCE_FIELDS,
    VALUE_COLUMNS,
    entity_row,
    entity_terms,
    link_row,
)
from adapters.sql.sqlite import SqliteEngine, sqlite_path
from adapters.sql.writes import DOCUMENT_COLUMNS, value_rows
from caseport.db_cli import app
from caseport.generate import generate
from contracts.errors import ConfigurationError, Unavailable
from contracts.models import Case, Entity, Link, Provenance, Record
from contracts.query import And, Eq, In, Prefix, SearchQuery, Text

VERSION_ONE_ENTITY_COLUMNS = tuple(c for c in ENTITY_COLUMNS if c != "event_until")
"""Schema 1 has every entity column of the head schema but ``event_until`` (migration 2)."""


def write_as_version_one(
    url: str, records: list[Record], entity_columns: tuple[str, ...] = VERSION_ONE_ENTITY_COLUMNS
) -> None:
    """Store records the way the first schema held them, without the current writer.

    Entities fill ``entity_columns`` (the first schema's by default) and have no value rows for
    provenance, which schemas before 5 did not derive.
    """
    engine = adapters.sql.open_engine(url)

    def work(session: Session) -> None:
        for rid, record in enumerate(records, start=1):
            body = record.model_dump_json()
            if isinstance(record, Entity):
                terms, _ = session.dialect.stored_terms(entity_terms(record))
                full = dict(zip(ENTITY_COLUMNS, entity_row(record, rid, body, terms), strict=True))
                row = tuple(full[column] for column in entity_columns)
                session.insert_rows("entities", entity_columns, [row])
                values = [
                    (rid, *row)
                    for row in value_rows(session.dialect, record)
                    if row[0] not in PROVENANCE_FIELDS
                ]
                session.insert_rows("entity_values", VALUE_COLUMNS, values)
                index = session.dialect.index_new_terms(rid, rid)
                if index is not None:
                    session.execute(index)
            elif isinstance(record, Link):
                session.insert_rows("links", LINK_COLUMNS, [link_row(record, body)])
            else:
                row = (record.RECORD_TYPE.value, record.id, record.version, body)
                session.insert_rows("documents", DOCUMENT_COLUMNS, [row])

    try:
        engine.run(work, write=True)
    finally:
        engine.close()


def _database_exists(url: str) -> bool:
    """Whether the SQLite file or the PostgreSQL schema a test URL names exists."""
    if url.startswith("sqlite:"):
        return sqlite_path(url).exists()
    import psycopg

    base, _, query = url.partition("?")
    schema = dict(part.split("=", 1) for part in query.split("&"))["schema"]
    with psycopg.connect(base) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()
    return found is not None


def _create_empty_database(url: str) -> None:
    """Make the SQLite file or PostgreSQL schema a test URL names, holding no table."""
    if url.startswith("sqlite:"):
        with closing(sqlite3.connect(sqlite_path(url))) as connection:
            connection.execute("CREATE TABLE other_application (x)")
            connection.execute("DROP TABLE other_application")
        return
    import psycopg
    from psycopg import sql

    base, _, query = url.partition("?")
    schema = dict(part.split("=", 1) for part in query.split("&"))["schema"]
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))


def test_status_of_a_missing_database_creates_nothing(sql_url: str) -> None:
    """status() only reads: a database that is not there is reported, not created."""
    with pytest.raises(ConfigurationError, match=r"no caseport store .* does not exist"):
        adapters.sql.status(sql_url)
    assert not _database_exists(sql_url)


def test_status_of_a_database_without_caseport_tables_is_version_zero(sql_url: str) -> None:
    """An existing database holding no store yet has every migration pending, and stays so."""
    _create_empty_database(sql_url)
    found = adapters.sql.status(sql_url)
    assert (found.current, found.applied) == (0, ())
    assert [m.version for m in found.pending] == list(range(1, adapters.sql.HEAD + 1))
    assert adapters.sql.status(sql_url).current == 0


def test_a_new_database_is_created_by_upgrade_and_brought_to_head(sql_url: str) -> None:
    """upgrade() creates a missing database and applies every migration once, in order."""
    applied = adapters.sql.upgrade(sql_url)
    assert [m.version for m in applied] == list(range(1, adapters.sql.HEAD + 1))
    assert adapters.sql.upgrade(sql_url) == []
    after = adapters.sql.status(sql_url)
    assert after.up_to_date
    assert [m.version for m in after.applied] == list(range(1, adapters.sql.HEAD + 1))


def test_upgrade_can_stop_at_a_version(sql_url: str) -> None:
    """upgrade(url, 1) applies only the first migration."""
    assert [m.version for m in adapters.sql.upgrade(sql_url, 1)] == [1]
    assert adapters.sql.status(sql_url).current == 1
    with pytest.raises(ConfigurationError, match="no schema version"):
        adapters.sql.upgrade(sql_url, adapters.sql.HEAD + 1)


def test_a_first_schema_database_upgrades_and_keeps_every_record(sql_url: str) -> None:
    """Records written under schema 1 read, search and line up on the timeline after upgrade."""
    records = [*generate(150, seed=6), *awkward_records()]
    adapters.sql.upgrade(sql_url, 1)
    write_as_version_one(sql_url, records)
    reference = InMemoryCaseStore(records)
    with adapters.sql.from_url(sql_url, {}) as store:
        assert adapters.sql.status(sql_url).up_to_date
        assert list(store.export()) == list(reference.export())
        for query in (
            SearchQuery(filter=Text("street"), page_size=1000),
            SearchQuery(filter=Eq("properties.flag", True)),
            SearchQuery(filter=Prefix("aliases", "Jo")),
        ):
            assert store.search(query) == reference.search(query)
        people = [r.id for r in records if isinstance(r, Entity)][:40]
        for start in (None, T0 + timedelta(days=2)):
            assert store.timeline(entity_ids=people, start=start) == reference.timeline(
                entity_ids=people, start=start
            )
        assert store.timeline(entity_ids=["p-ascii", "p-unicode"]) == reference.timeline(
            entity_ids=["p-ascii", "p-unicode"]
        )
        # Bodies kept in the old full form count as the same records when written again, and
        # the rebuilt link table takes new links and updates.
        again = store.upsert_many(records)
        assert (again.created, again.updated, again.unchanged) == (0, 0, len(records))
        link = next(r for r in records if isinstance(r, Link))
        store.update(link.model_copy(update={"qualifier": "driver"}), expected_version=link.version)
        extra = link.model_copy(update={"id": "link-after-upgrade"})
        store.create(extra)
        assert store.get(Link, "link-after-upgrade") == extra
        assert store.get(Link, link.id).qualifier == "driver"


def test_a_store_behind_is_refused_when_upgrades_are_off(sql_url: str) -> None:
    """?upgrade=false refuses to use an old schema and names the command that fixes it."""
    adapters.sql.upgrade(sql_url, 1)
    with pytest.raises(ConfigurationError, match="caseport db upgrade"):
        adapters.sql.from_url(sql_url, {"upgrade": "false"})
    assert adapters.sql.status(sql_url).current == 1


def test_a_schema_newer_than_the_code_is_refused(sql_url: str) -> None:
    """A database recording an unknown later migration is not opened or changed."""
    adapters.sql.upgrade(sql_url)
    engine = adapters.sql.open_engine(sql_url)
    try:
        engine.run(
            lambda s: s.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (99, "from the future", "2030-01-01"),
            ),
            write=True,
        )
    finally:
        engine.close()
    with pytest.raises(ConfigurationError, match="newer"):
        adapters.sql.status(sql_url)
    with pytest.raises(ConfigurationError, match="newer"):
        adapters.sql.from_url(sql_url, {})


def _open_and_count(url: str, ready: Any) -> None:
    ready.wait()
    with adapters.sql.from_url(url, {}) as store:
        store.list_records(Entity)


def test_processes_opening_a_new_database_together_migrate_it_once(sql_url: str) -> None:
    """Four processes opening one new database record each migration exactly once."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    workers = [context.Process(target=_open_and_count, args=(sql_url, ready)) for _ in range(4)]
    for worker in workers:
        worker.start()
    ready.set()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    applied = adapters.sql.status(sql_url).applied
    assert [m.version for m in applied] == list(range(1, adapters.sql.HEAD + 1))


def test_the_db_commands_upgrade_and_report_the_schema(sqlite_url: str) -> None:
    """The status and upgrade commands print JSON that tells the versions."""
    runner = CliRunner()
    adapters.sql.upgrade(sqlite_url, 1)
    pending = runner.invoke(app, ["status", sqlite_url, "--json"])
    assert pending.exit_code == 0, pending.output
    assert json.loads(pending.output)["current"] == 1
    upgraded = runner.invoke(app, ["upgrade", sqlite_url, "--json"])
    assert upgraded.exit_code == 0, upgraded.output
    report = json.loads(upgraded.output)
    assert [m["version"] for m in report["applied"]] == list(range(2, adapters.sql.HEAD + 1))
    assert (report["current"], report["created"]) == (adapters.sql.HEAD, False)
    again = runner.invoke(app, ["upgrade", sqlite_url])
    assert "nothing to do" in again.output
    table = runner.invoke(app, ["status", sqlite_url])
    assert "up to date" in table.output


def test_db_upgrade_says_when_it_created_the_store(sqlite_url: str) -> None:
    """Upgrading a missing file creates a store, and the output says so."""
    runner = CliRunner()
    created = runner.invoke(app, ["upgrade", sqlite_url])
    assert created.exit_code == 0, created.output
    assert f"created a new caseport store at {sqlite_url}" in created.output
    report = json.loads(runner.invoke(app, ["upgrade", sqlite_url, "--json"]).output)
    assert (report["created"], report["applied"]) == (False, [])


def test_db_upgrade_with_mode_rw_refuses_a_missing_file(sqlite_url: str) -> None:
    """?mode=rw makes db upgrade refuse to create a store, and no file appears."""
    result = CliRunner().invoke(app, ["upgrade", f"{sqlite_url}?mode=rw"])
    assert result.exit_code == 2
    assert "no caseport store" in result.output
    assert not sqlite_path(sqlite_url).exists()


def test_db_status_of_a_missing_file_exits_2_and_creates_nothing(sqlite_url: str) -> None:
    """The status command names the missing file on one line, exits 2, leaves no file."""
    result = CliRunner().invoke(app, ["status", sqlite_url])
    assert result.exit_code == 2
    assert result.output.startswith("Error (ConfigurationError): no caseport store at ")
    assert "the file does not exist" in result.output
    assert not sqlite_path(sqlite_url).exists()


def test_a_store_behind_the_code_opened_read_only_says_to_upgrade(sql_url: str) -> None:
    """mode=ro never migrates: an old schema is refused with the command to run, and kept."""
    records = list(generate(20, seed=2))
    adapters.sql.upgrade(sql_url, 1)
    write_as_version_one(sql_url, records)
    with pytest.raises(ConfigurationError, match=r"version 1 .* caseport db upgrade"):
        adapters.sql.from_url(sql_url, {"mode": "ro"})
    assert adapters.sql.status(sql_url).current == 1
    with adapters.sql.from_url(sql_url, {"mode": "rw"}) as store:
        assert adapters.sql.status(sql_url).up_to_date
        assert list(store.export()) == list(InMemoryCaseStore(records).export())


def test_the_db_commands_report_a_bad_url_as_one_line(tmp_path: Any) -> None:
    """A URL naming a missing directory exits 2 with a one-line error."""
    runner = CliRunner()
    result = runner.invoke(app, ["status", f"sqlite:///{tmp_path}/missing/dir/x.db"])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_a_second_schema_database_upgrades_to_keep_long_property_text(sql_url: str) -> None:
    """After migration 3 a 10,000-character CJK property is stored and found by equality."""
    adapters.sql.upgrade(sql_url, 2)
    with adapters.sql.from_url(sql_url, {"upgrade": "true"}) as store:
        assert adapters.sql.status(sql_url).up_to_date
        text = "".join(chr(0x4E00 + (n * 31) % 20_000) for n in range(10_000))
        store.create(
            Entity(id="p", kind="PERSON", subtype="p", label="P", properties={"note": text})
        )
        found = store.search(SearchQuery(filter=Eq("properties.note", text)))
        assert [entity.id for entity in found.items] == ["p"]


def _log_pages(url: str) -> int:
    """How many pages the store lets the write-ahead log grow to before copying it back."""
    with adapters.sql.from_url(url, {}) as store:
        engine = store.engine
        assert isinstance(engine, SqliteEngine)
        with engine._connection() as connection:
            (pages,) = connection.execute("PRAGMA wal_autocheckpoint").fetchone()
    return int(pages)


def test_a_new_sqlite_file_keeps_bodies_in_rowid_tables_on_16_kib_pages(sqlite_url: str) -> None:
    """Link and document bodies are appended in write order, not sorted into their key's b-tree."""
    assert _log_pages(sqlite_url) == 4096  # 64 MiB of 16 KiB pages
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (16384,)
        tables = dict(
            connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        )
        unique_keys = {
            table: [
                tuple(column for _, _, column in connection.execute(f"PRAGMA index_info('{name}')"))
                for _, name, unique, *_ in connection.execute(f"PRAGMA index_list('{table}')")
                if unique
            ]
            for table in ("links", "documents")
        }
    for name in ("links", "documents"):
        assert "WITHOUT ROWID" not in tables[name]
    assert unique_keys == {"links": [("id",)], "documents": [("record_type", "id")]}


def test_a_sqlite_file_made_with_small_pages_keeps_them_and_works(sqlite_url: str) -> None:
    """Page size is fixed when a file is made; files of earlier versions are used as they are."""
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        connection.execute("PRAGMA page_size = 4096")
        connection.execute("VACUUM")
    records = list(generate(20, seed=2))
    with adapters.sql.from_url(sqlite_url, {}) as store:
        store.upsert_many(records)
        assert list(store.export()) == list(InMemoryCaseStore(records).export())
    with closing(sqlite3.connect(sqlite_path(sqlite_url))) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (4096,)
    assert _log_pages(sqlite_url) == 16384  # still 64 MiB


def test_an_upgrade_that_cannot_get_the_lock_says_what_to_do(sqlite_url: str) -> None:
    """Opening an old file another process is writing fails after the busy timeout, with advice."""
    adapters.sql.upgrade(sqlite_url, 3)
    with closing(sqlite3.connect(sqlite_path(sqlite_url), isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(Unavailable, match="caseport db upgrade URL") as caught:
            adapters.sql.from_url(sqlite_url, {"busy_timeout_ms": "50"})
        other.execute("ROLLBACK")
    assert "from version 3 to" in str(caught.value)
    with adapters.sql.from_url(sqlite_url, {}):
        assert adapters.sql.status(sqlite_url).up_to_date


def _sourced_records() -> list[Record]:
    """Entities and a case imported from several sources, values repeated, missing and odd."""
    pnc = Provenance(source_system="PNC", source_record_id="A1", source_dataset="nightly")
    cris = Provenance(source_system="CRIS", source_record_id="A1", method="import")
    again = Provenance(
        source_system="PNC", source_record_id='B2 "quoted"', source_dataset="nightly"
    )
    odd = Provenance(source_system="Zoë 東京", source_record_id="\\path\\x", collected_by="me")
    person = {"kind": "PERSON", "subtype": "person", "created_at": T0, "updated_at": T0}
    return [
        Entity(id="s-1", label="One", provenance=(pnc,), **person),
        Entity(id="s-2", label="Two", provenance=(cris, again, pnc), **person),
        Entity(
            id="s-3",
            label="Three",
            provenance=(odd, odd.model_copy(update={"method": "ner"})),
            **person,
        ),
        Entity(id="s-4", label="Four", **person),
        Entity(
            id="s-5",
            label="provenance",
            properties={"note": '"provenance":[]'},
            provenance=(again,),
            **person,
        ),
        Case(
            id="c-1",
            reference="CASE/1",
            title="Sourced",
            provenance=(pnc,),
            created_at=T0,
            updated_at=T0,
        ),
    ]


def _provenance_rows(url: str) -> set[tuple[str, str, int, str]]:
    """Every provenance value row stored: (entity id, field, position, value)."""
    engine = adapters.sql.open_engine(url)
    marks = ", ".join("?" for _ in PROVENANCE_FIELDS)
    try:
        rows = engine.run(
            lambda session: session.rows(
                "SELECT e.id, v.field, v.seq, v.s FROM entity_values v"
                f" JOIN entities e ON e.rid = v.rid WHERE v.field IN ({marks})",
                PROVENANCE_FIELDS,
            ),
            write=False,
        )
    finally:
        engine.close()
    return {(str(key), str(field), int(seq), str(value)) for key, field, seq, value in rows}


def test_a_fourth_schema_database_upgrades_to_find_entities_by_their_source(sql_url: str) -> None:
    """Migration 5 derives the provenance values of stored entities as the writer does."""
    records = [*generate(40, seed=3), *_sourced_records()]
    adapters.sql.upgrade(sql_url, 4)
    write_as_version_one(sql_url, records, ENTITY_COLUMNS)
    assert _provenance_rows(sql_url) == set()
    reference = InMemoryCaseStore(records)
    with adapters.sql.from_url(sql_url, {}) as store:
        assert adapters.sql.status(sql_url).up_to_date
        for source, record_id in (("PNC", "A1"), ("CRIS", "A1"), ("PNC", 'B2 "quoted"')):
            found = [(r.RECORD_TYPE, r.id) for r in store.find_by_source(source, record_id)]
            expected = reference.find_by_source(source, record_id)
            assert found == [(r.RECORD_TYPE, r.id) for r in expected]
        for condition in (
            Eq("provenance.source_system", "Zoë 東京"),
            Eq("provenance.source_record_id", "\\path\\x"),
            In("provenance.source_dataset", ("nightly", "other")),
            Prefix("provenance.source_system", "P"),
            And(Eq("provenance.source_system", "PNC"), Eq("provenance.source_record_id", "A1")),
        ):
            query = SearchQuery(filter=condition, page_size=1000)
            assert store.search(query) == reference.search(query), condition
        stored = _provenance_rows(sql_url)
        # A record written again finds its rows as the current writer derives them.
        store.upsert_many([r.model_copy(update={"version": r.version + 1}) for r in records])
        assert _provenance_rows(sql_url) == stored
