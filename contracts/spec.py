"""The numbered requirements of ``SPEC.md``, read as data.

``SPEC.md`` ships inside the ``contracts`` package. Every requirement is one line::

    - **ENT-001** MUST: An entity has one of the kinds PERSON, ...

under a ``## Area`` heading. A retired requirement keeps its line, struck through, as
``- ~~**ENT-009**~~ retired in 0.3.0: reason``; its id stays taken. :func:`load_specification`
reads both kinds of line, so the numbering of an area can be checked across retirements;
:func:`load_requirements` keeps the active requirements only. The conformance kit checks its
tests' requirement markers and builds its report from :func:`load_requirements`.

:data:`OUTSIDE_A_RUN` names the requirements that a run of the conformance kit cannot check
against a store, with the reason; the report lists them apart instead of calling them passed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from types import MappingProxyType
from typing import Final, Literal

from contracts.errors import ValidationFailed

__all__ = [
    "LEVELS",
    "OUTSIDE_A_RUN",
    "Level",
    "Requirement",
    "RetiredRequirement",
    "load_requirements",
    "load_specification",
    "parse_requirements",
    "parse_specification",
]

Level = Literal["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY"]
LEVELS: Final[tuple[Level, ...]] = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")
_LEVELS_BY_NAME: Final[dict[str, Level]] = {level: level for level in LEVELS}

OUTSIDE_A_RUN: Final[Mapping[str, str]] = MappingProxyType(
    {
        "CAP-006": "whether a declaration hides a defect takes a person reading the adapter's "
        "capabilities and KNOWN_DEVIATIONS with their reasons; no test of a store can tell",
        "CAP-007": "a requirement on the conformance kit itself, not on the adapter; the kit's "
        "own tests (tests/contract/test_plugin.py) check it",
    }
)
"""Requirements a run of the conformance kit cannot check against a store, with the reason.

The report gives them the status ``outside_run``: neither passed nor untested, and not part
of the verdict, which covers only what a run can check.
"""

_SPEC_FILE: Final = "SPEC.md"
_ID = r"[A-Z]+-\d{3}"
_LEVEL = "|".join(sorted(LEVELS, key=len, reverse=True))  # longest first: MUST NOT before MUST
_REQUIREMENT = re.compile(rf"^- \*\*(?P<id>{_ID})\*\* (?P<level>{_LEVEL}): (?P<text>\S.*)$")
_RETIRED = re.compile(
    rf"^- ~~\*\*(?P<id>{_ID})\*\*~~ retired in (?P<version>\S+): (?P<reason>\S.*)$"
)
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


@dataclass(frozen=True, slots=True)
class RetiredRequirement:
    """A requirement that no longer applies; its id stays taken and is never reused.

    Attributes:
        id: the id it had while it applied (``ENT-009``).
        area: the ``##`` heading its line sits under.
        version: the specification version that retired it.
        reason: why it was retired, in Markdown.
    """

    id: str
    area: str
    version: str
    reason: str


def parse_specification(text: str) -> tuple[Requirement | RetiredRequirement, ...]:
    """Read the requirements, active and retired, out of a ``SPEC.md``-format text in file order.

    Raises:
        ValidationFailed: a requirement line is malformed, sits outside an area, or repeats an
            id (retired ids included).
    """
    area: str | None = None
    seen: set[str] = set()
    found: list[Requirement | RetiredRequirement] = []
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
        if area is None:
            raise ValidationFailed(
                f"{_SPEC_FILE} line {number}: {requirement_id} is not under a '## Area' heading"
            )
        if retired:
            found.append(
                RetiredRequirement(
                    requirement_id, area, retired["version"], retired["reason"].strip()
                )
            )
        else:
            level = _LEVELS_BY_NAME[match["level"]]
            found.append(Requirement(requirement_id, level, area, match["text"].strip()))
    return tuple(found)


def parse_requirements(text: str) -> tuple[Requirement, ...]:
    """The active requirements of a ``SPEC.md``-format text, in file order; retired ones left out.

    Raises:
        ValidationFailed: as :func:`parse_specification`.
    """
    return _active(parse_specification(text))


@functools.cache
def load_specification() -> tuple[Requirement | RetiredRequirement, ...]:
    """The requirements, active and retired, of the ``SPEC.md`` shipped with this package.

    Raises:
        ValidationFailed: the shipped file is malformed (see :func:`parse_specification`).
    """
    return parse_specification(files("contracts").joinpath(_SPEC_FILE).read_text("utf-8"))


@functools.cache
def load_requirements() -> tuple[Requirement, ...]:
    """The active requirements of the ``SPEC.md`` shipped with this package, in file order.

    Raises:
        ValidationFailed: the shipped file is malformed (see :func:`parse_specification`).
    """
    return _active(load_specification())


def _active(entries: tuple[Requirement | RetiredRequirement, ...]) -> tuple[Requirement, ...]:
    return tuple(entry for entry in entries if isinstance(entry, Requirement))
