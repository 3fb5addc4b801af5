"""Links: typed, directed or undirected relations between two entities."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Final, Literal, Self

from pydantic import Field, model_validator

from contracts.models._fields import Code, Name, Properties, RecordId, UtcDatetime
from contracts.models.common import Record, RecordType

__all__ = ["LINK_TYPE_PATTERN", "Link", "LinkRole"]


class LinkRole(StrEnum):
    """The part an entity plays in an event: the DPA 2018 s.38 data-subject category."""

    SUSPECT = "suspect"
    OFFENDER = "offender"
    VICTIM = "victim"
    WITNESS = "witness"
    REPORTER = "reporter"
    OFFICER = "officer"
    OTHER = "other"


LinkType = Name
LINK_TYPE_PATTERN: Final = r"^[A-Z][A-Z0-9_]*$"
"""The form of a link type: UPPER_SNAKE_CASE."""


class Link(Record):
    """A relation from ``source_id`` to ``target_id`` with its own id, version and markings.

    ``type`` is an UPPER_SNAKE_CASE name from an open vocabulary (``ASSOCIATE_OF``,
    ``PARTY_TO``, ``OCCURRED_AT``, ...). An undirected link (``directed=False``) reads the same
    from either end. ``role`` says which part one end plays: the source's by default (a suspect
    ``PARTY_TO`` a crime), the target's when ``role_of`` is ``"target"`` (a crime
    ``INVESTIGATED_BY`` an officer, role ``officer``).
    """

    RECORD_TYPE: ClassVar[RecordType] = RecordType.LINK

    record_type: Literal["link"] = "link"
    type: str = Field(strict=True, min_length=1, max_length=64, pattern=LINK_TYPE_PATTERN)
    source_id: RecordId
    target_id: RecordId
    directed: bool = Field(default=True, strict=True)
    role: LinkRole | None = None
    role_of: Literal["source", "target"] = "source"
    qualifier: Code | None = None
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, strict=True)
    fact_or_assessment: Literal["fact", "assessment"] = "fact"
    properties: Properties = Field(default_factory=dict)

    @model_validator(mode="after")
    def _role_has_an_end(self) -> Self:
        if self.role is None and self.role_of != "source":
            raise ValueError("role_of names the end a role belongs to; give the role too")
        return self

    @model_validator(mode="after")
    def _validity_is_ordered(self) -> Self:
        if (
            self.valid_from is not None
            and self.valid_to is not None
            and self.valid_to < self.valid_from
        ):
            raise ValueError("valid_to must not be before valid_from")
        return self
