"""Hypothesis strategies for the SQL adapter tests: entities, links and filters from small pools.

Pools are small so that random filters hit random data, and full of the awkward cases a SQL
translation gets wrong: case, accents and ligatures, numbers that are equal across int and
float, booleans next to 0 and 1, values missing altogether.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from contracts.models import (
    Entity,
    EntityKind,
    EventFields,
    Identifier,
    Link,
    LocationFields,
    Markings,
    ObjectFields,
    PersonFields,
    Provenance,
)
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, Text

WORDS = (
    "Smith",
    "smith",
    "Zoë",
    "zoe",
    "Straße",
    "strasse",
    "\ufb01sh",
    "fish",
    "O'Brien",
    "42",
    "e\u0301",
    "東京",
    "blue van",
    "Ann-Marie",
    "NEAR(x)",
    '"quoted"',
)
INTS = (-1, 0, 1, 2, 2**40)
FLOATS = (-0.0, 0.5, 1.0, 2.0)
BASE = datetime(2025, 1, 1, tzinfo=UTC)
MOMENTS = tuple(BASE + timedelta(hours=h) for h in (0, 1, 5, 24, 25))
SUBTYPES = ("vehicle", "phone", "crime", "person")
PROPERTY_NAMES = ("colour", "count", "flag", "tags")
LINK_TYPES = ("KNOWS", "OWNS", "PARTY_TO")
ENTITY_IDS = tuple(f"e{i}" for i in range(10))

words = st.sampled_from(WORDS)
phrases = st.lists(words, min_size=1, max_size=3).map(" ".join)
numbers = st.one_of(st.sampled_from(INTS), st.sampled_from(FLOATS))
scalars = st.one_of(phrases, numbers, st.booleans())
property_values = st.one_of(scalars, st.lists(scalars, max_size=3).map(tuple))
properties = st.dictionaries(st.sampled_from(PROPERTY_NAMES), property_values, max_size=3)
moments = st.sampled_from(MOMENTS)
provenances = st.lists(
    st.builds(
        Provenance,
        source_system=st.sampled_from(("PNC", "CRIS", "Zoë")),
        source_record_id=st.one_of(st.none(), st.sampled_from(("A1", "a1", "B2"))),
        source_dataset=st.one_of(st.none(), st.sampled_from(("nightly", "PNC"))),
    ),
    max_size=3,
).map(tuple)
optional_phrase = st.one_of(st.none(), phrases)
identifiers = st.lists(
    st.builds(Identifier, scheme=st.sampled_from(("vrm", "imei")), value=phrases), max_size=2
).map(tuple)


@st.composite
def _block(draw: st.DrawFn, kind: EntityKind) -> dict[str, Any]:
    if kind is EntityKind.PERSON:
        return {
            "person": PersonFields(
                given_names=tuple(draw(st.lists(words, max_size=2))),
                family_name=draw(optional_phrase),
                date_of_birth=draw(st.one_of(st.none(), st.sampled_from(("1980", "1980-05")))),
                identifiers=draw(identifiers),
            )
        }
    if kind is EntityKind.OBJECT:
        return {"object": ObjectFields(make=draw(optional_phrase), identifiers=draw(identifiers))}
    if kind is EntityKind.LOCATION:
        point = draw(
            st.one_of(st.none(), st.tuples(st.sampled_from((0.0, 1.5, -2.0)), st.just(0.0)))
        )
        return {
            "location": LocationFields(
                postcode=draw(optional_phrase),
                latitude=None if point is None else point[0],
                longitude=None if point is None else point[1],
            )
        }
    if kind is EntityKind.EVENT:
        start = draw(st.one_of(st.none(), moments))
        end = None
        if start is not None:
            end = draw(st.one_of(st.none(), st.sampled_from([m for m in MOMENTS if m >= start])))
        return {
            "event": EventFields(
                occurred_from=start, occurred_to=end, category=draw(optional_phrase)
            )
        }
    return {}


@st.composite
def entities(
    draw: st.DrawFn, entity_id: str | None = None, kind: EntityKind | None = None
) -> Entity:
    """An entity (of ``kind`` when given) with its block, properties and markings from the pools."""
    kind = kind or draw(st.sampled_from(list(EntityKind)))
    return Entity(
        id=entity_id or draw(st.sampled_from(ENTITY_IDS)),
        kind=kind,
        subtype=draw(st.sampled_from(SUBTYPES)),
        label=draw(phrases),
        aliases=tuple(draw(st.lists(words, max_size=2))),
        description=draw(optional_phrase),
        markings=Markings(
            sensitive=draw(st.booleans()), caveats=tuple(draw(st.lists(words, max_size=1)))
        ),
        properties=draw(properties),
        provenance=draw(provenances),
        created_at=draw(moments),
        updated_at=draw(moments),
        **draw(_block(kind)),
    )


@st.composite
def links(draw: st.DrawFn, link_id: str, endpoints: list[str]) -> Link:
    """A link between two of ``endpoints`` (possibly the same one)."""
    return Link(
        id=link_id,
        type=draw(st.sampled_from(LINK_TYPES)),
        source_id=draw(st.sampled_from(endpoints)),
        target_id=draw(st.sampled_from(endpoints)),
        directed=draw(st.booleans()),
        created_at=BASE,
        updated_at=BASE,
    )


_TEXT_FIELDS = ("label", "aliases", "person.family_name", "location.postcode")
_NUMBER_FIELDS = ("location.latitude", "properties.count", "properties.tags", "version")
_ALL_PROPERTY_FIELDS = tuple(f"properties.{name}" for name in PROPERTY_NAMES)
_IN_FIELDS = (
    "kind",
    "subtype",
    "label",
    "aliases",
    "markings.caveats",
    "provenance.source_system",
    "provenance.source_record_id",
    "provenance.source_dataset",
)
_IN_VALUES = (*SUBTYPES, "PNC", "Zoë", "A1", "B2", "nightly")


@st.composite
def _leaf(draw: st.DrawFn) -> Filter:
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return Text(draw(st.one_of(phrases, st.sampled_from(("!!", "*", "SMITH zoe")))))
    if choice == 1:
        field = draw(st.sampled_from(_TEXT_FIELDS + _ALL_PROPERTY_FIELDS))
        return Prefix(field, draw(st.sampled_from(("S", "s", "Zo", "f", "4", "東", "\U0010ffff"))))
    if choice == 2:
        return Eq(draw(st.sampled_from(_ALL_PROPERTY_FIELDS)), draw(scalars))
    if choice == 3:
        field = draw(st.sampled_from(_IN_FIELDS))
        if field == "kind":  # a closed vocabulary: a value outside it is refused
            kinds = st.sampled_from([kind.value for kind in EntityKind])
            return In(field, tuple(draw(st.lists(kinds, min_size=1, max_size=2))))
        value = draw(st.one_of(words, st.sampled_from(_IN_VALUES)))
        return In(field, (value, draw(words)))
    if choice == 4:
        field = draw(st.sampled_from(_NUMBER_FIELDS))
        low = draw(st.sampled_from(INTS + FLOATS))
        if field == "version":
            low = int(low)
        return Range(field=field, gte=low)
    if choice == 5:
        field = draw(st.sampled_from(("created_at", "event.occurred_from", "event.occurred_to")))
        return Range(field=field, lt=draw(moments))
    return Eq("markings.sensitive", draw(st.booleans()))


def _trees(leaf: st.SearchStrategy[Filter]) -> st.SearchStrategy[Filter]:
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda items: And(filters=tuple(items))),
            st.lists(children, max_size=3).map(lambda items: Or(filters=tuple(items))),
            children.map(Not),
        ),
        max_leaves=5,
    )


filters = st.one_of(st.none(), _trees(_leaf()))
order_keys = st.lists(
    st.builds(
        OrderKey,
        field=st.sampled_from(
            ("label", "kind", "event.occurred_from", "location.latitude", "person.family_name")
        ),
        descending=st.booleans(),
    ),
    max_size=2,
    unique_by=lambda key: key.field,
).map(tuple)
