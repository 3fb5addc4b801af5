"""The union of top-level records and the canonical JSON Lines form."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import Field, TypeAdapter

from contracts.errors import ValidationFailed
from contracts.models.cases import Case
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.models.links import Link
from contracts.validation import validated

__all__ = ["RECORD_CLASSES", "AnyRecord", "parse_record", "record_class", "to_json_line"]

AnyRecord = Annotated[
    Entity | Link | Case | IntelligenceReport | Exhibit, Field(discriminator="record_type")
]
"""Any top-level record, told apart by its ``record_type`` field."""

RECORD_CLASSES: Final[dict[RecordType, type[Record]]] = {
    RecordType.ENTITY: Entity,
    RecordType.LINK: Link,
    RecordType.CASE: Case,
    RecordType.INTELLIGENCE_REPORT: IntelligenceReport,
    RecordType.EXHIBIT: Exhibit,
}

_ANY_RECORD: Final[TypeAdapter[AnyRecord]] = TypeAdapter(AnyRecord)


def record_class(record_type: RecordType | str) -> type[Record]:
    """The model class for ``record_type``.

    Raises:
        ValidationFailed: ``record_type`` is not one of :class:`RecordType`.
    """
    try:
        return RECORD_CLASSES[RecordType(record_type)]
    except ValueError:
        known = ", ".join(member.value for member in RecordType)
        raise ValidationFailed(f"unknown record type; use one of {known}") from None


def parse_record(line: str | bytes) -> Entity | Link | Case | IntelligenceReport | Exhibit:
    """Parse one canonical JSON record (a line of a ``.jsonl`` export).

    Raises:
        ValidationFailed: the line is not valid JSON or not a valid record.
    """
    return validated(lambda: _ANY_RECORD.validate_json(line), "record")


def to_json_line(record: Record) -> str:
    """The canonical one-line JSON form of ``record`` (no trailing newline)."""
    return record.model_dump_json()
