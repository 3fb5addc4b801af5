"""Searches of links, cases, intelligence reports and exhibits, compiled to SQL over their bodies.

Entities have columns and side rows for every search field (:mod:`adapters.sql.query`); the
other record types keep their fields in the JSON ``body`` (links also in a few columns), so
their searches read the fields out of it: SQLite's ``json_extract`` and ``json_each``,
PostgreSQL's ``json`` operators (``json``, not ``jsonb``, because it keeps numbers as written,
so a float is still told from an integer). The SQL accepts exactly the records
:func:`contracts.evaluation.matches` accepts:

- a leaf is true or false, never NULL: a missing value makes it false;
- a field a body lacks, having been written before the field existed, reads as the model's
  default, as the record decodes;
- a value compares only with values of its own kind (a property's JSON type is checked);
- multi-valued fields and property lists match when any of their values does;
- strings compare by code point, datetimes by instant (SQLite reads the stored text into one
  fixed width, PostgreSQL casts it to ``timestamptz``), numbers by value.

``Text`` is not compiled (these records have no search-term index): :func:`compiles` says so,
and the plan leaves it to the layer. Ordering is always compiled, missing values last in either
direction and ``id`` breaking ties. Every value is a parameter; field paths come from
:data:`contracts.query.RECORD_FIELDS`, and a property's path travels as a parameter.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from adapters.sql.dialects import FALSE, TRUE, Dialect, Fragment
from adapters.sql.schema import instant
from contracts.models.common import RecordType
from contracts.models.records import RECORD_CLASSES
from contracts.paging import SortPosition
from contracts.query import (
    RECORD_FIELDS,
    WITH_PROPERTIES,
    And,
    Eq,
    Filter,
    In,
    Not,
    Or,
    OrderKey,
    Prefix,
    Range,
    Text,
)

__all__ = ["compiles", "record_search_statement"]

_TABLE: Final = {RecordType.LINK: "links"}
"""The table of each record type other than entities; the rest are ``documents``."""

_COLUMNS: Final[dict[RecordType, frozenset[str]]] = {
    RecordType.LINK: frozenset({"id", "version", "type", "source_id", "target_id", "directed"}),
}
"""Fields kept in a column of their own (besides ``id`` and ``version`` of every table)."""

_SCALAR_LISTS: Final = frozenset({"markings.caveats", "markings.compartments"})
"""Multi-valued fields that are a list of values; the others are a value of each list item."""

_BOUNDS: Final = (("gt", ">"), ("gte", ">="), ("lt", "<"), ("lte", "<="))
_PROPERTY: Final = "properties."


@dataclass(frozen=True, slots=True)
class _Field:
    """Where a named field of a record type is stored.

    Attributes:
        kind: the kind of its values (see :class:`contracts.query.FieldSpec`).
        column: its column, when it has one.
        path: the JSON keys of its value, or of the list holding its values when ``multi``.
        key: for a multi-valued field, the key of each list item holding the value (``None``:
            the item is the value).
        default: the value a record reads with when its body lacks the field, as SQL text
            (a body written before the field existed), or ``None``.
    """

    kind: str
    column: str | None
    path: tuple[str, ...]
    multi: bool
    key: str | None
    default: str | None = None


def _field(record_type: RecordType, name: str) -> _Field | None:
    """Where ``name`` is stored, or ``None`` for a property (or a field the type lacks)."""
    spec = RECORD_FIELDS[record_type].get(name)
    if spec is None:
        return None
    columns = _COLUMNS.get(record_type, frozenset({"id", "version"})) | {"id", "version"}
    if name in columns:
        return _Field(spec.kind, name, (), False, None)
    parts = tuple(name.split("."))
    if spec.multi and name not in _SCALAR_LISTS:
        return _Field(spec.kind, None, parts[:-1], True, parts[-1])
    default = _default(record_type, name) if len(parts) == 1 else None
    return _Field(spec.kind, None, parts, spec.multi, None, default)


_SIMPLE: Final = re.compile(r"[a-z0-9_]+")


def _default(record_type: RecordType, name: str) -> str | None:
    """The model's default of a top-level field, as the JSON text of a missing value reads.

    Only defaults that are plain words, numbers or booleans are written into SQL; a field
    without one (or defaulting to ``None``) reads as missing.
    """
    info = RECORD_CLASSES[record_type].model_fields.get(name)
    value = None if info is None else info.get_default(call_default_factory=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, StrEnum):
        value = value.value
    if isinstance(value, str) and _SIMPLE.fullmatch(value):
        return value
    return None


def _is_property(record_type: RecordType, name: str) -> bool:
    return record_type in WITH_PROPERTIES and name.startswith(_PROPERTY)


def _exact_as_float(value: Any) -> bool:
    """Whether a number is compared exactly once read as a double (see :func:`compiles`)."""
    return not isinstance(value, int) or isinstance(value, bool) or float(value) == value


def _leaf_values(condition: Eq | In | Range) -> list[Any]:
    if isinstance(condition, Eq):
        return [condition.value]
    if isinstance(condition, In):
        return list(condition.values)
    return [getattr(condition, name) for name, _ in _BOUNDS if getattr(condition, name) is not None]


def compiles(record_type: RecordType, condition: Filter) -> bool:
    """Whether the SQL decides ``condition`` exactly for records of ``record_type``.

    ``Text`` is never compiled; nor is an integer beyond what a double holds exactly compared
    with a value that may be a float (a property, or a float field), since PostgreSQL compares
    stored floats as doubles.
    """
    if isinstance(condition, Text):
        return False
    if isinstance(condition, And | Or):
        return all(compiles(record_type, child) for child in condition.filters)
    if isinstance(condition, Not):
        return compiles(record_type, condition.filter)
    field = _field(record_type, condition.field)
    if field is None and not _is_property(record_type, condition.field):
        return False
    if isinstance(condition, Prefix):
        return True
    if field is None or field.kind == "float":
        return all(_exact_as_float(value) for value in _leaf_values(condition))
    return True


_Test = Callable[[str, str], Fragment]
"""Builds a comparison of one expression of one kind: ``test(expression, kind)``."""


class _Spelling(ABC):
    """How one dialect reads values out of a record's ``body`` (the table's alias is ``r``)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect

    @abstractmethod
    def value(self, field: _Field) -> str:
        """A single-valued field as an expression that compares as its kind (NULL if missing)."""

    @abstractmethod
    def param(self, kind: str, value: Any) -> Any:
        """``value`` bound for comparison with an expression of ``kind``."""

    @abstractmethod
    def any_item(self, field: _Field, test: _Test) -> Fragment:
        """Some value of the multi-valued ``field`` passes ``test``."""

    @abstractmethod
    def any_property(self, path: str, kind: str, test: _Test) -> Fragment:
        """Some value of the property at ``path`` passes ``test``.

        Only values of the JSON kind ``kind`` (``str``, ``number``, ``bool``) are tested.
        """

    def in_list(self, expression: str, kind: str, values: Sequence[Any]) -> Fragment:
        """``expression`` equals one of ``values``, bound as one parameter."""
        return self.dialect.in_list(expression, [self.param(kind, value) for value in values])


def _sqlite_instant(expression: str) -> str:
    """Stored datetime text (``...T10:20:30Z`` or ``...T10:20:30.5Z``) at one fixed width.

    The width and form of :func:`adapters.sql.schema.instant` cut before its offset, so text
    order is time order.
    """
    fraction = f"substr({expression}, 21, max(length({expression}) - 21, 0))"
    return f"(substr({expression}, 1, 19) || '.' || substr({fraction} || '000000', 1, 6))"


_SQLITE_TYPES: Final = {
    "str": ("x.type = 'text'", "x.value"),
    "number": ("x.type IN ('integer', 'real')", "x.value"),
    # JSON true and false read as 1 and 0; the type test keeps them apart from numbers.
    "bool": ("x.type IN ('true', 'false')", "(x.type = 'true')"),
}


class _SqliteSpelling(_Spelling):
    def value(self, field: _Field) -> str:
        if field.column is not None:
            return f"r.{field.column}"
        extracted = f"json_extract(r.body, '$.{'.'.join(field.path)}')"
        if field.default is not None:
            # JSON true and false read as 1 and 0.
            literal = {"true": "1", "false": "0"}.get(field.default, f"'{field.default}'")
            extracted = f"coalesce({extracted}, {literal})"
        return _sqlite_instant(extracted) if field.kind == "datetime" else extracted

    def param(self, kind: str, value: Any) -> Any:
        return instant(value)[:26] if isinstance(value, datetime) else value

    def any_item(self, field: _Field, test: _Test) -> Fragment:
        item = "x.value" if field.key is None else f"json_extract(x.value, '$.{field.key}')"
        inner = test(item, field.kind)
        return Fragment(
            f"EXISTS (SELECT 1 FROM json_each(r.body, '$.{'.'.join(field.path)}') x"
            f" WHERE {inner.sql})",
            inner.params,
        )

    def any_property(self, path: str, kind: str, test: _Test) -> Fragment:
        type_test, item = _SQLITE_TYPES[kind]
        inner = test(item, kind)
        return Fragment(
            f"EXISTS (SELECT 1 FROM json_each(r.body, ?) x WHERE {type_test} AND {inner.sql})",
            ("$." + path, *inner.params),
        )


_BODY: Final = "CAST(r.body AS json)"
_POSTGRESQL_CASTS: Final = {
    "int": "numeric",
    "float": "double precision",
    "bool": "boolean",
    "datetime": "timestamptz",
}
_JSON_TYPES: Final = {"str": "string", "number": "number", "bool": "boolean"}
_FLOAT_TEXT: Final = "[.eE]"
"""How a JSON number written from a float looks: with a point or an exponent, never bare."""


def _postgresql_typed(text: str, kind: str) -> str:
    """JSON text read so it compares as ``kind``: strings by code point, the rest by value."""
    if kind == "str":
        return f'({text}) COLLATE "C"'
    return f"CAST({text} AS {_POSTGRESQL_CASTS[kind]})"


class _PostgresqlSpelling(_Spelling):
    def value(self, field: _Field) -> str:
        if field.column is not None:
            return f"r.{field.column}"
        text = f"{_BODY} #>> '{{{','.join(field.path)}}}'"
        if field.default is not None:
            text = f"coalesce({text}, '{field.default}')"
        return _postgresql_typed(text, field.kind)

    def param(self, kind: str, value: Any) -> Any:
        if kind == "int":
            return Decimal(value)  # exact for integers and floats alike
        if kind == "float":
            return float(value)  # exact: compiles() admits only such numbers
        return value

    def any_item(self, field: _Field, test: _Test) -> Fragment:
        text = "x.v #>> '{}'" if field.key is None else f"x.v ->> '{field.key}'"
        inner = test(_postgresql_typed(text, field.kind), field.kind)
        return Fragment(
            f"EXISTS (SELECT 1 FROM json_array_elements({_BODY} #> '{{{','.join(field.path)}}}')"
            f" x(v) WHERE {inner.sql})",
            inner.params,
        )

    def any_property(self, path: str, kind: str, test: _Test) -> Fragment:
        if kind == "number":
            # A float compares as a double, exactly as Python compares it with any number
            # compiles() admits; an integer as an exact numeric.
            as_float = test(_postgresql_typed("x.v #>> '{}'", "float"), "float")
            as_int = test(_postgresql_typed("x.v #>> '{}'", "int"), "int")
            inner = Fragment(
                f"CASE WHEN (x.v #>> '{{}}') ~ '{_FLOAT_TEXT}' THEN {as_float.sql}"
                f" ELSE {as_int.sql} END",
                (*as_float.params, *as_int.params),
            )
        else:
            inner = test(_postgresql_typed("x.v #>> '{}'", kind), kind)
        return Fragment(
            f"EXISTS (SELECT 1 FROM (SELECT {_BODY} #> CAST(? AS text[]) AS p) y"
            " CROSS JOIN LATERAL json_array_elements(CASE WHEN json_typeof(y.p) = 'array'"
            " THEN y.p ELSE json_build_array(y.p) END) x(v)"
            f" WHERE json_typeof(x.v) = '{_JSON_TYPES[kind]}' AND {inner.sql})",
            (path.split("."), *inner.params),
        )


def _spelling(dialect: Dialect) -> _Spelling:
    return _SqliteSpelling(dialect) if dialect.name == "sqlite" else _PostgresqlSpelling(dialect)


def _value_kind(value: Any) -> str:
    """The JSON kind a property value has: ``bool``, ``number`` or ``str``."""
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else "str"


def _leaf_test(condition: Eq | In | Range | Prefix, spelling: _Spelling) -> _Test:
    """The comparison ``condition`` makes, of any expression of a given kind."""

    def test(expression: str, kind: str) -> Fragment:
        present = f"{expression} IS NOT NULL"
        if isinstance(condition, Prefix):
            found = spelling.dialect.starts_with(expression, condition.value)
        elif isinstance(condition, Eq):
            found = Fragment(f"{expression} = ?", (spelling.param(kind, condition.value),))
        elif isinstance(condition, In):
            found = spelling.in_list(expression, kind, condition.values)
        else:
            bounds = [(op, getattr(condition, name)) for name, op in _BOUNDS]
            given = [(op, bound) for op, bound in bounds if bound is not None]
            found = Fragment(
                " AND ".join(f"{expression} {op} ?" for op, _ in given),
                tuple(spelling.param(kind, bound) for _, bound in given),
            )
        return Fragment(f"({present} AND {found.sql})", found.params)

    return test


def _leaf(
    record_type: RecordType, condition: Eq | In | Range | Prefix, spelling: _Spelling
) -> Fragment:
    test = _leaf_test(condition, spelling)
    field = _field(record_type, condition.field)
    if field is not None:
        if field.multi:
            return spelling.any_item(field, test)
        return test(spelling.value(field), field.kind)
    if not isinstance(condition, In):
        kind = "str" if isinstance(condition, Prefix) else _value_kind(_leaf_values(condition)[0])
        return spelling.any_property(condition.field, kind, test)
    # A property holds values of any kind: each kind of value is looked for among its own.
    arms = []
    for kind in sorted({_value_kind(value) for value in condition.values}):
        values = tuple(value for value in condition.values if _value_kind(value) == kind)
        same_kind = _leaf_test(In(condition.field, values), spelling)
        arms.append(spelling.any_property(condition.field, kind, same_kind))
    return Fragment.join(" OR ", arms).wrapped()


def where(record_type: RecordType, condition: Filter | None, dialect: Dialect) -> Fragment:
    """The SQL condition on the record ``r`` that holds exactly when ``condition`` does.

    ``condition`` is one :func:`compiles` accepts.
    """
    spelling = _spelling(dialect)

    def walk(node: Filter | None) -> Fragment:
        if node is None:
            return TRUE
        if isinstance(node, And):
            return (
                Fragment.join(" AND ", map(walk, node.filters)).wrapped() if node.filters else TRUE
            )
        if isinstance(node, Or):
            return (
                Fragment.join(" OR ", map(walk, node.filters)).wrapped() if node.filters else FALSE
            )
        if isinstance(node, Not):
            inner = walk(node.filter)
            return Fragment(f"(NOT {inner.sql})", inner.params)
        if isinstance(node, Text):
            raise TypeError("a text condition on records other than entities is not compiled")
        return _leaf(record_type, node, spelling)

    return walk(condition)


def _sort_field(record_type: RecordType, key: OrderKey) -> _Field:
    field = _field(record_type, key.field)
    if field is None or field.multi:  # sortable fields are all single-valued
        raise TypeError(f"{key.field} is not a sortable field of a {record_type.value}")
    return field


def _order(record_type: RecordType, order_by: Sequence[OrderKey], spelling: _Spelling) -> str:
    keys = [
        f"{spelling.value(_sort_field(record_type, key))}"
        f" {'DESC' if key.descending else 'ASC'} NULLS LAST"
        for key in order_by
    ]
    return ", ".join([*keys, "r.id ASC"])


def _after(
    record_type: RecordType,
    order_by: Sequence[OrderKey],
    position: SortPosition,
    spelling: _Spelling,
) -> Fragment:
    """Records strictly after ``position`` in the order (see :func:`adapters.sql.query`)."""
    options: list[Fragment] = []
    equal: list[Fragment] = []
    for key, value in zip(order_by, position.values, strict=True):
        field = _sort_field(record_type, key)
        expression = spelling.value(field)
        if value is not None:
            bound = spelling.param(field.kind, value)
            operator = "<" if key.descending else ">"
            later = Fragment(f"({expression} {operator} ? OR {expression} IS NULL)", (bound,))
            options.append(Fragment.join(" AND ", [*equal, later]))
            equal.append(Fragment(f"{expression} = ?", (bound,)))
        else:
            # Nothing sorts after a missing value but other missing values, tied by id.
            equal.append(Fragment(f"{expression} IS NULL"))
    options.append(Fragment.join(" AND ", [*equal, Fragment("r.id > ?", (position.id,))]))
    return Fragment.join(" OR ", (option.wrapped() for option in options)).wrapped()


def record_search_statement(
    record_type: RecordType,
    condition: Filter | None,
    order_by: Sequence[OrderKey],
    after: SortPosition | None,
    limit: int,
    dialect: Dialect,
) -> Fragment:
    """``SELECT r.body`` of up to ``limit`` matching records of ``record_type``, in order."""
    spelling = _spelling(dialect)
    table = _TABLE.get(record_type, "documents")
    tests = [where(record_type, condition, dialect)]
    if table == "documents":
        tests.insert(0, Fragment("r.record_type = ?", (record_type.value,)))
    if after is not None:
        tests.append(_after(record_type, order_by, after, spelling))
    test = Fragment.join(" AND ", tests)
    return Fragment(
        f"SELECT r.body FROM {table} r WHERE {test.sql}"
        f" ORDER BY {_order(record_type, order_by, spelling)} LIMIT ?",
        (*test.params, limit),
    )
