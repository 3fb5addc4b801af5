"""The mapping file: the shipped reference design, and clear errors for incomplete ones."""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from foundry_support import sample_records

import adapters
import adapters.foundry as foundry
from adapters.foundry.mapping import load_mapping, parse_mapping
from adapters.foundry.testing import FakeFoundry
from adapters.memory import InMemoryCaseStore
from contracts.capabilities import Capability, Support
from contracts.errors import ConfigurationError, NotSupported
from contracts.models import Case
from contracts.models.common import RecordType
from contracts.query import OrderKey, SearchQuery, Text


def default_data() -> dict[str, Any]:
    text = resources.files("adapters.foundry").joinpath("default_mapping.toml").read_text()
    return tomllib.loads(text)


def without(data: dict[str, Any], *path: str) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return data


def test_the_shipped_reference_mapping_maps_every_record_type() -> None:
    """The default mapping is complete and documented in the package."""
    mapping = load_mapping()
    assert set(mapping.layouts) == set(RecordType)
    assert mapping.entity.text_terms == "searchTerms"
    assert mapping.entity.property_for("person.family_name") is not None
    assert mapping.link.from_source
    assert mapping.link.from_target


@pytest.mark.parametrize(
    ("path", "named"),
    [
        (("entity", "actions", "update"), "entity.actions.update is missing"),
        (("entity", "object_type"), "entity.object_type is missing"),
        (("link", "from_target"), "link.from_target is missing"),
        (("link", "properties", "source_id"), "link.properties.source_id is missing"),
        (("entity", "properties", "version"), "entity.properties.version is missing"),
        (("link",), "link is missing"),
    ],
)
def test_an_incomplete_mapping_names_the_missing_piece(path: tuple[str, ...], named: str) -> None:
    """Each missing required piece is named with its place in the file."""
    with pytest.raises(ConfigurationError, match=re.escape(named)):
        parse_mapping(without(default_data(), *path), "m.toml")


def test_unknown_keys_fields_and_unfit_types_are_named() -> None:
    """Typos and impossible types are refused with the place and the fix."""
    data = default_data()
    data["entity"]["colour"] = "x"
    with pytest.raises(ConfigurationError, match=r"entity\.colour is not a known key"):
        parse_mapping(data, "m.toml")
    data = default_data()
    data["entity"]["properties"]["person.shoe_size"] = "shoeSize"
    with pytest.raises(ConfigurationError, match=r"unknown field 'person\.shoe_size'"):
        parse_mapping(data, "m.toml")
    data = default_data()
    data["entity"]["properties"]["label"] = {"property": "label", "type": "long"}
    with pytest.raises(ConfigurationError, match=r"properties\.label.*use string"):
        parse_mapping(data, "m.toml")
    data = default_data()
    data["entity"]["properties"]["description"] = "label"
    with pytest.raises(ConfigurationError, match="share property 'label'"):
        parse_mapping(data, "m.toml")


def test_unreadable_and_invalid_files_are_configuration_errors(tmp_path: Path) -> None:
    """A missing file or bad TOML is reported with the file name."""
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_mapping(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[entity\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_mapping(bad)


def test_record_types_left_out_of_the_mapping_are_unsupported(tmp_path: Path) -> None:
    """Without a [case] section, cases are declared unsupported and refused."""
    data = without(default_data(), "case")
    mapping = parse_mapping(data, "m.toml")
    fake = FakeFoundry(mapping=mapping)
    store = fake.store()
    assert store.capabilities()[Capability.CASES] is Support.UNSUPPORTED
    with pytest.raises(NotSupported):
        store.create(Case(reference="OP-1", title="One"))


def test_a_minimal_mapping_still_gives_reference_results(tmp_path: Path) -> None:
    """With no text-terms and few typed properties, caseport filters and sorts itself."""
    data = default_data()
    data["entity"].pop("text_terms")
    data["entity"]["properties"] = {"version": "version"}
    path = tmp_path / "minimal.toml"
    path.write_text(_to_toml(data))
    store = adapters.connect(f"foundry+fake://tenant?mapping={path}")
    reference = InMemoryCaseStore()
    records = sample_records()
    store.upsert_many(records)
    reference.upsert_many(records)
    query = SearchQuery(filter=Text("smith"), order_by=(OrderKey(field="label"),), page_size=1)
    assert list(store.iter_search(query)) == list(reference.iter_search(query))
    everything = SearchQuery(order_by=(OrderKey(field="label", descending=True),), page_size=2)
    assert list(store.iter_search(everything)) == list(reference.iter_search(everything))


def test_store_urls_split_into_host_prefix_and_ontology() -> None:
    """foundry+https://host/prefix/ontology keeps the prefix and names the ontology."""
    assert foundry.split_store_url(
        "foundry+https://h.example:8443/gw/palantir", "foundry+https"
    ) == (
        "https://h.example:8443/gw",
        "palantir",
    )
    with pytest.raises(ConfigurationError, match="ontology"):
        foundry.split_store_url("foundry+https://h.example/", "foundry+https")


def test_unknown_or_malformed_url_options_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Options are checked before anything connects."""
    monkeypatch.setenv("CASEPORT_FOUNDRY_TOKEN", "t")
    with pytest.raises(ConfigurationError, match="unknown foundry\\+https:// option 'colour'"):
        adapters.connect("foundry+https://h.example/o?colour=red")
    with pytest.raises(ConfigurationError, match="read_timeout"):
        adapters.connect("foundry+https://h.example/o?read_timeout=soon")
    with pytest.raises(ConfigurationError, match="max_attempts"):
        adapters.connect("foundry+https://h.example/o?max_attempts=99")
    store = adapters.connect("foundry+https://h.example/o?read_timeout=12&max_attempts=2")
    assert store.info.kind == "remote"
    store.close()


def test_a_real_url_without_credentials_says_which_variables_to_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No token in the environment is a configuration error naming the variables."""
    for name in (
        "CASEPORT_FOUNDRY_TOKEN",
        "CASEPORT_FOUNDRY_CLIENT_ID",
        "CASEPORT_FOUNDRY_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError, match="CASEPORT_FOUNDRY_TOKEN"):
        adapters.connect("foundry+https://h.example/o")


def test_the_declaration_says_what_the_layer_does() -> None:
    """Graph walks are emulated over expand; search is partial, each part explained."""
    store = adapters.connect("foundry+fake://")
    caps = store.capabilities()
    notes = store.capability_notes()
    for capability in (
        Capability.SEARCH_FILTER,
        Capability.SEARCH_TEXT,
        Capability.SEARCH_ORDER,
        Capability.SEARCH_RECORDS,
        Capability.SEARCH_COUNT,
        Capability.SEARCH_AGGREGATE,
        Capability.GRAPH_EXPAND,
    ):
        assert caps[capability] is Support.PARTIAL
        assert "layer" in notes[capability]
    for capability in (
        Capability.GRAPH_NEIGHBOURHOOD,
        Capability.GRAPH_SHORTEST_PATHS,
        Capability.TIMELINE,
    ):
        assert caps[capability] is Support.EMULATED
    assert caps[Capability.GRAPH_DEGREE] is Support.NATIVE


def test_each_fake_connect_is_a_fresh_ontology() -> None:
    """Two foundry+fake:// stores never share data."""
    first = adapters.connect("foundry+fake://")
    second = adapters.connect("foundry+fake://")
    first.upsert_many(sample_records())
    assert list(second.export()) == []


def _to_toml(data: dict[str, Any], prefix: str = "") -> str:
    """A small TOML writer for the mapping's shape (tables of strings and tables)."""
    lines: list[str] = []
    tables: list[tuple[str, dict[str, Any]]] = []
    for key, value in data.items():
        name = f'"{key}"' if "." in key else key
        if isinstance(value, dict) and "property" not in value:
            tables.append((f"{prefix}{name}", value))
        elif isinstance(value, dict):
            lines.append(
                f'{name} = {{ property = "{value["property"]}", type = "{value["type"]}" }}'
            )
        elif isinstance(value, int):
            lines.append(f"{name} = {value}")
        else:
            lines.append(f'{name} = "{value}"')
    for table, body in tables:
        lines.append(f"\n[{table}]")
        lines.append(_to_toml(body, f"{table}."))
    return "\n".join(lines)
