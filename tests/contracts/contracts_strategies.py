"""Hypothesis strategies for contract records, search filters and small multigraphs.

Values come from small pools so that generated filters often hit generated data: a property
test whose filters never match anything proves little.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from hypothesis import strategies as st

from contracts import (
    And,
    Case,
    CaseMember,
    CaseStatus,
    Classification,
    CustodyEvent,
    Entity,
    EntityKind,
    Eq,
    EventFields,
    Exhibit,
    Grading3x5x2,
    Grading5x5x5,
    Identifier,
    In,
    IntelligenceReport,
    Link,
    LinkRole,
    LocationFields,
    Markings,
    Not,
    ObjectFields,
    Or,
    OrderKey,
    OrganisationFields,
    PersonFields,
    Prefix,
    Provenance,
    Range,
    Regrading,
    ReportSubject,
    Text,
)
from contracts.query import FIELDS

# ---------------------------------------------------------------------------- value pools

WORDS = (
    "Smith",
    "smith",
    "SMITH",
    "Jones",
    "Ann",
    "ann-marie",
    "Zoë",
    "zoe",
    "Straße",
    "STRASSE",
    "\ufb01sh",  # the "fi" ligature; NFKC makes it "fish"
    "fish",
    "O'Brien",
    "42",
    "4.5",
    "\u216b",  # ROMAN NUMERAL TWELVE; NFKC makes it "XII"
    "xii",
    "x_y",
    "naïve",
    "blue van",
)
PUNCTUATION = (" ", "  ", "-", ", ", "'", '"', "*", "(", ")", ":", "_", "^")
SUBTYPES = ("vehicle", "phone", "officer", "crime")
PROPERTY_NAMES = ("colour", "count", "score", "flag", "tags", "note")
INTS = (-2, 0, 1, 2, 3)
FLOATS = (-1.5, 0.0, 1.0, 2.5, 3.0)
DATES_OF_BIRTH = ("1980", "1980-05", "1980-05-17", "1999-12-31", "2001")
MOMENTS = tuple(datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=6 * i) for i in range(5))
LATITUDES = (-10.0, 0.0, 51.5, 51.5001, 89.0)
IDS = ("a", "B", "c3", "D4", "e.5", "f-6", "g:7", "Z", "x", "0")

# ---------------------------------------------------------------------------- entities

words = st.sampled_from(WORDS)
phrases = st.lists(words, min_size=1, max_size=3).map(" ".join)
scalars = st.one_of(phrases, st.sampled_from(INTS), st.sampled_from(FLOATS), st.booleans())
property_values = st.one_of(scalars, st.lists(scalars, max_size=3).map(tuple))
properties = st.dictionaries(st.sampled_from(PROPERTY_NAMES), property_values, max_size=3)
identifiers = st.lists(
    st.builds(Identifier, scheme=st.sampled_from(("vrm", "imei")), value=phrases), max_size=2
).map(tuple)
moments = st.sampled_from(MOMENTS)
optional_phrase = st.one_of(st.none(), phrases, phrases)


@st.composite
def _event_fields(draw: st.DrawFn) -> EventFields:
    start = draw(st.none() | moments)
    end = None if start is None else draw(st.none() | moments.filter(lambda m: m >= start))
    return EventFields(
        occurred_from=start,
        occurred_to=end,
        reference=draw(optional_phrase),
        category=draw(optional_phrase),
        outcome=draw(optional_phrase),
    )


@st.composite
def _location_fields(draw: st.DrawFn) -> LocationFields:
    point = draw(st.none() | st.tuples(st.sampled_from(LATITUDES), st.sampled_from(LATITUDES)))
    return LocationFields(
        address=draw(optional_phrase),
        postcode=draw(st.none() | st.sampled_from(("AB1 2CD", "ab1 2cd", "ZZ9 9ZZ"))),
        area_code=draw(optional_phrase),
        latitude=None if point is None else point[0],
        longitude=None if point is None else point[1],
    )


BLOCKS = {
    EntityKind.PERSON: (
        "person",
        st.builds(
            PersonFields,
            given_names=st.lists(words, max_size=2).map(tuple),
            family_name=optional_phrase,
            date_of_birth=st.none() | st.sampled_from(DATES_OF_BIRTH),
            gender=st.none() | st.sampled_from(("female", "male", "other", "unknown")),
            nationalities=st.lists(st.sampled_from(("GB", "IE", "FR")), max_size=2).map(tuple),
            identifiers=identifiers,
        ),
    ),
    EntityKind.ORGANISATION: (
        "organisation",
        st.builds(
            OrganisationFields,
            organisation_type=st.none() | st.sampled_from(SUBTYPES),
            registration_number=optional_phrase,
            identifiers=identifiers,
        ),
    ),
    EntityKind.OBJECT: (
        "object",
        st.builds(
            ObjectFields,
            identifiers=identifiers,
            make=optional_phrase,
            model=optional_phrase,
            colour=optional_phrase,
        ),
    ),
    EntityKind.LOCATION: ("location", _location_fields()),
    EntityKind.EVENT: ("event", _event_fields()),
}

markings = st.builds(
    Markings,
    classification=st.sampled_from(Classification),
    sensitive=st.booleans(),
    caveats=st.lists(st.sampled_from(("UK EYES ONLY", "LOCSEN", "ORCON")), max_size=2).map(tuple),
)


@st.composite
def search_entity(
    draw: st.DrawFn, entity_id: str, kinds: tuple[EntityKind, ...] = tuple(EntityKind)
) -> Entity:
    """An entity with the given id, of one of ``kinds``, with values from the shared pools."""
    kind = draw(st.sampled_from(kinds))
    block_name, block = BLOCKS[kind]
    created = draw(moments)
    return Entity(
        id=entity_id,
        kind=kind,
        subtype=draw(st.sampled_from(SUBTYPES)),
        label=draw(phrases),
        aliases=tuple(draw(st.lists(phrases, max_size=2))),
        description=draw(optional_phrase),
        properties=draw(properties),
        markings=draw(markings),
        version=draw(st.integers(1, 3)),
        created_at=created,
        updated_at=draw(moments.filter(lambda m: m >= created)),
        **{block_name: draw(block) if draw(st.integers(0, 3)) else None},
    )


@st.composite
def search_entities(draw: st.DrawFn, min_size: int = 0, max_size: int = 6) -> list[Entity]:
    """Entities with distinct ids, ready to load into a store."""
    ids = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=min_size, max_size=max_size))
    kinds = tuple(draw(st.lists(st.sampled_from(EntityKind), min_size=1, max_size=2, unique=True)))
    return [draw(search_entity(entity_id, kinds)) for entity_id in ids]


# ---------------------------------------------------------------------------- filters

_STR_FIELDS = tuple(name for name, spec in FIELDS.items() if spec.kind == "str")
_PROPERTY_FIELDS = tuple(f"properties.{name}" for name in PROPERTY_NAMES)
_STR_VALUES = st.one_of(
    phrases,
    words,
    st.sampled_from(SUBTYPES),
    st.sampled_from([kind.value for kind in EntityKind]),
    st.sampled_from([c.value for c in Classification]),
    st.sampled_from(DATES_OF_BIRTH),
    st.sampled_from(IDS),
    st.sampled_from(("GB", "vrm", "imei", "female", "UK EYES ONLY", "AB1 2CD")),
)
_NUMBERS = st.sampled_from(INTS) | st.sampled_from(FLOATS)


def _value_strategy(kind: str, name: str | None = None) -> st.SearchStrategy[object]:
    spec = FIELDS.get(name or "")
    if spec is not None and spec.choices is not None:
        return st.sampled_from(spec.choices)
    return {
        "str": _STR_VALUES,
        "int": st.integers(0, 4),
        "float": _NUMBERS | st.sampled_from(LATITUDES),
        "bool": st.booleans(),
        "datetime": moments | moments.map(lambda m: m.astimezone(timezone(timedelta(hours=2)))),
        "property": st.one_of(_STR_VALUES, _NUMBERS, st.booleans()),
    }[kind]


_FIELD_KINDS = [(name, spec.kind) for name, spec in FIELDS.items()] + [
    (name, "property") for name in _PROPERTY_FIELDS
]
fields_with_kinds = st.sampled_from(_FIELD_KINDS)


@st.composite
def _eq(draw: st.DrawFn) -> Eq:
    field, kind = draw(fields_with_kinds)
    return Eq(field, draw(_value_strategy(kind, field)))


@st.composite
def _in(draw: st.DrawFn) -> In:
    field, kind = draw(fields_with_kinds)
    values = st.lists(_value_strategy(kind, field), min_size=1, max_size=3)
    return In(field, tuple(draw(values)))


@st.composite
def _range(draw: st.DrawFn) -> Range:
    field, kind = draw(fields_with_kinds.filter(lambda fk: fk[1] != "bool"))
    if kind == "property":
        values: st.SearchStrategy[object] = draw(st.sampled_from([_STR_VALUES, _NUMBERS]))
    else:
        values = _value_strategy(kind)
    lower = draw(st.sampled_from(("gt", "gte", None)))
    upper = draw(st.sampled_from(("lt", "lte", None if lower else "lt")))
    bounds = {name: draw(values) for name in (lower, upper) if name}
    return Range(field=field, **bounds)


@st.composite
def _prefix(draw: st.DrawFn) -> Prefix:
    field, _kind = draw(fields_with_kinds.filter(lambda fk: fk[1] in ("str", "property")))
    value = draw(_STR_VALUES)
    return Prefix(field, value[: draw(st.integers(1, 3))])


@st.composite
def _text(draw: st.DrawFn) -> Text:
    parts = draw(st.lists(words | st.sampled_from(PUNCTUATION), max_size=4))
    return Text("".join(parts))


leaves = st.one_of(_eq(), _in(), _range(), _prefix(), _text())


def filter_depth(node: object) -> int:
    """How deeply ``node`` nests and / or / not (a leaf is 1)."""
    if isinstance(node, And | Or):
        return 1 + max((filter_depth(child) for child in node.filters), default=0)
    if isinstance(node, Not):
        return 1 + filter_depth(node.filter)
    return 1


def _trees(leaf: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    trees = st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda fs: And(filters=tuple(fs))),
            st.lists(children, max_size=3).map(lambda fs: Or(filters=tuple(fs))),
            children.map(Not),
        ),
        max_leaves=6,
    )
    return trees.filter(lambda node: filter_depth(node) <= 8)


filters = _trees(leaves)
"""Filter trees over the value pools, independent of any data."""


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _scalars(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value if item is not None]
    return [_plain(value)]


def values_at(entity: Entity, path: str) -> list[Any]:
    """Every value ``entity`` holds at ``path``: named field, identifiers.* or properties.*.

    Read from ``model_dump`` rather than the contract's evaluation code, so tests may use it
    as an independent oracle.
    """
    data = entity.model_dump(mode="python")
    head, _, rest = path.partition(".")
    if head == "properties":
        return _scalars(data["properties"].get(rest))
    if head == "identifiers":
        return [
            identifier[rest]
            for block in ("person", "organisation", "object", "location", "event")
            for identifier in (data[block] or {}).get("identifiers", [])
        ]
    value = data[head]
    if rest and isinstance(value, list | tuple):  # provenance: one value per entry
        return _scalars([item[rest] for item in value])
    if rest:
        value = None if value is None else value[rest]
    return _scalars(value)


def _family(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, int | float) else type(value).__name__


def _twisted(value: Any, kind: str) -> st.SearchStrategy[Any]:
    """``value`` or a look-alike of another type: 1 for True, 2.0 for 2, 3 for 3.0."""
    options = [value]
    if kind == "property":
        if isinstance(value, bool):
            options.append(int(value))
        elif isinstance(value, int):
            options += [float(value), value == 1]
        elif isinstance(value, float) and value.is_integer():
            options.append(int(value))
    elif kind == "float" and isinstance(value, float) and value.is_integer():
        options.append(int(value))
    return st.sampled_from(options)


def filters_for(entities: list[Entity], *, trees: bool = True) -> st.SearchStrategy[Any]:
    """Filters (trees, or single leaves) mostly comparing values ``entities`` really hold."""
    seen = {
        name: [value for entity in entities for value in values_at(entity, name)]
        for name, _kind in _FIELD_KINDS
    }
    populated = [(name, kind) for name, kind in _FIELD_KINDS if seen[name]]
    named = [(name, kind) for name, kind in populated if kind != "property"]
    free = [(name, kind) for name, kind in populated if kind == "property"]
    fields = st.one_of(
        *(st.sampled_from(group) for group in (named, free) if group), fields_with_kinds
    )

    @st.composite
    def value(draw: st.DrawFn, name: str, kind: str) -> Any:
        if seen[name] and draw(st.integers(0, 3)):
            return draw(st.sampled_from(seen[name]).flatmap(lambda v: _twisted(v, kind)))
        return draw(_value_strategy(kind, name))

    @st.composite
    def eq(draw: st.DrawFn) -> Eq:
        name, kind = draw(fields)
        return Eq(name, draw(value(name, kind)))

    @st.composite
    def in_(draw: st.DrawFn) -> In:
        name, kind = draw(fields)
        return In(name, tuple(draw(st.lists(value(name, kind), min_size=1, max_size=3))))

    @st.composite
    def range_(draw: st.DrawFn) -> Range:
        name, kind = draw(fields.filter(lambda fk: fk[1] != "bool"))
        first = draw(value(name, kind))
        if isinstance(first, bool):
            first = draw(_NUMBERS)
        second = draw(value(name, kind))
        bounds = [first, second] if _family(second) == _family(first) else [first]
        names = draw(
            st.sampled_from(
                [("gt",), ("gte",), ("lt",), ("lte",)]
                + ([("gt", "lt"), ("gte", "lte"), ("gte", "lt")] if len(bounds) == 2 else [])
            )
        )
        low_first = sorted(bounds) if draw(st.integers(0, 3)) else bounds
        return Range(field=name, **dict(zip(names, low_first, strict=False)))

    @st.composite
    def prefix(draw: st.DrawFn) -> Prefix:
        name, kind = draw(fields.filter(lambda fk: fk[1] in ("str", "property")))
        text = draw(value(name, kind))
        if not isinstance(text, str) or not text:
            text = draw(_STR_VALUES)
        return Prefix(name, text[: draw(st.integers(1, 4))])

    texts = [
        value
        for entity in entities
        for name in ("label", "aliases", "description")
        for value in values_at(entity, name)
    ]

    @st.composite
    def text(draw: st.DrawFn) -> Text:
        if texts and draw(st.integers(0, 2)):
            source = draw(st.sampled_from(texts))
            cut = draw(st.integers(0, len(source)))
            glue = draw(st.sampled_from(PUNCTUATION))
            extra = draw(st.sampled_from(("", "", *WORDS)))
            return Text(source[cut:] + glue + extra)
        return draw(_text())

    leaf = st.one_of(eq(), in_(), range_(), prefix(), text())
    return leaf if not trees else _trees(leaf)


_SORTABLE = tuple(name for name, spec in FIELDS.items() if spec.sortable)
order_keys = st.lists(
    st.builds(OrderKey, field=st.sampled_from(_SORTABLE), descending=st.booleans()),
    max_size=3,
    unique_by=lambda key: key.field,
).map(tuple)

# ---------------------------------------------------------------------------- full records

_CLEAN = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
names = st.text(_CLEAN, min_size=1, max_size=12)
texts = st.text(_CLEAN, max_size=40)
codes = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
record_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,12}", fullmatch=True)
_offsets = st.integers(-23 * 60, 23 * 60).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets
)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
_any_scalar = st.one_of(
    st.text(_CLEAN, max_size=20),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    finite_floats,
)
free_properties = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
    _any_scalar | st.lists(_any_scalar, max_size=4).map(tuple),
    max_size=4,
)
full_markings = st.builds(
    Markings,
    classification=st.sampled_from(Classification),
    sensitive=st.booleans(),
    caveats=st.lists(names, max_size=3).map(tuple),
    compartments=st.lists(names, max_size=3).map(tuple),
    handling_instructions=st.none() | st.text(_CLEAN, min_size=1, max_size=30),
    legacy_gpms=st.none()
    | st.sampled_from(("NPM", "PROTECT", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET")),
)
provenances = st.lists(
    st.builds(
        Provenance,
        source_system=names,
        source_record_id=st.none() | names,
        collected_at=st.none() | aware_datetimes,
        method=st.sampled_from(("manual", "import", "connector", "ner", "resolution", "generated")),
        lawful_basis=st.none() | texts,
    ),
    max_size=2,
).map(tuple)


def _record_base(draw: st.DrawFn) -> dict[str, object]:
    created = draw(st.none() | aware_datetimes)
    return {
        "id": draw(record_ids),
        "markings": draw(full_markings),
        "provenance": draw(provenances),
        "version": draw(st.integers(1, 10**6)),
        "created_at": created,
        "updated_at": draw(st.none() | aware_datetimes),
    }


@st.composite
def _ordered_pair(draw: st.DrawFn) -> tuple[datetime | None, datetime | None]:
    first = draw(st.none() | aware_datetimes)
    if first is None:
        return None, None
    second = draw(st.none() | aware_datetimes.filter(lambda d: d >= first))
    return first, second


_full_identifiers = st.lists(st.builds(Identifier, scheme=codes, value=names), max_size=2).map(
    tuple
)
_full_blocks = {
    EntityKind.PERSON: st.builds(
        PersonFields,
        given_names=st.lists(names, max_size=3).map(tuple),
        family_name=st.none() | names,
        date_of_birth=st.none()
        | st.builds(
            lambda day, parts: day.isoformat()[:parts], st.dates(), st.sampled_from((4, 7, 10))
        ),
        gender=st.none() | st.sampled_from(("female", "male", "other", "unknown")),
        nationalities=st.lists(names, max_size=2).map(tuple),
        identifiers=_full_identifiers,
    ),
    EntityKind.ORGANISATION: st.builds(
        OrganisationFields,
        organisation_type=st.none() | codes,
        registration_number=st.none() | names,
        identifiers=_full_identifiers,
    ),
    EntityKind.OBJECT: st.builds(
        ObjectFields,
        identifiers=_full_identifiers,
        make=st.none() | names,
        model=st.none() | names,
        colour=st.none() | names,
    ),
    EntityKind.LOCATION: st.one_of(
        st.builds(LocationFields, address=st.none() | texts, postcode=st.none() | names),
        st.builds(
            LocationFields,
            area_code=st.none() | names,
            latitude=st.floats(-90, 90),
            longitude=st.floats(-180, 180),
        ),
    ),
    EntityKind.EVENT: _ordered_pair().flatmap(
        lambda pair: st.builds(
            EventFields,
            occurred_from=st.just(pair[0]),
            occurred_to=st.just(pair[1]),
            reference=st.none() | names,
            category=st.none() | names,
            outcome=st.none() | names,
        )
    ),
}


@st.composite
def entities_of(draw: st.DrawFn, kind: EntityKind) -> Entity:
    """A valid entity of ``kind``, with or without its well-known block."""
    block = draw(st.none() | _full_blocks[kind])
    return Entity(
        **_record_base(draw),
        kind=kind,
        subtype=draw(codes),
        label=draw(names),
        aliases=tuple(draw(st.lists(names, max_size=3))),
        description=draw(st.none() | texts),
        properties=draw(free_properties),
        **{kind.value.lower(): block},
    )


@st.composite
def links(draw: st.DrawFn) -> Link:
    """A valid link between two arbitrary ids."""
    valid_from, valid_to = draw(_ordered_pair())
    return Link(
        **_record_base(draw),
        type=draw(st.from_regex(r"[A-Z][A-Z0-9_]{0,10}", fullmatch=True)),
        source_id=draw(record_ids),
        target_id=draw(record_ids),
        directed=draw(st.booleans()),
        role=draw(st.none() | st.sampled_from(LinkRole)),
        qualifier=draw(st.none() | codes),
        valid_from=valid_from,
        valid_to=valid_to,
        confidence=draw(st.none() | st.floats(0.0, 1.0)),
        fact_or_assessment=draw(st.sampled_from(("fact", "assessment"))),
        properties=draw(free_properties),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A valid case with distinct (entity, role) members."""
    opened, closed = draw(_ordered_pair())
    members = draw(
        st.lists(
            st.builds(CaseMember, entity_id=record_ids, role=codes),
            max_size=4,
            unique_by=lambda m: (m.entity_id, m.role),
        )
    )
    return Case(
        **_record_base(draw),
        reference=draw(names),
        title=draw(names),
        status=draw(st.sampled_from(CaseStatus)),
        description=draw(st.none() | texts),
        officer_in_case=draw(st.none() | names),
        opened_at=opened,
        closed_at=closed,
        compartment=draw(st.none() | names),
        members=tuple(members),
    )


gradings_3x5x2 = st.builds(
    Grading3x5x2,
    source_evaluation=st.sampled_from(("1", "2", "3")),
    intelligence_assessment=st.sampled_from(("A", "B", "C", "D", "E")),
    handling_code=st.sampled_from(("P", "C")),
)
gradings_5x5x5 = st.builds(
    Grading5x5x5,
    source_evaluation=st.sampled_from(("A", "B", "C", "D", "E")),
    intelligence_evaluation=st.sampled_from(("1", "2", "3", "4", "5")),
    handling_code=st.sampled_from(("1", "2", "3", "4", "5")),
)


@st.composite
def reports(draw: st.DrawFn, grading: st.SearchStrategy[object]) -> IntelligenceReport:
    """A valid intelligence report graded by ``grading``, with some history."""
    current = draw(grading)
    needs_conditions = isinstance(current, Grading3x5x2) and current.handling_code == "C"
    history = draw(
        st.lists(
            st.builds(
                Regrading,
                previous=gradings_3x5x2 | gradings_5x5x5,
                changed_at=aware_datetimes,
                changed_by=names,
                rationale=texts,
            ),
            max_size=2,
        )
    )
    conditions = draw(names if needs_conditions else st.none() | names)
    return IntelligenceReport(
        **_record_base(draw),
        reference=draw(names),
        submitted_at=draw(aware_datetimes),
        submitted_by=draw(names),
        originating_unit=draw(st.none() | names),
        source_ref=draw(st.none() | names),
        grading=current,
        grading_history=tuple(history),
        text=draw(texts),
        subjects=tuple(
            draw(st.lists(st.builds(ReportSubject, entity_id=record_ids, role=codes), max_size=3))
        ),
        sanitised=draw(st.booleans()),
        handling_conditions=conditions,
        risk_assessment_ref=draw(st.none() | names),
        fact_or_assessment=draw(st.sampled_from(("fact", "assessment"))),
    )


@st.composite
def exhibits(draw: st.DrawFn) -> Exhibit:
    """A valid exhibit whose chain of custody is in time order."""
    events = draw(
        st.lists(
            st.builds(
                CustodyEvent,
                at=aware_datetimes,
                from_holder=names,
                to_holder=names,
                purpose=texts,
                location=st.none() | names,
            ),
            max_size=4,
        )
    )
    return Exhibit(
        **_record_base(draw),
        reference=draw(names),
        description=draw(texts),
        object_entity_id=draw(st.none() | record_ids),
        case_id=draw(st.none() | record_ids),
        seized_at=draw(st.none() | aware_datetimes),
        seized_by=draw(st.none() | names),
        content_hash=draw(st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
        media_type=draw(st.none() | names),
        size_bytes=draw(st.none() | st.integers(0, 2**40)),
        custody=tuple(sorted(events, key=lambda event: event.at)),
    )


# ---------------------------------------------------------------------------- graphs

GRAPH_KINDS = (EntityKind.PERSON, EntityKind.OBJECT, EntityKind.LOCATION)
LINK_TYPES = ("KNOWS", "USES")


@st.composite
def multigraphs(draw: st.DrawFn) -> tuple[list[Entity], list[Link]]:
    """A small multigraph: parallel links, self-loops, directed and undirected links."""
    node_ids = draw(st.lists(st.sampled_from(IDS), unique=True, min_size=1, max_size=6))
    nodes = [
        Entity(
            id=node_id,
            kind=draw(st.sampled_from(GRAPH_KINDS)),
            subtype="node",
            label=node_id,
            created_at=MOMENTS[0],
            updated_at=MOMENTS[0],
        )
        for node_id in node_ids
    ]
    link_ids = draw(
        st.lists(st.from_regex(r"l[0-9a-z]{1,2}", fullmatch=True), unique=True, max_size=10)
    )
    edges = [
        Link(
            id=link_id,
            type=draw(st.sampled_from(LINK_TYPES)),
            source_id=draw(st.sampled_from(node_ids)),
            target_id=draw(st.sampled_from(node_ids)),
            directed=draw(st.booleans()),
            created_at=MOMENTS[0],
            updated_at=MOMENTS[0],
        )
        for link_id in link_ids
    ]
    return nodes, edges


# ---------------------------------------------------------------------------- raw query input

_RAW_FIELDS = (*FIELDS, *_PROPERTY_FIELDS, "properties.Bad", "nosuch")
raw_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too
    st.floats(),  # NaN and the infinities too
    st.sampled_from((-(2**63), 2**63 - 1, -(2**63) - 1, 2**63, 1e308, -0.0, 5e-324)),
    st.text(max_size=8),  # NUL and lone surrogates too
    _STR_VALUES,
    st.sampled_from(("2024-01-01T00:00:00Z", "2024-01-01T00:00:00", "0001-01-01T00:00:00+01:00")),
    st.datetimes(timezones=st.none() | _offsets),  # naive, and out of range once in UTC
    st.decimals(),
    st.binary(max_size=4),
)
"""Any Python value a caller might put in a filter, well-typed or not."""


_RAW_KINDS = {name: spec.kind for name, spec in FIELDS.items()}
_fitting_numbers = st.one_of(
    st.integers(),
    st.floats(),
    st.sampled_from((math.nan, math.inf, -math.inf, 2**63, -(2**63) - 1, 2**63 - 1, -(2**63))),
)
_FITTING: dict[str, st.SearchStrategy[Any]] = {
    "str": st.text(max_size=8) | _STR_VALUES,
    "int": _fitting_numbers,
    "float": _fitting_numbers,
    "bool": st.booleans(),
    "datetime": st.datetimes(timezones=_offsets) | st.datetimes(timezones=_offsets).map(str),
}


def _raw_value(field: str) -> st.SearchStrategy[Any]:
    """A value of the field's own type, edge cases included, or any value at all."""
    kind = _RAW_KINDS.get(field)
    fitting = _fitting_numbers | st.text(max_size=8) | st.booleans()
    return (_FITTING[kind] if kind else fitting) | raw_values


@st.composite
def _raw_leaf(draw: st.DrawFn) -> dict[str, Any]:
    op = draw(st.sampled_from(("eq", "in", "range", "prefix", "text")))
    field = draw(st.sampled_from(_RAW_FIELDS) | st.sampled_from(_PROPERTY_FIELDS))
    values = _raw_value(field)
    if op == "eq":
        return {"op": op, "field": field, "value": draw(values)}
    if op == "in":
        return {"op": op, "field": field, "values": draw(st.lists(values, max_size=3))}
    if op == "range":
        bounds = st.sampled_from(("gt", "gte", "lt", "lte"))
        return {"op": op, "field": field, **draw(st.dictionaries(bounds, values, max_size=2))}
    if op == "prefix":
        return {"op": op, "field": field, "value": draw(st.text(max_size=6) | _STR_VALUES)}
    return {"op": op, "query": draw(st.text(max_size=20) | phrases)}


raw_filters: st.SearchStrategy[Any] = st.recursive(
    _raw_leaf(),
    lambda children: st.one_of(
        st.lists(children, max_size=3).map(lambda fs: {"op": "and", "filters": fs}),
        st.lists(children, max_size=3).map(lambda fs: {"op": "or", "filters": fs}),
        children.map(lambda f: {"op": "not", "filter": f}),
    ),
    max_leaves=5,
)
"""Filters as the dictionaries a caller or a JSON document gives, valid or not."""

raw_queries: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"filter": st.one_of(raw_filters, raw_filters, raw_filters, st.none())},
    optional={
        "order_by": st.lists(
            st.fixed_dictionaries(
                {"field": st.sampled_from(_RAW_FIELDS), "descending": st.booleans()}
            ),
            max_size=2,
        ),
        "page_size": st.integers(0, 1_001),
        "cursor": st.none() | st.text(max_size=12),
    },
)
"""Search queries as dictionaries, valid or not."""
