"""What every record shares: identity, version, markings and provenance."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.ids import new_id
from contracts.models._fields import INT64_MAX, MAX_LIST_ITEMS, Name, RecordId, Text, UtcDatetime
from contracts.validation import validated

__all__ = [
    "Classification",
    "Markings",
    "Provenance",
    "Record",
    "RecordType",
    "StrictModel",
]


class StrictModel(BaseModel):
    """Base of every contract model: immutable, unknown fields refused, no scalar coercion."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        validate_default=True,
        use_enum_values=False,
        ser_json_inf_nan="strings",
    )


class RecordType(StrEnum):
    """The kinds of top-level record a store keeps, in export order."""

    ENTITY = "entity"
    LINK = "link"
    CASE = "case"
    INTELLIGENCE_REPORT = "intelligence_report"
    EXHIBIT = "exhibit"


class Classification(StrEnum):
    """UK Government Security Classifications tiers, lowest first."""

    OFFICIAL = "OFFICIAL"
    SECRET = "SECRET"
    TOP_SECRET = "TOP_SECRET"

    @property
    def rank(self) -> int:
        """Position in the tier order; higher is more restricted."""
        return list(Classification).index(self)


LegacyGpms = Literal["NPM", "PROTECT", "RESTRICTED", "CONFIDENTIAL", "SECRET", "TOP SECRET"]


def _sorted_unique(values: tuple[str, ...]) -> tuple[str, ...]:
    if len(values) < 2:  # most markings carry no caveats or compartments
        return values
    return tuple(sorted(set(values)))


class Markings(StrictModel):
    """Protective markings carried by every record.

    Caveats and compartments are kept sorted and without duplicates, so two markings that mean
    the same thing compare equal on every backend. ``sensitive`` on OFFICIAL reads as
    OFFICIAL-SENSITIVE; it is a handling caveat, not a fourth tier.
    """

    classification: Classification = Classification.OFFICIAL
    sensitive: bool = Field(default=False, strict=True)
    caveats: tuple[Name, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    compartments: tuple[Name, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    handling_instructions: Text | None = None
    legacy_gpms: LegacyGpms | None = None

    _normalise = field_validator("caveats", "compartments")(_sorted_unique)

    @property
    def label(self) -> str:
        """The marking as people write it, e.g. ``OFFICIAL-SENSITIVE [UK EYES ONLY]``."""
        tier = self.classification.value.replace("_", " ")
        if self.sensitive:
            tier += "-SENSITIVE"
        return tier + "".join(f" [{caveat}]" for caveat in self.caveats)

    @classmethod
    def combine(cls, *markings: Markings) -> Markings:
        """Markings of a record derived from others: highest tier, union of the rest.

        ``handling_instructions`` are joined in the given order, duplicates dropped; the legacy
        GPMS value is not carried over because a derived record is marked under the current
        scheme.
        """
        if not markings:
            return cls()
        instructions: list[str] = []
        for marking in markings:
            text = marking.handling_instructions
            if text and text not in instructions:
                instructions.append(text)
        return cls(
            classification=max((m.classification for m in markings), key=lambda c: c.rank),
            sensitive=any(m.sensitive for m in markings),
            caveats=tuple(c for m in markings for c in m.caveats),
            compartments=tuple(c for m in markings for c in m.compartments),
            handling_instructions="\n".join(instructions) or None,
        )


class Provenance(StrictModel):
    """Where a record, or a statement in it, came from."""

    source_system: Name
    source_record_id: Name | None = None
    source_dataset: Name | None = None
    collected_at: UtcDatetime | None = None
    collected_by: Name | None = None
    method: Literal["manual", "import", "connector", "ner", "resolution", "generated"] = "manual"
    lawful_basis: Text | None = None
    transform: Name | None = None


_BOOKKEEPING = frozenset({"version", "created_at", "updated_at"})


class Record(StrictModel):
    """Base of the top-level records a store keeps.

    ``id`` is chosen by the client (a UUIDv7 unless given). ``version`` starts at 1 and the
    store adds one on every update. ``created_at`` and ``updated_at`` are filled in by the store
    when left empty.
    """

    RECORD_TYPE: ClassVar[RecordType]

    id: RecordId = Field(default_factory=new_id)
    markings: Markings = Field(default_factory=Markings)
    provenance: tuple[Provenance, ...] = Field(default=(), max_length=MAX_LIST_ITEMS)
    version: int = Field(default=1, ge=1, le=INT64_MAX, strict=True)
    created_at: UtcDatetime | None = None
    updated_at: UtcDatetime | None = None

    def content(self) -> dict[str, Any]:
        """The record as JSON-ready data without its bookkeeping (version and timestamps).

        Two records with equal content are the same fact; creates compare content to decide
        whether a repeated create is a harmless retry or a clash.
        """
        return self.model_dump(mode="json", exclude=set(_BOOKKEEPING))

    def same_content(self, other: Record) -> bool:
        """Whether ``other`` states the same fact as this record (bookkeeping ignored)."""
        return type(other) is type(self) and other.content() == self.content()

    def revise(self, **changes: Any) -> Self:
        """A validated copy with ``changes`` applied, ready to pass to ``update``.

        Raises:
            ValidationFailed: the changed record breaks the contract.
        """
        data = self.model_dump()
        data.update(changes)
        model = type(self)
        return validated(lambda: model.model_validate(data), self.RECORD_TYPE.value)
