"""How connect() treats malformed URLs, misbehaving factories and configured options."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import adapters
from adapters import _registry, connect, redact_url, split_url
from contracts import ConfigurationError


@pytest.fixture
def scheme_cleanup() -> Iterator[list[str]]:
    """Schemes registered by a test, removed afterwards."""
    registered: list[str] = []
    yield registered
    for scheme in registered:
        _registry._runtime.pop(scheme, None)


def test_a_malformed_url_is_a_configuration_error() -> None:
    """A URL that cannot be parsed gives ConfigurationError, not ValueError."""
    with pytest.raises(ConfigurationError, match="malformed"):
        connect("memory://[")


@pytest.mark.parametrize("latency", ["nan", "inf", "1e300", "-1"])
def test_non_finite_or_absurd_latency_is_refused(latency: str) -> None:
    """Latency options must be finite, non-negative and at most an hour."""
    with pytest.raises(ConfigurationError, match="latency_ms must be a number from 0 to 3600000"):
        connect(f"memory://?latency_ms={latency}")


def test_a_factory_raising_a_foreign_exception_becomes_a_configuration_error(
    scheme_cleanup: list[str],
) -> None:
    """An adapter factory's own exception types never reach the caller."""

    def broken(url: str, options: Mapping[str, str]) -> adapters.InMemoryCaseStore:
        raise TypeError("bad adapter")

    adapters.register_adapter("brokenfactory", broken)
    scheme_cleanup.append("brokenfactory")
    with pytest.raises(
        ConfigurationError, match=r"failed to open the store \(TypeError\)"
    ) as caught:
        connect("brokenfactory://")
    assert "bad adapter" not in str(caught.value)
    assert isinstance(caught.value.__cause__, TypeError)


def test_a_factory_returning_something_else_than_a_store_is_refused(
    scheme_cleanup: list[str],
) -> None:
    """connect() checks that the factory returned a CaseStore."""
    adapters.register_adapter("notastore", lambda url, options: object())  # type: ignore[arg-type,return-value]
    scheme_cleanup.append("notastore")
    with pytest.raises(ConfigurationError, match="not a CaseStore"):
        connect("notastore://")


def test_environment_options_win_over_options_in_the_configured_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CASEPORT_OPTION_* overrides a query option written in the config file's URL."""
    (tmp_path / "caseport.toml").write_text('[store]\nurl = "memory://?latency_ms=500"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CASEPORT_URL", raising=False)
    monkeypatch.setenv("CASEPORT_OPTION_LATENCY_MS", "0")
    store = connect()
    assert store.faults is None  # type: ignore[attr-defined]


def test_a_url_given_in_code_keeps_its_own_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Configured options do not leak into a store opened with an explicit URL."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CASEPORT_OPTION_LATENCY_MS", "250")
    store = connect("memory://?latency_ms=3")
    assert store.faults is not None  # type: ignore[attr-defined]
    assert store.faults.plan.latency == pytest.approx(0.003)  # type: ignore[attr-defined]


# ------------------------------------------------------------------ secrets and the URL's form

SECRET = "s3cr3t-Canary"


@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://alice:{SECRET}@db.example/cases",
        f"postgresql:/alice:{SECRET}@db.example/cases",
        f"postgresql:alice:{SECRET}@db.example/cases",
        f"sqlite://admin:{SECRET}@/x.db",
        f"memory://u:{SECRET}@",
        f"foundry+fake://u:{SECRET}@/",
        f"foundry+https://u:{SECRET}@host.example/ontology",
        f"alice:{SECRET}@db.example",
        f"postgresql://alice:{SECRET}/more@db.example/cases",
        f"postgresql://alice:a@b{SECRET}@db.example/cases",
    ],
)
def test_a_password_anywhere_in_the_url_is_refused_unshown(url: str) -> None:
    """User information with a password is refused on every scheme, malformed forms too."""
    with pytest.raises(ConfigurationError, match="carries a password") as caught:
        connect(url)
    assert SECRET not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    "url",
    [f"postgresql://alice:{SECRET}?x@db/cases", f"postgresql://alice:{SECRET}#x@db/cases"],
)
def test_a_password_read_as_a_port_is_refused_without_showing_the_url(url: str) -> None:
    """A password holding '?' or '#' reads as a bad port: neither URL nor urllib text shown."""
    with pytest.raises(ConfigurationError, match="malformed postgresql:// URL") as caught:
        connect(url)
    assert SECRET not in str(caught.value)
    assert caught.value.__context__ is None


def test_the_postgresql_message_says_where_the_password_goes() -> None:
    """PGPASSWORD and .pgpass are named; the user name alone is accepted at the door."""
    with pytest.raises(ConfigurationError) as caught:
        connect(f"postgresql://alice:{SECRET}@db.example/cases")
    assert "PGPASSWORD" in str(caught.value)
    assert ".pgpass" in str(caught.value)
    assert "postgresql://alice:***@db.example/cases" in str(caught.value)
    assert split_url("postgresql://alice@db.example/cases?schema=s") == (
        "postgresql",
        {"schema": "s"},
    )


@pytest.mark.parametrize(
    "url",
    [
        "memory://someone@",
        "sqlite://someone@/x.db",
        "foundry+fake://someone@/",
        "foundry+https://someone@h/o",
    ],
)
def test_a_user_name_on_a_scheme_that_takes_none_is_refused(url: str) -> None:
    """memory, SQLite and Foundry URLs take no user information at all (none is ignored)."""
    with pytest.raises(ConfigurationError, match="take no user name or password"):
        connect(url)


def test_a_third_party_scheme_may_take_a_user_name_but_never_a_password(
    scheme_cleanup: list[str],
) -> None:
    """Only built-in schemes are known to take no user; a password is refused for all."""
    seen: list[str] = []

    def factory(url: str, options: Mapping[str, str]) -> adapters.InMemoryCaseStore:
        seen.append(url)
        return adapters.InMemoryCaseStore()

    adapters.register_adapter("vendorx", factory)
    scheme_cleanup.append("vendorx")
    connect("vendorx://analyst@host/x").close()
    assert seen == ["vendorx://analyst@host/x"]
    with pytest.raises(ConfigurationError, match="carries a password"):
        connect(f"vendorx://analyst:{SECRET}@host/x")
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("text", "advice"),
    [
        (SECRET, "expected e.g. memory://"),
        (f"host=db user=alice password={SECRET}", "libpq key=value connection string"),
        (f"/var/lib/{SECRET}.db", "sqlite:///relative/path.db"),
        (f"postgresql:/db.example/{SECRET}", "postgresql: must be followed by two slashes"),
        (f"memory:{SECRET}", "memory: must be followed by two slashes"),
    ],
)
def test_a_string_that_is_not_a_url_is_described_not_repeated(text: str, advice: str) -> None:
    """The message gives the length and advice, never the string, which may be a secret."""
    with pytest.raises(ConfigurationError, match="is not a store URL") as caught:
        connect(text)
    assert advice in str(caught.value)
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("memory://?seed=1#part", "takes no #fragment"),
        ("memory://?seed=1\n", "control characters"),
        ("memory://?" + "x" * 9000, "at most 8192"),
        ("memory://?" + "&".join(f"o{i}=1" for i in range(201)), "more than 200 options"),
        ("memory://?a%20b=1", "not a valid option name"),
        ("postgresql://db.example:99999/x", "malformed postgresql:// URL"),
        ("postgresql://db.example:port/x", "malformed postgresql:// URL"),
    ],
)
def test_malformed_urls_are_refused_with_what_is_wrong(url: str, message: str) -> None:
    """Fragments, control characters, huge URLs, odd option names and bad ports."""
    with pytest.raises(ConfigurationError, match=message):
        connect(url)


def test_a_url_that_is_not_a_string_is_a_configuration_error() -> None:
    """connect(5) is a ConfigurationError, not a TypeError."""
    with pytest.raises(ConfigurationError, match="must be a string, not int"):
        connect(5)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["password", "sslpassword", "token", "db_password", "a b"])
def test_a_keyword_option_with_a_secret_or_odd_name_is_refused(name: str) -> None:
    """Keyword options pass the same door as the URL's own."""
    with pytest.raises(ConfigurationError) as caught:
        connect("memory://", **{name: SECRET})
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"postgresql:/alice:{SECRET}@db/x", "postgresql:/alice:***@db/x"),
        (f"sqlite://admin:{SECRET}@/x.db", "sqlite://***@/x.db"),
        (f"foundry+https://{SECRET}@host/ontology", "foundry+https://***@host/ontology"),
        (f"alice:{SECRET}@db", "alice:***@db"),
        (f"memory://?seed=1&token={SECRET}#{SECRET}", "memory://?seed=1&token=***#***"),
        (f"postgresql://h/x?%70assword={SECRET}", "postgresql://h/x?%70assword=***"),
        (f"postgresql://alice:{SECRET}?x@db/x", "postgresql://<malformed, 39 characters>"),
        (SECRET, "<not a URL, 13 characters>"),
        ("sqlite:///data/a@b.db", "sqlite:///data/a@b.db"),
    ],
)
def test_redact_url_covers_malformed_urls_and_secret_options(url: str, expected: str) -> None:
    """redact_url hides passwords in every form the door refuses, and secret query values."""
    assert redact_url(url) == expected


@pytest.mark.parametrize("scheme", ["Vendor", "vendor://", "1vendor", "", "v" * 40, "ven dor"])
def test_a_scheme_that_is_not_a_url_scheme_cannot_be_registered(scheme: str) -> None:
    """Only what split_url can produce may be registered, so no adapter is unreachable."""
    with pytest.raises(ConfigurationError, match="lowercase URL scheme"):
        adapters.register_adapter(scheme, lambda url, options: adapters.InMemoryCaseStore())
