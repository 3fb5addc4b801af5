"""Exhibits: seized items with an append-only chain of custody."""

from __future__ import annotations

from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from contracts.models._fields import (
    INT64_MAX,
    MAX_LIST_ITEMS,
    Name,
    RecordId,
    Sha256Hex,
    Text,
    UtcDatetime,
)
from contracts.models.common import Record, RecordType, StrictModel

__all__ = ["CustodyEvent", "Exhibit"]


class CustodyEvent(StrictModel):
    """One hand-over of an exhibit: who passed it to whom, when and why."""

    at: UtcDatetime
    from_holder: Name
    to_holder: Name
    purpose: Text
    location: Name | None = None


class Exhibit(Record):
    """A seized item or digital artefact.

    ``custody`` is in time order and append-only: an update may add events at the end but never
    change or remove earlier ones. ``content_hash`` (SHA-256, lowercase hex) is fixed once set.
    """

    RECORD_TYPE: ClassVar[RecordType] = RecordType.EXHIBIT

    record_type: Literal["exhibit"] = "exhibit"
    reference: Name
    description: Text
    object_entity_id: RecordId | None = None
    case_id: RecordId | None = None
    seized_at: UtcDatetime | None = None
    seized_by: Name | None = None
    seized_from: Name | None = None
    storage_location: Name | None = None
    content_hash: Sha256Hex | None = None
    media_type: Name | None = None
    size_bytes: int | None = Field(default=None, ge=0, le=INT64_MAX, strict=True)
    custody: tuple[CustodyEvent, ...] = Field(default=(), max_length=MAX_LIST_ITEMS * 50)

    def with_custody(self, event: CustodyEvent) -> Self:
        """A copy with ``event`` appended to the chain of custody.

        Raises:
            ValidationFailed: ``event`` is earlier than the last recorded hand-over.
        """
        return self.revise(custody=(*self.custody, event))

    @model_validator(mode="after")
    def _custody_in_time_order(self) -> Self:
        times = [event.at for event in self.custody]
        if times != sorted(times):
            raise ValueError("custody events must be in time order")
        return self
