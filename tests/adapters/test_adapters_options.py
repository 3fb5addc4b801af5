"""Each adapter's options model: validated once by the registry; factories of both forms work."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import adapters.sql
from adapters import (
    Adapter,
    AdapterOptions,
    InMemoryCaseStore,
    MemoryOptions,
    StoreURL,
    _registry,
    connect,
    describe_options,
    register_adapter,
    resolve_adapter,
)
from adapters._options import Whole, option
from adapters.foundry.options import FoundryFakeOptions, FoundryOptions
from adapters.sql.connect import PostgresqlOptions, SqliteOptions
from contracts import ConfigurationError
from contracts.store import CaseStore

HUGE = str(10**30)
# An unreachable server: a value that slipped through would fail later as Unavailable.
NOWHERE_PG = "postgresql://caseport@127.0.0.1:9/none"
RATE = "a number from 0 to 1"

# (URL, option, bad value, what the message says it accepts)
BAD_VALUES = [
    ("memory://", "latency_ms", "-1", "a number from 0 to 3600000 milliseconds"),
    ("memory://", "jitter_ms", "nan", "a number from 0 to 3600000 milliseconds"),
    ("memory://", "failure_rate", "1.5", RATE),
    ("memory://", "rate_limit_rate", "lots", RATE),
    ("memory://", "lost_reply_rate", "-0.1", RATE),
    ("memory://", "retry_after", "3601", "a number from 0 to 3600 seconds"),
    ("memory://", "seed", HUGE, "a whole number from 0 to 18446744073709551615"),
    ("memory://", "seed", "1.5", "a whole number from 0 to 18446744073709551615"),
    ("memory://", "script", "ok,explode", "a comma-separated list of ok, unavailable"),
    ("memory://", "operations", "fetch,teleport", "a comma-separated list of expand, export"),
    ("sqlite:///x.db", "busy_timeout_ms", HUGE, "a whole number from 0 to 3600000 milliseconds"),
    ("sqlite:///x.db", "busy_timeout_ms", "1_000", "a whole number from 0 to 3600000"),
    ("sqlite:///x.db", "synchronous", "bogus", "one of off, normal, full, extra"),
    ("sqlite:///x.db", "mode", "rwx", "one of rwc, rw, ro"),
    ("sqlite:///x.db", "upgrade", "perhaps", "true or false (or 1/0, yes/no, on/off)"),
    (NOWHERE_PG, "pool_max", "0", "a whole number from 1 to 1000"),
    (NOWHERE_PG, "pool_min", "1001", "a whole number from 1 to 1000"),
    (NOWHERE_PG, "temporary", "perhaps", "true or false"),
    (NOWHERE_PG, "schema", "pg_catalog", "1-63 letters, digits or underscores"),
    (NOWHERE_PG, "mode", "write", "one of rwc, rw, ro"),
    (NOWHERE_PG, "connect_timeout", "0", "a whole number from 1 to 3600 seconds"),
    (NOWHERE_PG, "sslmode", "bogus", "one of disable, allow, prefer"),
    ("foundry+https://h.example/onto", "connect_timeout", "0", "a number above 0 and at most"),
    ("foundry+https://h.example/onto", "deadline", "86401", "a number above 0 and at most 86400"),
    ("foundry+https://h.example/onto", "page_size", HUGE, "a whole number from 1 to 1000"),
    ("foundry+https://h.example/onto", "max_attempts", "0", "a whole number from 1 to 10"),
    ("foundry+https://h.example/onto", "max_response_bytes", "10", "from 1024 to"),
    ("foundry+https://h.example/onto", "snapshot", "perhaps", "true or false"),
    ("foundry+https://h.example/onto", "scopes", "a b!", "OAuth2 scope names"),
    ("foundry+fake://", "workers", "65", "a whole number from 1 to 64"),
    ("foundry+fake://", "dropped_rate", "2", RATE),
    ("foundry+fake://", "total_count", "often", "one of number, string, missing, rotate"),
    ("foundry+fake://", "page_token_ttl", "inf", "a number from 0 to 86400 seconds"),
    ("foundry+fake://", "short_pages", "maybe", "true or false"),
    ("memory://", "latency_ms", "SECRETVALUE", "a number from 0 to 3600000 milliseconds"),
]


@pytest.fixture
def scheme_cleanup() -> Iterator[list[str]]:
    """Schemes registered by a test, removed afterwards."""
    registered: list[str] = []
    yield registered
    for scheme in registered:
        _registry._runtime.pop(scheme, None)


@pytest.mark.parametrize(("url", "name", "value", "accepted"), BAD_VALUES)
def test_each_bad_value_is_one_line_naming_the_option_and_its_range(
    url: str, name: str, value: str, accepted: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the URL or a keyword, a bad value fails in one line, before any store opens."""
    monkeypatch.chdir(tmp_path)
    scheme = url.split("://")[0]
    separator = "&" if "?" in url else "?"
    for opener in (
        lambda: connect(f"{url}{separator}{name}={value}"),
        lambda: connect(url, **{name: value}),
    ):
        with pytest.raises(ConfigurationError) as caught:
            opener()
        message = str(caught.value)
        assert message.startswith(f"{scheme}:// option {name} must be "), message
        assert accepted in message
        assert "\n" not in message
        if not value.isdigit():  # a small number may be a bound the message states
            assert value not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("url", "typo", "close"),
    [
        ("memory://", "latncy_ms", "latency_ms"),
        ("sqlite:///x.db", "busy_timout_ms", "busy_timeout_ms"),
        ("postgresql://caseport@127.0.0.1:9/none", "pool_mx", "pool_max"),
        ("foundry+https://h.example/onto", "page_sise", "page_size"),
        ("foundry+fake://", "droped_rate", "dropped_rate"),
    ],
)
def test_an_unknown_option_names_the_close_one(
    url: str, typo: str, close: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mistyped option is refused with the name it was probably meant to be."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match=f"'{typo}'; did you mean '{close}'") as caught:
        connect(url, **{typo: "1"})
    assert "\n" not in str(caught.value)


def test_options_across_fields_are_checked_together() -> None:
    """Fault rates add up to at most one; pool_min is at most pool_max."""
    with pytest.raises(ConfigurationError, match="must add up to at most 1"):
        connect("memory://?failure_rate=0.6&lost_reply_rate=0.6")
    with pytest.raises(ConfigurationError, match="pool_min must be a whole number from 1 to 2"):
        connect("postgresql://caseport@127.0.0.1:9/none?pool_min=3&pool_max=2")


def test_a_model_holds_typed_values_and_defaults() -> None:
    """The factory gets numbers, booleans and tuples, defaults filled in."""
    options = adapters.validate_options(
        "memory", MemoryOptions, {"latency_ms": "250", "script": "ok, timeout"}
    )
    assert (options.latency_ms, options.script, options.seed) == (250.0, ("ok", "timeout"), 0)
    assert options.plan().latency == 0.25
    sqlite = adapters.validate_options("sqlite", SqliteOptions, {"upgrade": "off"})
    assert (sqlite.upgrade, sqlite.busy_timeout_ms, sqlite.synchronous) == (False, 10_000, "full")
    pg = adapters.validate_options(
        "postgresql", PostgresqlOptions, {"schema": "c1", "sslmode": "require"}
    )
    assert (pg.schema_name, dict(pg.libpq)) == ("c1", {"sslmode": "require"})


def test_foundry_options_fill_the_settings_they_stand_for() -> None:
    """Defaults are the settings' own; values given reach the client and the store."""
    defaults = FoundryOptions()
    assert defaults.client_settings() == adapters.foundry.ClientSettings()
    assert defaults.store_options() == adapters.foundry.StoreOptions()
    read = adapters.validate_options(
        "foundry+fake", FoundryFakeOptions, {"page_size": "50", "max_attempts": "2"}
    )
    assert read.store_options().page_size == 50
    assert read.client_settings().retry.max_attempts == 2


def test_direct_factory_calls_with_text_are_validated_too(tmp_path: Path) -> None:
    """``from_url(str, dict)`` parses and validates as connect does."""
    with pytest.raises(ConfigurationError, match="option seed must be a whole number"):
        adapters.memory.from_url("memory://", {"seed": "x"})
    with adapters.sql.from_url(f"sqlite:///{tmp_path}/a.db", {"busy_timeout_ms": "50"}) as store:
        assert store.info.backend.startswith("SQLite")


def test_a_factory_of_the_earlier_form_gets_text_and_strings(scheme_cleanup: list[str]) -> None:
    """A (str, Mapping) factory keeps working: it gets the URL as given and every option."""
    calls: list[tuple[str, dict[str, str]]] = []

    def earlier(url: str, options: Mapping[str, str]) -> CaseStore:
        calls.append((url, dict(options)))
        return InMemoryCaseStore()

    register_adapter("earlier", earlier)
    scheme_cleanup.append("earlier")
    store = connect("earlier://host/db?anything=goes", Whatever="x")
    assert isinstance(store, InMemoryCaseStore)
    assert calls == [("earlier://host/db?anything=goes", {"anything": "goes", "Whatever": "x"})]
    assert not resolve_adapter("earlier").declares_options


class _VendorOptions(AdapterOptions):
    """Options of a test adapter."""

    region_count: Whole = option(1, "regions to spread over", ge=1, le=5)


def test_an_adapter_with_a_model_gets_the_parsed_url_and_the_model(
    scheme_cleanup: list[str],
) -> None:
    """A third-party Adapter is validated by the registry like the built-in ones."""
    calls: list[tuple[StoreURL, _VendorOptions]] = []

    def factory(url: StoreURL, options: _VendorOptions) -> CaseStore:
        calls.append((url, options))
        return InMemoryCaseStore()

    register_adapter("vendor", Adapter(factory, _VendorOptions))
    scheme_cleanup.append("vendor")
    connect("vendor://h.example/x?region_count=3")
    ((url, options),) = calls
    assert (url.host, url.database, options.region_count) == ("h.example", "x", 3)
    with pytest.raises(
        ConfigurationError, match="vendor:// option region_count must be a whole number from 1 to 5"
    ):
        connect("vendor://h.example/x", region_count="9")
    with pytest.raises(ConfigurationError, match="did you mean 'region_count'"):
        connect("vendor://h.example/x", region_cont="2")
    assert len(calls) == 1


def test_a_missing_extra_is_named_once_before_anything_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A required package that is absent gives the one install hint."""
    table = {
        **_registry.BUILTIN_ADAPTERS,
        "needy": _registry.AdapterSpec(
            "adapters.memory:from_url",
            "needy",
            "test only",
            options="adapters.memory:MemoryOptions",
            requires=("caseport_no_such_package",),
        ),
    }
    monkeypatch.setattr(_registry, "BUILTIN_ADAPTERS", _registry.MappingProxyType(table))
    with pytest.raises(ConfigurationError) as caught:
        connect("needy://")
    assert str(caught.value) == (
        "the needy:// adapter needs the package 'caseport_no_such_package', which is not "
        "installed; run: pip install 'caseport[needy]'"
    )


def test_every_builtin_scheme_describes_each_option() -> None:
    """Each option has a type, a default, what it accepts and a one-line meaning."""
    for scheme in _registry.BUILTIN_ADAPTERS:
        docs = describe_options(resolve_adapter(scheme).options)
        assert docs, scheme
        for doc in docs:
            assert doc.accepts, (scheme, doc)
            assert doc.meaning, (scheme, doc)
            assert doc.default, (scheme, doc)
            assert "\n" not in doc.meaning
    sqlite = {doc.name: doc for doc in describe_options(SqliteOptions)}
    assert sqlite["busy_timeout_ms"].default == "10000"
    assert sqlite["busy_timeout_ms"].accepts == "a whole number from 0 to 3600000 milliseconds"
