"""Searching every record type, getting a record by its reference, and filtered neighbourhoods."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_support import generated_file, invoke, read_records, runner
from typer.testing import Result

from caseport._errors import EXIT_FAILURE, EXIT_USAGE
from caseport.cli import app
from contracts.models import (
    Case,
    Entity,
    EntityKind,
    Exhibit,
    IntelligenceReport,
    Link,
    Record,
    to_json_line,
)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_file(tmp_path_factory, seed=1)


@pytest.fixture(scope="module")
def url(generated: Path) -> str:
    return f"memory://?load={generated}"


@pytest.fixture(scope="module")
def records(generated: Path) -> list[Record]:
    return read_records(generated)


def _one_error_line(result: Result, code: int) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_case_reference_finds_the_case(url: str, records: list[Record]) -> None:
    """``--type case --where reference=...`` lists exactly that case with its id."""
    case = next(r for r in records if isinstance(r, Case))
    result = invoke(["search", url, "--type", "case", "--where", f"reference={case.reference}"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].strip() == "1 case"
    assert case.reference in result.stdout
    assert case.id in result.stdout
    assert case.status.value in result.stdout


def test_searching_links_by_role_returns_only_links_in_that_role(
    url: str, records: list[Record]
) -> None:
    """Links are searched by their own fields; the JSON items are links of that role."""
    expected = sorted(r.id for r in records if isinstance(r, Link) and r.role == "suspect")
    assert expected
    result = invoke(
        ["search", url, "--type", "link", "--where", "role=suspect", "-n", "1000", "--json"]
    )
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert sorted(item["id"] for item in page["items"]) == expected
    assert {item["record_type"] for item in page["items"]} == {"link"}


def test_the_link_table_names_both_ends_and_the_role(url: str, records: list[Record]) -> None:
    """A link row shows the labels of its two entities, its type, role and id."""
    labels = {r.id: r.label for r in records if isinstance(r, Entity)}
    link = next(r for r in records if isinstance(r, Link) and r.role == "suspect")
    result = invoke(["search", url, "--type", "link", "--where", f"id={link.id}"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if link.id in line)
    for text in (labels[link.source_id], link.type, "suspect"):
        assert text in row


@pytest.mark.parametrize(
    ("record_type", "cls"),
    [("intelligence_report", IntelligenceReport), ("exhibit", Exhibit)],
)
def test_reports_and_exhibits_are_listed_by_reference(
    url: str, records: list[Record], record_type: str, cls: type[Record]
) -> None:
    """Each record type gets its own table, led by the reference people quote."""
    first = next(r for r in records if isinstance(r, cls))
    assert isinstance(first, IntelligenceReport | Exhibit)
    reference = first.reference
    result = invoke(["search", url, "--type", record_type, "--where", f"reference={reference}"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if first.id in line)
    assert reference in row


def test_text_search_of_cases_matches_their_titles(url: str, records: list[Record]) -> None:
    """``--text`` searches the record type's own text fields."""
    cases = [r for r in records if isinstance(r, Case)]
    word = cases[0].title.split()[0]
    result = invoke(["search", url, "--type", "case", "--text", word, "-n", "1000", "--json"])
    assert result.exit_code == 0, result.output
    found = {item["id"] for item in json.loads(result.stdout)["items"]}
    assert found == {c.id for c in cases if word.casefold() in c.title.casefold().split()}


def test_an_unknown_field_names_the_record_type_and_the_close_field(url: str) -> None:
    """A typo in a case field is one line naming the type and the field meant."""
    result = invoke(["search", url, "--type", "case", "--where", "refrence=CASE/25/000001"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "--where: unknown case field 'refrence'; did you mean reference?" in line


def test_an_entity_field_on_links_is_refused_with_the_link_fields(url: str) -> None:
    """With no close name, the record type's fields are listed (a short list)."""
    result = invoke(["search", url, "--type", "link", "--where", "person.gender=male"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "unknown link field 'person.gender'" in line


def test_kind_is_refused_for_records_other_than_entities(url: str) -> None:
    """``--kind`` is an entity option; on cases it points at --where."""
    result = invoke(["search", url, "--type", "case", "--kind", "person"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "--kind applies to entities, not to a case" in line


def test_order_and_filter_use_the_record_types_fields(url: str, records: list[Record]) -> None:
    """Cases sorted by reference descending, filtered in JSON by a case field."""
    cases = sorted(
        (r for r in records if isinstance(r, Case) and r.reference.startswith("CASE/")),
        key=lambda c: c.reference,
    )
    condition = json.dumps({"op": "prefix", "field": "reference", "value": "CASE/"})
    result = invoke(
        [
            *("search", url, "--type", "case", "--filter", condition),
            *("--order", "reference:desc", "-n", "3", "--json"),
        ]
    )
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert [item["reference"] for item in items] == [c.reference for c in cases[::-1][:3]]


def test_unsortable_field_of_a_case_is_refused(url: str) -> None:
    """Sorting names the sortable fields of the record type searched."""
    result = invoke(["search", url, "--type", "case", "--order", "description"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "case field 'description' cannot be sorted on; sortable: id" in line


def test_get_takes_a_case_reference(url: str, records: list[Record]) -> None:
    """No record has the reference as its id, so the one case with it is shown."""
    case = next(r for r in records if isinstance(r, Case))
    result = invoke(["get", url, case.reference, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["id"] == case.id


def test_get_of_a_reference_shared_by_two_records_asks_for_an_id(tmp_path: Path) -> None:
    """Two cases with one reference: neither is guessed; both ids are named."""
    cases = [Case(id=f"c-{n}", reference="CASE/1", title=f"Case {n}") for n in (1, 2)]
    path = tmp_path / "twins.jsonl"
    path.write_text("".join(to_json_line(c) + "\n" for c in cases), encoding="utf-8")
    result = invoke(["get", f"memory://?load={path}", "CASE/1"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "'CASE/1' is the reference of several records (case c-1, case c-2)" in line


def test_get_of_an_unknown_reference_is_not_found(url: str) -> None:
    """Neither an id nor a reference: the usual NotFound, exit 1."""
    result = invoke(["get", url, "CASE/99/999999"])
    line = _one_error_line(result, EXIT_FAILURE)
    assert line.startswith("Error (NotFound)")


@pytest.fixture(scope="module")
def star_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A hub person linked to two people, a vehicle and a phone, by links of two roles."""

    def entity(key: str, kind: EntityKind, subtype: str) -> Entity:
        return Entity(id=key, kind=kind, subtype=subtype, label=f"{subtype} {key}")

    entities = [
        entity("hub", EntityKind.PERSON, "person"),
        entity("p-1", EntityKind.PERSON, "person"),
        entity("p-2", EntityKind.PERSON, "person"),
        entity("v-1", EntityKind.OBJECT, "vehicle"),
        entity("t-1", EntityKind.OBJECT, "phone"),
    ]
    links = [
        Link(id="l-1", type="KNOWS", source_id="hub", target_id="p-1", confidence=0.9),
        Link(id="l-2", type="KNOWS", source_id="p-2", target_id="hub", confidence=0.2),
        Link(id="l-3", type="USES", source_id="hub", target_id="v-1"),
        Link(id="l-4", type="USES", source_id="hub", target_id="t-1"),
        Link(id="l-5", type="KNOWS", source_id="p-1", target_id="p-2", confidence=0.9),
    ]
    path = tmp_path_factory.mktemp("star") / "star.jsonl"
    path.write_text("".join(to_json_line(r) + "\n" for r in [*entities, *links]), "utf-8")
    return f"memory://?load={path}"


def _entity_ids(result: Result) -> set[str]:
    assert result.exit_code == 0, result.output
    return {entity["id"] for entity in json.loads(result.stdout)["entities"]}


def test_neighbour_where_keeps_only_matching_neighbours(star_url: str) -> None:
    """Only vehicles are reached; the hub itself is always there."""
    result = invoke(
        ["neighbours", star_url, "hub", "--neighbour-where", "subtype=vehicle", "--json"]
    )
    assert _entity_ids(result) == {"hub", "v-1"}


def test_link_where_follows_only_matching_links(star_url: str) -> None:
    """Links are filtered by a link field typed by its kind (a float here), at every hop."""
    result = invoke(
        [
            *("neighbours", star_url, "hub", "--depth", "2"),
            *("--link-where", "confidence=0.9", "--json"),
        ]
    )
    assert _entity_ids(result) == {"hub", "p-1", "p-2"}


def test_a_neighbour_filter_on_a_link_field_is_refused(star_url: str) -> None:
    """--neighbour-where takes entity fields; a link field there is named as unknown."""
    result = invoke(["neighbours", star_url, "hub", "--neighbour-where", "confidence=1"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "--neighbour-where: unknown entity field 'confidence'" in line


def test_a_link_filter_value_of_the_wrong_type_is_refused(star_url: str) -> None:
    """The value is typed by the link field before any store is opened."""
    result = invoke(["neighbours", star_url, "hub", "--link-where", "confidence=high"])
    line = _one_error_line(result, EXIT_USAGE)
    assert "--link-where confidence: 'high' is not a number" in line


@pytest.mark.parametrize("record_type", ["link", "case", "intelligence_report", "exhibit"])
def test_record_ids_are_never_wrapped_in_an_80_column_terminal(url: str, record_type: str) -> None:
    """Each record type's table shows every id whole on one line, within 80 columns."""
    args = ["search", url, "--type", record_type, "-n", "10"]
    found = json.loads(invoke([*args, "--json"]).stdout)["items"]
    assert found
    narrow = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    lines = [line for line in narrow.stdout.splitlines() if not line.startswith("More results")]
    assert max(len(line) for line in lines) <= 80
    for item in found:
        assert any(item["id"] in line for line in lines), item["id"]
