"""Turning pydantic's validation errors into the contract's :class:`ValidationFailed`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ValidationError

from contracts.errors import ValidationFailed

__all__ = ["as_validation_failed", "validated"]

_MAX_REPORTED = 5
_MAX_LOCATION_PART = 100
"""Longest location part repeated verbatim; longer ones can only be keys the caller chose."""

T = TypeVar("T")


def _location_part(part: str | int) -> str:
    """A part of an error location, unless it is an oversized or unprintable caller key."""
    text = str(part)
    if len(text) > _MAX_LOCATION_PART or not text.isprintable():
        return f"<key of {len(text)} characters>"
    return text


def as_validation_failed(exc: ValidationError, what: str) -> ValidationFailed:
    """Summarise ``exc`` as one readable :class:`ValidationFailed`.

    The message names each failing field and why, but never echoes the offending input: it may
    be huge, hostile or personal data that must not reach a log.
    """
    errors = exc.errors(include_input=False, include_url=False)
    kinds = tuple(
        (".".join(_location_part(part) for part in error["loc"]) or "(record)", error["type"])
        for error in errors
    )
    problems = []
    for error in errors[:_MAX_REPORTED]:
        where = ".".join(_location_part(part) for part in error["loc"]) or "(record)"
        message = error["msg"]
        if error["type"] == "union_tag_invalid":
            # pydantic's message repeats the tag the caller sent; name the expected ones only.
            context = error.get("ctx", {})
            message = (
                f"{context.get('discriminator', 'the tag')} must be one of "
                f"{context.get('expected_tags', 'the known tags')}"
            )
        problems.append(f"{where}: {message}")
    extra = exc.error_count() - len(problems)
    if extra > 0:
        problems.append(f"and {extra} more")
    return ValidationFailed(f"invalid {what}: " + "; ".join(problems), problems=kinds)


def validated(build: Callable[[], T], what: str) -> T:
    """Call ``build`` and translate a pydantic ``ValidationError`` into ``ValidationFailed``.

    The ``ValidationError`` is not chained: it holds the refused values, which may be personal
    data, and a chained cause reaches every traceback and ``logger.exception``.
    """
    try:
        return build()
    except ValidationError as exc:
        failure = as_validation_failed(exc, what)
    raise failure  # outside the handler, so neither __cause__ nor __context__ holds the input
