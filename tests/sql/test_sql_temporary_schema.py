"""A PostgreSQL store opened with temporary=true drops its schema on close, and no other schema.

Only a schema the store created itself, in this process, is ever dropped: temporary=true on a
schema that exists is refused before anything is written, whether the option comes from the
URL or from ``CASEPORT_OPTION_TEMPORARY``, and however many processes ask for one name at once.
"""

from __future__ import annotations

import multiprocessing
import queue
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sql_postgres import SKIP_POSTGRES, drop_schema, postgres_base_url, with_schema

from adapters import connect
from adapters.sql.postgres import TEMPORARY_MARK
from contracts import ConfigurationError, Entity, EntityKind

pytestmark = pytest.mark.skipif(bool(SKIP_POSTGRES), reason=SKIP_POSTGRES or "runs")

_JOIN_SECONDS = 120
_CONTENDERS = 4


def _schema_exists(base: str, schema: str) -> bool:
    import psycopg

    with psycopg.connect(base) as connection:
        row = connection.execute(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", (schema,)
        ).fetchone()
    return bool(row and row[0])


def _entity_count(base: str, schema: str) -> int:
    import psycopg
    from psycopg import sql

    with psycopg.connect(base) as connection:
        statement = sql.SQL("SELECT count(*) FROM {}.entities").format(sql.Identifier(schema))
        row = connection.execute(statement).fetchone()
    return int(row[0]) if row else 0


def _person(key: str) -> Entity:
    return Entity(id=key, kind=EntityKind.PERSON, subtype="person", label=key.title())


@pytest.fixture
def base() -> str:
    url = postgres_base_url()
    assert url is not None
    return url


@pytest.fixture
def schema(base: str) -> Iterator[str]:
    """A schema name nobody uses; dropped afterwards should a test leave it behind."""
    name = f"tmp_{uuid.uuid4().hex}"
    try:
        yield name
    finally:
        drop_schema(base, name)


@pytest.fixture
def kept(base: str, schema: str) -> list[Entity]:
    """An ordinary store in ``schema`` holding two people; its export as written."""
    with connect(with_schema(base, schema)) as store:
        store.upsert_many([_person("ann"), _person("bob")])
        return list(store.export())


def test_a_temporary_store_drops_its_schema_on_close(base: str, schema: str) -> None:
    """The schema exists while the store is open and is gone, with its data, after close()."""
    store = connect(with_schema(base, schema) + "&temporary=true")
    store.create(_person("p"))
    assert _schema_exists(base, schema)
    store.close()
    assert not _schema_exists(base, schema)


def test_temporary_needs_a_schema_of_its_own(base: str) -> None:
    """temporary=true without a schema, or on public, is refused before anything is dropped."""
    separator = "&" if "?" in base else "?"
    with pytest.raises(ConfigurationError, match="own schema"):
        connect(f"{base}{separator}temporary=true")
    with pytest.raises(ConfigurationError, match="own schema"):
        connect(with_schema(base, "public") + "&temporary=true")
    assert _schema_exists(base, "public")


def test_temporary_on_a_schema_holding_data_is_refused_and_the_data_survive(
    base: str, schema: str, kept: list[Entity]
) -> None:
    """An existing schema is never taken for a temporary one: refused at open, nothing dropped."""
    with pytest.raises(ConfigurationError, match=r"exists already.*temporary=true only applies"):
        connect(with_schema(base, schema) + "&temporary=true")
    assert _schema_exists(base, schema)
    with connect(with_schema(base, schema)) as store:
        assert list(store.export()) == kept


def test_temporary_from_the_environment_is_held_to_the_same_rule(
    base: str, schema: str, kept: list[Entity], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CASEPORT_OPTION_TEMPORARY=true refuses an existing schema and drops one it created."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEPORT_CONFIG", raising=False)
    monkeypatch.setenv("CASEPORT_URL", with_schema(base, schema))
    monkeypatch.setenv("CASEPORT_OPTION_TEMPORARY", "true")
    with pytest.raises(ConfigurationError, match="exists already"):
        connect()
    with connect(with_schema(base, schema)) as store:
        assert list(store.export()) == kept
    fresh = f"{schema}_new"
    try:
        monkeypatch.setenv("CASEPORT_URL", with_schema(base, fresh))
        store = connect()
        store.create(_person("p"))
        assert _schema_exists(base, fresh)
        store.close()
        assert not _schema_exists(base, fresh)
    finally:
        drop_schema(base, fresh)


def test_a_live_temporary_schema_is_not_opened_as_an_ordinary_store(base: str, schema: str) -> None:
    """Writes into another store's temporary schema would vanish with it, so it is refused."""
    with connect(with_schema(base, schema) + "&temporary=true") as temporary:
        created = temporary.create(_person("p"))
        for mode in ("rwc", "rw", "ro"):
            with pytest.raises(ConfigurationError, match="belongs to a store opened with"):
                connect(with_schema(base, schema) + f"&mode={mode}")
        with pytest.raises(ConfigurationError, match="exists already"):
            connect(with_schema(base, schema) + "&temporary=true")
        assert list(temporary.export()) == [created]
    assert not _schema_exists(base, schema)


def test_temporary_cannot_be_combined_with_a_mode_that_creates_nothing(
    base: str, schema: str
) -> None:
    """mode=rw and mode=ro open only what exists, while temporary=true creates: refused."""
    for mode in ("rw", "ro"):
        with pytest.raises(ConfigurationError, match=f"cannot open with mode={mode}"):
            connect(with_schema(base, schema) + f"&temporary=true&mode={mode}")
    assert not _schema_exists(base, schema)


def _contend(url: str, results: Any, release: Any) -> None:
    """Open ``url`` as a temporary store; report whether it was this process that got it."""
    try:
        store = connect(url)
    except ConfigurationError as exc:
        results.put(("refused", str(exc)))
        return
    try:
        store.create(_person(f"p-{multiprocessing.current_process().pid}"))
        results.put(("opened", ""))
        release.wait(_JOIN_SECONDS)
    finally:
        store.close()


def test_processes_asking_for_one_temporary_schema_get_it_once(base: str, schema: str) -> None:
    """Of processes opening one temporary schema together, one gets it and the rest drop nothing.

    The others are refused, so the winner's data stay until the winner closes.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    release = context.Event()
    url = with_schema(base, schema) + "&temporary=true"
    workers = [
        context.Process(target=_contend, args=(url, results, release)) for _ in range(_CONTENDERS)
    ]
    for worker in workers:
        worker.start()
    try:
        outcomes = []
        for _ in workers:
            try:
                outcomes.append(results.get(timeout=_JOIN_SECONDS))
            except queue.Empty:
                break
        assert sorted(kind for kind, _ in outcomes) == ["opened"] + ["refused"] * (
            _CONTENDERS - 1
        ), outcomes
        assert all("exists already" in message for kind, message in outcomes if kind == "refused")
        assert _schema_exists(base, schema)
        assert _entity_count(base, schema) == 1
    finally:
        release.set()
        for worker in workers:
            worker.join(_JOIN_SECONDS)
    assert [worker.exitcode for worker in workers] == [0] * _CONTENDERS
    assert not _schema_exists(base, schema)


def test_the_temporary_schema_is_marked_as_such(base: str, schema: str) -> None:
    """The schema a temporary store creates carries the comment other stores recognise."""
    import psycopg

    with connect(with_schema(base, schema) + "&temporary=true"):
        with psycopg.connect(base) as connection:
            row = connection.execute(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
                (schema,),
            ).fetchone()
        assert row == (TEMPORARY_MARK,)
