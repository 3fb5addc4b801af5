"""The columns, values and terms derived from a record agree with the reference semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sql_data import dataset
from sql_strategies import entities

from adapters.sql.dialects import successor
from adapters.sql.migrations import HEAD, MIGRATIONS
from adapters.sql.schema import (
    COLUMN_FIELDS,
    ENTITY_COLUMNS,
    MAX_INDEXED_TERM_BYTES,
    entity_row,
    entity_terms,
    index_term,
    instant,
    multi_values,
)
from contracts.evaluation import field_values, text_terms
from contracts.models import Entity
from contracts.query import FIELDS

GENERATED = [record for record in dataset(200, seed=9) if isinstance(record, Entity)]


def expected_terms(entity: Entity) -> list[str]:
    return sorted({index_term(term) for term in text_terms(entity)})


def stored_column(entity: Entity, field: str) -> object:
    row = entity_row(entity, 0, "{}", None)
    return row[ENTITY_COLUMNS.index(COLUMN_FIELDS[field])]


def expected_column(entity: Entity, field: str) -> object:
    found = field_values(entity, field)
    value = found[0] if found else None
    return instant(value) if isinstance(value, datetime) else value


def test_terms_of_generated_entities_are_the_reference_terms() -> None:
    """entity_terms equals text_terms on generated and awkward entities."""
    for entity in GENERATED:
        assert entity_terms(entity) == expected_terms(entity)


@given(entities(), st.lists(st.text(max_size=12), max_size=4))
def test_terms_of_random_entities_are_the_reference_terms(entity: Entity, extra: list[str]) -> None:
    """Joining all text before tokenizing gives the same terms as tokenizing each value."""
    clean = [text for text in extra if "\x00" not in text and text.isprintable()]
    entity = entity.model_copy(update={"properties": {f"p{i}": t for i, t in enumerate(clean)}})
    assert entity_terms(entity) == expected_terms(entity)


@given(entities())
def test_single_valued_columns_hold_the_reference_values(entity: Entity) -> None:
    """Every single-valued search field is stored as field_values gives it."""
    for field in COLUMN_FIELDS:
        assert stored_column(entity, field) == expected_column(entity, field), field


@given(entities())
def test_side_rows_hold_every_multi_value_and_property(entity: Entity) -> None:
    """entity_values rows carry exactly the values of multi-valued fields and properties."""
    rows = multi_values(entity)
    paths = [name for name, spec in FIELDS.items() if spec.multi]
    paths += [f"properties.{name}" for name in entity.properties]
    for path in paths:
        stored = {(type(v), v) for name, _, v in rows if name == path}
        assert stored == {(type(v), v) for v in field_values(entity, path)}, path
    positions = [(name, seq) for name, seq, _ in rows]
    assert len(positions) == len(set(positions))


def test_every_single_valued_field_has_a_column() -> None:
    """Adding a search field to the contract needs a column (and a migration) here."""
    assert {name for name, spec in FIELDS.items() if not spec.multi} == set(COLUMN_FIELDS)


@given(st.text(min_size=1, max_size=6), st.text(max_size=6))
def test_successor_bounds_exactly_the_strings_with_a_prefix(prefix: str, text: str) -> None:
    """A string lies in [prefix, successor(prefix)) exactly when it starts with prefix."""
    upper = successor(prefix)
    if upper is not None:
        assert (prefix <= text < upper) == text.startswith(prefix)
        assert (prefix <= prefix + text < upper) is True


def test_successor_skips_surrogates_and_the_last_code_point() -> None:
    """U+D7FF is followed by U+E000, and a trailing U+10FFFF carries over."""
    assert successor("a\ud7ff") == "a\ue000"
    assert successor("a\U0010ffff") == "b"
    assert successor("\U0010ffff") is None


@given(
    st.datetimes(timezones=st.just(UTC)),
    st.datetimes(
        min_value=datetime(2, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
    ),
)
def test_instants_sort_as_text_in_time_order(first: datetime, second: datetime) -> None:
    """The stored form of two datetimes orders them as time does."""
    assert (instant(first) < instant(second)) == (first < second)
    assert (instant(first) == instant(second)) == (first == second)


def test_instants_keep_microseconds_and_normalise_to_utc() -> None:
    """Any zone is stored as the same UTC instant."""
    moment = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    shifted = moment.astimezone(timezone(timedelta(hours=-5)))
    assert instant(moment) == "2025-01-02T03:04:05.000006+00:00" == instant(shifted)


def test_long_terms_are_indexed_by_a_digest() -> None:
    """Terms beyond the index limit become distinct digests no real term can equal."""
    long_a, long_b = "a" * (MAX_INDEXED_TERM_BYTES + 1), "a" * (MAX_INDEXED_TERM_BYTES + 2)
    assert index_term("short") == "short"
    assert index_term(long_a) != index_term(long_b)
    assert not index_term(long_a).isalnum()


def test_migrations_are_numbered_without_gaps_for_both_dialects() -> None:
    """Versions run 1..HEAD and every migration has SQL for SQLite and PostgreSQL."""
    assert [m.version for m in MIGRATIONS] == list(range(1, HEAD + 1))
    for migration in MIGRATIONS:
        assert set(migration.statements) == {"sqlite", "postgresql"}
