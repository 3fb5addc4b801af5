"""Intelligence reports and their grading (3x5x2, and legacy 5x5x5 on historic records)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from contracts.models._fields import (
    MAX_LIST_ITEMS,
    Code,
    LongText,
    Name,
    RecordId,
    Text,
    UtcDatetime,
)
from contracts.models.common import Record, RecordType, StrictModel
from contracts.validation import validated

__all__ = [
    "Grading",
    "Grading3x5x2",
    "Grading5x5x5",
    "IntelligenceReport",
    "Regrading",
    "ReportSubject",
]


class Grading3x5x2(StrictModel):
    """College of Policing 3x5x2: source 1-3, intelligence A-E, handling P or C."""

    scheme: Literal["3x5x2"] = "3x5x2"
    source_evaluation: Literal["1", "2", "3"]
    intelligence_assessment: Literal["A", "B", "C", "D", "E"]
    handling_code: Literal["P", "C"]

    @property
    def code(self) -> str:
        """Compact notation, e.g. ``1AP``."""
        return self.source_evaluation + self.intelligence_assessment + self.handling_code


class Grading5x5x5(StrictModel):
    """Legacy National Intelligence Model 5x5x5: source A-E, intelligence 1-5, handling 1-5."""

    scheme: Literal["5x5x5"] = "5x5x5"
    source_evaluation: Literal["A", "B", "C", "D", "E"]
    intelligence_evaluation: Literal["1", "2", "3", "4", "5"]
    handling_code: Literal["1", "2", "3", "4", "5"]

    @property
    def code(self) -> str:
        """Compact notation, e.g. ``B35``."""
        return self.source_evaluation + self.intelligence_evaluation + self.handling_code


Grading = Annotated[Grading3x5x2 | Grading5x5x5, Field(discriminator="scheme")]
"""A grade always names its scheme; grades are never converted between schemes."""


class Regrading(StrictModel):
    """A past grade, kept when a report is re-evaluated."""

    previous: Grading
    changed_at: UtcDatetime
    changed_by: Name
    rationale: Text


class ReportSubject(StrictModel):
    """An entity the report is about, with its role (subject, associate, location, ...)."""

    entity_id: RecordId
    role: Code = "subject"


class IntelligenceReport(Record):
    """An intelligence report with its grading, sanitisation state and subjects.

    ``source_ref`` is an opaque handle; a report never names its source. A 3x5x2 handling code
    of C requires ``handling_conditions``. Re-grading appends the old grade to
    ``grading_history``; history is never rewritten.
    """

    RECORD_TYPE: ClassVar[RecordType] = RecordType.INTELLIGENCE_REPORT

    record_type: Literal["intelligence_report"] = "intelligence_report"
    reference: Name
    submitted_at: UtcDatetime
    submitted_by: Name
    originating_unit: Name | None = None
    source_ref: Name | None = None
    grading: Grading
    grading_history: tuple[Regrading, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    text: LongText
    subjects: tuple[ReportSubject, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    sanitised: bool = Field(default=False, strict=True)
    handling_conditions: Text | None = None
    risk_assessment_ref: Name | None = None
    fact_or_assessment: Literal["fact", "assessment"] = "assessment"

    def regraded(
        self, grading: Grading, *, by: str, rationale: str, at: datetime | None = None
    ) -> Self:
        """A copy re-evaluated to ``grading``, the current grade appended to the history.

        The scheme may change (a legacy 5x5x5 report re-evaluated under 3x5x2); nothing is
        converted, the old grade is kept as it was.

        Raises:
            ValidationFailed: the result breaks the contract.
        """
        entry = validated(
            lambda: Regrading(
                previous=self.grading,
                changed_at=at or datetime.now(UTC),
                changed_by=by,
                rationale=rationale,
            ),
            "re-grading",
        )
        return self.revise(grading=grading, grading_history=(*self.grading_history, entry))

    @model_validator(mode="after")
    def _conditions_when_required(self) -> Self:
        if (
            isinstance(self.grading, Grading3x5x2)
            and self.grading.handling_code == "C"
            and not self.handling_conditions
        ):
            raise ValueError("handling code C requires handling_conditions")
        return self
