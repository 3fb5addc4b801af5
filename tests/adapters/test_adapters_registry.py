"""Choosing a store: URLs, the configuration file, the environment and the adapter registry."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import pytest

from adapters import (
    BUILTIN_ADAPTERS,
    DEFAULT_URL,
    ENTRY_POINT_GROUP,
    AdapterSpec,
    InMemoryCaseStore,
    StoreSettings,
    _registry,
    connect,
    known_schemes,
    load_settings,
    redact_url,
    register_adapter,
    split_url,
)
from contracts import (
    CaseStore,
    ConfigurationError,
    Entity,
    EntityKind,
    Link,
    Unavailable,
    ValidationFailed,
    to_json_line,
)


def person(entity_id: str) -> Entity:
    return Entity(id=entity_id, kind=EntityKind.PERSON, subtype="p", label=entity_id)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run each test in an empty directory, without caseport settings or registrations."""
    for name in list(os.environ):
        if name.startswith("CASEPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_registry, "_runtime", {})
    return tmp_path


def write_config(directory: Path, text: str) -> Path:
    path = directory / "caseport.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- configuration


def test_settings_without_configuration_are_the_builtin_default() -> None:
    """No file and no environment give the default URL, reported as the default."""
    assert load_settings() == StoreSettings(url=DEFAULT_URL, options={}, source="default")
    assert "://" in DEFAULT_URL


def test_connect_without_url_reads_caseport_toml_in_the_working_directory(
    isolated: Path,
) -> None:
    """The file's URL and options configure the store."""
    data = write_jsonl(isolated / "seed.jsonl", [to_json_line(person("p-1"))])
    write_config(
        isolated,
        f'[store]\nurl = "memory://"\n\n[store.options]\nload = "{data.as_posix()}"\nseed = 3\n',
    )
    store = connect()
    assert [entity.id for entity in store.search().items] == ["p-1"]
    settings = load_settings()
    assert settings.source == str(isolated / "caseport.toml")
    assert settings.options == {"load": data.as_posix(), "seed": "3"}


def test_environment_url_wins_over_the_file(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CASEPORT_URL`` replaces the file's URL; the file's options still apply."""
    write_config(isolated, '[store]\nurl = "nowhere://x"\n[store.options]\nseed = "5"\n')
    monkeypatch.setenv("CASEPORT_URL", "memory://?script=unavailable")
    store = connect()
    assert isinstance(store, InMemoryCaseStore)
    assert store.faults is not None
    assert (store.faults.plan.seed, store.faults.plan.script) == (5, ("unavailable",))
    assert load_settings().source == "CASEPORT_URL"


def test_environment_options_win_over_the_file_and_keywords_over_both(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CASEPORT_OPTION_<NAME>`` sets option ``<name>``; keyword options win last."""
    write_config(
        isolated, '[store]\nurl = "memory://"\n[store.options]\nseed = "1"\nscript = "timeout"\n'
    )
    monkeypatch.setenv("CASEPORT_OPTION_SEED", "2")
    monkeypatch.setenv("CASEPORT_OPTION_", "ignored")
    assert load_settings().options == {"seed": "2", "script": "timeout"}
    store = connect(script="ok")
    assert isinstance(store, InMemoryCaseStore)
    assert store.faults is not None
    assert (store.faults.plan.seed, store.faults.plan.script) == (2, ("ok",))


def test_load_settings_accepts_an_explicit_environment_and_directory(tmp_path: Path) -> None:
    """Settings can be resolved without touching the process environment."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    write_config(folder, '[store]\nurl = "memory://?seed=9"\n')
    settings = load_settings(environ={}, cwd=folder)
    assert settings.url == "memory://?seed=9"
    assert load_settings(environ={"CASEPORT_URL": "x://"}, cwd=folder).url == "x://"


def test_caseport_config_names_a_file_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``CASEPORT_CONFIG`` points at the file to read instead of the working directory."""
    other = tmp_path / "conf" / "store.toml"
    other.parent.mkdir()
    other.write_text('[store]\nurl = "memory://?seed=4"\n', encoding="utf-8")
    monkeypatch.setenv("CASEPORT_CONFIG", str(other))
    assert load_settings().url == "memory://?seed=4"
    monkeypatch.setenv("CASEPORT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[store\nurl = 'memory://'", "not valid TOML", id="malformed"),
        pytest.param('url = "memory://" = 1', "not valid TOML", id="bad assignment"),
        pytest.param("store = 1", r"\[store\] must be a table", id="store not a table"),
        pytest.param('[store]\ncolour = "red"', "unknown key store.colour", id="unknown key"),
        pytest.param("[store]\nurl = 5", "store.url must be a string", id="url not a string"),
        pytest.param('[store]\noptions = "x"', "must be a table", id="options not a table"),
    ],
)
def test_malformed_configuration_file_is_a_configuration_error(
    isolated: Path, text: str, message: str
) -> None:
    """A file that cannot be understood stops the connection with a clear message."""
    write_config(isolated, text)
    with pytest.raises(ConfigurationError, match=message):
        connect()


# ---------------------------------------------------------------------------- URLs


def test_split_url_lowercases_the_scheme_and_returns_options() -> None:
    """The scheme is case-insensitive; query parameters become options."""
    assert split_url("MEMORY://?seed=1&load=") == ("memory", {"seed": "1", "load": ""})


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("memory", "not a store URL", id="no scheme"),
        pytest.param("/var/lib/case.db", "not a store URL", id="a path"),
        pytest.param("memory://?seed=1&seed=2", "given twice", id="repeated option"),
    ],
)
def test_malformed_url_is_a_configuration_error(url: str, message: str) -> None:
    """URLs without a scheme, or with a repeated option, are refused."""
    with pytest.raises(ConfigurationError, match=message):
        connect(url)


@pytest.mark.parametrize("key", ["password", "token", "secret", "client_secret", "API_KEY"])
def test_secret_in_a_url_query_is_refused_without_echoing_it(key: str) -> None:
    """Secrets must not travel in URLs, which get logged; the value is never repeated."""
    with pytest.raises(ConfigurationError, match="must not travel in a URL") as caught:
        connect(f"memory://?{key}=hunter2-s3cr3t")
    assert "hunter2-s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://alice:s3cret@db.example:5432/cases",
            "postgresql://alice:***@db.example:5432/cases",
        ),
        ("https://bob:p%40ss@api.example/v2?x=1", "https://bob:***@api.example/v2?x=1"),
        ("postgresql://alice@db.example/cases", "postgresql://alice@db.example/cases"),
        ("memory://?seed=1", "memory://?seed=1"),
        ("sqlite:///var/lib/case.db", "sqlite:///var/lib/case.db"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, expected: str) -> None:
    """The password becomes ``***``; everything else is kept for the log line."""
    assert redact_url(url) == expected


# ---------------------------------------------------------------------------- registry


def test_unknown_scheme_lists_the_known_schemes() -> None:
    """The message names every scheme that would work and where plug-ins register."""
    register_adapter("testing", lambda url, options: InMemoryCaseStore())
    with pytest.raises(ConfigurationError) as caught:
        connect("cassandra://cluster/cases")
    message = str(caught.value)
    assert "'cassandra'" in message
    assert "known schemes: " + ", ".join(known_schemes()) in message
    assert {"memory", "testing"} <= set(known_schemes())
    assert ENTRY_POINT_GROUP in message


def test_registered_adapter_serves_its_scheme_with_url_and_options() -> None:
    """A factory registered at run time receives the URL and the merged options."""
    calls: list[tuple[str, Mapping[str, str]]] = []

    def factory(url: str, options: Mapping[str, str]) -> CaseStore:
        calls.append((url, dict(options)))
        return InMemoryCaseStore()

    register_adapter("testing", factory)
    store = connect("testing://somewhere?mode=fast", region="eu")
    assert isinstance(store, InMemoryCaseStore)
    assert calls == [("testing://somewhere?mode=fast", {"mode": "fast", "region": "eu"})]
    assert "testing" in known_schemes()
    assert known_schemes() == sorted(known_schemes())


def test_register_adapter_refuses_a_builtin_scheme() -> None:
    """``memory`` cannot be replaced, even on purpose."""
    with pytest.raises(ConfigurationError, match="built in"):
        register_adapter("memory", lambda url, options: InMemoryCaseStore())
    with pytest.raises(ConfigurationError, match="built in"):
        register_adapter("memory", lambda url, options: InMemoryCaseStore(), replace=True)


def test_register_adapter_refuses_a_taken_scheme_unless_replacing() -> None:
    """A second registration fails silently never; ``replace=True`` is the explicit way."""
    first = InMemoryCaseStore()
    second = InMemoryCaseStore()
    register_adapter("testing", lambda url, options: first)
    with pytest.raises(ConfigurationError, match="already registered"):
        register_adapter("testing", lambda url, options: second)
    assert connect("testing://") is first
    register_adapter("testing", lambda url, options: second, replace=True)
    assert connect("testing://") is second


def test_builtin_table_is_read_only_and_alphabetical() -> None:
    """The built-in adapters cannot be edited at run time and are listed in order."""
    assert list(BUILTIN_ADAPTERS) == sorted(BUILTIN_ADAPTERS)
    with pytest.raises(TypeError):
        BUILTIN_ADAPTERS["x"] = AdapterSpec("x:y", None, "x")  # type: ignore[index]
    assert BUILTIN_ADAPTERS["memory"].extra is None


@pytest.mark.parametrize(
    ("extra", "hint"),
    [("bogus", "pip install 'caseport[bogus]'"), (None, "reinstall caseport")],
)
def test_adapter_whose_module_is_missing_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch, extra: str | None, hint: str
) -> None:
    """A built-in scheme whose dependencies are absent says which extra to install."""
    table = {
        **BUILTIN_ADAPTERS,
        "bogus": AdapterSpec("caseport_missing_backend:from_url", extra, "test only"),
    }
    monkeypatch.setattr(_registry, "BUILTIN_ADAPTERS", MappingProxyType(table))
    with pytest.raises(ConfigurationError) as caught:
        connect("bogus://host/db")
    message = str(caught.value)
    assert hint in message
    assert "caseport_missing_backend" in message
    assert isinstance(caught.value.__cause__, ImportError)
    assert "bogus" in known_schemes()


# ---------------------------------------------------------------------------- memory://?load=


def test_memory_load_starts_the_store_with_the_files_records(isolated: Path) -> None:
    """Every record of a canonical JSON Lines file is stored as it was written."""
    records = [person("a"), person("b"), Link(id="l-1", type="KNOWS", source_id="a", target_id="b")]
    path = write_jsonl(isolated / "case.jsonl", [to_json_line(r) for r in records] + [""])
    store = connect(f"memory://?load={path}")
    exported = list(store.export())
    assert [record.id for record in exported] == ["a", "b", "l-1"]
    assert [hop.neighbour.id for hop in store.expand("a")] == ["b"]


def test_memory_load_is_not_disturbed_by_faults(isolated: Path) -> None:
    """Faults start after loading, so the starting data is complete."""
    path = write_jsonl(isolated / "case.jsonl", [to_json_line(person("a"))])
    store = connect(f"memory://?load={path}&script=unavailable,unavailable")
    assert isinstance(store, InMemoryCaseStore)
    assert store.faults is not None
    assert store.faults.log == []
    with pytest.raises(Unavailable):
        store.get(Entity, "a")
    assert store.faults.log == [("fetch", "unavailable")]


def test_memory_load_names_the_line_of_a_bad_record(isolated: Path) -> None:
    """A malformed record fails the load with its line number, without echoing it."""
    lines = [to_json_line(person("a")), "", '{"record_type": "entity", "label": "SECRETVALUE"}']
    path = write_jsonl(isolated / "broken.jsonl", lines)
    with pytest.raises(ValidationFailed, match="line 3") as caught:
        connect(f"memory://?load={path}")
    assert "SECRETVALUE" not in str(caught.value)


def test_memory_load_of_a_file_that_is_not_json_names_the_line(isolated: Path) -> None:
    """Text that is not JSON is reported with its line number too."""
    path = write_jsonl(isolated / "notes.jsonl", [to_json_line(person("a")), "hello"])
    with pytest.raises(ValidationFailed, match="line 2"):
        connect(f"memory://?load={path}")


def test_memory_load_of_a_missing_file_is_a_configuration_error(isolated: Path) -> None:
    """A file that cannot be opened is a configuration problem, not a crash."""
    with pytest.raises(ConfigurationError, match="cannot read"):
        connect(f"memory://?load={isolated / 'absent.jsonl'}")


def test_memory_load_with_a_dangling_link_is_refused(isolated: Path) -> None:
    """Links must follow the entities they join; a link to nowhere fails the load."""
    link = Link(id="l-1", type="KNOWS", source_id="a", target_id="ghost")
    path = write_jsonl(isolated / "case.jsonl", [to_json_line(person("a")), to_json_line(link)])
    with pytest.raises(ValidationFailed, match="ghost"):
        connect(f"memory://?load={path}")
