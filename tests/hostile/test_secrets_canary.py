"""Canary: a password and a personal-data marker given anywhere never come back out.

Each attempt puts :data:`PASSWORD` where a secret does not belong (user information of a URL,
well formed or not; secret query keys; options; ``CASEPORT_OPTION_*``; ``caseport.toml``; a
bare string given for a URL) and :data:`PERSON` in option values, and then looks for either
marker in everything a caller, a log or a bug report could see: the error's message, ``repr``
and ``args``, its whole ``__cause__``/``__context__`` chain and formatted traceback, every
log record at DEBUG (``httpx``, ``httpcore`` and ``psycopg`` included), the ``repr`` of a
store that opened, and the command line's stdout and stderr (with and without ``--debug``).

File names, host names, user names and database names are shown in messages on purpose (they
are how a person finds the mistake), so the markers are never put there; option values,
secrets and strings that are not URLs at all are never shown.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

import adapters
from caseport.cli import app
from contracts.errors import CaseportError, ConfigurationError
from contracts.models import Entity, EntityKind
from contracts.store import CaseStore

PASSWORD = "Pw-canary-5b1e7"
"""Stands for a password or token."""
PERSON = "Jane-Canary-Doe-1970"
"""Stands for personal data typed into the wrong field."""
DIGITS = "86420975"
"""Stands for a password of digits only, which a lenient parser may take for a port."""
MARKERS = (PASSWORD, PERSON, DIGITS)

# Nothing listens on port 1: a PostgreSQL or Foundry value that slipped past the checks would
# end in Unavailable, never on a real server.
BASES = {
    "memory": "memory://",
    "sqlite": "sqlite:///{tmp}/canary.db",
    "postgresql": "postgresql://canary@127.0.0.1:1/canary",
    "foundry+https": "foundry+https://127.0.0.1:1/ontology",
    "foundry+fake": "foundry+fake://",
}
USERINFO = {
    "memory": [
        f"memory://canary:{PASSWORD}@",
        f"memory:/canary:{PASSWORD}@",
        f"memory://{PASSWORD}@",
    ],
    "sqlite": [
        f"sqlite://canary:{PASSWORD}@/x.db",
        f"sqlite:/canary:{PASSWORD}@/x.db",
        f"sqlite:canary:{PASSWORD}@x.db",
        f"sqlite://{PASSWORD}@/x.db",
    ],
    "postgresql": [
        f"postgresql://canary:{PASSWORD}@127.0.0.1:1/canary",
        f"postgresql:/canary:{PASSWORD}@127.0.0.1:1/canary",
        f"postgresql://canary:{PASSWORD}/x@127.0.0.1:1/canary",
        f"postgresql://canary:{PASSWORD}?x@127.0.0.1:1/canary",
        f"postgresql://canary:{PASSWORD}#x@127.0.0.1:1/canary",
        f"postgresql://canary:{PASSWORD}@[::1/canary",
        f"postgresql://canary:{DIGITS}?x@127.0.0.1:1/canary",
        f"postgresql://canary:{DIGITS}#x@127.0.0.1:1/canary",
        f"postgresql://canary:{DIGITS}/x@127.0.0.1:1/canary",
    ],
    "foundry+https": [
        f"foundry+https://canary:{PASSWORD}@127.0.0.1:1/ontology",
        f"foundry+https:canary:{PASSWORD}@127.0.0.1:1/ontology",
        f"foundry+https://{PASSWORD}@127.0.0.1:1/ontology",
    ],
    "foundry+fake": [
        f"foundry+fake://canary:{PASSWORD}@/",
        f"foundry+fake:/canary:{PASSWORD}@",
        f"foundry+fake://{PASSWORD}@",
    ],
}
SECRET_KEYS = (
    "password",
    "sslpassword",
    "PASSWORD",
    "%70assword",
    "token",
    "secret",
    "client_secret",
    "api_key",
    "access_token",
)
TYPED_OPTIONS = {
    "memory": [
        "latency_ms",
        "jitter_ms",
        "failure_rate",
        "retry_after",
        "seed",
        "script",
        "operations",
        "no_such_option",
    ],
    "sqlite": ["busy_timeout_ms", "synchronous", "upgrade", "mode", "no_such_option"],
    "postgresql": [
        "connect_timeout",
        "sslmode",
        "pool_min",
        "pool_max",
        "temporary",
        "schema",
        "mode",
        "port",
        "keepalives",
        "target_session_attrs",
        "gssencmode",
        "no_such_option",
    ],
    "foundry+https": [
        "connect_timeout",
        "deadline",
        "concurrency",
        "page_size",
        "snapshot",
        "max_attempts",
        "no_such_option",
    ],
    "foundry+fake": [
        "read_timeout",
        "workers",
        "snapshot",
        "short_pages",
        "total_count",
        "rate_limit_rate",
        "seed",
        "no_such_option",
    ],
}
BARE = [
    PASSWORD,
    PERSON,
    f"canary:{PASSWORD}@db.example",
    f"host=db user=canary password={PASSWORD}",
    f"{PERSON}.db",
]
LOGGERS = ("", "adapters", "contracts", "caseport", "httpx", "httpcore", "psycopg", "psycopg.pool")


def exception_texts(error: BaseException, seen: set[int] | None = None) -> Iterator[str]:
    """Every text an exception shows: message, repr, args, notes, traceback, whole chain."""
    seen = set() if seen is None else seen
    if id(error) in seen:
        return
    seen.add(id(error))
    yield str(error)
    yield repr(error)
    yield from (repr(argument) for argument in error.args)
    yield from getattr(error, "__notes__", [])
    yield "".join(traceback.format_exception(error))
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            yield from exception_texts(linked, seen)


def assert_no_marker(texts: Iterator[str] | list[str], where: str) -> None:
    for text in texts:
        for marker in MARKERS:
            assert marker not in text, f"{marker!r} leaked through {where}: {text[:300]!r}"


@pytest.fixture
def capture(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger at DEBUG, captured; afterwards, no record may hold a marker."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    assert_no_marker(
        [record.getMessage() for record in caplog.records]
        + [record.exc_text or "" for record in caplog.records]
        + [caplog.text],
        "a log record",
    )


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No caseport settings from the machine; a Foundry token that is itself a canary."""
    for name in list(os.environ):
        if name.startswith("CASEPORT_") and name != "CASEPORT_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("CASEPORT_FOUNDRY_TOKEN", PASSWORD)
    monkeypatch.chdir(tmp_path)


def attempt(open_store: Callable[[], CaseStore], where: str) -> CaseportError | None:
    """Run ``open_store``; check the error it raises, or the store it opens, for markers."""
    try:
        store = open_store()
    except CaseportError as error:
        assert_no_marker(exception_texts(error), f"the error chain of {where}")
        return error
    try:
        assert_no_marker([repr(store), store.info.model_dump_json()], f"the store of {where}")
    finally:
        store.close()
    return None


def base_url(scheme: str, tmp_path: Path) -> str:
    return BASES[scheme].replace("{tmp}", str(tmp_path))


def with_option(url: str, name: str, value: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{name}={value}"


@pytest.mark.parametrize("scheme", list(BASES))
def test_a_password_in_a_url_of_any_form_is_refused_and_never_shown(
    scheme: str, capture: pytest.LogCaptureFixture
) -> None:
    """User information with a password, well formed or not, on every scheme."""
    for url in USERINFO[scheme]:
        error = attempt(partial(adapters.connect, url), url)
        assert isinstance(error, ConfigurationError), url
        assert_no_marker([adapters.redact_url(url)], "redact_url")


@pytest.mark.parametrize("scheme", list(BASES))
def test_a_secret_query_key_is_refused_and_its_value_never_shown(
    scheme: str, tmp_path: Path, capture: pytest.LogCaptureFixture
) -> None:
    """``password=``, ``sslpassword=``, ``token=``... in the URL, whatever the case or encoding."""
    for key in SECRET_KEYS:
        url = with_option(base_url(scheme, tmp_path), key, PASSWORD)
        error = attempt(partial(adapters.connect, url), url)
        assert isinstance(error, ConfigurationError), url
        assert_no_marker([adapters.redact_url(url)], "redact_url")


@pytest.mark.parametrize("scheme", list(BASES))
def test_a_secret_given_as_a_keyword_or_environment_option_is_refused(
    scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capture: pytest.LogCaptureFixture
) -> None:
    """``connect(url, password=...)`` and ``CASEPORT_OPTION_PASSWORD`` are refused unshown."""
    base = base_url(scheme, tmp_path)
    for key in ("password", "sslpassword", "token", "client_secret"):
        error = attempt(partial(adapters.connect, base, **{key: PASSWORD}), key)
        assert isinstance(error, ConfigurationError), key
    monkeypatch.setenv("CASEPORT_URL", base)
    monkeypatch.setenv("CASEPORT_OPTION_PASSWORD", PASSWORD)
    error = attempt(adapters.connect, "CASEPORT_OPTION_PASSWORD")
    assert isinstance(error, ConfigurationError)
    assert "CASEPORT_OPTION_PASSWORD" in str(error)


@pytest.mark.parametrize("scheme", list(BASES))
def test_personal_data_in_an_option_value_is_refused_and_never_shown(
    scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capture: pytest.LogCaptureFixture
) -> None:
    """Every typed option, through the URL, a keyword and the environment, names the option."""
    base = base_url(scheme, tmp_path)
    for name in TYPED_OPTIONS[scheme]:
        url = with_option(base, name, PERSON)
        for where, opener in (
            (url, partial(adapters.connect, url)),
            (f"{name}=", partial(adapters.connect, base, **{name: PERSON})),
        ):
            error = attempt(opener, where)
            assert isinstance(error, ConfigurationError), where
            assert name in str(error), str(error)
        monkeypatch.setenv("CASEPORT_URL", base)
        monkeypatch.setenv(f"CASEPORT_OPTION_{name.upper()}", PERSON)
        error = attempt(adapters.connect, f"CASEPORT_OPTION_{name.upper()}")
        assert isinstance(error, ConfigurationError)
        monkeypatch.delenv(f"CASEPORT_OPTION_{name.upper()}")


def test_a_bare_string_given_for_a_url_is_described_not_echoed(
    capture: pytest.LogCaptureFixture,
) -> None:
    """A password or a name pasted where the URL goes is refused without being repeated."""
    for text in BARE:
        error = attempt(partial(adapters.connect, text), "a bare string")
        assert isinstance(error, ConfigurationError)
        assert_no_marker([adapters.redact_url(text)], "redact_url")


@pytest.mark.parametrize(
    "content",
    [
        f'[store]\nurl = "postgresql://canary:{PASSWORD}@127.0.0.1:1/canary"\n'.encode(),
        f'[store]\nurl = "memory://?token={PASSWORD}"\n'.encode(),
        f'[store]\nurl = "canary:{PASSWORD}@db"\n'.encode(),
        f'[store]\nurl = "memory://"\n[store.options]\npassword = "{PASSWORD}"\n'.encode(),
        f'[store]\nurl = "memory://"\n[store.options]\nseed = "{PERSON}"\n'.encode(),
        f'[store]\nurl = "memory://"\n[store.options]\nseed = ["{PERSON}"]\n'.encode(),
        f'[store]\nurl = "sqlite:///x.db"\n[store.options]\nmode = "{PERSON}"\n'.encode(),
        f'[store]\nurl = "memory://"\npassword = "{PASSWORD}"\n'.encode(),
        f'[stor]\nurl = "memory://?password={PASSWORD}"\n'.encode(),
        f'[store]\nurl = "memory://{PASSWORD}\n'.encode(),
        f'[store]\nurl = "memory://"\nurl = "{PASSWORD}"\n'.encode(),
        f'[store]\nurl = "memory://"\n# {PASSWORD} \xff\n'.encode("latin-1"),
        b"\xff\xfe" + PASSWORD.encode("utf-16-le"),
    ],
    ids=[
        "url with password",
        "url with token",
        "bare url",
        "password option",
        "personal data in an option",
        "option of the wrong type",
        "personal data in mode",
        "unknown store key",
        "unknown table",
        "unterminated string",
        "key given twice",
        "invalid utf-8",
        "utf-16",
    ],
)
def test_a_bad_configuration_file_never_shows_its_values(
    content: bytes, tmp_path: Path, capture: pytest.LogCaptureFixture
) -> None:
    """Whatever is wrong with caseport.toml, the error names the file, never a value in it."""
    (tmp_path / "caseport.toml").write_bytes(content)
    error = attempt(adapters.connect, "caseport.toml")
    assert isinstance(error, ConfigurationError)
    assert "caseport.toml" in str(error) or "option" in str(error)


def cli_cases(tmp_path: Path) -> list[str]:
    urls = [url for urls in USERINFO.values() for url in urls]
    urls += [with_option(base_url(s, tmp_path), "password", PASSWORD) for s in BASES]
    urls += [with_option(base_url(s, tmp_path), TYPED_OPTIONS[s][0], PERSON) for s in BASES]
    return urls + BARE


def test_the_command_line_never_prints_a_marker(
    tmp_path: Path, capture: pytest.LogCaptureFixture
) -> None:
    """``info``, ``search``, ``db status`` and ``conformance``, with ``--debug`` too."""
    runner = CliRunner()
    for url in cli_cases(tmp_path):
        for args in (
            ["info", url],
            ["--debug", "info", url],
            ["search", url, "--text", "x"],
            ["db", "status", url],
        ):
            result = runner.invoke(app, args)
            assert result.exit_code == 2, (args, result.output)
            assert "internal" not in result.output
            assert_no_marker([result.output, result.stdout, result.stderr], f"caseport {args}")
            if result.exception is not None:
                assert_no_marker(exception_texts(result.exception), f"caseport {args} chain")
    for url in USERINFO["memory"] + BARE:
        result = runner.invoke(app, ["conformance", url])
        assert result.exit_code == 2, result.output
        assert_no_marker([result.output], "caseport conformance")


def test_the_command_line_never_prints_a_marker_from_the_environment_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capture: pytest.LogCaptureFixture
) -> None:
    """``caseport info`` with a secret in CASEPORT_OPTION_*, CASEPORT_URL or caseport.toml."""
    runner = CliRunner()
    environments = [
        {"CASEPORT_URL": "memory://", "CASEPORT_OPTION_PASSWORD": PASSWORD},
        {"CASEPORT_URL": "memory://", "CASEPORT_OPTION_SEED": PERSON},
        {"CASEPORT_URL": f"postgresql://canary:{PASSWORD}@127.0.0.1:1/x"},
        {"CASEPORT_URL": f"canary:{PASSWORD}@db"},
    ]
    for environment in environments:
        result = runner.invoke(app, ["--debug", "info"], env=environment)
        assert result.exit_code == 2, result.output
        assert_no_marker([result.output], f"caseport info with {sorted(environment)}")
    (tmp_path / "caseport.toml").write_bytes(
        f'[store]\nurl = "memory://"\n# {PASSWORD} \xff\n'.encode("latin-1")
    )
    result = runner.invoke(app, ["--debug", "info"])
    assert result.exit_code == 2, result.output
    assert "caseport.toml, line 3: not valid UTF-8" in result.output
    assert_no_marker([result.output], "caseport info with a bad caseport.toml")


def test_the_foundry_token_never_appears_in_errors_or_debug_logs(
    capture: pytest.LogCaptureFixture,
) -> None:
    """The bearer token from the environment stays out of a failed request's error and logs."""
    store = adapters.connect("foundry+https://127.0.0.1:1/ontology?max_attempts=1")
    try:
        with pytest.raises(CaseportError) as caught:
            store.get(Entity, "p-1")
    finally:
        store.close()
    assert_no_marker(exception_texts(caught.value), "a failed Foundry request")
    assert any("127.0.0.1" in record.getMessage() for record in capture.records)


def test_secrets_aimed_at_an_existing_store_leave_it_untouched(
    store_url: str, store: CaseStore, capture: pytest.LogCaptureFixture
) -> None:
    """On every backend: refused URLs and options change nothing, and export still works."""
    kept = store.create(
        Entity(id="p-canary", kind=EntityKind.PERSON, subtype="person", label="Kept")
    )
    for url in (
        with_option(store_url, "password", PASSWORD),
        with_option(store_url, "busy_timeout_ms", PERSON),
        with_option(store_url, "connect_timeout", PERSON),
        store_url.replace("://", f"://canary:{PASSWORD}@", 1),
        store_url.replace("://", ":/", 1).replace(":/", f":/canary:{PASSWORD}@", 1),
    ):
        error = attempt(partial(adapters.connect, url), url)
        assert isinstance(error, ConfigurationError), url
    error = attempt(partial(adapters.connect, store_url, sslpassword=PASSWORD), "sslpassword")
    assert isinstance(error, ConfigurationError)
    assert store.get(Entity, kept.id) == kept
    assert [record.id for record in store.export()] == [kept.id]
