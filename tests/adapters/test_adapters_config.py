"""caseport.toml and CASEPORT_* variables: each mistake is refused, naming where it came from."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from adapters import connect, load_settings
from adapters._options import OptionReader, is_secret_name, parse_boolean, parse_number, parse_whole
from adapters.config import _warned
from contracts import ConfigurationError

SECRET = "s3cr3t-Canary"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty working directory and no caseport variables."""
    for name in list(os.environ):
        if name.startswith("CASEPORT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(directory: Path, content: bytes | str) -> Path:
    path = directory / "caseport.toml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused(match: str) -> pytest.RaisesExc[ConfigurationError]:
    return pytest.raises(ConfigurationError, match=match)


def test_a_file_that_is_not_utf8_names_the_file_and_line(isolated: Path) -> None:
    """Invalid UTF-8 is a ConfigurationError (it used to escape as UnicodeDecodeError)."""
    write(isolated, b'[store]\nurl = "memory://"\n# caf\xe9\n')
    with refused(r"caseport.toml, line 3: not valid UTF-8") as caught:
        load_settings()
    assert caught.value.__context__ is None


def test_invalid_toml_names_the_line_but_no_key_or_value(isolated: Path) -> None:
    """The position tomllib gives is kept; the keys and characters it quotes are not."""
    write(isolated, f'[store]\nurl = "memory://"\nurl = "{SECRET}"\n')
    with refused(r"not valid TOML: .*line 3") as caught:
        load_settings()
    assert SECRET not in str(caught.value)
    assert caught.value.__context__ is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[stor]\nurl = "memory://"\n',
            r"line 1: unknown table or key stor; did you mean \[store\]",
        ),
        ('stor.url = "memory://"\n', r"line 1: unknown table or key stor; did you mean \[store\]"),
        ('\n[store]\nurl = "memory://"\n\n[options]\nseed = "1"\n', r"line 5: unknown .* options"),
        (
            '[store]\nurll = "memory://"\n',
            r"line 2: unknown key store.urll; did you mean store.url",
        ),
        (
            '[store]\noption = {seed = "1"}\n',
            r"unknown key store.option; did you mean store.options",
        ),
        ("[store]\nurl = 5\n", r"line 2: store.url must be a string"),
        ('[store]\noptions = "x"\n', r"line 2: \[store.options\] must be a table"),
        ("[store.options]\nseed = [1]\n", r"line 2: store.options.seed must be a string, a number"),
        ("[store.options]\nseed = 1979-05-27\n", r"store.options.seed must be .* not a date"),
        ("[store.options.seed]\nx = 1\n", r"store.options.seed must be .* not a dict"),
    ],
)
def test_an_unexpected_table_key_or_type_is_refused_with_its_line(
    isolated: Path, text: str, message: str
) -> None:
    """A typo in a table name is refused like a typo in a key, with a suggestion."""
    write(isolated, text)
    with refused(message):
        connect()


def test_options_may_be_written_as_numbers_and_booleans(isolated: Path) -> None:
    """``seed = 3`` and ``upgrade = true`` read as the strings "3" and "true"."""
    write(isolated, '[store]\nurl = "memory://"\n[store.options]\nseed = 3\nlatency_ms = 0.0\n')
    assert load_settings().options == {"seed": "3", "latency_ms": "0.0"}
    write(isolated, '[store]\nurl = "memory://"\n[store.options]\nflag = true\n')
    assert load_settings().options == {"flag": "true"}


def test_a_huge_file_is_refused_unread(isolated: Path) -> None:
    """More than a mebibyte of configuration is a mistake."""
    write(isolated, "# " + "x" * (1024 * 1024) + "\n")
    with refused("larger than 1048576 bytes"):
        load_settings()


def test_caseport_config_naming_a_directory_says_so(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory is not a configuration file."""
    monkeypatch.setenv("CASEPORT_CONFIG", str(isolated))
    with refused("which is not a file"):
        load_settings()


def test_a_password_in_the_configured_url_names_the_file(isolated: Path) -> None:
    """The source of the URL opens the message; the password never appears."""
    path = write(isolated, f'[store]\nurl = "postgresql://alice:{SECRET}@db/x"\n')
    with refused("carries a password") as caught:
        load_settings()
    assert str(caught.value).startswith(f"{path}: the store URL postgresql://alice:***@db/x")
    assert SECRET not in str(caught.value)


def test_a_password_in_caseport_url_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """CASEPORT_URL is checked when it is read."""
    monkeypatch.setenv("CASEPORT_URL", f"alice:{SECRET}@db")
    with refused("^CASEPORT_URL: the store URL alice:\\*\\*\\*@db carries a password"):
        connect()


@pytest.mark.parametrize("name", ["PASSWORD", "SSLPASSWORD", "TOKEN", "CLIENT_SECRET"])
def test_a_secret_option_in_the_environment_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """CASEPORT_OPTION_PASSWORD and kin are refused, the variable named, its value not."""
    monkeypatch.setenv("CASEPORT_URL", "memory://")
    monkeypatch.setenv(f"CASEPORT_OPTION_{name}", SECRET)
    with refused(f"environment variable CASEPORT_OPTION_{name}") as caught:
        connect()
    assert SECRET not in str(caught.value)


def test_a_secret_option_in_the_file_names_the_file(isolated: Path) -> None:
    """A token under [store.options] is refused, the file named."""
    path = write(isolated, f'[store]\nurl = "memory://"\n[store.options]\ntoken = "{SECRET}"\n')
    with refused(f"{path}: \\[store.options\\]") as caught:
        connect()
    assert SECRET not in str(caught.value)


def test_a_near_miss_variable_is_logged_once_and_others_are_ignored(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """CASEPORT_ULR is probably CASEPORT_URL: warned once, by name, never with its value."""
    _warned.clear()
    monkeypatch.setenv("CASEPORT_ULR", SECRET)
    monkeypatch.setenv("CASEPORT_OPTIONS_SEED", "1")
    monkeypatch.setenv("CASEPORT_SOMETHING_ELSE_ENTIRELY", "1")
    caplog.set_level(logging.DEBUG, logger="adapters.config")
    load_settings()
    load_settings()
    messages = [record.getMessage() for record in caplog.records]
    assert (
        messages.count("environment variable CASEPORT_ULR is not read; did you mean CASEPORT_URL?")
        == 1
    )
    assert any("CASEPORT_OPTIONS_SEED" in m and "CASEPORT_OPTION_<NAME>" in m for m in messages)
    assert not any("SOMETHING_ELSE" in m for m in messages)
    assert all(record.levelno == logging.WARNING for record in caplog.records)
    assert SECRET not in caplog.text


# ------------------------------------------------------------------ the option readers


@pytest.mark.parametrize("text", ["1_000", " 1", "1 ", "\u0661", "1e3", "0x10", "", "+", "9" * 20])
def test_whole_numbers_are_ascii_digits_only(text: str) -> None:
    """int() would take several of these; the reader takes none."""
    with pytest.raises(ValueError, match="not a whole number"):
        parse_whole(text, 0, 10**30)


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1_0", "0x1p3", "1e99999", " 1", "1,5"])
def test_numbers_are_finite_decimals_only(text: str) -> None:
    """float() would take several of these; the reader takes none."""
    with pytest.raises(ValueError, match=r"not a number|out of bounds"):
        parse_number(text, -1e308, 1e308)


def test_booleans_take_the_usual_words_only() -> None:
    """true/false, 1/0, yes/no, on/off in any case; nothing else."""
    assert [parse_boolean(word) for word in ("TRUE", "1", "yes", "On")] == [True] * 4
    assert [parse_boolean(word) for word in ("false", "0", "NO", "off")] == [False] * 4
    with pytest.raises(ValueError, match="not a boolean"):
        parse_boolean("maybe")


def test_a_reader_names_the_option_and_its_bounds_but_not_the_value() -> None:
    """The message says what is accepted; the value given is not repeated."""
    read = OptionReader("demo", {"n": SECRET, "f": SECRET, "b": SECRET, "c": SECRET})
    for call, message in (
        (lambda: read.whole("n", 0, 1, 5, " seconds"), "option n must be a whole number from 1"),
        (lambda: read.number("f", 0.0, 0.0, 1.5), "option f must be a number from 0 to 1.5"),
        (lambda: read.flag("b", False), "option b must be true or false"),
        (lambda: read.choice("c", "x", ("x", "y")), "option c must be one of x, y"),
    ):
        with refused(message) as caught:
            call()
        assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("SSLPassword", True),
        ("db-password", True),
        ("refresh_token", True),
        ("oauth_client_secret", True),
        ("page_token_ttl", False),
        ("passfile", False),
        ("sslkey", False),
        ("seed", False),
    ],
)
def test_secret_option_names_are_recognised(name: str, secret: bool) -> None:
    """Names that carry secrets are told apart from the adapters' own options."""
    assert is_secret_name(name) is secret
