"""Cases: investigations that gather entities in roles."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from contracts.models._fields import MAX_LIST_ITEMS, Code, Name, RecordId, Text, UtcDatetime
from contracts.models.common import Record, RecordType, StrictModel

__all__ = ["Case", "CaseMember", "CaseStatus"]


class CaseStatus(StrEnum):
    """Where an investigation stands."""

    OPEN = "open"
    SUSPENDED = "suspended"
    CHARGED = "charged"
    CLOSED = "closed"


class CaseMember(StrictModel):
    """An entity's part in a case (suspect, victim, witness, location of interest, ...)."""

    entity_id: RecordId
    role: Code


class Case(Record):
    """An investigation: its reference, status, officer in case and members.

    A case references entities; it does not own them, and one entity may sit in many cases.
    Each (entity, role) pair appears at most once.
    """

    RECORD_TYPE: ClassVar[RecordType] = RecordType.CASE

    record_type: Literal["case"] = "case"
    reference: Name
    title: Name
    status: CaseStatus = CaseStatus.OPEN
    description: Text | None = None
    officer_in_case: Name | None = None
    opened_at: UtcDatetime | None = None
    closed_at: UtcDatetime | None = None
    compartment: Name | None = None
    members: tuple[CaseMember, ...] = Field(default=(), max_length=MAX_LIST_ITEMS * 50)

    @model_validator(mode="after")
    def _members_are_unique(self) -> Self:
        pairs = [(member.entity_id, member.role) for member in self.members]
        if len(pairs) != len(set(pairs)):
            raise ValueError("each (entity_id, role) pair may appear only once in members")
        if self.closed_at and self.opened_at and self.closed_at < self.opened_at:
            raise ValueError("closed_at must not be before opened_at")
        return self
