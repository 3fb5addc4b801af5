"""The query commands (search, get, neighbours, paths, timeline) against in-memory stores."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from caseport.cli import app
from caseport.generate import generate, write_jsonl
from contracts.models import Case, Entity, EntityKind, Link, parse_record, to_json_line

runner = CliRunner()
WIDE = {"COLUMNS": "250"}


def invoke(args: Sequence[str]) -> Result:
    return runner.invoke(app, list(args), env=WIDE)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("generated") / "case.jsonl"
    with path.open("w", encoding="utf-8") as stream:
        write_jsonl(generate(300, seed=1), stream)
    return path


@pytest.fixture(scope="module")
def url(generated: Path) -> str:
    return f"memory://?load={generated}"


@pytest.fixture(scope="module")
def records(generated: Path) -> list[Entity | Link | Case]:
    kept: list[Entity | Link | Case] = []
    for line in generated.read_text(encoding="utf-8").splitlines():
        record = parse_record(line)
        if isinstance(record, Entity | Link | Case):
            kept.append(record)
    return kept


def _person(name: str, key: str) -> Entity:
    given, family = name.split()
    return Entity.model_validate(
        {
            "id": key,
            "kind": "PERSON",
            "subtype": "person",
            "label": name,
            "person": {"given_names": [given], "family_name": family},
        }
    )


def _knows(key: str, source: str, target: str) -> Link:
    return Link(id=key, type="KNOWS", source_id=source, target_id=target)


@pytest.fixture(scope="module")
def graph_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small hand-built graph: a→b→d and a→c→d are the shortest ways from a to d.

    The longer way a→e→f→d must never be reported as a shortest path.
    """
    people = [
        _person("Alice Archer", "p-a"),
        _person("Bob Baker", "p-b"),
        _person("Carol Cooper", "p-c"),
        _person("Dan Dyer", "p-d"),
        _person("Eve Evans", "p-e"),
        _person("Fay Fisher", "p-f"),
    ]
    links = [
        _knows("k-1", "p-a", "p-b"),
        _knows("k-2", "p-b", "p-d"),
        _knows("k-3", "p-a", "p-c"),
        _knows("k-4", "p-d", "p-c"),
        _knows("k-5", "p-a", "p-e"),
        _knows("k-6", "p-e", "p-f"),
        _knows("k-7", "p-f", "p-d"),
    ]
    path = tmp_path_factory.mktemp("graph") / "graph.jsonl"
    path.write_text("".join(to_json_line(r) + "\n" for r in [*people, *links]), encoding="utf-8")
    return f"memory://?load={path}"


def test_search_by_text_lists_the_matching_person(url: str, records: list[Entity]) -> None:
    """A text search for a person's family name lists that person by label and id."""
    person = next(r for r in records if isinstance(r, Entity) and r.kind is EntityKind.PERSON)
    assert person.person is not None
    assert person.person.family_name is not None
    result = invoke(["search", url, "--text", person.person.family_name, "--kind", "person"])
    assert result.exit_code == 0, result.output
    assert person.label in result.stdout
    assert person.id in result.stdout


def test_search_json_is_one_document_with_items_and_a_cursor(url: str) -> None:
    """``--json`` prints one parseable page: the requested number of items and a cursor."""
    result = invoke(["search", url, "--kind", "PERSON", "--limit", "5", "--json"])
    assert result.exit_code == 0, result.output
    page = json.loads(result.stdout)
    assert len(page["items"]) == 5
    assert {item["kind"] for item in page["items"]} == {"PERSON"}
    assert page["next_cursor"]


def test_search_cursor_continues_after_the_first_page(url: str) -> None:
    """Passing a page's cursor back returns the next entities, none of them repeated."""
    first = json.loads(invoke(["search", url, "--limit", "3", "--json"]).stdout)
    result = invoke(["search", url, "--limit", "3", "--cursor", first["next_cursor"], "--json"])
    second = json.loads(result.stdout)
    first_ids = [item["id"] for item in first["items"]]
    second_ids = [item["id"] for item in second["items"]]
    assert len(second_ids) == 3
    assert not set(first_ids) & set(second_ids)
    assert max(first_ids) < min(second_ids)


def test_search_where_converts_values_by_field_kind(url: str, records: list[Entity]) -> None:
    """An int field compares as a number and a datetime field as an instant."""
    crime = next(r for r in records if isinstance(r, Entity) and r.subtype == "crime")
    assert crime.event is not None
    assert crime.event.occurred_from is not None
    moment = crime.event.occurred_from.isoformat()
    where = ["--where", "version=1", "--where", f"event.occurred_from={moment}"]
    result = invoke(["search", url, *where, "--json"])
    assert result.exit_code == 0, result.output
    ids = [item["id"] for item in json.loads(result.stdout)["items"]]
    assert crime.id in ids


def test_search_filter_json_and_descending_order(url: str) -> None:
    """A JSON filter selects entities and ``--order label:desc`` sorts them backwards."""
    query = '{"op": "in", "field": "subtype", "values": ["vehicle", "phone"]}'
    result = invoke(["search", url, "--filter", query, "--order", "label:desc", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    labels = [item["label"] for item in items]
    assert items
    assert {item["subtype"] for item in items} <= {"vehicle", "phone"}
    assert labels == sorted(labels, reverse=True)


def test_search_that_matches_nothing_says_so(url: str) -> None:
    """An empty result is a sentence, not an empty table."""
    result = invoke(["search", url, "--text", "zzqxj"])
    assert result.exit_code == 0
    assert "No entity matches." in result.stdout


def test_get_prints_the_record_and_its_json_round_trips(url: str, records: list[Entity]) -> None:
    """``get`` shows an entity's fields; its ``--json`` form parses back to the same record."""
    entity = next(r for r in records if isinstance(r, Entity))
    readable = invoke(["get", url, entity.id])
    assert readable.exit_code == 0, readable.output
    assert entity.label in readable.stdout
    as_json = invoke(["get", url, entity.id, "--json"])
    assert Entity.model_validate_json(as_json.stdout) == entity


def test_get_reads_cases_with_type_option(url: str, records: list[Case]) -> None:
    """``--type case`` looks the id up among cases."""
    case = next(r for r in records if isinstance(r, Case))
    result = invoke(["get", url, case.id, "--type", "case", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["reference"] == case.reference


def test_get_without_type_finds_a_case_link_or_entity(url: str, records: list[Case]) -> None:
    """Without ``--type`` the id is looked up in every kind of record: a case's id finds it."""
    case = next(r for r in records if isinstance(r, Case))
    link = next(r for r in records if isinstance(r, Link))
    found_case = invoke(["get", url, case.id, "--json"])
    assert found_case.exit_code == 0, found_case.output
    assert Case.model_validate_json(found_case.stdout) == case
    found_link = invoke(["get", url, link.id, "--json"])
    assert Link.model_validate_json(found_link.stdout) == link
    readable = invoke(["get", url, case.id])
    assert readable.stdout.startswith(f"case {case.id}")


def test_get_with_type_looks_only_in_that_kind(url: str, records: list[Case]) -> None:
    """``--type entity`` keeps its meaning: a case's id is not an entity's."""
    case = next(r for r in records if isinstance(r, Case))
    result = invoke(["get", url, case.id, "--type", "entity"])
    assert result.exit_code == 1
    assert f"entity '{case.id}' does not exist" in result.stderr


def _lines_holding(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


def test_ids_are_never_wrapped_in_an_80_column_terminal(url: str) -> None:
    """Every id shows whole on one line, so it can be copied into the next command."""
    found = json.loads(invoke(["search", url, "--kind", "person", "--json"]).stdout)["items"]
    narrow = runner.invoke(app, ["search", url, "--kind", "person"], env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    table = [line for line in narrow.stdout.splitlines() if not line.startswith("More results")]
    assert max(len(line) for line in table) <= 80
    for item in found:
        assert _lines_holding(narrow.stdout, item["id"]), item["id"]
    root = found[0]["id"]
    subgraph = json.loads(invoke(["neighbours", url, root, "--json"]).stdout)
    shown = runner.invoke(app, ["neighbours", url, root], env={"COLUMNS": "80"})
    assert shown.exit_code == 0, shown.output
    ids = [e["id"] for e in subgraph["entities"]] + [k["id"] for k in subgraph["links"]]
    assert len(ids) > 2
    for record_id in ids:
        assert _lines_holding(shown.stdout, record_id), record_id


def test_neighbours_lists_the_entities_one_hop_away(graph_url: str) -> None:
    """Depth 1 from a holds a and its three direct contacts, and the three links to them."""
    result = invoke(["neighbours", graph_url, "p-a", "--depth", "1", "--json"])
    assert result.exit_code == 0, result.output
    subgraph = json.loads(result.stdout)
    assert [e["id"] for e in subgraph["entities"]] == ["p-a", "p-b", "p-c", "p-e"]
    assert [link["id"] for link in subgraph["links"]] == ["k-1", "k-3", "k-5"]


def test_neighbours_direction_in_follows_incoming_links_only(graph_url: str) -> None:
    """From d, incoming links lead to b and f; c is reached only by an outgoing link."""
    result = invoke(["neighbours", graph_url, "p-d", "--direction", "in", "--json"])
    assert [e["id"] for e in json.loads(result.stdout)["entities"]] == ["p-b", "p-d", "p-f"]


def test_neighbours_table_shows_distances_and_labels(graph_url: str) -> None:
    """The readable form names the root and lists entities two hops away."""
    result = invoke(["neighbours", graph_url, "p-a", "--depth", "2"])
    assert result.exit_code == 0, result.output
    assert "Within 2 hops of Alice Archer: 6 entities" in result.stdout
    assert "Dan Dyer" in result.stdout


def test_paths_returns_every_shortest_path_in_order(graph_url: str) -> None:
    """From a to d: exactly the two 2-link paths, in step order, never the 3-link detour."""
    result = invoke(["paths", graph_url, "p-a", "p-d", "--max-depth", "4", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"entity_ids": ["p-a", "p-b", "p-d"], "link_ids": ["k-1", "k-2"]},
        {"entity_ids": ["p-a", "p-c", "p-d"], "link_ids": ["k-3", "k-4"]},
    ]


def test_paths_are_shown_as_chains_with_link_directions(graph_url: str) -> None:
    """Each path reads as a chain; a link walked against its direction points back."""
    result = invoke(["paths", graph_url, "p-a", "p-d"])
    assert result.exit_code == 0, result.output
    assert "2 shortest paths of 2 links from Alice Archer to Dan Dyer" in result.stdout
    assert "Alice Archer (Person) —KNOWS→ Bob Baker (Person) —KNOWS→ Dan Dyer" in result.stdout
    assert "Carol Cooper (Person) ←KNOWS— Dan Dyer (Person)" in result.stdout


def test_paths_beyond_max_depth_is_an_empty_answer(graph_url: str) -> None:
    """No path within --max-depth prints a sentence and succeeds; JSON gives an empty list."""
    readable = invoke(["paths", graph_url, "p-a", "p-d", "--max-depth", "1"])
    assert readable.exit_code == 0
    assert "No path of at most 1 links between Alice Archer and Dan Dyer." in readable.stdout
    as_json = invoke(["paths", graph_url, "p-a", "p-d", "--max-depth", "1", "--json"])
    assert json.loads(as_json.stdout) == []


def test_timeline_of_a_case_is_in_time_order(url: str, records: list[Case]) -> None:
    """A case's timeline holds its crime and lists events by start time."""
    case = next(r for r in records if isinstance(r, Case) and r.reference.startswith("CASE/"))
    crime_id = next(m.entity_id for m in case.members if m.role == "crime")
    result = invoke(["timeline", url, "--case", case.id, "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    starts = [entry["event"]["event"]["occurred_from"] for entry in entries]
    assert crime_id in [entry["event"]["id"] for entry in entries]
    assert starts == sorted(starts)


def test_timeline_bounds_leave_out_earlier_events(url: str, records: list[Case]) -> None:
    """``--from`` after every event of an entity leaves its timeline empty."""
    case = next(r for r in records if isinstance(r, Case) and r.reference.startswith("CASE/"))
    crime_id = next(m.entity_id for m in case.members if m.role == "crime")
    everything = invoke(["timeline", url, "--entity", crime_id, "--json"])
    later = invoke(["timeline", url, "--entity", crime_id, "--from", "2100-01-01", "--json"])
    assert len(json.loads(everything.stdout)) >= 1
    assert json.loads(later.stdout) == []


def test_timeline_table_names_the_people_involved(url: str, records: list[Case]) -> None:
    """The readable timeline shows the crime's reference and the people linked to it."""
    case = next(r for r in records if isinstance(r, Case) and r.reference.startswith("CASE/"))
    crime = next(
        r
        for r in records
        if isinstance(r, Entity) and any(m.entity_id == r.id for m in case.members)
        if r.subtype == "crime"
    )
    result = invoke(["timeline", url, "--case", case.id])
    assert result.exit_code == 0, result.output
    assert crime.event is not None
    assert crime.event.reference is not None
    assert crime.event.reference in result.stdout


def test_paths_via_a_kind_skip_go_betweens_of_other_kinds(graph_url: str) -> None:
    """Every go-between in the small graph is a person, so --via organisation finds nothing."""
    people = invoke(["paths", graph_url, "p-a", "p-d", "--via", "person", "--json"])
    companies = invoke(["paths", graph_url, "p-a", "p-d", "--via", "organisation", "--json"])
    assert len(json.loads(people.stdout)) == 2
    assert json.loads(companies.stdout) == []
