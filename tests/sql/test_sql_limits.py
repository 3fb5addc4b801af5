"""Queries at the contract's limits run, and refusals never quote the stored values."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

import adapters.sql
from adapters.sql.dialects import POSTGRESQL, SQLITE, Dialect
from adapters.sql.errors import postgres_error, sqlite_error
from adapters.sql.query import search_statement
from contracts import Entity, EntityKind
from contracts.errors import ValidationFailed
from contracts.paging import SortPosition
from contracts.query import (
    MAX_FILTER_LEAVES,
    MAX_IN_VALUES,
    MAX_TEXT_LENGTH,
    Eq,
    Filter,
    In,
    Not,
    Or,
    OrderKey,
    Prefix,
    Range,
    SearchQuery,
    Text,
)


def test_a_filter_of_the_most_in_lists_of_the_most_values_runs(sql_url: str) -> None:
    """An Or of MAX_FILTER_LEAVES In lists of MAX_IN_VALUES values each finds its matches."""
    with adapters.sql.from_url(sql_url, {}) as store:
        store.create(
            Entity(
                id="hit", kind=EntityKind.PERSON, subtype="p", label="L7", properties={"code": 7}
            )
        )
        store.create(Entity(id="miss", kind=EntityKind.PERSON, subtype="p", label="none"))
        leaves = []
        for leaf in range(MAX_FILTER_LEAVES):
            if leaf % 2:
                leaves.append(In("label", tuple(f"L{leaf}-{n}" for n in range(MAX_IN_VALUES))))
            else:
                values = (True, "seven", *range(10_000 * leaf, 10_000 * leaf + MAX_IN_VALUES - 2))
                leaves.append(In("properties.code", values))
        found = store.search(SearchQuery(filter=Or(*leaves)))
        assert [entity.id for entity in found.items] == ["hit"]


def _terms_text(leaf: int) -> str:
    """A text of nearly MAX_TEXT_LENGTH characters, every term distinct."""
    words, size = [], 0
    while size + 12 < MAX_TEXT_LENGTH:
        words.append(f"w{leaf}x{len(words)}")
        size += len(words[-1]) + 1
    return " ".join(words)


_HEAVIEST: dict[str, Callable[[int], Filter]] = {
    "eq on a property": lambda n: Eq("properties.p", f"v{n}" * 100),
    "in of every kind": lambda n: In(
        "properties.p", (True, 0.5, *(f"v{n}-{k}" for k in range(MAX_IN_VALUES - 2)))
    ),
    "in on a column": lambda n: In("label", tuple(f"v{n}-{k}" for k in range(MAX_IN_VALUES))),
    "range of text": lambda n: Range(field="properties.p", gte=f"a{n}" * 100, lt=f"b{n}"),
    "prefix": lambda n: Prefix("properties.p", f"v{n}" * 50),
    "text of the most terms": lambda n: Text(_terms_text(n)),
}
_ORDER = (
    OrderKey(field="label"),
    OrderKey(field="version", descending=True),
    OrderKey(field="created_at"),
    OrderKey(field="location.latitude"),
)
_POSITION = SortPosition(("x", 3, datetime(2024, 1, 1, tzinfo=UTC), 1.5), "id-1")


@pytest.mark.parametrize("dialect", [SQLITE, POSTGRESQL], ids=lambda d: d.name)
@pytest.mark.parametrize("leaf", list(_HEAVIEST))
def test_no_query_the_language_allows_binds_more_parameters_than_old_sqlite_accepts(
    dialect: Dialect, leaf: str
) -> None:
    """The heaviest query binds at most 999 parameters, the oldest SQLite default.

    It holds MAX_FILTER_LEAVES of the heaviest condition, four order keys and a position.
    Lists and search terms travel as one array or JSON parameter, never one per value, so
    the count is far below PostgreSQL's 65,535 and every SQLite's limit.
    """
    condition = Or(*(_HEAVIEST[leaf](n) for n in range(MAX_FILTER_LEAVES)))
    query = SearchQuery(filter=condition, order_by=_ORDER)
    assert query.filter is not None
    statement = search_statement(query.filter, _ORDER, _POSITION, 1_001, dialect)
    assert statement.sql.count("?") == len(statement.params)
    assert len(statement.params) <= 999


def test_too_many_parameters_is_a_validation_failure_on_both_drivers() -> None:
    """The drivers' refusals of a statement with too many parameters are ValidationFailed."""
    psycopg = pytest.importorskip("psycopg")
    client_side = psycopg.OperationalError("number of parameters must be between 0 and 65535")
    assert isinstance(postgres_error(client_side), ValidationFailed)
    assert isinstance(
        sqlite_error(sqlite3.OperationalError("too many SQL variables")), ValidationFailed
    )


@pytest.mark.parametrize("sqlstate", ["22001", "23505", "54000"])
def test_data_errors_name_their_condition_but_never_the_value(sqlstate: str) -> None:
    """Classes 22, 23 and 54 report the SQLSTATE and condition name, not the server's text."""
    psycopg = pytest.importorskip("psycopg")
    error_class = psycopg.errors.lookup(sqlstate)
    error = postgres_error(error_class("Key (id)=(secret-value) already exists"))
    assert isinstance(error, ValidationFailed)
    assert "secret-value" not in str(error)
    assert sqlstate in str(error)
    assert {
        "22001": "string_data_right_truncation",
        "23505": "unique_violation",
        "54000": "program_limit_exceeded",
    }[sqlstate] in str(error)


_LONG = "".join(chr(0x4E00 + (n * 7919) % 20_000) for n in range(10_000))
"""A property text at the contract's limit, 3 bytes a character in UTF-8."""


def test_a_property_text_at_the_limit_is_stored_and_found_exactly(sql_url: str) -> None:
    """A 10,000-character CJK property is kept whole and told apart from near copies."""
    texts = {
        "long": _LONG,
        "twin": _LONG[:-1] + "x",  # differs in the last character
        "near": _LONG[:300] + "y" + _LONG[301:],  # differs past the first 200 characters
    }
    with adapters.sql.from_url(sql_url, {}) as store:
        for key, text in texts.items():
            store.create(
                Entity(
                    id=key,
                    kind=EntityKind.PERSON,
                    subtype="p",
                    label=key,
                    properties={"note": text},
                )
            )
        assert store.get(Entity, "long").properties["note"] == _LONG

        def found(condition: Filter) -> list[str]:
            return sorted(e.id for e in store.search(SearchQuery(filter=condition)).items)

        def expected(test: Callable[[str], bool]) -> list[str]:
            return sorted(key for key, text in texts.items() if test(text))

        assert found(Eq("properties.note", _LONG)) == ["long"]
        assert found(In("properties.note", (texts["twin"], "other"))) == ["twin"]
        assert found(Prefix("properties.note", _LONG[:250])) == ["long", "near", "twin"]
        assert found(Prefix("properties.note", _LONG[:450])) == ["long", "twin"]
        low, high = _LONG[:250], _LONG[:450]  # bounds are at most 500 characters
        assert found(Range(field="properties.note", gt=high)) == expected(lambda t: t > high)
        assert found(Range(field="properties.note", gte=low, lt=high)) == expected(
            lambda t: low <= t < high
        )
        assert found(Range(field="properties.note", lte=high)) == expected(lambda t: t <= high)


def _words(prefix: str, count: int) -> tuple[str, ...]:
    """Distinct 48-character search terms (the longest kept as they are by the index)."""
    return tuple(f"{prefix}{number:08d}".rjust(48, "q") for number in range(count))


def _wordy_entity(version: int = 1) -> Entity:
    """An entity whose search terms total about 2 MB: more than one tsvector holds."""
    words = _words("w", 200 * 200)
    properties = {f"p{p}": " ".join(words[p * 200 : (p + 1) * 200]) for p in range(200)}
    return Entity(
        id="wordy",
        kind=EntityKind.PERSON,
        subtype="p",
        label="wordy",
        version=version,
        properties=properties,
    )


def test_an_entity_with_more_search_terms_than_a_tsvector_holds_is_kept_and_found(
    sql_url: str,
) -> None:
    """Search terms beyond PostgreSQL's 1 MiB tsvector are kept, searched, and replaced."""
    first, last = _words("w", 200 * 200)[0], _words("w", 200 * 200)[-1]
    big = _wordy_entity()
    with adapters.sql.from_url(sql_url, {}) as store:
        store.create(big)
        store.create(Entity(id="small", kind=EntityKind.PERSON, subtype="p", label=first))

        def found(condition: Filter) -> list[str]:
            return sorted(e.id for e in store.search(SearchQuery(filter=condition)).items)

        assert store.get(Entity, "wordy").properties == big.properties
        assert found(Text(last)) == ["wordy"]
        assert found(Text(first)) == ["small", "wordy"]
        assert found(Text(f"{first} {last}")) == ["wordy"]
        assert found(Text(f"{last} absent")) == []
        assert found(Not(Text(last))) == ["small"]
        # The most terms a text holds, looked up among the spilled terms as one array.
        many = _words("w", 200 * 200)[::200]
        assert found(Text(" ".join(many))) == ["wordy"]
        assert found(Text(" ".join([*many[:-1], "absent"]))) == []

        smaller = big.model_copy(update={"version": 2, "properties": {"p0": "tiny"}})
        store.update(smaller, expected_version=1)
        assert found(Text(last)) == []
        assert found(Text("tiny")) == ["wordy"]

        report = store.upsert_many([_wordy_entity(version=3)])
        assert report.updated == 1
        assert found(Text(last)) == ["wordy"]
        assert found(Text("tiny")) == []
