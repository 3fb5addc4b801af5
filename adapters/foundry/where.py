"""caseport's search language compiled to Foundry's ``where`` grammar (SearchJsonQueryV2).

The compiled clause is always *sound*: every entity the caseport filter matches also matches
the clause, so Foundry never leaves out a result. Where the two languages agree exactly the
clause is exact; where they may not, it is widened and the store applies the exact filter
(:func:`contracts.evaluation.matches`) to what comes back. Widening happens for:

- fields the mapping does not copy into a typed property (and ``properties.<name>``): no
  clause at all for that condition;
- timestamps: Foundry keeps milliseconds, caseport microseconds, so bounds are rounded
  outwards to the millisecond; an upper bound in the last millisecond of year 9999, which has
  no millisecond above it, is dropped;
- range and prefix conditions on multi-valued fields (array semantics are not documented);
- nesting deeper than Foundry's limit (3 levels): ``and`` keeps the children that fit, ``or``
  and ``not`` that do not fit match everything.

A ``not`` is only ever put around an exact clause, since negating a widened one would drop
matches. Text conditions use the ``array<string>`` property of search terms that caseport
writes with its own tokenizer, so they are exact and independent of Foundry's analysers.
Prefixes become a code-point range (``gte`` the prefix, ``lt`` its successor), exact where
Foundry compares strings by code point, as its search backend does for exact-match strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from adapters.foundry.mapping import MappedProperty, RecordLayout, encode_value
from contracts.paging import SortPosition
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, Text

__all__ = [
    "FALSE",
    "MAX_DEPTH",
    "TRUE",
    "Clause",
    "Compiled",
    "compile_search",
    "depth",
    "field_property",
    "order_by",
    "to_json",
]

MAX_DEPTH: Final = 3
"""How deep Foundry lets ``where`` clauses nest (a leaf counts as one level)."""


@dataclass(frozen=True, slots=True)
class _Const:
    value: bool


TRUE: Final = _Const(True)
FALSE: Final = _Const(False)


@dataclass(frozen=True, slots=True)
class _And:
    children: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class _Or:
    children: tuple[Clause, ...]


@dataclass(frozen=True, slots=True)
class _Not:
    child: Clause


@dataclass(frozen=True, slots=True)
class _Leaf:
    body: tuple[tuple[str, Any], ...]

    @classmethod
    def of(cls, kind: str, field: str, value: Any) -> _Leaf:
        if isinstance(value, list):
            value = tuple(value)
        return cls((("type", kind), ("field", field), ("value", value)))


Clause = _Const | _And | _Or | _Not | _Leaf


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled search: the clause to send (``None``: none) and what it promises.

    Attributes:
        where: the JSON ``where`` clause, or ``None`` to match every object.
        nothing: no object can match; skip the request.
        exact: the clause matches exactly the caseport filter (no widening anywhere).
    """

    where: dict[str, Any] | None
    nothing: bool
    exact: bool


def field_property(layout: RecordLayout, path: str) -> MappedProperty | None:
    """The typed property holding ``path`` (``id`` is the primary key), if mapped."""
    if path == "id":
        return MappedProperty("id", layout.primary_key, "string", False)
    return layout.property_for(path)


# ---------------------------------------------------------------------------- leaves

_MS: Final = timedelta(milliseconds=1)


def _floor_ms(value: datetime) -> datetime:
    return value - timedelta(microseconds=value.microsecond % 1000)


def _ceil_ms(value: datetime) -> datetime | None:
    """``value`` rounded up to the millisecond; ``None`` when that passes ``datetime.max``."""
    floor = _floor_ms(value)
    if floor == value:
        return floor
    try:
        return floor + _MS
    except OverflowError:
        return None


def _encoded(value: datetime | None) -> Any:
    """The wire form of ``value``; ``None`` when it is missing or cannot be expressed in UTC."""
    if value is None:
        return None
    try:
        return encode_value(value)
    except OverflowError:
        return None


def _compare(prop: MappedProperty, op: str, value: Any) -> tuple[Clause, bool]:
    """``prop op value`` for op in eq, gt, gte, lt, lte; timestamps widened to milliseconds.

    A timestamp bound that cannot be rounded outwards (past either end of ``datetime``) is
    dropped, which only widens the clause further.
    """
    if isinstance(value, datetime):
        low, high = _encoded(_floor_ms(value)), _encoded(_ceil_ms(value))
        lower = TRUE if low is None else _Leaf.of("gte", prop.api_name, low)
        if op == "eq":
            upper = TRUE if high is None else _Leaf.of("lte", prop.api_name, high)
            return _And((lower, upper)), False
        if op in ("gt", "gte"):
            return lower, False
        if high is None:
            return TRUE, False
        return _Leaf.of(op, prop.api_name, high), False
    return _Leaf.of(op, prop.api_name, encode_value(value)), True


def _is_null(prop: MappedProperty) -> Clause:
    return _Leaf.of("isNull", prop.api_name, True)


def _successor(prefix: str) -> str | None:
    """The smallest string greater than every string that starts with ``prefix``."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1])
        if code < 0x10FFFF:
            code += 1
            if 0xD800 <= code <= 0xDFFF:
                code = 0xE000
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def _leaf(condition: Eq | In | Range | Prefix, layout: RecordLayout) -> tuple[Clause, bool]:
    prop = field_property(layout, condition.field)
    if prop is None:
        return TRUE, False
    name = prop.api_name
    if isinstance(condition, Eq):
        if prop.multi:
            return _Leaf.of("contains", name, encode_value(condition.value)), True
        return _compare(prop, "eq", condition.value)
    if isinstance(condition, In):
        values = condition.values
        if prop.multi:
            return _Or(tuple(_Leaf.of("contains", name, encode_value(v)) for v in values)), True
        if any(isinstance(v, datetime) for v in values):
            dates = [v for v in values if isinstance(v, datetime)]
            low, _ = _compare(prop, "gte", min(dates))
            high, _ = _compare(prop, "lte", max(dates))
            return _And((low, high)), False
        return _Leaf.of("in", name, [encode_value(v) for v in values]), True
    if prop.multi:
        return TRUE, False
    if isinstance(condition, Prefix):
        if prop.scalar_type != "string":
            return TRUE, False
        lower = _Leaf.of("gte", name, condition.value)
        upper = _successor(condition.value)
        if upper is None:
            return lower, True
        return _And((lower, _Leaf.of("lt", name, upper))), True
    parts: list[Clause] = []
    exact = True
    for op in ("gt", "gte", "lt", "lte"):
        bound = getattr(condition, op)
        if bound is not None:
            clause, precise = _compare(prop, op, bound)
            parts.append(clause)
            exact = exact and precise
    return _And(tuple(parts)), exact


def _translate(condition: Filter, layout: RecordLayout) -> tuple[Clause, bool]:
    if isinstance(condition, And | Or):
        results = [_translate(child, layout) for child in condition.filters]
        children = tuple(clause for clause, _ in results)
        exact = all(precise for _, precise in results)
        return (_And(children) if isinstance(condition, And) else _Or(children)), exact
    if isinstance(condition, Not):
        inner, exact = _translate(condition.filter, layout)
        return (_Not(inner), True) if exact else (TRUE, False)
    if isinstance(condition, Text):
        terms = condition.terms
        if not terms:
            return FALSE, True
        if layout.text_terms is None:
            return TRUE, False
        return _And(tuple(_Leaf.of("contains", layout.text_terms, t) for t in terms)), True
    return _leaf(condition, layout)


# ---------------------------------------------------------------------------- shaping


def simplify(clause: Clause) -> Clause:
    """Fold constants, flatten nested and/or, drop double negations."""
    if isinstance(clause, _And | _Or):
        is_and = isinstance(clause, _And)
        neutral, absorbing = (TRUE, FALSE) if is_and else (FALSE, TRUE)
        flat: list[Clause] = []
        for child in clause.children:
            child = simplify(child)
            if child == absorbing:
                return absorbing
            if child == neutral:
                continue
            if isinstance(child, type(clause)):
                flat.extend(child.children)
            else:
                flat.append(child)
        unique = tuple(dict.fromkeys(flat))
        if not unique:
            return neutral
        if len(unique) == 1:
            return unique[0]
        return _And(unique) if is_and else _Or(unique)
    if isinstance(clause, _Not):
        inner = simplify(clause.child)
        if isinstance(inner, _Const):
            return FALSE if inner.value else TRUE
        if isinstance(inner, _Not):
            return inner.child
        if isinstance(inner, _Leaf) and dict(inner.body)["type"] == "isNull":
            body = dict(inner.body)
            return _Leaf.of("isNull", body["field"], not body["value"])
        return _Not(inner)
    return clause


def depth(clause: Clause) -> int:
    """Nesting depth: a leaf is 1, each and / or / not adds one."""
    if isinstance(clause, _And | _Or):
        return 1 + max((depth(child) for child in clause.children), default=0)
    if isinstance(clause, _Not):
        return 1 + depth(clause.child)
    return 1 if isinstance(clause, _Leaf) else 0


def fit(clause: Clause, budget: int) -> Clause:
    """A sound widening of ``clause`` that nests at most ``budget`` levels."""
    if depth(clause) <= budget:
        return clause
    if isinstance(clause, _And):
        if budget <= 1:
            leaves = [child for child in clause.children if isinstance(child, _Leaf)]
            return leaves[0] if leaves else TRUE
        return simplify(_And(tuple(fit(child, budget - 1) for child in clause.children)))
    if isinstance(clause, _Or) and budget >= 2:
        return simplify(_Or(tuple(fit(child, budget - 1) for child in clause.children)))
    return TRUE


def to_json(clause: Clause) -> dict[str, Any]:
    """The JSON form Foundry reads."""
    if isinstance(clause, _Leaf):
        body = dict(clause.body)
        if isinstance(body["value"], tuple):
            body["value"] = list(body["value"])
        return body
    if isinstance(clause, _And | _Or):
        kind = "and" if isinstance(clause, _And) else "or"
        return {"type": kind, "value": [to_json(child) for child in clause.children]}
    if isinstance(clause, _Not):
        return {"type": "not", "value": to_json(clause.child)}
    raise ValueError("constants have no JSON form")


# ---------------------------------------------------------------------------- keyset


def _strictly_after(prop: MappedProperty, key: OrderKey, value: Any) -> Clause:
    if value is None:
        return FALSE  # missing values sort last, and all missing values tie
    clause, _ = _compare(prop, "lt" if key.descending else "gt", value)
    return _Or((clause, _is_null(prop)))


def _equal(prop: MappedProperty, value: Any) -> Clause:
    if value is None:
        return _is_null(prop)
    clause, _ = _compare(prop, "eq", value)
    return clause


def _keyset(
    layout: RecordLayout, keys: Sequence[tuple[OrderKey, MappedProperty]], after: SortPosition
) -> Clause:
    """Objects strictly after ``after`` in the order ``keys`` then primary key."""
    clause: Clause = _Leaf.of("gt", layout.primary_key, after.id)
    for (key, prop), value in reversed(list(zip(keys, after.values, strict=True))):
        clause = _Or((_strictly_after(prop, key, value), _And((_equal(prop, value), clause))))
    return clause


def order_by(
    layout: RecordLayout, keys: Sequence[OrderKey]
) -> list[tuple[OrderKey, MappedProperty]] | None:
    """The typed property of every order key, or ``None`` if one is not mapped."""
    resolved = []
    for key in keys:
        prop = field_property(layout, key.field)
        if prop is None:
            return None
        resolved.append((key, prop))
    return resolved


def compile_search(
    condition: Filter | None,
    layout: RecordLayout,
    *,
    keys: Sequence[tuple[OrderKey, MappedProperty]] | None = None,
    after: SortPosition | None = None,
    max_depth: int = MAX_DEPTH,
    leaves: Sequence[tuple[str, str, Any]] = (),
) -> Compiled:
    """Compile a filter, and optionally a keyset position in a server-side order.

    ``keys`` are the resolved order keys (see :func:`order_by`); with ``after``, the clause
    also keeps only objects after that position (widened like everything else). ``leaves``
    are further Foundry leaves, ``(type, property, value)``, that must hold too.
    """
    clause, exact = (TRUE, True) if condition is None else _translate(condition, layout)
    parts = [clause, *(_Leaf.of(kind, name, value) for kind, name, value in leaves)]
    if after is not None and keys is not None:
        parts.append(_keyset(layout, keys, after))
    shaped = simplify(_And(tuple(parts)))
    fitted = fit(shaped, max_depth)
    exact = exact and fitted == shaped
    if fitted == FALSE:
        return Compiled(None, nothing=True, exact=True)
    if fitted == TRUE:
        return Compiled(None, nothing=False, exact=exact)
    return Compiled(to_json(fitted), nothing=False, exact=exact)
