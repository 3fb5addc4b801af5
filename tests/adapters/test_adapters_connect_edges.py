"""How connect() treats malformed URLs, misbehaving factories and configured options."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

import adapters
from adapters import _registry, connect
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
    with pytest.raises(ConfigurationError, match="TypeError: bad adapter"):
        connect("brokenfactory://")


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
