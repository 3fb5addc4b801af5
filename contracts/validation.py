"""Turning pydantic's validation errors into the contract's :class:`ValidationFailed`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from contracts.errors import ValidationFailed

__all__ = ["as_validation_failed", "validated"]

_MAX_REPORTED = 5

T = TypeVar("T")


def as_validation_failed(exc: ValidationError, what: str) -> ValidationFailed:
    """Summarise ``exc`` as one readable :class:`ValidationFailed`.

    The message names each failing field and why, but never echoes the offending input: it may
    be huge, hostile or personal data that must not reach a log.
    """
    problems = []
    for error in exc.errors(include_input=False, include_url=False)[:_MAX_REPORTED]:
        where = ".".join(str(part) for part in error["loc"]) or "(record)"
        problems.append(f"{where}: {error['msg']}")
    extra = exc.error_count() - len(problems)
    if extra > 0:
        problems.append(f"and {extra} more")
    return ValidationFailed(f"invalid {what}: " + "; ".join(problems))


def validated(build: Callable[[], T], what: str) -> T:
    """Call ``build`` and translate a pydantic ``ValidationError`` into ``ValidationFailed``."""
    try:
        return build()
    except ValidationError as exc:
        raise as_validation_failed(exc, what) from exc
