"""Test data for the SQL adapter: generated records, awkward hand-made ones, and queries."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from caseport.generate import generate
from contracts.models import (
    Case,
    CaseMember,
    Entity,
    EntityKind,
    EventFields,
    Identifier,
    Link,
    LocationFields,
    Markings,
    ObjectFields,
    OrganisationFields,
    PersonFields,
    Record,
)
from contracts.query import And, Eq, Filter, In, Not, Or, OrderKey, Prefix, Range, SearchQuery, Text

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def awkward_records() -> list[Record]:
    """Entities and links that probe the edges of the search and graph semantics."""
    people = [
        Entity(
            id="p-ascii",
            kind=EntityKind.PERSON,
            subtype="person",
            label="John O'Brien-Smith",
            aliases=("Johnny", "Johnny", "J.O.B."),
            description='Drives a "blue" van; NEAR(van) * col:secret OR 1=1 --',
            person=PersonFields(
                given_names=("John", "Paul"),
                family_name="O'Brien-Smith",
                date_of_birth="1980-02",
                gender="male",
                nationalities=("GB", "IE"),
                identifiers=(Identifier(scheme="pnc_id", value="01/123456X"),),
            ),
            properties={
                "height_cm": 180,
                "weight": 80.5,
                "flag": True,
                "nick": "Jay",
                "scores": (1, 2.5, "three", False),
                "zero": -0.0,
                "big": 2**62,
            },
            markings=Markings(caveats=("UK EYES ONLY",), sensitive=True),
            created_at=T0,
            updated_at=T0 + timedelta(days=1),
        ),
        Entity(
            id="p-unicode",
            kind=EntityKind.PERSON,
            subtype="person",
            label="Zoë Straße ﬁnch 東京",
            aliases=("ZOE", "\uff46\uff55\uff4c\uff4c \uff57\uff49\uff44\uff54\uff48"),
            description="Café, naïve résumé, e\u0301 combined; İstanbul",
            person=PersonFields(given_names=("Zoë",), family_name="Straße"),
            properties={"height_cm": 180.0, "flag": 1, "nick": "jay", "one": 1},
            created_at=T0 + timedelta(hours=1),
            updated_at=T0 + timedelta(hours=1),
        ),
        Entity(
            id="p-bare",
            kind=EntityKind.PERSON,
            subtype="officer",
            label="A",
            created_at=T0 - timedelta(days=400),
            updated_at=T0 - timedelta(days=400),
        ),
    ]
    others = [
        Entity(
            id="o-van",
            kind=EntityKind.OBJECT,
            subtype="vehicle",
            label="Blue Ford Transit",
            object=ObjectFields(
                make="Ford",
                model="Transit",
                colour="Blue",
                identifiers=(Identifier(scheme="vrm", value="AB12 CDE"),),
            ),
            properties={"year": 2019, "stolen": False},
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="l-home",
            kind=EntityKind.LOCATION,
            subtype="address",
            label="1 High St",
            location=LocationFields(
                address="1 High Street, Bolton", postcode="BL1 1AA", latitude=53.5, longitude=-2.4
            ),
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="l-zero",
            kind=EntityKind.LOCATION,
            subtype="point",
            label="Null Island",
            location=LocationFields(latitude=0.0, longitude=-0.0),
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="g-crew",
            kind=EntityKind.ORGANISATION,
            subtype="gang",
            label="The Crew",
            organisation=OrganisationFields(organisation_type="gang", registration_number="X1"),
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="e-burglary",
            kind=EntityKind.EVENT,
            subtype="crime",
            label="Burglary at 1 High St",
            event=EventFields(
                occurred_from=T0 + timedelta(days=2),
                occurred_to=T0 + timedelta(days=3),
                reference="CR/1/25",
                category="Burglary",
            ),
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="e-instant",
            kind=EntityKind.EVENT,
            subtype="phone_call",
            label="Call",
            event=EventFields(occurred_from=T0 + timedelta(days=2)),
            created_at=T0,
            updated_at=T0,
        ),
        Entity(
            id="e-undated",
            kind=EntityKind.EVENT,
            subtype="crime",
            label="Undated",
            event=EventFields(category="Theft"),
            created_at=T0,
            updated_at=T0,
        ),
    ]

    def link(key: str, kind: str, source: str, target: str, *, directed: bool = True) -> Link:
        return Link(
            id=key,
            type=kind,
            source_id=source,
            target_id=target,
            directed=directed,
            created_at=T0,
            updated_at=T0,
        )

    links = [
        link("k-01", "OWNS", "p-ascii", "o-van"),
        link("k-02", "RESIDES_AT", "p-ascii", "l-home"),
        link("k-03", "ASSOCIATE_OF", "p-ascii", "p-unicode", directed=False),
        link("k-04", "PARTY_TO", "p-unicode", "e-burglary"),
        link("k-05", "OCCURRED_AT", "e-burglary", "l-home"),
        link("k-06", "PARTY_TO", "p-ascii", "e-instant"),
        link("k-07", "SELF", "p-bare", "p-bare"),
        link("k-08", "SELF", "g-crew", "g-crew", directed=False),
        link("k-09", "MEMBER_OF", "p-bare", "g-crew"),
        link("k-10", "MEMBER_OF", "p-unicode", "g-crew"),
        link("k-11", "ASSOCIATE_OF", "p-bare", "p-unicode", directed=False),
        link("k-12", "OWNS", "p-ascii", "o-van"),
        link("k-13", "PARTY_TO", "p-bare", "e-undated"),
        link("k-14", "NEAR", "l-home", "l-zero"),
    ]
    case = Case(
        id="c-1",
        reference="OP/1",
        title="Operation One",
        members=(CaseMember(entity_id="p-ascii", role="suspect"),),
        created_at=T0,
        updated_at=T0,
    )
    return [*people, *others, *links, case]


def dataset(entities: int = 300, seed: int = 3) -> list[Record]:
    """Generated records followed by the awkward ones."""
    return [*generate(entities, seed=seed), *awkward_records()]


FIXED_FILTERS: list[Filter | None] = [
    None,
    Eq("kind", "PERSON"),
    Eq("subtype", "Person"),
    Eq("label", "A"),
    Eq("id", "p-ascii"),
    Eq("properties.height_cm", 180),
    Eq("properties.height_cm", 180.0),
    Eq("properties.flag", True),
    Eq("properties.flag", 1),
    Eq("properties.one", True),
    Eq("properties.nick", "jay"),
    Eq("properties.zero", 0),
    Eq("properties.big", 2**62),
    Eq("properties.scores", "three"),
    Eq("properties.scores", 2.5),
    Eq("properties.scores", False),
    Eq("markings.sensitive", True),
    Eq("markings.caveats", "UK EYES ONLY"),
    Eq("markings.classification", "OFFICIAL"),
    Eq("aliases", "Johnny"),
    Eq("identifiers.scheme", "vrm"),
    Eq("identifiers.value", "01/123456X"),
    Eq("person.given_names", "Paul"),
    Eq("person.nationalities", "IE"),
    Eq("location.latitude", 0),
    Eq("location.longitude", 0.0),
    Eq("created_at", T0),
    Eq("event.occurred_from", T0 + timedelta(days=2)),
    Eq("version", 1),
    In("kind", ("EVENT", "ORGANISATION")),
    In("properties.flag", (True, 1)),
    In("properties.scores", ("three", 1, True)),
    In("aliases", ("ZOE", "nobody")),
    Range(field="properties.height_cm", gte=180),
    Range(field="properties.height_cm", gt=179.5, lt=180.5),
    Range(field="properties.weight", lte=80.5),
    Range(field="properties.nick", gte="J", lt="k"),
    Range(field="properties.duration_seconds", gt=100, lte=900),
    Range(field="label", gte="B", lt="M"),
    Range(field="location.latitude", gt=-1, lt=53.5),
    Range(field="created_at", lt=T0),
    Range(field="event.occurred_from", gte=T0 + timedelta(days=2)),
    Range(field="event.occurred_to", gt=datetime(2025, 6, 1, tzinfo=UTC)),
    Range(field="person.date_of_birth", gte="1980"),
    Range(field="aliases", gte="J", lt="K"),
    Range(field="version", gte=2),
    Prefix("label", "Blue"),
    Prefix("label", "b"),
    Prefix("label", "Zo"),
    Prefix("aliases", "Jo"),
    Prefix("properties.nick", "J"),
    Prefix("properties.scores", "th"),
    Prefix("location.postcode", "WA15 "),
    Prefix("identifiers.value", "AB12"),
    Prefix("label", "\U0010ffff"),
    Text("john"),
    Text("JOHN smith"),
    Text("o brien"),
    Text("blue van"),
    Text("zoë"),
    Text("strasse"),
    Text("finch"),
    Text("東京"),
    Text("full width"),
    Text("é"),
    Text("cafe"),
    Text("i\u0307stanbul"),
    Text("NEAR(van)"),
    Text('"blue'),
    Text("col:secret"),
    Text("' OR 1=1 --"),
    Text("*"),
    Text("!!!"),
    Text(""),
    Text("jay"),
    Text("three"),
    Text("01 123456x"),
    Text("voice call"),
    Text("altrincham street"),
    Not(Eq("properties.nick", "Jay")),
    Not(Prefix("location.postcode", "WA")),
    Not(Range(field="event.occurred_from", lt=T0)),
    Not(Text("john")),
    And(filters=()),
    Or(filters=()),
    Not(Or(filters=())),
    And(Eq("kind", "PERSON"), Or(Prefix("label", "J"), Text("zoë"))),
    Or(Eq("properties.stolen", False), Not(Eq("kind", "OBJECT"))),
    And(Not(Eq("subtype", "person")), Range(field="created_at", gte=T0)),
]

ORDERS: list[tuple[OrderKey, ...]] = [
    (),
    (OrderKey(field="label"),),
    (OrderKey(field="label", descending=True),),
    (OrderKey(field="kind"), OrderKey(field="label", descending=True)),
    (OrderKey(field="event.occurred_from", descending=True),),
    (OrderKey(field="event.occurred_to"), OrderKey(field="subtype")),
    (OrderKey(field="location.latitude"), OrderKey(field="location.longitude", descending=True)),
    (OrderKey(field="person.family_name"), OrderKey(field="person.date_of_birth")),
    (OrderKey(field="created_at", descending=True), OrderKey(field="version")),
    (OrderKey(field="location.postcode", descending=True),),
]


def sampled_filters(records: list[Record], count: int, seed: int) -> Iterator[Filter]:
    """Filters built from values the data holds, so most of them match something."""
    rng = random.Random(seed)
    entities = [record for record in records if isinstance(record, Entity)]
    for _ in range(count):
        entity = rng.choice(entities)
        words = entity.label.split()
        choice = rng.randrange(6)
        if choice == 0:
            yield Text(" ".join(rng.sample(words, k=min(2, len(words)))))
        elif choice == 1:
            yield Prefix("label", entity.label[: rng.randint(1, 4)])
        elif choice == 2:
            yield And(Eq("subtype", entity.subtype), Not(Text(rng.choice(words))))
        elif choice == 3 and entity.properties:
            name, value = rng.choice(sorted(entity.properties.items()))
            if isinstance(value, tuple):
                value = value[0]
            yield Or(Eq(f"properties.{name}", value), Eq("kind", "LOCATION"))
        elif choice == 4 and entity.created_at is not None:
            yield Range(field="created_at", gte=entity.created_at)
        else:
            yield In("label", tuple(rng.sample(words, k=min(3, len(words)))) or ("x",))


def queries() -> list[SearchQuery]:
    """Every fixed filter under a default order, and a few under every order."""
    found = [SearchQuery(filter=condition, page_size=1000) for condition in FIXED_FILTERS]
    for order in ORDERS:
        for condition in (None, Eq("kind", "PERSON"), Text("street"), Not(Text("john"))):
            found.append(SearchQuery(filter=condition, order_by=order, page_size=37))
    return found
