"""Commands that only read create nothing: no file, no schema, no table, no migration.

``info``, ``search``, ``get``, ``neighbours``, ``paths``, ``timeline``, ``count``, ``aggregate``,
``degree`` and ``db status`` open a SQLite or PostgreSQL store with ``mode=ro``: a store that is
not there is reported on one line with exit 2 (a configuration error), and one that is there is
left as it was.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import adapters
import adapters.sql
from caseport._errors import EXIT_USAGE
from caseport.cli import app
from contracts.models import Entity, EntityKind, Link, Record

POSTGRES_ENV = "CASEPORT_TEST_POSTGRES_URL"
runner = CliRunner()


def _read_commands(url: str) -> list[list[str]]:
    """Every command that only reads, aimed at ``url``."""
    return [
        ["info", url],
        ["search", url, "--text", "smith"],
        ["get", url, "p-0"],
        ["neighbours", url, "p-0"],
        ["paths", url, "p-0", "p-1"],
        ["timeline", url, "--entity", "p-0"],
        ["search", url, "--type", "link", "--where", "type=ASSOCIATE_OF"],
        ["count", url, "--kind", "person"],
        ["aggregate", url, "--by", "kind"],
        ["degree", url, "p-0", "p-1"],
        ["db", "status", url],
    ]


def invoke(args: Sequence[str]) -> Result:
    return runner.invoke(app, list(args), env={"COLUMNS": "250"})


def _assert_no_store(result: Result, reason: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == EXIT_USAGE, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error (ConfigurationError): no caseport store at ")
    assert reason in lines[0]
    assert result.stdout == ""


def _records() -> list[Record]:
    people: list[Record] = [
        Entity(id=f"p-{i}", kind=EntityKind.PERSON, subtype="person", label=f"Smith {i}")
        for i in range(3)
    ]
    return [
        *people,
        Link(id="l-0", type="ASSOCIATE_OF", source_id="p-0", target_id="p-1"),
    ]


def _postgres_base() -> str:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    return base


def _schema_exists(base: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(base) as connection:
        found = connection.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
        ).fetchone()
    return found is not None


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (no schema option), dropped afterwards.

    Other tests keep stores in the shared database's ``public`` schema, so whether a command
    created tables there can only be told in a database of its own.
    """
    import psycopg
    from psycopg import sql

    base = _postgres_base()
    name = f"caseport_ro_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = base.split("?", 1)[0].rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_reading_a_missing_sqlite_file_creates_none(tmp_path: Path) -> None:
    """Each read command names the missing file, exits 2 and leaves the directory empty."""
    url = f"sqlite:///{tmp_path}/sx.db"
    for command in _read_commands(url):
        _assert_no_store(invoke(command), "the file does not exist")
        assert list(tmp_path.iterdir()) == [], command


def test_a_mistyped_store_path_is_an_error_not_an_empty_answer(tmp_path: Path) -> None:
    """A search of a misspelt file says there is no store, never "No entity matches."."""
    adapters.connect(f"sqlite:///{tmp_path}/six.db").close()
    result = invoke(["search", f"sqlite:///{tmp_path}/sx.db", "--text", "smith"])
    _assert_no_store(result, f"{tmp_path}/sx.db")
    assert "No entity matches" not in result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["six.db"]


def test_reading_a_missing_postgresql_schema_creates_none() -> None:
    """Each read command names the missing schema, exits 2 and the schema stays absent."""
    base = _postgres_base()
    schema = f"absent_{uuid.uuid4().hex[:16]}"
    url = f"{base}{'&' if '?' in base else '?'}schema={schema}"
    for command in _read_commands(url):
        _assert_no_store(invoke(command), "the schema does not exist")
        assert not _schema_exists(base, schema), command


def test_reading_a_database_without_schema_creates_no_table_in_public(
    fresh_database: str,
) -> None:
    """The read commands, info first, on postgresql://... leave public without tables."""
    import psycopg

    for command in _read_commands(fresh_database):
        result = invoke(command)
        if command[:2] == ["db", "status"]:
            # status describes a database with no store yet: version 0, all pending.
            assert result.exit_code == 0, result.output
            assert "schema version 0 of" in result.stdout
        else:
            _assert_no_store(result, "holds no caseport tables")
    with psycopg.connect(fresh_database) as connection:
        tables = connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    assert tables == []


def test_reading_an_existing_sqlite_store_leaves_its_file_as_it_was(tmp_path: Path) -> None:
    """Every read command answers from an existing store without changing the database file."""
    url = f"sqlite:///{tmp_path}/case.db"
    with adapters.connect(url) as store:
        store.upsert_many(_records())
    before = (tmp_path / "case.db").read_bytes()
    for command in _read_commands(url):
        result = invoke(command)
        assert result.exit_code == 0, (command, result.output)
    assert "Smith 0" in invoke(["get", url, "p-0"]).stdout
    assert (tmp_path / "case.db").read_bytes() == before
    assert adapters.sql.status(url).up_to_date


def test_reading_a_store_behind_the_code_says_to_upgrade_it(tmp_path: Path) -> None:
    """A store at an older schema version is not upgraded by a read: the error says how."""
    url = f"sqlite:///{tmp_path}/old.db"
    adapters.sql.upgrade(url, 1)
    for command in _read_commands(url):
        result = invoke(command)
        if command[:2] == ["db", "status"]:
            assert result.exit_code == 0, result.output
            assert f"{adapters.sql.HEAD - 1} migrations pending" in result.stdout
            continue
        assert result.exit_code == EXIT_USAGE, result.output
        assert "run caseport db upgrade URL first" in result.stderr
    assert adapters.sql.status(url).current == 1
