"""Forged cursors: each one is InvalidCursor or a correct page, on every backend.

Cursors are base64url JSON and not signed, so a caller can hand back anything. The layer must
refuse whatever no store issued (and whatever holds a value no entity can have) before it
reaches SQL parameters or Foundry's JSON, and answer any position it accepts exactly as the
reference ordering says.
"""

from __future__ import annotations

import base64
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from run_profile import by_profile

from contracts import Entity, EntityKind
from contracts.errors import InvalidCursor, ValidationFailed
from contracts.evaluation import compare_positions, sort_entities, sort_position
from contracts.paging import MAX_CURSOR_LENGTH, SortPosition, decode_cursor, encode_cursor
from contracts.query import OrderKey, SearchQuery
from contracts.store import CaseStore

_ORDER = (
    OrderKey(field="label"),
    OrderKey(field="version", descending=True),
    OrderKey(field="created_at"),
    OrderKey(field="location.latitude", descending=True),
)
_QUERY = SearchQuery(order_by=_ORDER, page_size=3)
_SEARCH_SCOPE = "search:" + _QUERY.fingerprint_source()
_LIST_SCOPE = "list:entity"
_START = datetime(2024, 1, 1, tzinfo=UTC)


def _data() -> list[Entity]:
    """Ties on every key but the last, missing values, and every kind of sort value."""
    entities = []
    for n in range(9):
        fields: dict[str, Any] = {"kind": EntityKind.PERSON, "subtype": "p"}
        if n % 3 == 0:
            fields = {
                "kind": EntityKind.LOCATION,
                "subtype": "place",
                "location": {"latitude": 10.0 * n - 40, "longitude": 0.0},
            }
        moment = _START + timedelta(hours=n % 4)
        entities.append(
            Entity(
                id=f"e{n}",
                label=f"label {n % 3}",
                created_at=moment,
                updated_at=moment,
                **fields,
            )
        )
    return entities


def _stocked(store: CaseStore) -> list[Entity]:
    """The store's entities, after filling it the first time (some at version 2)."""
    if not store.search(SearchQuery(page_size=1)).items:
        entities = _data()
        store.upsert_many(entities)
        for entity in entities[::2]:
            store.update(entity.model_copy(update={"description": "v2"}), expected_version=1)
    return [record for record in store.export() if isinstance(record, Entity)]


def _snapshot(store: CaseStore) -> list[Any]:
    return sorted(store.export(), key=lambda record: (type(record).__name__, record.id))


def _encode(payload: Any) -> str:
    """A cursor as the store writes one, around any JSON (NaN and lone surrogates included)."""
    raw = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _payload(cursor: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return loaded


def _search_outcome(store: CaseStore, entities: list[Entity], cursor: object) -> str:
    """``ok`` when the page is the correct one, ``refused`` when refused as it must be.

    A cursor no SearchQuery can hold (not a string, too long, a lone surrogate) is refused
    when the query is built; smuggled in with ``model_copy``, or any other cursor no store
    issued, the store refuses with InvalidCursor.
    """
    try:
        page = store.search(_QUERY.model_copy(update={"cursor": cursor}))
    except InvalidCursor:
        return "refused"
    except ValidationFailed as exc:
        return f"ValidationFailed {exc}"
    ordered = sort_entities(entities, _ORDER)
    after = [e.id for e in ordered]
    if cursor:  # an empty cursor asks for the first page
        position = decode_cursor(cursor, _SEARCH_SCOPE, len(_ORDER))
        after = [
            e.id
            for e in ordered
            if compare_positions(sort_position(e, _ORDER), position, _ORDER) > 0
        ]
    got = [entity.id for entity in page.items]
    return "ok" if got == after[: _QUERY.page_size] else f"wrong page {got} != {after[:3]}"


def _list_outcome(store: CaseStore, entities: list[Entity], cursor: object) -> str:
    try:
        page = store.list_records(Entity, page_size=3, cursor=cursor)  # type: ignore[arg-type]
    except InvalidCursor:
        return "refused"
    last = decode_cursor(cursor, _LIST_SCOPE, 0).id if cursor else ""
    expected = sorted(e.id for e in entities if e.id > last)[:3]
    got = [entity.id for entity in page.items]
    return "ok" if got == expected else f"wrong page {got} != {expected}"


# ---------------------------------------------------------------------------- named forgeries


def _forgeries(real: str, real_list: str) -> dict[str, object]:
    """Every kind of forged search cursor the issue names, built from a real one."""
    payload = _payload(real)

    def keys(*values: Any) -> str:
        return _encode({**payload, "k": list(values)})

    label, version, moment, latitude = payload["k"]
    return {
        "random bytes": base64.urlsafe_b64encode(bytes(range(256))).decode().rstrip("="),
        "base64 of garbage": _encode("not a cursor"),
        "base64 of text that is not JSON": base64.urlsafe_b64encode(b"\xff\xfe{").decode(),
        "not base64 at all": "!!!***",
        "padding and spaces": real + "==",
        "spaces inside": real[:5] + " " + real[5:],
        "non-ASCII characters": real + "é",
        "a NUL character": real + "\x00",
        "a lone surrogate character": real + "\ud800",
        "an int": 12345,
        "bytes": real.encode(),
        "overlong": real + "A" * MAX_CURSOR_LENGTH,
        "nested JSON": base64.urlsafe_b64encode(b"[" * 50_000 + b"]" * 50_000).decode(),
        "a list": _encode([1, payload["s"], payload["k"], payload["i"]]),
        "wrong format": _encode({**payload, "f": 2}),
        "format true": _encode({**payload, "f": True}),
        "extra key": _encode({**payload, "x": 1}),
        "missing key": _encode({k: v for k, v in payload.items() if k != "i"}),
        "wrong scope": _encode({**payload, "s": "0" * 16}),
        "list cursor in a search": real_list,
        "too few values": keys(label, version, moment),
        "too many values": keys(label, version, moment, latitude, 1),
        "values not a list": _encode({**payload, "k": {"a": 1}}),
        "huge int": keys(label, 2**70, moment, latitude),
        "int one past 64 bits": keys(label, 2**63, moment, latitude),
        "5,000 digit int": keys(label, int("9" * 4_000), moment, latitude),
        "NaN": keys(label, version, moment, math.nan),
        "infinity": keys(label, version, moment, math.inf),
        "float for an int": keys(label, 1.5, moment, latitude),
        "bool for an int": keys(label, True, moment, latitude),
        "string for a float": keys(label, version, moment, "north"),
        "number for a string": keys(7, version, moment, latitude),
        "NUL in a string": keys("label\x00", version, moment, latitude),
        "lone surrogate in a string": keys("label \ud800", version, moment, latitude),
        "list as a value": keys([label], version, moment, latitude),
        "unknown value object": keys(label, version, {"dt": moment["dt"], "x": 1}, latitude),
        "datetime not a string": keys(label, version, {"dt": 5}, latitude),
        "malformed datetime": keys(label, version, {"dt": "yesterday"}, latitude),
        "naive datetime": keys(label, version, {"dt": "2024-01-01T00:00:00"}, latitude),
        "datetime before year 1 in UTC": keys(
            label, version, {"dt": "0001-01-01T00:00:00+05:00"}, latitude
        ),
        "datetime after year 9999 in UTC": keys(
            label, version, {"dt": "9999-12-31T23:00:00-05:00"}, latitude
        ),
        "string for a datetime": keys(label, version, "2024-01-01T00:00:00+00:00", latitude),
        "id not a string": _encode({**payload, "i": 5}),
        "id with a NUL": _encode({**payload, "i": "e1\x00"}),
        "id with a lone surrogate": _encode({**payload, "i": "e\ud800"}),
        "id too long": _encode({**payload, "i": "e" * 129}),
        "id with a space": _encode({**payload, "i": "e 1"}),
        "empty id": _encode({**payload, "i": ""}),
    }


def test_every_named_forgery_is_refused_on_every_backend(store: CaseStore) -> None:
    """Each forged cursor raises InvalidCursor, in search and in list_records alike.

    Before, PostgreSQL raised OverflowError for datetimes past the calendar, Foundry
    UnicodeEncodeError for lone surrogates, and SQLite ValidationFailed about 64-bit integers.
    """
    entities = _stocked(store)
    before = _snapshot(store)
    real = store.search(_QUERY).next_cursor
    real_list = store.list_records(Entity, page_size=3).next_cursor
    assert real is not None
    assert real_list is not None
    assert _search_outcome(store, entities, real) == "ok"
    assert _list_outcome(store, entities, real_list) == "ok"
    search_outcomes = {
        name: _search_outcome(store, entities, cursor)
        for name, cursor in _forgeries(real, real_list).items()
    }
    assert {name: o for name, o in search_outcomes.items() if o != "refused"} == {}
    listed = _payload(real_list)
    list_forgeries = {
        "search cursor in a list": real,
        "id with a NUL": _encode({**listed, "i": "e1\x00"}),
        "id with a lone surrogate": _encode({**listed, "i": "\ud800"}),
        "id too long": _encode({**listed, "i": "e" * 129}),
        "values in a list cursor": _encode({**listed, "k": [1]}),
        "overlong": real_list + "A" * MAX_CURSOR_LENGTH,
        "an int": 7,
        "random bytes": base64.urlsafe_b64encode(bytes(range(200))).decode(),
    }
    list_outcomes = {
        name: _list_outcome(store, entities, cursor) for name, cursor in list_forgeries.items()
    }
    assert {name: o for name, o in list_outcomes.items() if o != "refused"} == {}
    assert _snapshot(store) == before


def test_no_position_a_store_can_hold_makes_a_cursor_past_the_limit() -> None:
    """Four sort values of the longest texts, every character escaped, and the longest id."""
    longest = "\x01" * 500
    position = SortPosition((longest, longest, longest, "i" * 128), "i" * 128)
    cursor = encode_cursor(_SEARCH_SCOPE, position)
    assert 12_000 < len(cursor) <= MAX_CURSOR_LENGTH
    assert decode_cursor(cursor, _SEARCH_SCOPE, 4) == position


def test_the_longest_cursors_a_store_issues_are_accepted_on_every_backend(
    store: CaseStore,
) -> None:
    """SRCH-014: paging by the longest sort values a store holds reaches every entity.

    Three 500-character texts of characters JSON escapes (six bytes each) make a cursor of
    about 12,000 characters; before, any cursor over 4,096 was refused, ending the paging.
    """
    escaped = "\x01" * 499
    entities = [
        Entity(
            id=f"long-{n}",
            kind=EntityKind.PERSON,
            subtype="p",
            label=escaped + str(n % 2),
            person={"family_name": escaped + str(n // 2)},
        )
        for n in range(4)
    ]
    store.upsert_many(entities)
    order = (
        OrderKey(field="label"),
        OrderKey(field="person.family_name", descending=True),
        OrderKey(field="subtype"),
        OrderKey(field="id"),
    )
    query = SearchQuery(order_by=order, page_size=1)
    first = store.search(query)
    assert first.next_cursor is not None
    assert len(first.next_cursor) > 8_000
    ids = [entity.id for entity in store.iter_search(query)]
    assert ids == ["long-2", "long-0", "long-3", "long-1"]
    assert len(_snapshot(store)) == 4


# ---------------------------------------------------------------------------- generated

_EDGES = (
    2**63,
    -(2**63) - 1,
    2**70,
    math.nan,
    math.inf,
    -math.inf,
    "e1\x00",
    "\ud800",
    "e" * 129,
    {"dt": "0001-01-01T00:00:00+05:00"},
    {"dt": "9999-12-31T23:59:59-05:00"},
    {"dt": "2024-01-01T00:00:00"},
)
"""Values that broke a backend before the layer checked cursors."""
_json_scalars = st.one_of(
    st.sampled_from(_EDGES),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and the infinities travel as NaN / Infinity
    st.sampled_from((2**63 - 1, -(2**63), 0.0, -0.0, 90.0, 1e308)),
    st.text(max_size=12),  # NUL and lone surrogates included
)
_moments = st.datetimes(
    timezones=st.just(UTC)
    | st.builds(
        timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
    )
)
_date_values = st.one_of(
    _moments.map(lambda moment: {"dt": moment.isoformat()}),
    st.text(max_size=30).map(lambda text: {"dt": text}),
    st.datetimes().map(lambda moment: {"dt": moment.isoformat()}),
)
_json = st.recursive(
    _json_scalars | _date_values,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=6,
)
_bad_ids = st.sampled_from(("\ud800", "e1\x00", "e" * 129, "e 1", ""))
_ids = st.one_of(
    st.sampled_from([f"e{n}" for n in range(9)]),
    _bad_ids,
    _bad_ids,
    st.sampled_from(_EDGES),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,20}", fullmatch=True),
    st.text(max_size=10),
    _json,
)


@st.composite
def _mutated(draw: st.DrawFn, real: str) -> str:
    """The real cursor with one or more of its parts replaced by arbitrary JSON."""
    payload = _payload(real)
    values = list(payload["k"])
    for _ in range(draw(st.integers(1, 3))):
        part = draw(st.sampled_from(("k", "k", "k", "i", "i", "s", "f", "length", "extra")))
        if part == "k":
            index = draw(st.integers(0, len(values) - 1)) if values else 0
            edges = st.sampled_from(_EDGES)
            replacement = draw(st.one_of(edges, edges, _json, _date_values))
            values[index : index + 1] = [replacement]
        elif part == "length":
            values = draw(st.lists(_json, max_size=6))
        elif part == "i":
            payload["i"] = draw(_ids)
        elif part == "extra":
            payload[draw(st.text(max_size=2))] = draw(_json)
        else:
            payload[part] = draw(_json)
    payload["k"] = values
    return _encode(payload)


def _forged(real: str) -> st.SearchStrategy[object]:
    return st.one_of(
        _mutated(real),
        _mutated(real),
        _mutated(real),
        st.binary(max_size=200).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
        _json.map(_encode),
        st.text(max_size=60),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    )


def _issued() -> tuple[str, str]:
    """The second-page cursors every store issues for :func:`_stocked`'s entities.

    Computed from the data alone, so that the generated cursors are drawn before the test
    touches a store: a draw must not overlap a store's worker threads, which use ``random``.
    """
    stored = [
        entity.model_copy(update={"version": 2}) if n % 2 == 0 else entity
        for n, entity in enumerate(_data())
    ]
    ordered = sort_entities(stored, _ORDER)
    search = encode_cursor(_SEARCH_SCOPE, sort_position(ordered[2], _ORDER))
    listed = encode_cursor(_LIST_SCOPE, SortPosition((), sorted(e.id for e in stored)[2]))
    return search, listed


_REAL, _REAL_LIST = _issued()


@settings(
    max_examples=by_profile(quick=60, ci=200, soak=2_000),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cursor=_forged(_REAL), list_cursor=_forged(_REAL_LIST))
def test_a_generated_cursor_is_refused_or_answered_with_the_correct_page(
    store: CaseStore, cursor: object, list_cursor: object
) -> None:
    """Every generated cursor is refused or answered with the page after its position.

    Cursors are arbitrary text, base64 of arbitrary bytes or JSON, and mutations of a real
    cursor; a page must be exactly what the reference ordering puts after the position.
    """
    entities = _stocked(store)
    assert store.search(_QUERY).next_cursor == _REAL
    assert store.list_records(Entity, page_size=3).next_cursor == _REAL_LIST
    outcome = _search_outcome(store, entities, cursor)
    event(f"search: {outcome}")
    assert outcome in {"ok", "refused"}
    outcome = _list_outcome(store, entities, list_cursor)
    event(f"list: {outcome}")
    assert outcome in {"ok", "refused"}
    assert len(_snapshot(store)) == len(entities)
