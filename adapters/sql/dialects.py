"""What differs between SQLite and PostgreSQL in the SQL the adapter writes.

Shared SQL is written once with ``?`` placeholders; a :class:`Dialect` spells the few things the
two backends write differently: a list bound as one parameter, a full-text match, how search
terms and numbers are stored. No user text is ever placed in SQL: every value travels as a
parameter, and what a dialect writes into SQL itself (a length, a column name) comes from the
adapter.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from adapters.sql.schema import SPILLED_TERMS_FIELD, index_term

__all__ = ["POSTGRESQL", "SQLITE", "TEXT_KEY_CHARS", "Dialect", "Fragment", "successor"]

_INT64: Final = 2**63
TEXT_KEY_CHARS: Final = 200
"""How many leading characters of ``entity_values.s`` PostgreSQL indexes (migration 3)."""


@dataclass(frozen=True, slots=True)
class Fragment:
    """A piece of SQL and the parameters its ``?`` placeholders take, in order."""

    sql: str
    params: tuple[Any, ...] = field(default=())

    @staticmethod
    def join(separator: str, parts: Iterable[Fragment]) -> Fragment:
        """The parts joined by ``separator``, parameters concatenated in order."""
        parts = list(parts)
        params: list[Any] = []
        for part in parts:
            params.extend(part.params)
        return Fragment(separator.join(part.sql for part in parts), tuple(params))

    def wrapped(self) -> Fragment:
        """This fragment in parentheses."""
        return Fragment(f"({self.sql})", self.params)


TRUE: Final = Fragment("1 = 1")
FALSE: Final = Fragment("1 = 0")

_MAX_CODE_POINT: Final = 0x10FFFF
_SURROGATES: Final = range(0xD800, 0xE000)


def successor(prefix: str) -> str | None:
    """The least string greater than every string starting with ``prefix`` (code point order).

    ``None`` when there is none (the prefix is all U+10FFFF). Surrogates are skipped because no
    stored text holds them.
    """
    chars = list(prefix)
    while chars:
        point = ord(chars[-1]) + 1
        if point in _SURROGATES:
            point = _SURROGATES.stop
        if point <= _MAX_CODE_POINT:
            chars[-1] = chr(point)
            return "".join(chars)
        chars.pop()
    return None


class Dialect(ABC):
    """The SQL spelling of one backend."""

    name: str
    """``sqlite`` or ``postgresql``; also the key of migration scripts."""

    for_update: str
    """What a SELECT ends with to lock the rows it reads until the transaction ends."""

    text_key: str | None = None
    """How the index of ``entity_values.s`` spells the column (``{}`` stands for it), when it
    indexes less than the whole value; ``None`` when it indexes the value itself."""

    @abstractmethod
    def in_list(self, expression: str, values: Sequence[Any]) -> Fragment:
        """``expression`` is one of ``values``, bound as a single parameter."""

    @abstractmethod
    def text_match(self, terms: Sequence[str]) -> Fragment:
        """The entity ``e`` holds every one of ``terms`` (at least one) in its search terms."""

    @abstractmethod
    def stored_terms(self, terms: Sequence[str]) -> tuple[Any, Sequence[str]]:
        """Where the (indexed) search terms of an entity are kept.

        Returns the value stored in ``entities.terms`` and the terms kept instead as
        ``entity_values`` rows of the field :data:`SPILLED_TERMS_FIELD` (when they do not all
        fit the column; :meth:`text_match` looks in both).
        """

    @abstractmethod
    def number(self, value: int | float) -> Any:
        """A number as bound for, and stored in, ``entity_values.n``."""

    def index_new_terms(self, first_rid: int, last_rid: int) -> Fragment | None:
        """The statement that adds new entities' terms to the full-text index, if one is needed.

        Called once for the entities just inserted with ``rid`` from ``first_rid`` to
        ``last_rid``; ``None`` when the index keeps itself (a PostgreSQL column).
        """
        return None

    def starts_with(self, expression: str, prefix: str) -> Fragment:
        """``expression`` (a text column, not null) starts with ``prefix``.

        Written as a range so an index on the column serves it.
        """
        upper = successor(prefix)
        if upper is not None:
            return Fragment(f"({expression} >= ? AND {expression} < ?)", (prefix, upper))
        return Fragment(
            f"({expression} >= ? AND substr({expression}, 1, {len(prefix)}) = ?)",
            (prefix, prefix),
        )


class SqliteDialect(Dialect):
    """SQLite 3.35 or later with FTS5 and the JSON functions."""

    name = "sqlite"
    for_update = ""  # BEGIN IMMEDIATE already holds the only write lock

    def in_list(self, expression: str, values: Sequence[Any]) -> Fragment:
        """See :meth:`Dialect.in_list`: a JSON array read by ``json_each``."""
        return Fragment(f"{expression} IN (SELECT value FROM json_each(?))", (json.dumps(values),))

    def text_match(self, terms: Sequence[str]) -> Fragment:
        """See :meth:`Dialect.text_match`: an FTS5 query of quoted strings, one per term.

        Each term is an FTS5 string (double quotes, inner quotes doubled), so nothing in it is
        read as FTS5 syntax; the ``ascii`` tokenizer keeps each stored term one token.
        """
        query = " ".join('"' + index_term(term).replace('"', '""') + '"' for term in terms)
        return Fragment(
            "e.rid IN (SELECT rowid FROM entity_fts WHERE entity_fts MATCH ?)", (query,)
        )

    def stored_terms(self, terms: Sequence[str]) -> tuple[Any, Sequence[str]]:
        """See :meth:`Dialect.stored_terms`: all of them, joined by spaces (FTS5 has no limit)."""
        return " ".join(terms), ()

    def index_new_terms(self, first_rid: int, last_rid: int) -> Fragment | None:
        """See :meth:`Dialect.index_new_terms`: one INSERT ... SELECT into ``entity_fts``.

        A statement per batch rather than a trigger per row: FTS5 indexes a batch about ten
        times faster that way. Updates and deletes keep the index by trigger.
        """
        return Fragment(
            "INSERT INTO entity_fts (rowid, terms)"
            " SELECT rid, terms FROM entities WHERE rid BETWEEN ? AND ?",
            (first_rid, last_rid),
        )

    def number(self, value: int | float) -> Any:
        """See :meth:`Dialect.number`: as given, or a float beyond SQLite's 64-bit integers."""
        if isinstance(value, int) and not -_INT64 <= value < _INT64:
            return float(value)
        return value


_TSVECTOR_BUDGET: Final = 1_000_000
"""Bytes of lexemes stored in one ``tsvector``; PostgreSQL's limit is 1,048,575."""
_SPILL_MARK: Final = "\u00a7spilled"
"""The lexeme of an entity whose terms are spilled. Tokenizing drops ``\u00a7`` from real terms
and digest terms are ``\u00a7`` and hex digits, so no term equals it."""


def _lexeme(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresqlDialect(Dialect):
    """PostgreSQL 13 or later; text columns use the ``"C"`` collation (code point order)."""

    name = "postgresql"
    for_update = " FOR UPDATE"
    text_key = f"left({{}}, {TEXT_KEY_CHARS})"

    def in_list(self, expression: str, values: Sequence[Any]) -> Fragment:
        """See :meth:`Dialect.in_list`: ``= ANY`` of an array parameter."""
        return Fragment(f"{expression} = ANY(?)", (list(values),))

    def text_match(self, terms: Sequence[str]) -> Fragment:
        """See :meth:`Dialect.text_match`: a ``tsquery`` of quoted lexemes joined by ``&``.

        The query is cast from text, not parsed by ``to_tsquery``, so no term is normalised or
        read as operators.

        The few entities whose terms exceed a ``tsvector`` (:meth:`stored_terms`) hold only a
        marker lexeme; for them the spilled terms must include every term. Both arms test the
        indexed column, so the index serves the match either way.

        Five parameters whatever the number of terms (the terms travel as one array), so no
        query the language allows comes near PostgreSQL's 65,535 parameters a statement. The
        spilled arm is a grouped subquery, which the planner costs high when it cannot see
        the parameters: a cached generic plan (blind to how common a term is, and slow for a
        common one) then never looks cheaper than planning each search afresh.
        """
        indexed = list(dict.fromkeys(index_term(term) for term in terms))
        query = " & ".join(_lexeme(term) for term in indexed)
        spilled = (
            "e.rid IN (SELECT x.rid FROM entity_values x WHERE x.field = ?"
            f" AND left(x.s, {TEXT_KEY_CHARS}) = ANY(CAST(? AS text[]))"
            f" GROUP BY x.rid HAVING count(DISTINCT left(x.s, {TEXT_KEY_CHARS})) = ?)"
        )
        return Fragment(
            f"(e.terms @@ CAST(? AS tsquery) OR (e.terms @@ CAST(? AS tsquery) AND {spilled}))",
            (query, _lexeme(_SPILL_MARK), SPILLED_TERMS_FIELD, indexed, len(indexed)),
        )

    def stored_terms(self, terms: Sequence[str]) -> tuple[Any, Sequence[str]]:
        """See :meth:`Dialect.stored_terms`: a ``tsvector`` literal of quoted lexemes.

        A ``tsvector`` holds at most 1 MiB of lexemes. An entity whose terms are longer than
        that (it may hold up to 200 properties of 200 texts each) keeps them all as spilled
        terms and only a marker lexeme in the column, rather than being refused.
        """
        # A character is at most four bytes: count bytes only when characters cannot settle it.
        if sum(map(len, terms)) * 4 > _TSVECTOR_BUDGET and (
            sum(len(term.encode()) for term in terms) > _TSVECTOR_BUDGET
        ):
            return _lexeme(_SPILL_MARK), terms
        return " ".join(_lexeme(term) for term in terms), ()

    def number(self, value: int | float) -> Any:
        """See :meth:`Dialect.number`: an exact ``numeric`` for integers and floats alike."""
        return Decimal(value)


SQLITE: Final[Dialect] = SqliteDialect()
POSTGRESQL: Final[Dialect] = PostgresqlDialect()
