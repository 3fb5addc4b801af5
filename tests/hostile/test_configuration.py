"""Hostile configuration aimed at an existing store, on every backend.

Out-of-range and malformed option values (through the URL, keywords, ``CASEPORT_OPTION_*`` and
``caseport.toml``), a configuration file that is not UTF-8, a mistyped ``[stor]`` table and a
user name on a scheme that takes none: each is a :class:`ConfigurationError` raised before
the adapter touches anything, the store keeps its record, and a whole-store export still
works. The command line reports the same as one line with exit code 2, never as an internal
error.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

import adapters
from caseport._errors import EXIT_USAGE
from caseport.cli import app
from contracts.errors import ConfigurationError
from contracts.models import Entity, EntityKind
from contracts.store import CaseStore

HUGE = str(10**30)
# Option values that must be refused, per backend: a whole number out of range, a word that
# is not a number, a value outside its fixed set, and a boolean that is not one.
BAD_OPTIONS = {
    "memory": [("latency_ms", HUGE), ("seed", "abc"), ("script", "explode"), ("failure_rate", "2")],
    "sqlite": [
        ("busy_timeout_ms", HUGE),
        ("busy_timeout_ms", "soon"),
        ("synchronous", "bogus"),
        ("upgrade", "perhaps"),
    ],
    "postgresql": [
        ("connect_timeout", "abc"),
        ("connect_timeout", HUGE),
        ("sslmode", "bogus"),
        ("pool_max", "0"),
        ("temporary", "perhaps"),
    ],
    "foundry": [
        ("connect_timeout", "abc"),
        ("page_size", HUGE),
        ("snapshot", "perhaps"),
        ("max_attempts", "0"),
    ],
}


def backend_of(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0]


def with_option(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


@pytest.fixture
def kept(store: CaseStore) -> Entity:
    """A record the hostile attempts must leave as it is."""
    return store.create(Entity(id="p-kept", kind=EntityKind.PERSON, subtype="person", label="K"))


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No caseport variables but the test server's, and an empty working directory."""
    for name in list(os.environ):
        if name.startswith("CASEPORT_") and name != "CASEPORT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def assert_untouched(store: CaseStore, kept: Entity) -> None:
    assert store.get(Entity, kept.id) == kept
    assert [record.id for record in store.export()] == [kept.id]


def test_bad_option_values_are_refused_before_the_store_is_touched(
    store_url: str, store: CaseStore, kept: Entity, clean_environment: Path
) -> None:
    """Each bad value, through the URL and as a keyword, names the option and what it takes."""
    for name, value in BAD_OPTIONS[backend_of(store_url)]:
        for opener in (
            partial(adapters.connect, with_option(store_url, name, value)),
            partial(adapters.connect, store_url, **{name: value}),
        ):
            with pytest.raises(ConfigurationError, match=f"option {name} must be") as caught:
                opener()
            assert value not in str(caught.value) or value == "0"
    assert_untouched(store, kept)


def test_a_mistyped_option_is_refused_with_the_close_name_in_one_line(
    store_url: str, store: CaseStore, kept: Entity, clean_environment: Path
) -> None:
    """An option the backend does not know names the one it resembles, before any change."""
    name, _ = BAD_OPTIONS[backend_of(store_url)][0]
    typo = name[:-1]
    with pytest.raises(ConfigurationError, match=f"'{typo}'; did you mean '{name}'") as caught:
        adapters.connect(store_url, **{typo: "1"})
    assert "\n" not in str(caught.value)
    assert_untouched(store, kept)


def test_bad_option_values_from_the_environment_and_the_file_are_refused(
    store_url: str,
    store: CaseStore,
    kept: Entity,
    clean_environment: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CASEPORT_OPTION_* and [store.options] are checked the same way."""
    name, value = BAD_OPTIONS[backend_of(store_url)][0]
    monkeypatch.setenv("CASEPORT_URL", store_url)
    monkeypatch.setenv(f"CASEPORT_OPTION_{name.upper()}", value)
    with pytest.raises(ConfigurationError, match=f"option {name} must be"):
        adapters.connect()
    monkeypatch.delenv(f"CASEPORT_OPTION_{name.upper()}")
    monkeypatch.delenv("CASEPORT_URL")
    (clean_environment / "caseport.toml").write_text(
        f'[store]\nurl = "{store_url}"\n[store.options]\n{name} = "{value}"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match=f"option {name} must be"):
        adapters.connect()
    assert_untouched(store, kept)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'[store]\nurl = "URL"\n# caf\xe9\n', "line 3: not valid UTF-8"),
        (b'[stor]\nurl = "URL"\n', r"line 1: unknown table or key stor; did you mean \[store\]"),
        (b'[store]\nurl = "URL"\nbusy = 1\n', "line 3: unknown key store.busy"),
        (b"[store]\nurl = 5\n", "store.url must be a string"),
        (b'[store]\nurl = "URL\n', "not valid TOML"),
    ],
    ids=["not utf-8", "stor", "unknown key", "url not a string", "unterminated"],
)
def test_a_broken_configuration_file_is_refused_naming_the_file(
    store_url: str,
    store: CaseStore,
    kept: Entity,
    clean_environment: Path,
    content: bytes,
    message: str,
) -> None:
    """A broken caseport.toml never falls back to a default or another store."""
    path = clean_environment / "caseport.toml"
    path.write_bytes(content.replace(b"URL", store_url.encode()))
    with pytest.raises(ConfigurationError, match=message) as caught:
        adapters.connect()
    assert str(path) in str(caught.value)
    assert not (clean_environment / "caseport.db").exists()
    assert_untouched(store, kept)


@pytest.mark.parametrize("store_url", ["memory", "sqlite", "foundry"], indirect=True)
def test_a_user_name_where_the_scheme_takes_none_is_refused(
    store_url: str, store: CaseStore, kept: Entity
) -> None:
    """memory, SQLite and Foundry refuse user information instead of ignoring it.

    PostgreSQL is left out: its URLs name their role (postgresql://USER@HOST/DB).
    """
    with_user = store_url.replace("://", "://someone@", 1)
    with pytest.raises(ConfigurationError, match="take no user name or password"):
        adapters.connect(with_user)
    assert_untouched(store, kept)


def test_the_command_line_reports_configuration_errors_in_one_line_with_exit_2(
    store_url: str, store: CaseStore, kept: Entity, clean_environment: Path
) -> None:
    """Invalid UTF-8, [stor] and bad option values: exit 2, one line, no internal error."""
    runner = CliRunner()
    name, value = BAD_OPTIONS[backend_of(store_url)][0]
    path = clean_environment / "caseport.toml"
    for content, start in (
        (f'[store]\nurl = "{store_url}"\n# caf\xe9\n'.encode("latin-1"), f"{path}, line 3"),
        (f'[stor]\nurl = "{store_url}"\n'.encode(), f"{path}, line 1"),
        (
            f'[store]\nurl = "{store_url}"\n[store.options]\n{name} = "{value}"\n'.encode(),
            f"{store_url.split(':')[0]}:// option {name} must be",
        ),
    ):
        path.write_bytes(content)
        result = runner.invoke(app, ["info"])
        lines = result.stderr.strip().splitlines()
        assert result.exit_code == EXIT_USAGE, result.output
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"Error (ConfigurationError): {start}")
        assert "internal" not in result.output
    path.unlink()
    result = runner.invoke(app, ["search", with_option(store_url, name, value), "--text", "x"])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"option {name} must be" in result.stderr
    assert_untouched(store, kept)
