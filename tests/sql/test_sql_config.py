"""Choosing the SQL store: URLs, options, the registry and the embedded default."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema

import adapters
import adapters.sql
from adapters.config import DEFAULT_URL, load_settings
from adapters.sql import SqlCaseStore
from adapters.sql.sqlite import sqlite_path
from contracts.errors import ConfigurationError
from contracts.models import Entity, EntityKind


def clean_environment(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    for name in ("CASEPORT_URL", "CASEPORT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(directory)


def test_relative_paths_are_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sqlite:///a/b.db is ./a/b.db; four slashes make an absolute path."""
    monkeypatch.chdir(tmp_path)
    assert sqlite_path("sqlite:///a/b.db") == tmp_path / "a" / "b.db"
    assert sqlite_path("sqlite:////srv/case.db") == Path("/srv/case.db")
    assert sqlite_path("sqlite:///with%20space.db") == tmp_path / "with space.db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///:memory:", "memory://"),
        ("sqlite:///file::memory:?cache=shared", "memory://"),
        ("sqlite://host/x.db", "no host"),
        ("sqlite:///", "needs a file path"),
    ],
)
def test_unusable_sqlite_urls_are_refused(url: str, message: str) -> None:
    """In-memory databases, hosts and empty paths raise ConfigurationError saying why."""
    with pytest.raises(ConfigurationError, match=message):
        adapters.connect(url)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"journal": "delete"}, "unknown sqlite:// option 'journal'"),
        ({"synchronous": "sometimes"}, "synchronous must be one of"),
        ({"busy_timeout_ms": "soon"}, "whole number"),
        ({"upgrade": "maybe"}, "true or false"),
    ],
)
def test_bad_sqlite_options_are_refused(
    sqlite_url: str, options: dict[str, str], message: str
) -> None:
    """Unknown options and bad values raise ConfigurationError."""
    with pytest.raises(ConfigurationError, match=message):
        adapters.connect(sqlite_url, **options)


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    """The file is created on first use, but its directory must exist."""
    with pytest.raises(ConfigurationError, match="does not exist"):
        adapters.connect(f"sqlite:///{tmp_path}/nowhere/store.db")


def test_with_no_configuration_the_store_is_caseport_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """adapters.connect() creates ./caseport.db with its schema and uses it."""
    clean_environment(monkeypatch, tmp_path)
    assert DEFAULT_URL == "sqlite:///caseport.db"
    assert load_settings().source == "default"
    with adapters.connect() as store:
        assert isinstance(store, SqlCaseStore)
        assert store.info.kind == "embedded"
        assert str(tmp_path / "caseport.db") in store.info.backend
        store.create(Entity(id="p1", kind=EntityKind.PERSON, subtype="p", label="Kept"))
    assert (tmp_path / "caseport.db").is_file()
    with adapters.connect() as store:
        assert store.get(Entity, "p1").label == "Kept"
    assert adapters.sql.status(DEFAULT_URL).up_to_date


def test_the_registry_serves_both_schemes() -> None:
    """The sqlite and postgresql schemes are built in; postgresql names its extra."""
    assert {"sqlite", "postgresql"} <= set(adapters.known_schemes())
    assert adapters.BUILTIN_ADAPTERS["postgresql"].extra == "postgres"
    assert adapters.BUILTIN_ADAPTERS["sqlite"].extra is None


def test_options_from_the_configuration_reach_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CASEPORT_URL and CASEPORT_OPTION_* configure the SQLite store."""
    clean_environment(monkeypatch, tmp_path)
    monkeypatch.setenv("CASEPORT_URL", "sqlite:///configured.db")
    monkeypatch.setenv("CASEPORT_OPTION_SYNCHRONOUS", "sometimes")
    with pytest.raises(ConfigurationError, match="synchronous"):
        adapters.connect()
    monkeypatch.setenv("CASEPORT_OPTION_SYNCHRONOUS", "normal")
    with adapters.connect() as store:
        assert "configured.db" in store.info.backend


def test_postgresql_schemas_keep_stores_apart() -> None:
    """Two schemas on one server are two stores; a missing schema is created."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    first, second = (f"sqlt_{uuid.uuid4().hex[:12]}" for _ in range(2))
    try:
        with adapters.connect(with_schema(base, first)) as one:
            one.create(Entity(id="p1", kind=EntityKind.PERSON, subtype="p", label="One"))
            assert one.info.kind == "server"
            assert first in one.info.backend
        with adapters.connect(with_schema(base, second)) as two:
            assert two.get_many(Entity, ["p1"]) == []
        with adapters.connect(with_schema(base, first)) as one:
            assert one.get(Entity, "p1").label == "One"
    finally:
        drop_schema(base, first)
        drop_schema(base, second)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"schema": "bad-name"}, "schema must be"),
        ({"schema": "pg_catalog"}, "schema must be"),
        ({"pool_max": "0"}, "pool_max must be a whole number from 1 to 1000"),
        ({"pool_max": "10" * 20}, "pool_max must be a whole number from 1 to 1000"),
        ({"pool_min": "5", "pool_max": "2"}, "pool_min must be a whole number from 1 to 2"),
        ({"temporary": "maybe"}, "temporary must be true or false"),
        ({"no_such_libpq_option": "1"}, "unknown postgresql:// option 'no_such_libpq_option'"),
        ({"sslmod": "require"}, "did you mean 'sslmode'"),
        ({"sslmode": "bogus"}, "sslmode must be one of disable, allow, prefer, require"),
        ({"connect_timeout": "abc"}, "connect_timeout must be a whole number from 1 to 3600"),
        ({"connect_timeout": "0"}, "connect_timeout must be a whole number from 1 to 3600"),
        ({"connect_timeout": str(10**30)}, "connect_timeout must be a whole number"),
        ({"port": "5432,99999"}, "port must be a whole number from 1 to 65535"),
        ({"keepalives": "2"}, "keepalives must be one of 0, 1"),
        ({"target_session_attrs": "any-old"}, "target_session_attrs must be one of"),
        ({"replication": "database"}, "replication is not accepted"),
        ({"sslkeylogfile": "/tmp/keys"}, "sslkeylogfile is not accepted"),
    ],
)
def test_bad_postgresql_options_are_refused_before_connecting(
    options: dict[str, str], message: str
) -> None:
    """Bad schema names, pool sizes and libpq values fail with ConfigurationError at once.

    The URL points at a port nobody listens on: a value that slipped through would end in
    Unavailable instead, so the check must happen before any connection is tried.
    """
    if SKIP_POSTGRES and "psycopg" in SKIP_POSTGRES:
        pytest.skip(SKIP_POSTGRES)
    with pytest.raises(ConfigurationError, match=message) as caught:
        adapters.connect("postgresql://postgres@127.0.0.1:1/nowhere", **options)
    for value in options.values():
        if len(value) > 3:
            assert value not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:hunter2@127.0.0.1:1/x",
        "postgresql:/postgres:hunter2@127.0.0.1:1/x",
        "postgresql://postgres@127.0.0.1:1/x?password=hunter2",
        "postgresql://postgres@127.0.0.1:1/x?sslpassword=hunter2",
        "postgresql://postgres@127.0.0.1:1/x?%70assword=hunter2",
        "postgresql://postgres@127.0.0.1:1/x?oauth_client_secret=hunter2",
        "postgresql://postgres@127.0.0.1:1/x?scram_client_key=hunter2",
    ],
)
def test_a_postgresql_password_in_the_url_is_refused_and_pgpassword_named(url: str) -> None:
    """A password in the URL is refused unshown, naming PGPASSWORD and .pgpass instead."""
    with pytest.raises(ConfigurationError) as caught:
        adapters.connect(url)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "PGPASSWORD" in message
    assert ".pgpass" in message


@pytest.mark.parametrize("name", ["password", "sslpassword", "oauth_client_secret"])
def test_a_postgresql_password_given_as_an_option_is_refused(name: str) -> None:
    """Keyword options and CASEPORT_OPTION_* are options too: no secret gets in that way."""
    with pytest.raises(ConfigurationError, match="PGPASSWORD") as caught:
        adapters.connect("postgresql://postgres@127.0.0.1:1/x", **{name: "hunter2"})
    assert "hunter2" not in str(caught.value)


def test_a_user_name_without_password_connects_and_pgpassword_is_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """postgresql://USER@HOST/DB works, the password (if any) coming from libpq's PGPASSWORD."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    monkeypatch.setenv("PGPASSWORD", "hunter2")
    schema = f"sqlt_{uuid.uuid4().hex[:12]}"
    try:
        with adapters.connect(with_schema(base, schema)) as store:
            store.create(Entity(id="p1", kind=EntityKind.PERSON, subtype="p", label="Kept"))
            assert "hunter2" not in store.info.backend
            assert "hunter2" not in repr(store)
            assert [record.id for record in store.export()] == ["p1"]
    finally:
        drop_schema(base, schema)


def test_options_win_over_the_same_libpq_parameter_in_the_url() -> None:
    """A keyword option replaces the URL's own value, as for every other option."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    import psycopg

    schema = f"sqlt_{uuid.uuid4().hex[:12]}"
    url = with_schema(base, schema) + "&application_name=from_url"
    try:
        with adapters.connect(url, application_name="from_option") as store:
            store.create(Entity(id="p1", kind=EntityKind.PERSON, subtype="p", label="Any"))
            with psycopg.connect(base) as watcher:
                names = {
                    name
                    for (name,) in watcher.execute(
                        "SELECT application_name FROM pg_stat_activity WHERE datname = "
                        "current_database()"
                    )
                }
            assert "from_option" in names
            assert "from_url" not in names
    finally:
        drop_schema(base, schema)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (str(10**30), "busy_timeout_ms must be a whole number from 0 to 3600000 milliseconds"),
        ("-1", "busy_timeout_ms must be a whole number from 0 to 3600000"),
        ("1_000", "busy_timeout_ms must be a whole number"),
        ("1e3", "busy_timeout_ms must be a whole number"),
        ("\u0661", "busy_timeout_ms must be a whole number"),
    ],
)
def test_sqlite_busy_timeout_is_a_bounded_whole_number(
    sqlite_url: str, value: str, message: str
) -> None:
    """busy_timeout_ms is ASCII digits within an hour; the value is not repeated."""
    with pytest.raises(ConfigurationError, match=message) as caught:
        adapters.connect(sqlite_url, busy_timeout_ms=value)
    assert value not in str(caught.value)


def test_sqlite_synchronous_is_one_of_its_levels_in_any_case(sqlite_url: str) -> None:
    """The synchronous option takes off, normal, full or extra, in any case."""
    with adapters.connect(sqlite_url, synchronous="NORMAL") as store:
        assert store.info.kind == "embedded"
    with pytest.raises(ConfigurationError, match="off, normal, full, extra"):
        adapters.connect(sqlite_url, synchronous="sometimes-perhaps")
