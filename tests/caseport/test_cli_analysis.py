"""count, aggregate and degree, against in-memory stores and a real SQLite file."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from cli_support import generated_file, invoke, read_records, runner
from typer.testing import Result

import adapters
from caseport._errors import EXIT_FAILURE, EXIT_USAGE
from caseport.cli import app
from contracts.models import Case, Entity, EntityKind, Link, Record, to_json_line


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_file(tmp_path_factory, seed=2)


@pytest.fixture(scope="module")
def url(generated: Path) -> str:
    return f"memory://?load={generated}"


@pytest.fixture(scope="module")
def records(generated: Path) -> list[Record]:
    return read_records(generated)


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory, records: list[Record]) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/case.db"
    with adapters.connect(url) as store:
        store.upsert_many(records)
    return url


def _one_error_line(result: Result, code: int) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == code, result.output
    assert len(lines) == 1, result.stderr
    return lines[0]


def _json(result: Result) -> object:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------- count


def test_count_without_conditions_counts_every_entity(url: str, records: list[Record]) -> None:
    """No condition: every entity, said in words."""
    expected = sum(isinstance(r, Entity) for r in records)
    result = invoke(["count", url])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{expected} entities"


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_count_of_open_cases_agrees_on_two_backends(
    store: str, url: str, sqlite_url: str, records: list[Record]
) -> None:
    """The same count from the in-memory store and from a SQLite file."""
    expected = sum(isinstance(r, Case) and r.status.value == "open" for r in records)
    target = url if store == "memory" else sqlite_url
    answer = _json(invoke(["count", target, "--type", "case", "--where", "status=open", "--json"]))
    assert answer == {"record_type": "case", "count": expected}


def test_count_combines_kind_and_text(url: str, records: list[Record]) -> None:
    """Conditions are those of search, all holding at once."""
    people = [r for r in records if isinstance(r, Entity) and r.kind is EntityKind.PERSON]
    assert people[0].person is not None
    family = people[0].person.family_name
    assert family is not None
    expected = sum(p.person is not None and p.person.family_name == family for p in people)
    where = f"person.family_name={family}"
    answer = _json(invoke(["count", url, "--kind", "person", "--where", where, "--json"]))
    assert answer == {"record_type": "entity", "count": expected}


def test_count_of_an_unknown_link_field_suggests_the_close_one(url: str) -> None:
    """Fields are checked against the type counted, before the store is opened."""
    result = invoke(["count", "sqlite:///nowhere/at/all.db", "--type", "link", "--where", "rol=x"])
    assert "--where: unknown link field 'rol'; did you mean role" in _one_error_line(
        result, EXIT_USAGE
    )


# ---------------------------------------------------------------------------------- aggregate


def _crime_categories(records: list[Record]) -> Counter[str | None]:
    return Counter(
        r.event.category if r.event is not None else None
        for r in records
        if isinstance(r, Entity) and r.subtype == "crime"
    )


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_aggregate_json_has_every_group_with_its_count(
    store: str, url: str, sqlite_url: str, records: list[Record]
) -> None:
    """Crimes by category: the groups and total of a Counter over the same records."""
    expected = _crime_categories(records)
    target = url if store == "memory" else sqlite_url
    answer = _json(
        invoke(["aggregate", target, "--subtype", "crime", "--by", "event.category", "--json"])
    )
    assert isinstance(answer, dict)
    assert {group["key"][0]: group["count"] for group in answer["groups"]} == expected
    assert answer["total"] == sum(expected.values())
    assert answer["truncated"] is False
    counts = [group["count"] for group in answer["groups"]]
    assert counts == sorted(counts, reverse=True)


def test_aggregate_table_shows_keys_counts_metrics_and_the_total(
    url: str, records: list[Record]
) -> None:
    """One row per group with its metric, then a line with the total and no truncation."""
    crimes = [r for r in records if isinstance(r, Entity) and r.subtype == "crime"]
    category, size = _crime_categories(records).most_common(1)[0]
    latest = max(
        c.event.occurred_from
        for c in crimes
        if c.event is not None and c.event.category == category and c.event.occurred_from
    )
    result = invoke(
        [
            *("aggregate", url, "--subtype", "crime", "--by", "event.category"),
            *("--metric", "max:event.occurred_from"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "max(event.occurred_from)" in result.stdout
    row = next(line for line in result.stdout.splitlines() if f" {category} " in line)
    assert f" {size} " in row
    assert latest.strftime("%Y-%m-%dT%H:%M:%SZ") in row
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith(f"{len(crimes)} matching records; ")
    assert "truncated" not in last


def test_aggregate_limit_keeps_the_largest_groups_and_says_it_truncated(
    url: str, records: list[Record]
) -> None:
    """--limit 2 keeps the two largest groups; the JSON and the table both say more exist."""
    sizes = sorted(_crime_categories(records).values(), reverse=True)
    args = ["aggregate", url, "--subtype", "crime", "--by", "event.category", "--limit", "2"]
    answer = _json(invoke([*args, "--json"]))
    assert isinstance(answer, dict)
    assert [group["count"] for group in answer["groups"]] == sizes[:2]
    assert answer["truncated"] is True
    table = invoke(args)
    assert "truncated: more groups exist" in table.stdout.strip().splitlines()[-1]


def test_aggregate_links_by_two_fields_with_an_average(url: str, records: list[Record]) -> None:
    """Links grouped by type and role, ordered by key, with the average confidence."""
    links = [r for r in records if isinstance(r, Link)]
    expected = Counter((link.type, link.role) for link in links)
    answer = _json(
        invoke(
            [
                *("aggregate", url, "--type", "link", "--by", "type", "--by", "role"),
                *("--metric", "avg:confidence", "--order", "key", "--limit", "1000", "--json"),
            ]
        )
    )
    assert isinstance(answer, dict)
    assert {tuple(group["key"]): group["count"] for group in answer["groups"]} == expected
    keys = [group["key"][0] for group in answer["groups"]]
    assert keys == sorted(keys)
    assert all("avg(confidence)" in group["values"] for group in answer["groups"])


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--by", "categry"], "--by: unknown entity field 'categry'; did you mean event.category"),
        (["--metric", "sum:label"], "sum cannot be taken of label: it holds no numbers"),
        (["--metric", "median:properties.value"], "'median' is not a metric; use one of min"),
        (["--metric", "max"], "expected OP:FIELD"),
        (["--by", "id", "--by", "id", "--by", "id", "--by", "id"], "--by: at most 3 fields"),
        (["--type", "case", "--by", "kind"], "unknown case field 'kind'"),
    ],
)
def test_aggregate_refuses_bad_requests_in_one_line(
    url: str, args: list[str], fragment: str
) -> None:
    """Each mistake is one line that says what is wrong, before the store is read."""
    result = invoke(["aggregate", url, *args])
    assert fragment in _one_error_line(result, EXIT_USAGE)


# ---------------------------------------------------------------------------------- degree


@pytest.fixture(scope="module")
def star_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``hub`` knows p-1 and p-2 (one link each way) and uses a vehicle."""
    entities = [
        Entity(id=key, kind=EntityKind.PERSON, subtype="person", label=f"Person {key}")
        for key in ("hub", "p-1", "p-2")
    ] + [Entity(id="v-1", kind=EntityKind.OBJECT, subtype="vehicle", label="Blue van")]
    links = [
        Link(id="l-1", type="KNOWS", source_id="hub", target_id="p-1"),
        Link(id="l-2", type="KNOWS", source_id="p-2", target_id="hub"),
        Link(id="l-3", type="USES", source_id="hub", target_id="v-1"),
    ]
    path = tmp_path_factory.mktemp("star") / "star.jsonl"
    path.write_text("".join(to_json_line(r) + "\n" for r in [*entities, *links]), "utf-8")
    return f"memory://?load={path}"


def test_degree_counts_links_per_entity_in_the_order_asked(star_url: str) -> None:
    """Several entities in one call, keyed in the order given."""
    answer = _json(invoke(["degree", star_url, "v-1", "hub", "p-1", "--json"]))
    assert isinstance(answer, dict)
    assert list(answer.items()) == [("v-1", 1), ("hub", 3), ("p-1", 1)]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--direction", "out"], 2),
        (["--direction", "in"], 1),
        (["--link-type", "KNOWS"], 2),
        (["--link-type", "KNOWS", "--direction", "out"], 1),
    ],
)
def test_degree_counts_only_the_links_asked_for(
    star_url: str, options: list[str], expected: int
) -> None:
    """Direction and link type narrow what is counted, as expand follows them."""
    answer = _json(invoke(["degree", star_url, "hub", *options, "--json"]))
    assert answer == {"hub": expected}


def test_degree_table_has_label_degree_and_whole_ids(star_url: str) -> None:
    """A row per entity with its label and degree; the id never shortened."""
    result = runner.invoke(app, ["degree", star_url, "hub", "v-1"], env={"COLUMNS": "60"})
    assert result.exit_code == 0, result.output
    hub = next(line for line in result.stdout.splitlines() if "Person hub" in line)
    assert " 3 " in hub
    assert "hub" in hub.split("│")[-2]


def test_degree_of_a_missing_entity_is_not_found(star_url: str) -> None:
    """A missing entity fails the call, named, exit 1."""
    result = invoke(["degree", star_url, "hub", "nobody"])
    assert "nobody" in _one_error_line(result, EXIT_FAILURE)


def test_degree_without_an_id_is_a_usage_error(star_url: str) -> None:
    """The URL alone is not enough."""
    result = invoke(["degree", star_url])
    assert result.exit_code == EXIT_USAGE
    assert result.stderr.splitlines()[0] == "Error (usage): Missing argument 'ID'."
