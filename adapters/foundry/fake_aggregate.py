"""The fake Foundry's aggregate endpoint: ``POST .../objects/{objectType}/aggregate``.

It answers as the Ontology API v2 documents (``AggregateObjectsRequestV2`` and
``AggregateObjectsResponseV2``): metrics ``count``, ``min``, ``max``, ``sum``, ``avg``,
``exactDistinct`` and ``approximateDistinct`` (computed exactly), each named by ``name``;
``exact`` grouping by a property, whose objects holding no value are left out unless
``defaultValue`` gives their group a value (they are not counted as excluded);
``maxGroupCount`` (10,000 when omitted) keeping the
largest groups of each level and counting the objects of the others in ``excludedItems``,
with ``accuracy`` ``APPROXIMATE`` then, or refusing with ``AggregationAccuracyNotSupported``
when ``REQUIRE_ACCURATE`` was asked; ``AggregationGroupCountExceededLimit`` when the answer
would hold more groups than the stack allows; ``MultipleGroupByOnFieldNotSupported`` for a
property grouped twice. Numeric metrics come back as doubles (a sum of longs past 2^53 loses
precision, as a double does), timestamp metrics as ISO-8601 strings, and a metric over no
values as a null ``value``. Groups come back in no documented order; the fake sends the
largest first, ties in descending order of their values. Grouping by ranges, widths or
durations and metrics over array properties are not implemented: they are refused with
``InvalidParameterValue``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from adapters.foundry.fake_ontology import FakeError, FakeOntology, ObjectTypeDef, _timestamp

__all__ = ["DEFAULT_MAX_GROUP_COUNT", "aggregate"]

DEFAULT_MAX_GROUP_COUNT: Final = 10_000
_METRICS: Final = frozenset(
    {"count", "min", "max", "sum", "avg", "exactDistinct", "approximateDistinct"}
)
_NUMERIC: Final = frozenset({"integer", "long", "double"})

Stored = Mapping[str, Any]


def _invalid(name: str, **parameters: Any) -> FakeError:
    return FakeError(400, "INVALID_ARGUMENT", name, parameters)


def _property(type_def: ObjectTypeDef, field: Any, where: str) -> str:
    """The property a metric or grouping names, checked to exist and hold one value."""
    if not isinstance(field, str):
        raise _invalid("InvalidParameterValue", parameter=where)
    kind = type_def.properties.get(field)
    if kind is None:
        raise FakeError(
            404,
            "NOT_FOUND",
            "PropertiesNotFound",
            {"objectType": type_def.api_name, "properties": [field]},
        )
    if kind.startswith("array<"):
        raise _invalid("InvalidParameterValue", parameter=where, property=field)
    return field


def _value(kind: str, stored: Any) -> Any:
    """A stored value as Python compares it: numbers exactly, timestamps as instants."""
    if kind in ("long", "integer"):
        return int(stored)
    if kind == "double":
        return Decimal(repr(float(stored)))
    return stored


def _metric(
    spec: Mapping[str, Any], type_def: ObjectTypeDef
) -> tuple[str, Callable[[Sequence[Stored]], Any]]:
    """A metric's name and how it is computed over a group's objects."""
    kind_name = spec.get("type")
    if kind_name not in _METRICS:
        raise _invalid("InvalidParameterValue", parameter="aggregation.type", value=str(kind_name))
    name = spec.get("name")
    if kind_name == "count":
        return (name if isinstance(name, str) else "count"), lambda objs: float(len(objs))
    field = _property(type_def, spec.get("field"), "aggregation.field")
    kind = type_def.properties[field]
    label = name if isinstance(name, str) else f"{kind_name}_{field}"
    if kind_name in ("exactDistinct", "approximateDistinct"):
        return label, lambda objs: float(
            len({obj[field] for obj in objs if obj.get(field) is not None})
        )
    if kind not in _NUMERIC and not (kind == "timestamp" and kind_name in ("min", "max")):
        raise _invalid("InvalidParameterValue", parameter="aggregation.field", property=field)

    def compute(objs: Sequence[Stored]) -> Any:
        values = [obj[field] for obj in objs if obj.get(field) is not None]
        if not values:
            return None
        if kind == "timestamp":
            pick = min if kind_name == "min" else max
            return pick(values, key=lambda text: _timestamp(text) or text)
        exact = [_value(kind, value) for value in values]
        if kind_name == "min":
            return float(min(exact))
        if kind_name == "max":
            return float(max(exact))
        total = sum(exact)
        return float(total) if kind_name == "sum" else float(total) / len(exact)

    return label, compute


def _groupings(body: Mapping[str, Any], type_def: ObjectTypeDef) -> list[tuple[str, int, Any]]:
    """Each exact grouping: its property, its maximum group count and its default value."""
    raw = body.get("groupBy") or []
    if not isinstance(raw, list):
        raise _invalid("InvalidParameterValue", parameter="groupBy")
    found: list[tuple[str, int, Any]] = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") != "exact":
            kind = item.get("type") if isinstance(item, dict) else None
            raise _invalid("InvalidParameterValue", parameter="groupBy.type", value=str(kind))
        field = _property(type_def, item.get("field"), "groupBy.field")
        if any(field == known for known, _, _ in found):
            raise _invalid("MultipleGroupByOnFieldNotSupported", duplicateFields=[field])
        limit = item.get("maxGroupCount", DEFAULT_MAX_GROUP_COUNT)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise _invalid("InvalidParameterValue", parameter="groupBy.maxGroupCount")
        default = item.get("defaultValue")
        if default is not None and not isinstance(default, str):
            raise _invalid("InvalidParameterValue", parameter="groupBy.defaultValue")
        found.append((field, limit, default))
    return found


def _split(
    objs: list[Stored], groupings: list[tuple[str, int, Any]], type_def: ObjectTypeDef
) -> tuple[list[tuple[tuple[Any, ...], list[Stored]]], int, bool]:
    """The groups, level by level, the objects left out and whether any group was cut."""
    groups: list[tuple[tuple[Any, ...], list[Stored]]] = [((), objs)]
    excluded = 0
    cut = False
    for field, limit, default in groupings:
        kind = type_def.properties[field]
        deeper: list[tuple[tuple[Any, ...], list[Stored]]] = []
        for key, members in groups:
            buckets: dict[Any, tuple[Any, list[Stored]]] = {}
            for obj in members:
                raw = obj.get(field)
                if raw is None:
                    if default is None:
                        continue  # in no group: only a default value gives them one
                    identity, shown = ("default", default), default
                else:
                    identity, shown = ("value", _value(kind, raw)), raw
                buckets.setdefault(identity, (shown, []))[1].append(obj)
            ranked = sorted(buckets.values(), key=lambda b: (-len(b[1]), repr(b[0])))
            if len(ranked) > limit:
                cut = True
                excluded += sum(len(b[1]) for b in ranked[limit:])
                ranked = ranked[:limit]
            deeper.extend(((*key, shown), items) for shown, items in ranked)
        groups = deeper
    return groups, excluded, cut


def aggregate(ontology: FakeOntology, type_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to one aggregate request, or a :class:`FakeError`."""
    type_def = ontology.object_type(type_name)
    specs = body.get("aggregation") or []
    if not isinstance(specs, list) or not all(isinstance(spec, dict) for spec in specs):
        raise _invalid("InvalidParameterValue", parameter="aggregation")
    metrics = [_metric(spec, type_def) for spec in specs]
    groupings = _groupings(body, type_def)
    accuracy = body.get("accuracy", "ALLOW_APPROXIMATE")
    if accuracy not in ("REQUIRE_ACCURATE", "ALLOW_APPROXIMATE"):
        raise _invalid("InvalidParameterValue", parameter="accuracy")
    objs: list[Stored] = list(ontology.search_type(type_def, body.get("where"), None))
    groups, excluded, cut = _split(objs, groupings, type_def)
    if cut and accuracy == "REQUIRE_ACCURATE":
        raise _invalid("AggregationAccuracyNotSupported")
    if len(groups) > ontology.aggregate_group_limit:
        raise _invalid(
            "AggregationGroupCountExceededLimit",
            groupsCount=len(groups),
            groupsLimit=ontology.aggregate_group_limit,
        )
    names = [field for field, _, _ in groupings]
    groups.sort(key=lambda g: (len(g[1]), repr(g[0])), reverse=True)
    data = []
    for key, members in groups:
        shown = {
            name: str(value) if type_def.properties[name] == "long" else value
            for name, value in zip(names, key, strict=True)
        }
        data.append(
            {
                "group": shown,
                "metrics": [{"name": name, "value": compute(members)} for name, compute in metrics],
            }
        )
    answer: dict[str, Any] = {"data": data, "accuracy": "APPROXIMATE" if cut else "ACCURATE"}
    if excluded:
        answer["excludedItems"] = excluded
    return answer
