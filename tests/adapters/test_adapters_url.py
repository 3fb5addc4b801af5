"""StoreURL: a store URL parsed once, and every refusal a one-line ConfigurationError."""

from __future__ import annotations

import dataclasses

import pytest

from adapters import StoreURL, connect
from contracts import ConfigurationError

SECRET = "hunter2-s3cr3t"


def test_a_postgresql_url_is_split_into_its_parts() -> None:
    """User, host, port, database and options are read once, percent-decoding included."""
    url = StoreURL.parse("PostgreSQL://al%20ice@DB.example:6543/cases?schema=c_1&sslmode=require")
    assert (url.scheme, url.user, url.host, url.port) == (
        "postgresql",
        "al ice",
        "db.example",
        6543,
    )
    assert (url.address, url.path, url.database) == ("DB.example:6543", "/cases", "cases")
    assert dict(url.options) == {"schema": "c_1", "sslmode": "require"}
    assert url.text.startswith("PostgreSQL://")


def test_a_sqlite_url_keeps_its_file_path() -> None:
    """Three slashes give a relative path, four an absolute one."""
    assert StoreURL.parse("sqlite:///data/case.db").database == "data/case.db"
    assert StoreURL.parse("sqlite:////var/lib/case.db").database == "/var/lib/case.db"
    assert StoreURL.parse("memory://").options == {}


def test_a_store_url_is_frozen_and_its_options_read_only() -> None:
    """Nothing an adapter receives can be changed under the registry's feet."""
    url = StoreURL.parse("memory://?seed=1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        url.scheme = "sqlite"  # type: ignore[misc]
    with pytest.raises(TypeError):
        url.options["seed"] = "2"  # type: ignore[index]


def test_the_shown_form_is_shortened_and_repr_shows_no_raw_text() -> None:
    """Messages and logs use the redacted, shortened form."""
    url = StoreURL.parse("memory://?load=" + "x" * 500)
    assert len(url.shown) == 200
    assert str(url) == url.shown
    assert "x" * 300 not in repr(url)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"postgresql://alice:{SECRET}@db/cases", "carries a password"),
        (f"postgresql://alice@db/cases?password={SECRET}", "must not travel in a URL"),
        (f"foundry+https://{SECRET}@host/onto", "take no user name or password"),
        ("memory://[", "malformed memory:// URL"),
        ("postgresql://db:99999/cases", "malformed postgresql:// URL"),
        ("memory://#frag", "takes no #fragment"),
        ("memory://\n", "control characters"),
        ("memory://?seed=1&seed=2", "given twice"),
        ("sqlite:caseport.db", "must be followed by two slashes"),
        ("caseport.db", "is not a store URL"),
        ("memory://" + "x" * 9000, "at most 8192"),
    ],
)
def test_every_refusal_is_one_line_without_the_secret(text: str, message: str) -> None:
    """Each malformed or secret-bearing URL is refused in one line that does not repeat it."""
    with pytest.raises(ConfigurationError, match=message) as caught:
        StoreURL.parse(text)
    assert "\n" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_url_that_is_not_text_is_refused() -> None:
    """Only strings are URLs."""
    with pytest.raises(ConfigurationError, match="must be a string, not bytes"):
        StoreURL.parse(b"memory://")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "close"),
    [("postgres://u@h/db", "postgresql://"), ("sqlit:///x.db", "sqlite://")],
)
def test_an_unknown_scheme_suggests_the_close_one(text: str, close: str) -> None:
    """The scheme is checked right after the parse, with a did-you-mean."""
    with pytest.raises(ConfigurationError, match=f"did you mean {close}") as caught:
        connect(text)
    assert "\n" not in str(caught.value)
