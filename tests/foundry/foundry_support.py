"""Shared helpers of the Foundry adapter tests: fakes, stores and sample records."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.foundry.client import ClientSettings
from adapters.foundry.retry import RetryPolicy
from adapters.foundry.store import FoundryCaseStore, StoreOptions
from adapters.foundry.testing import FakeFoundry
from contracts.models import (
    Case,
    CaseMember,
    Entity,
    EventFields,
    Grading3x5x2,
    IntelligenceReport,
    Link,
    LocationFields,
    ObjectFields,
    PersonFields,
)
from contracts.models.common import Record

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def settings(**changes: Any) -> ClientSettings:
    """Client settings with a retry policy on virtual time."""
    retry = RetryPolicy(**{k: changes.pop(k) for k in list(changes) if k in _RETRY_FIELDS})
    return ClientSettings(retry=retry, **changes)


_RETRY_FIELDS = {"max_attempts", "backoff_base", "backoff_cap", "retry_after_cap", "testing"}


def fake_store(
    fake: FakeFoundry | None = None, *, options: StoreOptions | None = None, **changes: Any
) -> tuple[FakeFoundry, FoundryCaseStore]:
    """A fake Foundry and a store wired to it on virtual time."""
    fake = fake or FakeFoundry()
    return fake, fake.store(settings=settings(**changes), options=options)


def person(label: str, family: str | None = None, **fields: Any) -> Entity:
    """A person entity."""
    return Entity(
        kind="PERSON",
        subtype="person",
        label=label,
        person=PersonFields(family_name=family or label.split()[-1]),
        **fields,
    )


def sample_records() -> list[Record]:
    """A small case graph with every record type."""
    smith = person("John Smith", id="p-smith", aliases=("Johnny",), created_at=T0, updated_at=T0)
    jones = person("Mary Jones", id="p-jones", created_at=T0, updated_at=T0)
    van = Entity(
        id="o-van",
        kind="OBJECT",
        subtype="vehicle",
        label="Blue Transit van",
        object=ObjectFields(make="Ford", model="Transit", colour="blue"),
        properties={"vrm": "AB12 CDE", "seats": 3},
        created_at=T0,
        updated_at=T0,
    )
    home = Entity(
        id="l-home",
        kind="LOCATION",
        subtype="address",
        label="1 High Street",
        location=LocationFields(
            address="1 High Street", postcode="AB1 2CD", latitude=51.5, longitude=-0.1
        ),
        created_at=T0,
        updated_at=T0,
    )
    burglary = Entity(
        id="e-burglary",
        kind="EVENT",
        subtype="crime",
        label="Burglary at 1 High Street",
        event=EventFields(occurred_from=T0 + timedelta(microseconds=1500)),
        created_at=T0,
        updated_at=T0,
    )
    links = [
        Link(id="k-1", type="OWNS", source_id="p-smith", target_id="o-van"),
        Link(
            id="k-2", type="ASSOCIATE_OF", source_id="p-smith", target_id="p-jones", directed=False
        ),
        Link(id="k-3", type="PARTY_TO", source_id="p-jones", target_id="e-burglary", role="victim"),
        Link(id="k-4", type="OCCURRED_AT", source_id="e-burglary", target_id="l-home"),
        Link(id="k-5", type="SELF", source_id="p-smith", target_id="p-smith"),
    ]
    case = Case(
        id="c-1",
        reference="OP-1",
        title="Operation One",
        members=(CaseMember(entity_id="p-smith", role="suspect"),),
    )
    report = IntelligenceReport(
        id="r-1",
        reference="IR-1",
        submitted_at=T0,
        submitted_by="PC 1",
        grading=Grading3x5x2(source_evaluation="1", intelligence_assessment="A", handling_code="P"),
        text="Smith drives a blue van.",
    )
    return [smith, jones, van, home, burglary, *links, case, report]


def rng() -> random.Random:
    """A seeded random source."""
    return random.Random(1234)
