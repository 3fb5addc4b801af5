"""pydantic models of the Foundry API shapes this adapter reads.

Unknown fields are ignored (Foundry adds fields over time and clients must tolerate them) and
the models are lenient exactly where the real API is inconsistent: ``totalCount`` may be
missing, a number or a string; the apply-action answer may put ``parameters`` inside
``validation`` or beside it; ``expires_in`` may be a number or a numeric string. Everything else
must have the documented type, or the answer is refused as off-contract.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SecretStr

__all__ = [
    "AggregateAnswer",
    "AggregateItem",
    "AggregateMetric",
    "ApplyActionResponse",
    "BatchApplyResponse",
    "ErrorEnvelope",
    "ObjectPage",
    "ParameterResult",
    "SubmissionCriterion",
    "TokenResponse",
    "ValidationBlock",
    "decode_decimal",
    "decode_long",
]

_LEADING_DIGITS = re.compile(r"\s*(\d+)")


def _lenient_count(value: object) -> int | None:
    """``totalCount`` as an int: documented as a Long, seen as a number, a string or absent."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        match = _LEADING_DIGITS.match(value)
        return int(match.group(1)) if match else None
    return None


def _lenient_seconds(value: object) -> object:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def decode_long(value: object) -> int:
    """A Foundry Long, sent as a JSON string (or a number by older stacks), as an exact int.

    Raises:
        ValueError: the value is not an integer.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a long")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError(f"{value!r} is not a long")


def decode_decimal(value: object) -> Decimal:
    """A Foundry Decimal, sent as a JSON string, without going through a float.

    Raises:
        ValueError: the value is not a decimal number.
    """
    if isinstance(value, bool):
        raise ValueError("a boolean is not a decimal")
    if isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a decimal") from None
        if result.is_finite():
            return result
    if isinstance(value, float):
        return Decimal(repr(value))
    raise ValueError(f"{value!r} is not a decimal")


TotalCount = Annotated[int | None, BeforeValidator(_lenient_count)]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ObjectPage(_Wire):
    """One page of objects: list, search, linked objects and loadObjects answers."""

    data: list[dict[str, Any]]
    next_page_token: str | None = Field(default=None, alias="nextPageToken", max_length=8192)
    total_count: TotalCount = Field(default=None, alias="totalCount")


class AggregateMetric(_Wire):
    """One metric of a group: its name and value (a double, a date string, or null)."""

    name: str
    value: float | str | None = None


class AggregateItem(_Wire):
    """One group of an aggregate answer: its value per grouped property and its metrics."""

    group: dict[str, Any] = Field(default_factory=dict)
    metrics: list[AggregateMetric] = Field(default_factory=list)


class AggregateAnswer(_Wire):
    """The answer to ``objects/{objectType}/aggregate``.

    ``accuracy`` is documented as required but left out of the documented example;
    ``excludedItems`` counts the objects of groups beyond ``maxGroupCount``.
    """

    data: list[AggregateItem] = Field(default_factory=list)
    accuracy: str | None = None
    excluded_items: int | None = Field(default=None, alias="excludedItems", ge=0)


class SubmissionCriterion(_Wire):
    """One submission criterion of an action and whether it held."""

    result: str
    configured_failure_message: str | None = Field(default=None, alias="configuredFailureMessage")


class ParameterResult(_Wire):
    """The validation of one action parameter."""

    result: str
    evaluated_constraints: list[dict[str, Any]] = Field(
        default_factory=list, alias="evaluatedConstraints"
    )
    required: bool | None = None


class ValidationBlock(_Wire):
    """``validation`` of an apply-action answer; only ``VALID`` means the action may run."""

    result: str
    submission_criteria: list[SubmissionCriterion] = Field(
        default_factory=list, alias="submissionCriteria"
    )
    parameters: dict[str, ParameterResult] = Field(default_factory=dict)


class ApplyActionResponse(_Wire):
    """The answer to ``actions/{action}/apply``: HTTP 200 alone does not mean success."""

    operation_id: str | None = Field(default=None, alias="operationId")
    validation: ValidationBlock | None = None
    parameters: dict[str, ParameterResult] = Field(default_factory=dict)
    edits: dict[str, Any] | None = None

    @property
    def valid(self) -> bool:
        """Whether Foundry accepted the action (no validation block means no objection)."""
        return self.validation is None or self.validation.result == "VALID"

    def failures(self) -> list[str]:
        """Readable reasons the action was refused: failed criteria and parameters."""
        reasons: list[str] = []
        if self.validation is not None:
            for criterion in self.validation.submission_criteria:
                if criterion.result != "VALID":
                    reasons.append(criterion.configured_failure_message or "a criterion failed")
            params = {**self.parameters, **self.validation.parameters}
        else:
            params = dict(self.parameters)
        for name, result in sorted(params.items()):
            if result.result != "VALID":
                reasons.append(f"parameter {name!r} is {result.result.lower()}")
        return reasons


class BatchApplyResponse(_Wire):
    """The answer to ``applyBatch``: ``{}`` or ``{"edits": ...}``."""

    edits: dict[str, Any] | None = None


class ErrorEnvelope(_Wire):
    """Foundry's error body."""

    error_code: str | None = Field(default=None, alias="errorCode")
    error_name: str | None = Field(default=None, alias="errorName")
    error_instance_id: str | None = Field(default=None, alias="errorInstanceId")
    parameters: dict[str, Any] = Field(default_factory=dict)


class TokenResponse(_Wire):
    """The OAuth2 token endpoint's answer."""

    access_token: SecretStr = Field(min_length=1)
    token_type: str = "Bearer"
    expires_in: Annotated[int, BeforeValidator(_lenient_seconds), Field(gt=0, le=10**7)]
