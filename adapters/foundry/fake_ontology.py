"""The in-memory ontology behind the fake Foundry (see :mod:`adapters.foundry.testing`).

It is built from a mapping, so any mapping can be tried without a tenant: one object type per
mapped record type with the mapped properties and their types, the two link types ``expand``
follows, and the create / update / upsert / delete action types. It keeps objects in Foundry's
wire encoding, evaluates the documented ``where`` grammar (with its nesting limit), orders with
missing values last, pages with short-lived tokens and snapshots, and validates actions the way
Foundry does: unknown or missing parameters and wrongly typed values are refused, an update
whose expected version is stale comes back as HTTP 200 with ``validation.result = INVALID``.

Lookups stay proportional to what they return, not to the store: each link type's foreign key
is indexed (value to primary keys), so following links reads only the incident objects, and a
search or object set whose ``where`` pins the primary key or an indexed property with ``eq`` or
``in`` tests only the objects those name. Every write goes through :meth:`FakeOntology.execute`,
which keeps the indexes in step under the ontology's lock; code that edits stored objects in
place must call :meth:`FakeOntology.reindex` after changing an indexed property.
"""

from __future__ import annotations

import operator
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from adapters.foundry.mapping import FoundryMapping, RecordLayout

__all__ = ["FakeError", "FakeOntology", "ObjectTypeDef"]

MAX_WHERE_DEPTH: Final = 3
MAX_PAGE: Final = 1_000
MAX_LOAD_PAGE: Final = 10_000
MAX_BATCH: Final = 20
_MAX_TOKENS: Final = 2_000
_TERM = re.compile(r"[^\W_]+")
_COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class FakeError(Exception):
    """An error the fake answers with Foundry's error envelope."""

    def __init__(
        self, status: int, code: str, name: str, parameters: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(name)
        self.status = status
        self.code = code
        self.name = name
        self.parameters = dict(parameters or {})

    def envelope(self) -> dict[str, Any]:
        """The JSON error body."""
        return {
            "errorCode": self.code,
            "errorName": self.name,
            "errorInstanceId": str(uuid.uuid4()),
            "parameters": self.parameters,
        }


def _invalid(name: str, **parameters: Any) -> FakeError:
    return FakeError(400, "INVALID_ARGUMENT", name, parameters)


@dataclass(frozen=True, slots=True)
class ObjectTypeDef:
    """An object type: primary key and property types."""

    api_name: str
    primary_key: str
    properties: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class LinkTypeDef:
    """A link type from one object type to the objects whose foreign key is its key."""

    api_name: str
    source: str
    target: str
    foreign_key: str


@dataclass(frozen=True, slots=True)
class ActionDef:
    """An action type that writes one object type."""

    api_name: str
    object_type: str
    kind: str
    parameters: Mapping[str, str]
    required: frozenset[str]
    expected_version: str | None = None
    version_property: str | None = None


@dataclass(slots=True)
class _PageState:
    items: list[dict[str, Any]] | None
    recompute: Callable[[], list[dict[str, Any]]] | None
    offset: int
    expires_at: float
    fingerprint: str


@dataclass(slots=True)
class FakeOntology:
    """Objects, link types and action types of one fake ontology.

    Attributes:
        api_name: the ontology's API name (the last part of the store URL).
        clock: returns the current time in seconds (page tokens expire with it).
        page_token_ttl: seconds a page token stays valid.
        short_pages: return fewer objects than asked while more remain (as Foundry may).
        total_count: how ``totalCount`` is sent: ``number``, ``string``, ``missing`` or
            ``rotate`` (each page differently).
        apply_answer: ``full`` (the API model's shape) or ``example`` (the documented
            example's, with ``parameters`` beside ``validation``).
    """

    api_name: str
    clock: Callable[[], float]
    object_types: dict[str, ObjectTypeDef] = field(default_factory=dict)
    link_types: dict[tuple[str, str], LinkTypeDef] = field(default_factory=dict)
    actions: dict[str, ActionDef] = field(default_factory=dict)
    objects: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    page_token_ttl: float = 600.0
    short_pages: bool = False
    total_count: str = "rotate"
    apply_answer: str = "full"
    aggregate_group_limit: int = 10_000
    """The most groups one aggregate answer may hold (``AggregationGroupCountExceededLimit``)."""
    applied: list[tuple[str, str]] = field(default_factory=list)
    """Every applied edit as (action API name, primary key), in order."""
    rid: str = field(default_factory=lambda: f"ri.ontology.main.ontology.{uuid.uuid4()}")
    _pages: dict[str, _PageState] = field(default_factory=dict)
    _pages_served: int = 0
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _rng_seed: int = 0
    _indexes: dict[str, dict[str, dict[str, set[str]]]] = field(default_factory=dict)
    """Per object type and indexed property: each string value to the keys of its holders."""

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_mapping(
        cls, mapping: FoundryMapping, api_name: str, clock: Callable[[], float]
    ) -> FakeOntology:
        """The ontology a mapping describes."""
        ontology = cls(api_name=api_name, clock=clock)
        for layout in mapping.layouts.values():
            ontology._add_record_type(layout)
        entity, link = mapping.entity, mapping.link
        for name, prop_path in ((link.from_source, "source_id"), (link.from_target, "target_id")):
            prop = link.property_for(prop_path)
            assert name is not None
            assert prop is not None
            ontology.link_types[(entity.object_type, name)] = LinkTypeDef(
                name, entity.object_type, link.object_type, prop.api_name
            )
            ontology.index_property(link.object_type, prop.api_name)
        return ontology

    def _add_record_type(self, layout: RecordLayout) -> None:
        props = {layout.primary_key: "string", layout.record_property: "string"}
        if layout.text_terms:
            props[layout.text_terms] = "array<string>"
        for prop in layout.properties:
            props[prop.api_name] = prop.type
        self.object_types[layout.object_type] = ObjectTypeDef(
            layout.object_type, layout.primary_key, props
        )
        self.objects[layout.object_type] = {}
        names = layout.actions
        writable = frozenset({layout.primary_key, layout.record_property})
        self.actions[names.create] = ActionDef(
            names.create, layout.object_type, "create", props, writable
        )
        self.actions[names.upsert] = ActionDef(
            names.upsert, layout.object_type, "upsert", props, writable
        )
        self.actions[names.update] = ActionDef(
            names.update,
            layout.object_type,
            "update",
            {**props, names.expected_version: "long"},
            writable | {names.expected_version},
            expected_version=names.expected_version,
            version_property=layout.version_property,
        )
        if names.delete:
            self.actions[names.delete] = ActionDef(
                names.delete,
                layout.object_type,
                "delete",
                {layout.primary_key: "string"},
                frozenset({layout.primary_key}),
            )

    # ------------------------------------------------------------------ objects

    def object_type(self, name: str) -> ObjectTypeDef:
        """The object type ``name``."""
        found = self.object_types.get(name)
        if found is None:
            raise FakeError(404, "NOT_FOUND", "ObjectTypeNotFound", {"objectType": name})
        return found

    def render(
        self,
        type_def: ObjectTypeDef,
        stored: Mapping[str, Any],
        select: Sequence[str],
        exclude_rid: bool,
    ) -> dict[str, Any]:
        """An object in the API's JSON shape (longs as strings, nulls left out)."""
        key = stored[type_def.primary_key]
        out: dict[str, Any] = {"__primaryKey": key, "__apiName": type_def.api_name}
        if not exclude_rid:
            out["__rid"] = (
                f"ri.phonograph2-objects.main.object.{uuid.uuid5(uuid.NAMESPACE_URL, key)}"
            )
        wanted = set(select) | {type_def.primary_key} if select else None
        for name, value in stored.items():
            if value is None or (wanted is not None and name not in wanted):
                continue
            kind = type_def.properties[name]
            if kind == "long":
                value = str(value)
            elif kind == "array<long>":
                value = [str(item) for item in value]
            out[name] = value
        return out

    def check_select(self, type_def: ObjectTypeDef, select: Sequence[str]) -> None:
        """Refuse unknown selected properties, as Foundry does."""
        unknown = [name for name in select if name not in type_def.properties]
        if unknown:
            raise FakeError(
                404,
                "NOT_FOUND",
                "PropertiesNotFound",
                {"objectType": type_def.api_name, "properties": unknown},
            )

    def get(self, type_name: str, key: str) -> dict[str, Any]:
        """The stored object ``key`` of ``type_name``."""
        type_def = self.object_type(type_name)
        with self._lock:
            stored = self.objects[type_name].get(key)
        if stored is None:
            raise FakeError(
                404,
                "NOT_FOUND",
                "ObjectNotFound",
                {"objectType": type_name, "primaryKey": {type_def.primary_key: key}},
            )
        return stored

    def linked(self, type_name: str, key: str, link_name: str) -> list[dict[str, Any]]:
        """The objects a link type reaches from object ``key``."""
        self.get(type_name, key)
        link = self.link_types.get((type_name, link_name))
        if link is None:
            raise FakeError(
                404,
                "NOT_FOUND",
                "LinkTypeNotFound",
                {"objectType": type_name, "linkType": link_name},
            )
        with self._lock:
            table = self.objects[link.target]
            index = self._index(link.target, link.foreign_key)
            if index is None:
                found = [obj for obj in table.values() if obj.get(link.foreign_key) == key]
            else:
                found = [table[held] for held in index.get(key, ())]
        return sorted(found, key=lambda obj: obj[self.object_types[link.target].primary_key])

    # ------------------------------------------------------------------ indexes

    def index_property(self, type_name: str, name: str) -> bool:
        """Index property ``name`` of ``type_name`` from now on; whether it can be.

        Only string properties are indexed (their values are hashable and compare as stored).
        """
        with self._lock:
            return self._index(type_name, name) is not None

    def reindex(self) -> None:
        """Rebuild every index from the stored objects (after editing them in place)."""
        with self._lock:
            for type_name, indexes in self._indexes.items():
                for name in list(indexes):
                    indexes[name] = self._built(type_name, name)

    def indexed(self, type_name: str, name: str) -> dict[str, frozenset[str]] | None:
        """A copy of the index of ``name`` on ``type_name`` (``None``: not indexed)."""
        with self._lock:
            index = self._indexes.get(type_name, {}).get(name)
            if index is None:
                return None
            return {value: frozenset(keys) for value, keys in index.items()}

    def _index(self, type_name: str, name: str) -> dict[str, set[str]] | None:
        indexes = self._indexes.setdefault(type_name, {})
        index = indexes.get(name)
        if index is None and self.object_type(type_name).properties.get(name) == "string":
            index = indexes[name] = self._built(type_name, name)
        return index

    def _built(self, type_name: str, name: str) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for key, obj in self.objects[type_name].items():
            value = obj.get(name)
            if isinstance(value, str):
                index.setdefault(value, set()).add(key)
        return index

    def _reindex(
        self,
        type_name: str,
        key: str,
        before: Mapping[str, Any] | None,
        after: Mapping[str, Any] | None,
    ) -> None:
        """Move ``key`` in every index of ``type_name`` from its old values to its new ones."""
        for name, index in self._indexes.get(type_name, {}).items():
            old = None if before is None else before.get(name)
            new = None if after is None else after.get(name)
            if old == new:
                continue
            if isinstance(old, str) and old in index:
                index[old].discard(key)
                if not index[old]:
                    del index[old]
            if isinstance(new, str):
                index.setdefault(new, set()).add(key)

    def _narrowed(self, type_def: ObjectTypeDef, clause: Any) -> set[str] | None:
        """Keys of at least every object a checked clause matches; ``None``: no narrowing.

        ``eq`` and ``in`` on the primary key or an indexed property narrow; ``and`` takes the
        narrowest of its children, ``or`` the union when every child narrows.
        """
        kind = clause.get("type")
        if kind in ("and", "or"):
            found = [self._narrowed(type_def, child) for child in clause["value"]]
            known = [keys for keys in found if keys is not None]
            if kind == "and":
                return set.intersection(*sorted(known, key=len)) if known else None
            return set().union(*known) if len(known) == len(found) else None
        name = _field_name(clause)
        if kind not in ("eq", "in") or type_def.properties.get(name) != "string":
            return None
        values = [clause["value"]] if kind == "eq" else clause["value"]
        if name == type_def.primary_key:
            table = self.objects[type_def.api_name]
            return {value for value in values if value in table}
        index = self._indexes.get(type_def.api_name, {}).get(name)
        if index is None:
            return None
        keys: set[str] = set()
        for value in values:
            keys.update(index.get(value, ()))
        return keys

    def matching(self, type_def: ObjectTypeDef, where: Any) -> list[dict[str, Any]]:
        """The objects of ``type_def`` a ``where`` clause matches, in no particular order."""
        test = self.predicate(type_def, where)
        with self._lock:
            table = self.objects[type_def.api_name]
            keys = self._narrowed(type_def, where)
            items = list(table.values()) if keys is None else [table[key] for key in keys]
        return [obj for obj in items if test(obj)]

    # ------------------------------------------------------------------ search

    def set_type(self, object_set: Any) -> ObjectTypeDef:
        """The object type of an object set, without evaluating it."""
        if isinstance(object_set, dict):
            if object_set.get("type") == "base":
                return self.object_type(str(object_set.get("objectType")))
            if isinstance(object_set.get("objectSet"), dict):
                return self.set_type(object_set["objectSet"])
            sets = object_set.get("objectSets")
            if isinstance(sets, list) and sets:
                return self.set_type(sets[0])
        raise _invalid("InvalidParameterValue", parameter="objectSet")

    def evaluate_set(self, object_set: Any) -> tuple[ObjectTypeDef, list[dict[str, Any]]]:
        """The objects of an object set definition."""
        if not isinstance(object_set, dict):
            raise _invalid("InvalidParameterValue", parameter="objectSet")
        kind = object_set.get("type")
        if kind == "base":
            type_def = self.object_type(str(object_set.get("objectType")))
            with self._lock:
                return type_def, list(self.objects[type_def.api_name].values())
        if kind == "filter":
            inner = object_set.get("objectSet")
            where = object_set.get("where")
            if isinstance(inner, dict) and inner.get("type") == "base":
                type_def = self.object_type(str(inner.get("objectType")))
                return type_def, self.matching(type_def, where)
            type_def, items = self.evaluate_set(inner)
            test = self.predicate(type_def, where)
            return type_def, [obj for obj in items if test(obj)]
        if kind in ("union", "intersect", "subtract"):
            sets = [self.evaluate_set(item) for item in object_set.get("objectSets") or []]
            if not sets or len({t.api_name for t, _ in sets}) != 1:
                raise _invalid("InvalidParameterValue", parameter="objectSets")
            type_def = sets[0][0]
            pk = type_def.primary_key
            keyed = [{obj[pk]: obj for obj in items} for _, items in sets]
            result = dict(keyed[0])
            for other in keyed[1:]:
                if kind == "union":
                    result.update(other)
                elif kind == "intersect":
                    result = {k: v for k, v in result.items() if k in other}
                else:
                    result = {k: v for k, v in result.items() if k not in other}
            return type_def, list(result.values())
        raise _invalid("InvalidParameterValue", parameter="objectSet.type", value=str(kind))

    def search(
        self, type_def: ObjectTypeDef, items: list[dict[str, Any]], where: Any, order: Any
    ) -> list[dict[str, Any]]:
        """Filter and order objects."""
        if where is not None:
            self._depth(where, 1)
            test = self.predicate(type_def, where)
            items = [obj for obj in items if test(obj)]
        return self.order(type_def, items, order)

    def search_type(self, type_def: ObjectTypeDef, where: Any, order: Any) -> list[dict[str, Any]]:
        """:meth:`search` over every object of ``type_def``, narrowed by the indexes first."""
        if where is None:
            with self._lock:
                items = list(self.objects[type_def.api_name].values())
            return self.order(type_def, items, order)
        self._depth(where, 1)
        return self.order(type_def, self.matching(type_def, where), order)

    def _depth(self, clause: Any, level: int) -> None:
        if level > MAX_WHERE_DEPTH:
            raise _invalid(
                "InvalidParameterValue",
                parameter="where",
                reason=f"queries nest at most {MAX_WHERE_DEPTH} levels",
            )
        if isinstance(clause, dict) and clause.get("type") in ("and", "or"):
            for child in clause.get("value") or []:
                self._depth(child, level + 1)
        elif isinstance(clause, dict) and clause.get("type") == "not":
            self._depth(clause.get("value"), level + 1)

    def order(
        self, type_def: ObjectTypeDef, items: list[dict[str, Any]], order: Any
    ) -> list[dict[str, Any]]:
        """Objects sorted by the ``orderBy`` fields (missing last), then primary key."""
        fields = []
        if order is not None:
            if not isinstance(order, dict) or not isinstance(order.get("fields"), list):
                raise _invalid("InvalidSortOrder")
            seen = set()
            for item in order["fields"]:
                name = str(item.get("field")) if isinstance(item, dict) else ""
                direction = item.get("direction", "asc") if isinstance(item, dict) else None
                if name not in type_def.properties:
                    raise FakeError(
                        404,
                        "NOT_FOUND",
                        "PropertiesNotFound",
                        {"objectType": type_def.api_name, "properties": [name]},
                    )
                if type_def.properties[name].startswith("array<"):
                    raise _invalid("PropertiesNotSortable", properties=[name])
                if direction not in ("asc", "desc"):
                    raise _invalid("InvalidSortOrder", direction=str(direction))
                if name in seen:
                    raise _invalid("DuplicateOrderBy", properties=[name])
                seen.add(name)
                fields.append((name, direction == "desc"))
        pk = type_def.primary_key
        result = sorted(items, key=lambda obj: obj[pk])
        for name, descending in reversed(fields):
            kind = type_def.properties[name]
            present = [obj for obj in result if obj.get(name) is not None]
            missing = [obj for obj in result if obj.get(name) is None]
            present.sort(key=lambda obj: _comparable(kind, obj[name]), reverse=descending)
            result = present + missing
        return result

    def matches(self, type_def: ObjectTypeDef, clause: Any, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` satisfies a ``where`` clause."""
        return self.predicate(type_def, clause)(obj)

    def predicate(
        self, type_def: ObjectTypeDef, clause: Any
    ) -> Callable[[Mapping[str, Any]], bool]:
        """A ``where`` clause checked once and turned into a test of one object."""
        if not isinstance(clause, dict):
            raise _invalid("InvalidParameterValue", parameter="where")
        kind = clause.get("type")
        value = clause.get("value")
        if kind in ("and", "or"):
            if not isinstance(value, list):
                raise _invalid("InvalidParameterValue", parameter=f"where.{kind}")
            tests = [self.predicate(type_def, child) for child in value]
            if kind == "and":
                return lambda obj: all(test(obj) for test in tests)
            return lambda obj: any(test(obj) for test in tests)
        if kind == "not":
            inner = self.predicate(type_def, value)
            return lambda obj: not inner(obj)
        name = _field_name(clause)
        if name not in type_def.properties:
            raise FakeError(
                404,
                "NOT_FOUND",
                "PropertiesNotFound",
                {"objectType": type_def.api_name, "properties": [name]},
            )
        prop_type = type_def.properties[name]
        is_array = prop_type.startswith("array<")
        scalar = prop_type.removeprefix("array<").removesuffix(">")
        if kind == "isNull":
            if not isinstance(value, bool):
                raise _invalid("InvalidPropertyValue", property=name)
            want_null = value

            def is_null(obj: Mapping[str, Any]) -> bool:
                stored = obj.get(name)
                return (stored is None or (is_array and not stored)) == want_null

            return is_null
        if kind == "contains":
            if not is_array:
                raise _invalid("PropertyTypesSearchNotSupported", property=name, query=kind)
            wanted = _comparable(scalar, _checked(scalar, value, name))
            return lambda obj: any(
                _comparable(scalar, item) == wanted for item in obj.get(name) or []
            )
        if is_array:
            raise _invalid("PropertyTypesSearchNotSupported", property=name, query=str(kind))
        if kind == "in":
            if not isinstance(value, list):
                raise _invalid("InvalidPropertyValue", property=name)
            options = {_comparable(scalar, _checked(scalar, item, name)) for item in value}

            def member(obj: Mapping[str, Any]) -> bool:
                stored = obj.get(name)
                return stored is not None and _comparable(scalar, stored) in options

            return member
        if kind in _COMPARISONS:
            if scalar == "boolean" and kind != "eq":
                raise _invalid("InvalidRangeQuery", property=name)
            bound = _comparable(scalar, _checked(scalar, value, name))
            compare = _COMPARISONS[kind]

            def comparison(obj: Mapping[str, Any]) -> bool:
                stored = obj.get(name)
                return stored is not None and bool(compare(_comparable(scalar, stored), bound))

            return comparison
        if kind in (
            "startsWith",
            "containsAllTermsInOrderPrefixLastTerm",
            "containsAllTermsInOrder",
            "containsAllTerms",
            "containsAnyTerm",
        ):
            if scalar != "string" or not isinstance(value, str):
                raise _invalid("PropertyTypesSearchNotSupported", property=name, query=kind)
            query = value

            def terms(obj: Mapping[str, Any]) -> bool:
                stored = obj.get(name)
                return stored is not None and _term_match(str(kind), query, str(stored))

            return terms
        raise _invalid("InvalidParameterValue", parameter="where.type", value=str(kind))

    # ------------------------------------------------------------------ paging

    def page(
        self,
        compute: Callable[[], list[dict[str, Any]]],
        *,
        page_size: int | None,
        page_token: str | None,
        snapshot: bool,
        fingerprint: str,
        max_page: int,
        with_total: bool = True,
    ) -> tuple[list[dict[str, Any]], str | None, int | None]:
        """One page of a paged read: its objects, the next token and the total count."""
        size = max_page if page_size is None else page_size
        if isinstance(size, bool) or size < 1:
            raise _invalid("InvalidPageSize", pageSize=str(page_size))
        size = min(size, max_page)
        now = self.clock()
        with self._lock:
            if page_token is None:
                state = _PageState(
                    items=compute() if snapshot else None,
                    recompute=None if snapshot else compute,
                    offset=0,
                    expires_at=now + self.page_token_ttl,
                    fingerprint=fingerprint,
                )
            else:
                found = self._pages.get(page_token)
                if found is None or found.expires_at <= now or found.fingerprint != fingerprint:
                    raise _invalid("InvalidPageToken", pageToken=page_token[:40])
                state = replace(found)
            items = state.items if state.items is not None else state.recompute()  # type: ignore[misc]
            remaining = len(items) - state.offset
            self._pages_served += 1
            if self.short_pages and remaining > 1:
                size = min(size, 1 + secrets.randbelow(min(size, remaining)))
            chunk = items[state.offset : state.offset + size]
            state.offset += len(chunk)
            token = None
            if state.offset < len(items):
                token = "v1." + secrets.token_urlsafe(24)
                state.expires_at = now + self.page_token_ttl
                self._pages[token] = state
                while len(self._pages) > _MAX_TOKENS:
                    del self._pages[next(iter(self._pages))]
            total = len(items) if with_total else None
        return chunk, token, total

    def expire_page_tokens(self) -> None:
        """Make every outstanding page token invalid, as time does."""
        with self._lock:
            self._pages.clear()

    def total_count_style(self) -> str:
        """How to send the next ``totalCount``."""
        if self.total_count != "rotate":
            return self.total_count
        return ("number", "string", "missing")[self._pages_served % 3]

    # ------------------------------------------------------------------ actions

    def action(self, name: str) -> ActionDef:
        """The action type ``name``."""
        found = self.actions.get(name)
        if found is None:
            raise FakeError(404, "NOT_FOUND", "ActionTypeNotFound", {"actionType": name})
        return found

    def validate(self, action: ActionDef, parameters: Any) -> dict[str, Any] | None:
        """Check parameters; returns the failed-validation answer or ``None`` when valid."""
        if not isinstance(parameters, dict):
            raise _invalid("InvalidParameterValue", actionType=action.api_name)
        unknown = sorted(set(parameters) - set(action.parameters))
        if unknown:
            raise _invalid(
                "ParametersNotFound",
                actionType=action.api_name,
                unknownParameterIds=unknown,
                configuredParameterIds=sorted(action.parameters),
            )
        missing = sorted(name for name in action.required if parameters.get(name) is None)
        if missing:
            raise _invalid("MissingParameter", actionType=action.api_name, parameters=missing)
        for name, value in parameters.items():
            if value is not None:
                _checked(action.parameters[name], value, name, parameter=True)
        type_def = self.object_types[action.object_type]
        key = parameters[type_def.primary_key]
        with self._lock:
            stored = self.objects[action.object_type].get(key)
        if action.kind == "create" and stored is not None:
            raise FakeError(
                409,
                "CONFLICT",
                "ObjectAlreadyExists",
                {"objectType": action.object_type, "primaryKey": {type_def.primary_key: key}},
            )
        if action.kind in ("update", "delete") and stored is None:
            raise FakeError(
                404,
                "NOT_FOUND",
                "ActionParameterObjectNotFound",
                {"parameterId": type_def.primary_key, "objectType": action.object_type},
            )
        if action.kind == "update" and action.expected_version and action.version_property:
            expected = int(parameters[action.expected_version])
            assert stored is not None
            if int(stored.get(action.version_property) or 0) != expected:
                return {
                    "validation": {
                        "result": "INVALID",
                        "submissionCriteria": [
                            {
                                "result": "INVALID",
                                "configuredFailureMessage": (
                                    "The object changed since it was read (version mismatch)."
                                ),
                            }
                        ],
                        "parameters": {
                            name: {"result": "VALID", "evaluatedConstraints": [], "required": True}
                            for name in sorted(action.required)
                        },
                    }
                }
        return None

    def execute(self, action: ActionDef, parameters: Mapping[str, Any]) -> None:
        """Apply validated parameters."""
        type_def = self.object_types[action.object_type]
        key = parameters[type_def.primary_key]
        with self._lock:
            table = self.objects[action.object_type]
            before = table.get(key)
            after = None
            if action.kind == "delete":
                table.pop(key, None)
            else:
                after = table[key] = {
                    name: _stored(type_def.properties[name], parameters.get(name))
                    for name in type_def.properties
                }
            self._reindex(action.object_type, key, before, after)
            self.applied.append((action.api_name, key))

    def valid_answer(self, action: ActionDef) -> dict[str, Any]:
        """The answer to a valid, applied action.

        With ``apply_answer == "example"`` it has the shape of the documented example
        (``parameters`` beside ``validation``); otherwise the full shape of the API model.
        """
        parameters = {
            name: {"evaluatedConstraints": [], "result": "VALID", "required": True}
            for name in sorted(action.required)
        }
        operation = f"ri.actions.main.action.{uuid.uuid4()}"
        if self.apply_answer == "example":
            return {
                "operationId": operation,
                "validation": {"result": "VALID"},
                "parameters": parameters,
            }
        return {
            "operationId": operation,
            "validation": {"result": "VALID", "submissionCriteria": [], "parameters": parameters},
        }

    @property
    def lock(self) -> threading.RLock:
        """The lock that makes batches atomic."""
        return self._lock


def _field_name(clause: Mapping[str, Any]) -> str:
    """The property a leaf ``where`` clause names (``field`` or ``propertyIdentifier``)."""
    raw_name = clause.get("field")
    if raw_name is None and isinstance(clause.get("propertyIdentifier"), dict):
        raw_name = clause["propertyIdentifier"].get("apiName")
    return str(raw_name)


def _stored(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "long":
        return int(value)
    if kind == "array<long>":
        return [int(item) for item in value]
    if kind == "double" and isinstance(value, int):
        return float(value)
    return value


def _checked(kind: str, value: Any, name: str, *, parameter: bool = False) -> Any:
    """Refuse a value that the property type cannot hold."""
    error = "InvalidParameterValue" if parameter else "InvalidPropertyValue"
    if kind.startswith("array<"):
        if not isinstance(value, list):
            raise _invalid(error, parameter=name)
        item_kind = kind.removeprefix("array<").removesuffix(">")
        return [_checked(item_kind, item, name, parameter=parameter) for item in value]
    ok = {
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "long": (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None),
        "double": isinstance(value, int | float) and not isinstance(value, bool),
        "timestamp": isinstance(value, str) and _timestamp(value) is not None,
    }.get(kind, False)
    if not ok:
        raise _invalid(error, parameter=name, value=str(value)[:40])
    return value


def _timestamp(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _comparable(kind: str, value: Any) -> Any:
    if kind in ("long", "integer"):
        return int(value)
    if kind == "double":
        return Decimal(repr(float(value))) if not isinstance(value, int) else Decimal(value)
    if kind == "timestamp":
        return _timestamp(str(value))
    return value


def _terms(text: str) -> list[str]:
    return _TERM.findall(text.casefold())


def _term_match(kind: str, query: str, stored: str) -> bool:
    wanted, present = _terms(query), _terms(stored)
    if not wanted:
        return False
    if kind == "containsAnyTerm":
        return any(term in present for term in wanted)
    if kind == "containsAllTerms":
        return all(term in present for term in wanted)
    prefix_last = kind in ("startsWith", "containsAllTermsInOrderPrefixLastTerm")
    for start in range(len(present) - len(wanted) + 1):
        window = present[start : start + len(wanted)]
        head_ok = window[:-1] == wanted[:-1]
        last_ok = window[-1].startswith(wanted[-1]) if prefix_last else window[-1] == wanted[-1]
        if head_ok and last_ok:
            return True
    return False
