"""SPEC.md as data: well-formed, stable ids, one prefix per area, the declared version."""

from __future__ import annotations

import re
from collections import defaultdict
from importlib.resources import files

import pytest

from contracts import SPEC_VERSION
from contracts.errors import ValidationFailed
from contracts.spec import LEVELS, Requirement, load_requirements, parse_requirements

SPEC_TEXT = files("contracts").joinpath("SPEC.md").read_text("utf-8")


def test_the_shipped_spec_holds_a_hundred_or_so_requirements() -> None:
    """Every requirement line parses, with a known level and text."""
    requirements = load_requirements()
    assert 90 <= len(requirements) <= 130
    assert all(requirement.level in LEVELS for requirement in requirements)
    assert all(requirement.text for requirement in requirements)
    assert len({requirement.id for requirement in requirements}) == len(requirements)


def test_each_area_uses_one_prefix_numbered_from_one_without_gaps() -> None:
    """Ids run PREFIX-001, PREFIX-002, ... within each area."""
    by_area: dict[str, list[str]] = defaultdict(list)
    for requirement in load_requirements():
        by_area[requirement.area].append(requirement.id)
    prefixes = set()
    for ids in by_area.values():
        area_prefixes = {requirement_id.split("-")[0] for requirement_id in ids}
        assert len(area_prefixes) == 1, ids
        prefixes |= area_prefixes
        assert [int(requirement_id.split("-")[1]) for requirement_id in ids] == list(
            range(1, len(ids) + 1)
        )
    assert len(prefixes) == len(by_area)
    expected = {"REC", "MARK", "PROV", "ENT", "LNK", "CASE", "INTEL", "EXH", "ID", "READ"}
    expected |= {"SRCH", "GRAPH", "TIME", "BULK", "CAP", "ERR", "INPUT"}
    assert prefixes == expected


def test_the_spec_states_the_contract_version() -> None:
    """The preamble names the same version as contracts.SPEC_VERSION."""
    assert f"SPEC_VERSION: {SPEC_VERSION}" in SPEC_TEXT
    assert re.fullmatch(r"\d+\.\d+\.\d+", SPEC_VERSION)


def test_requirements_are_read_with_their_area_level_and_text() -> None:
    """A requirement line becomes a Requirement under the heading above it."""
    text = (
        "# Title\n\nPreamble, with - **NOT-001** in prose.\n\n## Widgets\n\n"
        "- **WID-001** MUST NOT: Widgets do not squeak.\n"
        "- ~~**WID-002**~~ retired in 0.2.0: replaced by WID-003.\n"
        "- **WID-003** SHOULD: Widgets hum.\n"
        "- an ordinary bullet\n"
    )
    assert parse_requirements(text) == (
        Requirement("WID-001", "MUST NOT", "Widgets", "Widgets do not squeak."),
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
    ],
    ids=["level", "number", "colon", "no-area", "duplicate", "reused-retired"],
)
def test_malformed_specifications_are_refused(text: str, problem: str) -> None:
    """Typos in requirement lines fail loudly instead of dropping a requirement."""
    with pytest.raises(ValidationFailed, match=problem):
        parse_requirements(text)
