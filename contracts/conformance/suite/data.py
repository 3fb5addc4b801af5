"""Small, deterministic builders for the conformance tests: fixed ids, fixed instants.

Every builder returns a valid record with sensible defaults; keyword arguments override or add
fields. Nothing here reads a clock or a random source, so a failing test fails the same way on
every run.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from contracts.models.cases import Case, CaseMember
from contracts.models.entities import Entity, EntityKind, EventFields
from contracts.models.exhibits import CustodyEvent, Exhibit
from contracts.models.intelligence import Grading3x5x2, Grading5x5x5, IntelligenceReport
from contracts.models.links import Link
from contracts.store import CaseStore

T0: Final = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
"""The instant every test counts from."""

GRADE_1AP: Final = Grading3x5x2(
    source_evaluation="1", intelligence_assessment="A", handling_code="P"
)
GRADE_2BP: Final = Grading3x5x2(
    source_evaluation="2", intelligence_assessment="B", handling_code="P"
)
GRADE_B35: Final = Grading5x5x5(
    source_evaluation="B", intelligence_evaluation="3", handling_code="5"
)
SHA_A: Final = "a" * 64
SHA_B: Final = "b" * 64

_SUBTYPES: Final = {
    EntityKind.PERSON: "person",
    EntityKind.ORGANISATION: "company",
    EntityKind.OBJECT: "vehicle",
    EntityKind.LOCATION: "address",
    EntityKind.EVENT: "crime",
}


SHUFFLED_25: Final = tuple(random.Random(25).sample(range(25), 25))
"""A fixed shuffle of 0..24, so records are not written in the order they are listed."""


def at(hours: float = 0) -> datetime:
    """``T0`` plus ``hours``."""
    return T0 + timedelta(hours=hours)


def ids(prefix: str, count: int) -> list[str]:
    """``count`` ids that sort in the order made: ``prefix-00``, ``prefix-01``, ..."""
    return [f"{prefix}-{number:02d}" for number in range(count)]


def entity(
    entity_id: str, kind: EntityKind = EntityKind.PERSON, label: str | None = None, **fields: Any
) -> Entity:
    """An entity of ``kind`` with a default subtype and a label naming its id."""
    fields.setdefault("subtype", _SUBTYPES[kind])
    return Entity(
        id=entity_id, kind=kind, label=label or f"{kind.value.title()} {entity_id}", **fields
    )


def event(
    entity_id: str, start: datetime | None, end: datetime | None = None, **fields: Any
) -> Entity:
    """An EVENT entity that happened from ``start`` to ``end`` (open when ``None``)."""
    when = EventFields(occurred_from=start, occurred_to=end)
    return entity(entity_id, EntityKind.EVENT, event=when, **fields)


def link(
    link_id: str, source_id: str, target_id: str, link_type: str = "ASSOCIATE_OF", **fields: Any
) -> Link:
    """A link of ``link_type`` from ``source_id`` to ``target_id``, directed by default."""
    return Link(id=link_id, type=link_type, source_id=source_id, target_id=target_id, **fields)


def case(case_id: str, members: Iterable[tuple[str, str]] = (), **fields: Any) -> Case:
    """A case whose members are the given (entity id, role) pairs."""
    fields.setdefault("reference", f"OP-{case_id.upper()}")
    fields.setdefault("title", f"Operation {case_id}")
    people = tuple(CaseMember(entity_id=member, role=role) for member, role in members)
    return Case(id=case_id, members=people, **fields)


def report(report_id: str, **fields: Any) -> IntelligenceReport:
    """An intelligence report graded 1AP, submitted at ``T0``."""
    fields.setdefault("reference", f"IR-{report_id.upper()}")
    fields.setdefault("submitted_at", T0)
    fields.setdefault("submitted_by", "DC 1234")
    fields.setdefault("grading", GRADE_1AP)
    fields.setdefault("text", "Subject seen loading boxes into a blue van.")
    return IntelligenceReport(id=report_id, **fields)


def custody(
    hours: float, from_holder: str, to_holder: str, purpose: str = "transfer"
) -> CustodyEvent:
    """A hand-over at ``at(hours)``."""
    return CustodyEvent(at=at(hours), from_holder=from_holder, to_holder=to_holder, purpose=purpose)


def exhibit(exhibit_id: str, **fields: Any) -> Exhibit:
    """An exhibit with a reference and a description."""
    fields.setdefault("reference", f"EX/{exhibit_id.upper()}")
    fields.setdefault("description", f"Exhibit {exhibit_id}")
    return Exhibit(id=exhibit_id, **fields)


def set_clock(store: CaseStore, when: datetime) -> None:
    """Make ``store`` stamp every write with ``when``."""
    store.clock = lambda: when
