"""The numbered requirements of ``SPEC.md``, read as data.

``SPEC.md`` ships inside the ``contracts`` package. Every requirement is one line::

    - **ENT-001** MUST: An entity has one of the kinds PERSON, ...

under a ``## Area`` heading. A retired requirement keeps its line, struck through, as
``- ~~**ENT-009**~~ retired in 0.3.0: reason``; its id stays taken and is not loaded. The
conformance kit checks its tests' requirement markers and builds its report from
:func:`load_requirements`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import Final, Literal

from contracts.errors import ValidationFailed

__all__ = ["LEVELS", "Level", "Requirement", "load_requirements", "parse_requirements"]

Level = Literal["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"]
LEVELS: Final[tuple[Level, ...]] = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
_LEVELS_BY_NAME: Final[dict[str, Level]] = {level: level for level in LEVELS}

_SPEC_FILE: Final = "SPEC.md"
_ID = r"[A-Z]+-\d{3}"
_LEVEL = "|".join(sorted(LEVELS, key=len, reverse=True))  # longest first: MUST NOT before MUST
_REQUIREMENT = re.compile(rf"^- \*\*(?P<id>{_ID})\*\* (?P<level>{_LEVEL}): (?P<text>\S.*)$")
_RETIRED = re.compile(rf"^- ~~\*\*(?P<id>{_ID})\*\*~~ retired in \S+: \S.*$")
_AREA = re.compile(r"^## (?P<area>\S.*)$")
# A line that starts like a requirement but fits neither form is a typo, not prose.
_LOOKS_LIKE_REQUIREMENT = re.compile(r"^- (~~)?\*\*")


@dataclass(frozen=True, slots=True)
class Requirement:
    """One numbered requirement.

    Attributes:
        id: the stable id, an area prefix and three digits (``ENT-001``).
        level: the RFC 2119 keyword.
        area: the ``##`` heading it sits under (``Entities``).
        text: the requirement itself, in Markdown.
    """

    id: str
    level: Level
    area: str
    text: str


def parse_requirements(text: str) -> tuple[Requirement, ...]:
    """Read the requirements out of a specification in the ``SPEC.md`` format, in file order.

    Raises:
        ValidationFailed: a requirement line is malformed, sits outside an area, or repeats an
            id (retired ids included).
    """
    area: str | None = None
    seen: set[str] = set()
    found: list[Requirement] = []
    for number, line in enumerate(text.splitlines(), start=1):
        heading = _AREA.match(line)
        if heading:
            area = heading["area"].strip()
            continue
        if not _LOOKS_LIKE_REQUIREMENT.match(line):
            continue
        retired = _RETIRED.match(line)
        match = retired or _REQUIREMENT.match(line)
        if match is None:
            raise ValidationFailed(
                f"{_SPEC_FILE} line {number}: expected '- **ID** LEVEL: text' with LEVEL one "
                f"of {', '.join(LEVELS)}, or '- ~~**ID**~~ retired in VERSION: reason'"
            )
        requirement_id = match["id"]
        if requirement_id in seen:
            raise ValidationFailed(f"{_SPEC_FILE} line {number}: {requirement_id} is used twice")
        seen.add(requirement_id)
        if retired:
            continue
        if area is None:
            raise ValidationFailed(
                f"{_SPEC_FILE} line {number}: {requirement_id} is not under a '## Area' heading"
            )
        level = _LEVELS_BY_NAME[match["level"]]
        found.append(Requirement(requirement_id, level, area, match["text"].strip()))
    return tuple(found)


@functools.cache
def load_requirements() -> tuple[Requirement, ...]:
    """The requirements of the ``SPEC.md`` shipped with this package, in file order.

    Raises:
        ValidationFailed: the shipped file is malformed (see :func:`parse_requirements`).
    """
    return parse_requirements(files("contracts").joinpath(_SPEC_FILE).read_text("utf-8"))
