"""The vendor-neutral search language.

A search is a tree of conditions on named entity fields::

    And(Eq("kind", "PERSON"), Or(Prefix("label", "Sm"), Text("blue van")))

Leaves compare one field (:data:`FIELDS`, or ``properties.<name>`` for free properties) with a
literal value; ``Text`` matches whole terms anywhere in the entity's text fields. Nothing a user
types is ever read as query syntax: ``Text("' OR 1=1 --")`` looks for the terms ``or`` and ``1``,
and a term is a run of letters and digits, so ``*``, quotes, ``NEAR(...)`` and ``field:value``
have no special meaning. Limits on depth, leaves and lengths keep hostile queries cheap.

Every filter is a frozen pydantic model with an ``op`` discriminator, so a query travels as JSON
unchanged between the CLI, the layer and any adapter. Values are refused when a query is built
unless every backend compares them alike: each keeps its own type (no coercion), numbers are
finite and integers fit in 64 bits.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Final, Literal, Self

from pydantic import BeforeValidator, Field, StrictBool, StrictInt, model_validator

from contracts.errors import ValidationFailed
from contracts.models._fields import INT64_MAX, INT64_MIN, check_clean_text, to_utc
from contracts.models.cases import CaseStatus
from contracts.models.common import Classification, RecordType, StrictModel
from contracts.models.entities import EntityKind
from contracts.models.links import LINK_TYPE_PATTERN, LinkRole
from contracts.paging import MAX_CURSOR_LENGTH

__all__ = [
    "ALL_FIELDS",
    "And",
    "Eq",
    "FIELDS",
    "FieldSpec",
    "Filter",
    "In",
    "MAX_FILTER_DEPTH",
    "MAX_FILTER_LEAVES",
    "MAX_PAGE_SIZE",
    "Not",
    "Or",
    "OrderKey",
    "Prefix",
    "RECORD_FIELDS",
    "RECORD_TEXT_FIELDS",
    "Range",
    "SearchQuery",
    "TEXT_FIELDS",
    "Text",
    "WITH_PROPERTIES",
    "field_spec",
    "fields_problem",
    "tokenize",
]

MAX_FILTER_DEPTH: Final = 8
"""Deepest nesting of and / or / not a query may use."""
MAX_FILTER_LEAVES: Final = 100
"""Most leaf conditions one query may hold."""
MAX_IN_VALUES: Final = 1_000
MAX_TEXT_LENGTH: Final = 10_000
MAX_PAGE_SIZE: Final = 1_000

FieldKind = Literal["str", "int", "float", "bool", "datetime"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What a searchable field holds.

    Attributes:
        name: the dotted path used in filters.
        kind: the type of its values.
        multi: whether it holds several values (a condition matches if any value does).
        sortable: whether ``order_by`` may use it.
        choices: the only values it can hold, when the model closes them (``None``: any).
        pattern: the form every value has, when the model fixes one (``None``: any).
    """

    name: str
    kind: FieldKind
    multi: bool = False
    sortable: bool = False
    choices: tuple[str, ...] | None = None
    pattern: str | None = None


def _specs(*specs: FieldSpec) -> dict[str, FieldSpec]:
    return {spec.name: spec for spec in specs}


def _values(vocabulary: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in vocabulary)


_FACT: Final = ("fact", "assessment")


FIELDS: Final[dict[str, FieldSpec]] = _specs(
    FieldSpec("id", "str", sortable=True),
    FieldSpec("kind", "str", sortable=True, choices=_values(EntityKind)),
    FieldSpec("subtype", "str", sortable=True),
    FieldSpec("label", "str", sortable=True),
    FieldSpec("aliases", "str", multi=True),
    FieldSpec("description", "str"),
    FieldSpec("version", "int", sortable=True),
    FieldSpec("created_at", "datetime", sortable=True),
    FieldSpec("updated_at", "datetime", sortable=True),
    FieldSpec("markings.classification", "str", choices=_values(Classification)),
    FieldSpec("markings.sensitive", "bool"),
    FieldSpec("markings.caveats", "str", multi=True),
    FieldSpec("markings.compartments", "str", multi=True),
    FieldSpec("identifiers.scheme", "str", multi=True),
    FieldSpec("identifiers.value", "str", multi=True),
    FieldSpec("person.given_names", "str", multi=True),
    FieldSpec("person.family_name", "str", sortable=True),
    FieldSpec("person.date_of_birth", "str", sortable=True),
    FieldSpec("person.gender", "str"),
    FieldSpec("person.nationalities", "str", multi=True),
    FieldSpec("organisation.organisation_type", "str"),
    FieldSpec("organisation.registration_number", "str"),
    FieldSpec("object.make", "str"),
    FieldSpec("object.model", "str"),
    FieldSpec("object.colour", "str"),
    FieldSpec("location.address", "str"),
    FieldSpec("location.postcode", "str", sortable=True),
    FieldSpec("location.area_code", "str"),
    FieldSpec("location.latitude", "float", sortable=True),
    FieldSpec("location.longitude", "float", sortable=True),
    FieldSpec("event.occurred_from", "datetime", sortable=True),
    FieldSpec("event.occurred_to", "datetime", sortable=True),
    FieldSpec("event.reference", "str"),
    FieldSpec("event.category", "str"),
    FieldSpec("event.outcome", "str"),
    FieldSpec("provenance.source_system", "str", multi=True),
    FieldSpec("provenance.source_record_id", "str", multi=True),
    FieldSpec("provenance.source_dataset", "str", multi=True),
)
"""The named entity fields filters and ordering may use, besides ``properties.<name>``.

``identifiers.*`` gathers the identifiers of whichever well-known block the entity has.
"""

_COMMON: Final = (
    FieldSpec("id", "str", sortable=True),
    FieldSpec("version", "int", sortable=True),
    FieldSpec("created_at", "datetime", sortable=True),
    FieldSpec("updated_at", "datetime", sortable=True),
    FieldSpec("markings.classification", "str", choices=_values(Classification)),
    FieldSpec("markings.sensitive", "bool"),
    FieldSpec("markings.caveats", "str", multi=True),
    FieldSpec("markings.compartments", "str", multi=True),
    FieldSpec("provenance.source_system", "str", multi=True),
    FieldSpec("provenance.source_record_id", "str", multi=True),
    FieldSpec("provenance.source_dataset", "str", multi=True),
)

RECORD_FIELDS: Final[dict[RecordType, dict[str, FieldSpec]]] = {
    RecordType.ENTITY: FIELDS,
    RecordType.LINK: _specs(
        *_COMMON,
        FieldSpec("type", "str", sortable=True, pattern=LINK_TYPE_PATTERN),
        FieldSpec("source_id", "str", sortable=True),
        FieldSpec("target_id", "str", sortable=True),
        FieldSpec("directed", "bool"),
        FieldSpec("role", "str", sortable=True, choices=_values(LinkRole)),
        FieldSpec("role_of", "str", choices=("source", "target")),
        FieldSpec("qualifier", "str"),
        FieldSpec("valid_from", "datetime", sortable=True),
        FieldSpec("valid_to", "datetime", sortable=True),
        FieldSpec("confidence", "float", sortable=True),
        FieldSpec("fact_or_assessment", "str", choices=_FACT),
    ),
    RecordType.CASE: _specs(
        *_COMMON,
        FieldSpec("reference", "str", sortable=True),
        FieldSpec("title", "str", sortable=True),
        FieldSpec("status", "str", sortable=True, choices=_values(CaseStatus)),
        FieldSpec("description", "str"),
        FieldSpec("officer_in_case", "str", sortable=True),
        FieldSpec("opened_at", "datetime", sortable=True),
        FieldSpec("closed_at", "datetime", sortable=True),
        FieldSpec("compartment", "str"),
        FieldSpec("members.entity_id", "str", multi=True),
        FieldSpec("members.role", "str", multi=True),
    ),
    RecordType.INTELLIGENCE_REPORT: _specs(
        *_COMMON,
        FieldSpec("reference", "str", sortable=True),
        FieldSpec("submitted_at", "datetime", sortable=True),
        FieldSpec("submitted_by", "str", sortable=True),
        FieldSpec("originating_unit", "str"),
        FieldSpec("source_ref", "str"),
        FieldSpec("grading.scheme", "str", choices=("3x5x2", "5x5x5")),
        FieldSpec("grading.source_evaluation", "str"),
        FieldSpec("grading.handling_code", "str"),
        FieldSpec("text", "str"),
        FieldSpec("subjects.entity_id", "str", multi=True),
        FieldSpec("subjects.role", "str", multi=True),
        FieldSpec("sanitised", "bool"),
        FieldSpec("fact_or_assessment", "str", choices=_FACT),
    ),
    RecordType.EXHIBIT: _specs(
        *_COMMON,
        FieldSpec("reference", "str", sortable=True),
        FieldSpec("description", "str"),
        FieldSpec("object_entity_id", "str"),
        FieldSpec("case_id", "str"),
        FieldSpec("seized_at", "datetime", sortable=True),
        FieldSpec("seized_by", "str"),
        FieldSpec("seized_from", "str"),
        FieldSpec("storage_location", "str"),
        FieldSpec("content_hash", "str"),
        FieldSpec("media_type", "str"),
        FieldSpec("size_bytes", "int", sortable=True),
        FieldSpec("custody.to_holder", "str", multi=True),
    ),
}
"""The named fields of each record type; entities and links also take ``properties.<name>``."""

WITH_PROPERTIES: Final = frozenset({RecordType.ENTITY, RecordType.LINK})
"""Record types with free ``properties``."""


def _union(catalogs: list[dict[str, FieldSpec]]) -> dict[str, FieldSpec]:
    merged: dict[str, FieldSpec] = {}
    for catalog in catalogs:
        for name, spec in catalog.items():
            known = merged.setdefault(name, spec)
            described = (spec.kind, spec.choices, spec.pattern)
            if (known.kind, known.choices, known.pattern) != described:
                raise TypeError(f"field {name} is described two ways: {known} and {spec}")
            if spec.sortable and not known.sortable:
                merged[name] = spec
    return merged


ALL_FIELDS: Final[dict[str, FieldSpec]] = _union(list(RECORD_FIELDS.values()))
"""Every named field of any record type, each with its one kind (a leaf is checked against it;
a query's record type narrows it to :data:`RECORD_FIELDS`)."""

TEXT_FIELDS: Final[tuple[str, ...]] = (
    "label",
    "aliases",
    "description",
    "identifiers.value",
    "person.given_names",
    "person.family_name",
    "organisation.registration_number",
    "object.make",
    "object.model",
    "object.colour",
    "location.address",
    "location.postcode",
    "location.area_code",
    "event.reference",
    "event.category",
    "event.outcome",
)
"""Fields whose words ``Text`` searches, together with every string property value."""

RECORD_TEXT_FIELDS: Final[dict[RecordType, tuple[str, ...]]] = {
    RecordType.ENTITY: TEXT_FIELDS,
    RecordType.LINK: ("qualifier",),
    RecordType.CASE: ("reference", "title", "description", "officer_in_case"),
    RecordType.INTELLIGENCE_REPORT: (
        "reference",
        "text",
        "submitted_by",
        "originating_unit",
        "source_ref",
    ),
    RecordType.EXHIBIT: (
        "reference",
        "description",
        "seized_by",
        "seized_from",
        "storage_location",
        "media_type",
    ),
}
"""The text fields of each record type (entities and links add their string properties)."""

_PROPERTY_PATH = re.compile(r"^properties\.([a-z][a-z0-9_]{0,63})$")
_PROPERTY_SPEC_KIND: Final = "property"
_TERM = re.compile(r"[^\W_]+")


def field_spec(name: str, record_type: RecordType | None = None) -> FieldSpec | None:
    """The spec of a named field, ``None`` for ``properties.<name>`` (any scalar type).

    Without ``record_type`` any record type's field is known (see :data:`ALL_FIELDS`).

    Raises:
        ValidationFailed: ``name`` is neither a known field of the record type nor a property
            path of a record type with properties.
    """
    catalog = ALL_FIELDS if record_type is None else RECORD_FIELDS[record_type]
    spec = catalog.get(name)
    if spec is not None:
        return spec
    if _PROPERTY_PATH.match(name) and (record_type is None or record_type in WITH_PROPERTIES):
        return None
    if record_type is not None and record_type is not RecordType.ENTITY:
        known = ", ".join(sorted(catalog))
        tail = " or properties.<name>" if record_type in WITH_PROPERTIES else ""
        raise ValidationFailed(
            f"a {record_type.value} has no search field {name[:80]!r}; use one of {known}{tail}"
        )
    # Suggest the fields a typo is close to, whole (``persn.family_name``) or by the part after
    # the dot (``famly_name``); the whole list, 40 names long, hides the one that was meant.
    typed = name[:80]
    leaves = {known.rpartition(".")[2]: known for known in FIELDS}
    close = difflib.get_close_matches(typed, FIELDS, n=3) + [
        leaves[leaf] for leaf in difflib.get_close_matches(typed.rpartition(".")[2], leaves, n=3)
    ]
    suggestions = list(dict.fromkeys(close))[:3]
    if suggestions:
        raise ValidationFailed(
            f"unknown search field {typed!r}; did you mean {' or '.join(suggestions)}? "
            "(or properties.<name> for a property)"
        )
    raise ValidationFailed(
        f"unknown search field {name[:80]!r}; use one of {', '.join(sorted(FIELDS))} "
        "or properties.<name>"
    )


def tokenize(text: str) -> list[str]:
    """Split text into search terms: runs of letters and digits, NFKC-normalised, casefolded.

    Everything else (spaces, punctuation, quotes, operators of any query syntax) separates
    terms and is otherwise ignored.
    """
    return _TERM.findall(unicodedata.normalize("NFKC", text).casefold())


def _float_only(value: object) -> object:
    # Even strict, pydantic turns a Decimal or a Fraction into a float, rounding it.
    if not isinstance(value, float):
        raise ValueError("a float is expected")
    return value


# Each value keeps the type it was given (no Decimal, bytes or numeric string becomes another),
# so a query compares what it says, and reads back from JSON as it was.
Scalar = (
    Annotated[str, Field(strict=True, max_length=MAX_TEXT_LENGTH)]
    | StrictBool
    | StrictInt
    | Annotated[float, Field(strict=True), BeforeValidator(_float_only)]
)
Comparable = Scalar | Annotated[datetime, Field(strict=True)]


def _check_value(field: str, value: Comparable, *, exact: bool = False) -> Comparable:
    """Check ``value`` suits ``field`` and put datetimes in UTC.

    Numbers must be finite (NaN orders with nothing and infinities have no JSON form) and
    integers within the 64-bit signed range every backend stores.
    """
    if isinstance(value, str):
        check_clean_text(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{field}: numbers must be finite, not NaN or an infinity")
    out_of_range = isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX
    if out_of_range and not isinstance(value, bool):
        raise ValueError(f"{field}: integers are compared within the 64-bit signed range")
    spec = field_spec(field)
    if spec is None:
        if isinstance(value, datetime):
            raise ValueError(
                f"{field}: properties hold strings, numbers and booleans; "
                "compare dates as ISO-8601 strings"
            )
        return value
    if spec.kind == "datetime":
        if isinstance(value, str):
            text = value
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{field}: the value is not an ISO-8601 datetime") from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"{field} needs a datetime with a time zone")
        return to_utc(value)
    expected: dict[str, tuple[type, ...]] = {
        "str": (str,),
        "int": (int,),
        "float": (int, float),
        "bool": (bool,),
    }
    allowed = expected[spec.kind]
    if not isinstance(value, allowed) or (isinstance(value, bool) and spec.kind != "bool"):
        raise ValueError(f"{field} holds {spec.kind} values, not {type(value).__name__}")
    # A value no record can hold would match nothing, silently: refuse it, naming the form.
    if exact and spec.choices is not None and value not in spec.choices:
        raise ValueError(f"{field} holds one of {', '.join(spec.choices)}; not {value!r}")
    if exact and spec.pattern is not None and not re.fullmatch(spec.pattern, str(value)):
        raise ValueError(
            f"{field} holds values like {spec.pattern} (upper-case, e.g. {str(value).upper()!r});"
            f" not {value!r}"
        )
    return value


def _positional(data: dict[str, object], **given: object) -> None:
    """Let leaf conditions be written positionally, ``Eq("kind", "PERSON")``.

    pydantic also calls ``__init__`` with keywords only when it validates JSON, so positional
    arguments are optional and merged into the keywords when present.
    """
    for name, value in given.items():
        if value is not None:
            data[name] = value


class _FieldCondition(StrictModel):
    field: str = Field(strict=True, max_length=100)

    if TYPE_CHECKING:
        # Positional construction is handled by each leaf's __init__.
        def __init__(self, **data: object) -> None: ...

    @model_validator(mode="after")
    def _known_field(self) -> Self:
        try:
            field_spec(self.field)
        except ValidationFailed as exc:
            raise ValueError(str(exc)) from None
        return self


class Eq(_FieldCondition):
    """``field`` has a value equal to ``value`` (exact, case-sensitive for text)."""

    op: Literal["eq"] = "eq"
    value: Comparable

    def __init__(
        self, field: str | None = None, value: Comparable | None = None, /, **data: object
    ) -> None:
        _positional(data, field=field, value=value)
        super().__init__(**data)

    @model_validator(mode="after")
    def _value_fits(self) -> Self:
        object.__setattr__(self, "value", _check_value(self.field, self.value, exact=True))
        return self


class In(_FieldCondition):
    """``field`` has a value equal to one of ``values``."""

    op: Literal["in"] = "in"
    values: tuple[Comparable, ...] = Field(min_length=1, max_length=MAX_IN_VALUES)

    def __init__(
        self,
        field: str | None = None,
        values: tuple[Comparable, ...] | None = None,
        /,
        **data: object,
    ) -> None:
        _positional(data, field=field, values=values)
        super().__init__(**data)

    @model_validator(mode="after")
    def _values_fit(self) -> Self:
        checked = tuple(_check_value(self.field, value, exact=True) for value in self.values)
        object.__setattr__(self, "values", checked)
        return self


class Range(_FieldCondition):
    """``field`` has a value within the given bounds (any bound may be left open).

    Strings compare by Unicode code point; numbers numerically; datetimes by instant.
    """

    op: Literal["range"] = "range"
    gt: Comparable | None = None
    gte: Comparable | None = None
    lt: Comparable | None = None
    lte: Comparable | None = None

    @model_validator(mode="after")
    def _bounds_fit(self) -> Self:
        bounds = {"gt": self.gt, "gte": self.gte, "lt": self.lt, "lte": self.lte}
        given = {name: value for name, value in bounds.items() if value is not None}
        if not given:
            raise ValueError("a range needs at least one of gt, gte, lt, lte")
        if self.gt is not None and self.gte is not None:
            raise ValueError("give gt or gte, not both")
        if self.lt is not None and self.lte is not None:
            raise ValueError("give lt or lte, not both")
        if any(isinstance(v, bool) for v in given.values()):
            raise ValueError("booleans have no range")
        checked = {name: _check_value(self.field, value) for name, value in given.items()}
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        kinds = {
            "number" if isinstance(v, int | float) else type(v).__name__ for v in checked.values()
        }
        if len(kinds) > 1:
            raise ValueError("range bounds must all be of one type")
        return self


class Prefix(_FieldCondition):
    """``field`` has a string value starting with ``value`` (case-sensitive)."""

    op: Literal["prefix"] = "prefix"
    value: str = Field(strict=True, min_length=1, max_length=500)

    def __init__(
        self, field: str | None = None, value: str | None = None, /, **data: object
    ) -> None:
        _positional(data, field=field, value=value)
        super().__init__(**data)

    @model_validator(mode="after")
    def _string_field(self) -> Self:
        check_clean_text(self.value)
        spec = field_spec(self.field)
        if spec is not None and spec.kind != "str":
            raise ValueError(f"prefix needs a text field; {self.field} holds {spec.kind}")
        return self


class Text(StrictModel):
    """Every term of ``query`` appears as a whole term in the entity's text fields.

    Terms come from :func:`tokenize`; matching ignores case. A query with no terms (only
    punctuation, say) matches nothing.
    """

    op: Literal["text"] = "text"
    query: str = Field(strict=True, max_length=MAX_TEXT_LENGTH)

    def __init__(self, query: str | None = None, /, **data: object) -> None:
        _positional(data, query=query)
        super().__init__(**data)

    @model_validator(mode="after")
    def _clean(self) -> Self:
        check_clean_text(self.query)
        return self

    @functools.cached_property
    def terms(self) -> tuple[str, ...]:
        """The distinct terms to match, in first-seen order (computed once per filter)."""
        return tuple(dict.fromkeys(tokenize(self.query)))


class And(StrictModel):
    """All of ``filters`` hold (an empty And holds for every entity)."""

    op: Literal["and"] = "and"
    filters: tuple[Filter, ...] = Field(default=(), max_length=MAX_FILTER_LEAVES)

    def __init__(self, *filters: Filter, **data: object) -> None:
        if filters:
            data["filters"] = filters
        super().__init__(**data)


class Or(StrictModel):
    """At least one of ``filters`` holds (an empty Or holds for none)."""

    op: Literal["or"] = "or"
    filters: tuple[Filter, ...] = Field(default=(), max_length=MAX_FILTER_LEAVES)

    def __init__(self, *filters: Filter, **data: object) -> None:
        if filters:
            data["filters"] = filters
        super().__init__(**data)


class Not(StrictModel):
    """``filter`` does not hold."""

    op: Literal["not"] = "not"
    filter: Filter

    def __init__(self, filter: Filter | None = None, /, **data: object) -> None:
        if filter is not None:
            data["filter"] = filter
        super().__init__(**data)


Filter = Annotated[Eq | In | Range | Prefix | Text | And | Or | Not, Field(discriminator="op")]
"""Any node of the search language."""

And.model_rebuild()
Or.model_rebuild()
Not.model_rebuild()


def _measure(node: Filter, depth: int = 1) -> tuple[int, int]:
    """Return (depth, leaves) of a filter tree."""
    if isinstance(node, And | Or):
        deepest, leaves = depth, 0
        for child in node.filters:
            child_depth, child_leaves = _measure(child, depth + 1)
            deepest, leaves = max(deepest, child_depth), leaves + child_leaves
        return deepest, leaves
    if isinstance(node, Not):
        return _measure(node.filter, depth + 1)
    return depth, 1


class OrderKey(StrictModel):
    """Sort by ``field`` (a sortable field); missing values always sort last."""

    field: str = Field(strict=True, max_length=100)
    descending: bool = Field(default=False, strict=True)

    @model_validator(mode="after")
    def _sortable(self) -> Self:
        spec = ALL_FIELDS.get(self.field)
        if spec is None or not spec.sortable:
            sortable = ", ".join(name for name, s in FIELDS.items() if s.sortable)
            raise ValueError(f"cannot sort by {self.field[:80]!r}; sortable fields: {sortable}")
        return self


class SearchQuery(StrictModel):
    """A search: a filter (``None`` matches every entity), an order and a page.

    Results are ordered by ``order_by`` then by ``id``, so the order is total and stable and
    paging with ``cursor`` never repeats or skips an entity that was not changed meanwhile.
    """

    filter: Filter | None = None
    order_by: tuple[OrderKey, ...] = Field(default=(), max_length=4)
    page_size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE, strict=True)
    cursor: str | None = Field(default=None, strict=True, max_length=MAX_CURSOR_LENGTH)

    @model_validator(mode="after")
    def _within_limits(self) -> Self:
        if self.filter is not None:
            depth, leaves = _measure(self.filter)
            if depth > MAX_FILTER_DEPTH:
                raise ValueError(f"filter nests {depth} deep; the limit is {MAX_FILTER_DEPTH}")
            if leaves > MAX_FILTER_LEAVES:
                raise ValueError(
                    f"filter has {leaves} conditions; the limit is {MAX_FILTER_LEAVES}"
                )
        return self

    def fingerprint_source(self) -> str:
        """Canonical JSON of what the results depend on (filter and order), for cursors."""
        return self.model_dump_json(include={"filter", "order_by"})


def _leaves(node: Filter) -> list[Filter]:
    if isinstance(node, And | Or):
        return [leaf for child in node.filters for leaf in _leaves(child)]
    if isinstance(node, Not):
        return _leaves(node.filter)
    return [node]


def fields_problem(
    condition: Filter | None, order_by: tuple[OrderKey, ...], record_type: RecordType
) -> str | None:
    """Why ``condition`` and ``order_by`` do not fit ``record_type``'s fields, or ``None``."""
    for leaf in [] if condition is None else _leaves(condition):
        if not isinstance(leaf, Eq | In | Range | Prefix):
            continue
        try:
            field_spec(leaf.field, record_type)
        except ValidationFailed as exc:
            return str(exc)
    catalog = RECORD_FIELDS[record_type]
    for key in order_by:
        spec = catalog.get(key.field)
        if spec is None or not spec.sortable:
            sortable = ", ".join(name for name, s in catalog.items() if s.sortable)
            return f"cannot sort a {record_type.value} by {key.field[:80]!r}; sortable: {sortable}"
    return None
