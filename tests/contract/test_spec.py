"""SPEC.md as data: well-formed, stable ids, one prefix per area, the declared version."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from importlib.resources import files

import pytest

from contracts import SPEC_VERSION
from contracts.errors import ValidationFailed
from contracts.spec import (
    LEVELS,
    Requirement,
    RetiredRequirement,
    load_requirements,
    load_specification,
    parse_requirements,
    parse_specification,
)

SPEC_TEXT = files("contracts").joinpath("SPEC.md").read_text("utf-8")
WIDGETS = (
    "# Title\n\nPreamble, with - **NOT-001** in prose.\n\n## Widgets\n\n"
    "- **WID-001** MUST NOT: Widgets do not squeak.\n"
    "- ~~**WID-002**~~ retired in 0.2.0: replaced by WID-003.\n"
    "- **WID-003** SHOULD: Widgets hum.\n"
    "- an ordinary bullet\n"
)


def test_the_shipped_spec_holds_well_over_a_hundred_requirements() -> None:
    """Every requirement line parses, with a known level and text."""
    requirements = load_requirements()
    assert 120 <= len(requirements) <= 200
    assert all(requirement.level in LEVELS for requirement in requirements)
    assert all(requirement.text for requirement in requirements)
    assert len({requirement.id for requirement in requirements}) == len(requirements)


def numbering_problems(entries: Sequence[Requirement | RetiredRequirement]) -> list[str]:
    """Areas whose ids, active and retired together, do not run PREFIX-001, PREFIX-002, ..."""
    by_area: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        by_area[entry.area].append(entry.id)
    problems = []
    for area, ids in by_area.items():
        if len({requirement_id.split("-")[0] for requirement_id in ids}) != 1:
            problems.append(f"{area}: more than one prefix in {ids}")
        numbers = [int(requirement_id.split("-")[1]) for requirement_id in ids]
        if numbers != list(range(1, len(ids) + 1)):
            problems.append(f"{area}: numbered {numbers}")
    return problems


def test_each_area_uses_one_prefix_numbered_from_one_without_gaps() -> None:
    """Ids, retired ones included, run PREFIX-001, PREFIX-002, ... within each area."""
    entries = load_specification()
    assert numbering_problems(entries) == []
    prefixes = {entry.id.split("-")[0] for entry in entries}
    assert len(prefixes) == len({entry.area for entry in entries})
    expected = {"REC", "MARK", "PROV", "ENT", "LNK", "CASE", "INTEL", "EXH", "ID", "READ"}
    expected |= {"SRCH", "GRAPH", "TIME", "BULK", "CAP", "ERR", "INPUT"}
    assert prefixes == expected


def test_a_retired_id_keeps_its_place_in_the_numbering() -> None:
    """Retiring a requirement leaves no gap; leaving a number out, or doubling a prefix, does."""
    retired = parse_specification(WIDGETS)
    assert numbering_problems(retired) == []
    assert numbering_problems(parse_specification(WIDGETS.replace("WID-002", "WID-004"))) == [
        "Widgets: numbered [1, 4, 3]"
    ]
    assert numbering_problems(parse_specification(WIDGETS.replace("WID-003", "GAD-003"))) == [
        "Widgets: more than one prefix in ['WID-001', 'WID-002', 'GAD-003']"
    ]


def test_the_shipped_spec_loads_its_active_requirements_apart_from_retired_ones() -> None:
    """load_requirements is load_specification without the retired records."""
    entries = load_specification()
    assert load_requirements() == tuple(e for e in entries if isinstance(e, Requirement))


def test_the_spec_states_the_contract_version() -> None:
    """The preamble names the same version as contracts.SPEC_VERSION."""
    assert f"SPEC_VERSION: {SPEC_VERSION}" in SPEC_TEXT
    assert re.fullmatch(r"\d+\.\d+\.\d+", SPEC_VERSION)


def test_requirements_are_read_with_their_area_level_and_text() -> None:
    """A requirement line becomes a Requirement under the heading above it."""
    assert parse_requirements(WIDGETS) == (
        Requirement("WID-001", "MUST NOT", "Widgets", "Widgets do not squeak."),
        Requirement("WID-003", "SHOULD", "Widgets", "Widgets hum."),
    )


def test_a_retired_line_is_read_as_a_retired_requirement() -> None:
    """A struck-through line becomes a RetiredRequirement in place, with version and reason."""
    assert parse_specification(WIDGETS) == (
        Requirement("WID-001", "MUST NOT", "Widgets", "Widgets do not squeak."),
        RetiredRequirement("WID-002", "Widgets", "0.2.0", "replaced by WID-003."),
        Requirement("WID-003", "SHOULD", "Widgets", "Widgets hum."),
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("## A\n- **WID-001** MUSTN'T: squeak.\n", "expected"),
        ("## A\n- **WID-1** MUST: squeak.\n", "expected"),
        ("## A\n- **WID-001** MUST squeak.\n", "expected"),
        ("- **WID-001** MUST: squeak.\n", "not under"),
        ("## A\n- **WID-001** MUST: a.\n- **WID-001** MAY: b.\n", "used twice"),
        ("## A\n- ~~**WID-001**~~ retired in 0.2.0: gone.\n- **WID-001** MAY: b.\n", "twice"),
        ("- ~~**WID-001**~~ retired in 0.2.0: gone.\n", "not under"),
        ("## A\n- ~~**WID-001**~~ retired: gone.\n", "expected"),
    ],
    ids=[
        "level",
        "number",
        "colon",
        "no-area",
        "duplicate",
        "reused-retired",
        "retired-no-area",
        "retired-no-version",
    ],
)
def test_malformed_specifications_are_refused(text: str, problem: str) -> None:
    """Typos in requirement lines fail loudly instead of dropping a requirement."""
    with pytest.raises(ValidationFailed, match=problem):
        parse_requirements(text)
