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
        ({"pool_max": "0"}, "at least 1"),
        ({"no_such_libpq_option": "1"}, "connection settings"),
    ],
)
def test_bad_postgresql_options_are_refused(options: dict[str, str], message: str) -> None:
    """Bad schema names, pool sizes and libpq options raise ConfigurationError."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    with pytest.raises(ConfigurationError, match=message):
        adapters.connect(base, **options)


def test_the_description_never_shows_a_password() -> None:
    """A password in the URL stays out of the store's description."""
    base = postgres_base_url()
    if base is None:
        pytest.skip(SKIP_POSTGRES)
    schema = f"sqlt_{uuid.uuid4().hex[:12]}"
    url = with_schema(base.replace("://postgres@", "://postgres:hunter2@"), schema)
    try:
        with adapters.connect(url) as store:
            assert "hunter2" not in store.info.backend
            assert "hunter2" not in repr(store)
    finally:
        drop_schema(base, schema)
