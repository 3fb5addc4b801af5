"""A store URL, checked and split once, before any adapter sees it.

:meth:`StoreURL.parse` is the layer's door: a store URL is a ``scheme://`` URL of bounded
length, it carries no secret (no ``user:password@``, no ``password=``/``token=``/
``sslpassword=``... in its query, no ``#fragment``), only schemes that take a user name get
one, its port is a number, and its option names are names. No message repeats a rejected value
or the raw URL: they show a redacted form (:func:`redact_url`) or describe what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from adapters._options import check_option_name, is_secret_name, option_label, secret_hint
from adapters._registry import BUILTIN_ADAPTERS, known_schemes
from contracts.errors import ConfigurationError

__all__ = ["MAX_URL_LENGTH", "StoreURL", "redact_url"]


@dataclass(frozen=True, slots=True)
class StoreURL:
    """A checked store URL: what an adapter factory receives instead of the raw text.

    Attributes:
        scheme: the URL scheme, lowercase (``sqlite``, ``postgresql``, ``foundry+https``...).
        user: the user name, percent-decoded, for schemes that take one; never a password.
        host: the host name, lowercase, or ``None``.
        port: the port, or ``None``.
        address: host and port as written, case kept (``db.example:5432``, ``[::1]``).
        path: the path, percent-decoded (``/caseport.db``, ``/cases``, ``""``).
        options: the query parameters, each given once, in their order.
        text: the URL as given; it holds no secret, since one would have been refused.
        shown: the URL redacted and shortened, for messages and logs.
    """

    scheme: str
    user: str | None
    host: str | None
    port: int | None
    address: str
    path: str
    options: Mapping[str, str] = field(repr=False)
    text: str = field(repr=False)
    shown: str

    @property
    def database(self) -> str:
        """The path without its leading slash: a database name, or a file's relative path."""
        return self.path[1:] if self.path.startswith("/") else self.path

    def __str__(self) -> str:
        return self.shown

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        """``url`` checked and split.

        Raises:
            ConfigurationError: not a ``scheme://`` URL, too long, malformed, a password
                anywhere (user information or a secret query key such as ``password``,
                ``sslpassword``, ``token``), a user name on a scheme that takes none, a
                fragment, a bad port, a repeated option or an option name that is not a name.
                The message shows the URL redacted, never as given.
        """
        return _parse(url)


MAX_URL_LENGTH: Final = 8192
"""Longest store URL accepted; longer ones are refused unread."""
_MAX_OPTIONS: Final = 200
_SHOWN: Final = 200
"""Characters of a redacted URL shown in a message."""
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31}):", re.ASCII)
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")
# Schemes whose path is a file name, which may hold ':' and '@' of its own.
_FILE_SCHEMES: Final = frozenset({"sqlite"})


def _scheme_and_rest(url: str) -> tuple[str | None, str]:
    match = _SCHEME.match(url)
    if match is None:
        return None, url
    return match.group(1).lower(), url[match.end() :]


def _userinfo(url: str) -> tuple[int, int] | None:
    """Where a ``user[:password]`` part sits in ``url``, as lenient parsers would find it.

    Malformed forms count too (``postgresql:/user:pw@db/x``, ``sqlite://admin:pw@/x.db``):
    libpq and other tools read them, so they must not slip past. Returns the span of the
    user information (without the ``@``), or ``None``.
    """
    scheme, rest = _scheme_and_rest(url)
    if scheme is None:
        return None
    start = len(url) - len(rest)
    slashes = len(rest) - len(rest.lstrip("/"))
    start += min(slashes, 3) if scheme in _FILE_SCHEMES else slashes
    head = url[start:]
    for mark in "?#":
        head = head.split(mark, 1)[0]
    if "@" not in head:
        return None
    candidate = head.rpartition("@")[0]
    if scheme in _FILE_SCHEMES and "/" in candidate:
        return None  # an '@' inside a file name, after the first directory
    return start, start + len(candidate)


def _password_span(url: str) -> tuple[int, int] | None:
    """The span of a ``user:password`` part of ``url`` (without the ``@``), or ``None``."""
    span = _userinfo(url)
    if span is not None and ":" in url[span[0] : span[1]]:
        return span
    # A bare "user:password@host", with no scheme://, reads as scheme "user" to the above.
    head = re.split(r"[/?#]", url, maxsplit=1)[0]
    if "@" in head and ":" in head.rpartition("@")[0]:
        return 0, head.rindex("@")
    return None


def _parts(url: str) -> SplitResult | None:
    """``url`` split, or ``None`` when its host or port cannot be read."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    return None if port is not None and not 0 < port <= 65535 else parts


def _shorten(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def redact_url(url: str) -> str:
    """``url`` safe to print or log: passwords and secret query values become ``***``.

    Works on malformed URLs too (``postgresql:/user:pw@db/x``). Something that is not a URL at
    all is described rather than shown, since it may be a secret pasted in the wrong place.
    """
    if not isinstance(url, str):
        return f"<not a URL: {type(url).__name__}>"
    if _CONTROL.search(url):
        url = _CONTROL.sub("?", url)
    scheme, _ = _scheme_and_rest(url)
    if scheme is None:
        return f"<not a URL, {len(url)} characters>"
    parts = _parts(url)
    if parts is None:
        return f"{scheme}://<malformed, {len(url)} characters>"
    spec = BUILTIN_ADAPTERS.get(scheme)
    if spec is not None and not spec.user_names and "@" in parts.netloc:
        # Where a scheme takes no user name, whatever stands before '@' can only be a
        # credential pasted in (https://TOKEN@host): none of it is shown.
        userinfo = parts.netloc.rpartition("@")[0]
        url = url.replace(userinfo + "@", "***@", 1)
    span = _password_span(url)
    if span is not None:
        start, end = span
        user = url[start:end].partition(":")[0]
        url = url[:start] + f"{user}:***" + url[end:]
    base, hash_mark, _ = url.partition("#")
    base, question, query = base.partition("?")
    if query:
        pieces = []
        for piece in query.split("&"):
            key, equals, _ = piece.partition("=")
            secret = is_secret_name(unquote(key))
            pieces.append(f"{key}=***" if secret and equals else piece)
        query = "&".join(pieces)
    return base + question + query + ("#***" if hash_mark else "")


def _not_a_url(url: str) -> ConfigurationError:
    """Why ``url`` is not a store URL, without repeating it (it may be a secret)."""
    scheme, _ = _scheme_and_rest(url)
    what = f"the store URL given ({len(url)} characters) is not a store URL"
    if scheme is not None and scheme in known_schemes():
        advice = f"{scheme}: must be followed by two slashes, as in {scheme}://..."
    elif "=" in url and "://" not in url:
        advice = (
            "it looks like a libpq key=value connection string; write "
            "postgresql://USER@HOST/DB?OPTION=VALUE instead"
        )
    elif url.lower().endswith((".db", ".sqlite", ".sqlite3")):
        advice = "a SQLite file is written sqlite:///relative/path.db or sqlite:////abs/path.db"
    else:
        advice = "expected e.g. memory://, sqlite:///file.db or postgresql://USER@HOST/DB"
    if _password_span(url) is not None:
        advice += (
            "; it also seems to hold a password, which never belongs in a URL: "
            + secret_hint(scheme)
        )
    return ConfigurationError(f"{what}; {advice}")


def _parse(url: str) -> StoreURL:
    """``url`` checked and split (see :meth:`StoreURL.parse`).

    Raises:
        ConfigurationError: not a ``scheme://`` URL, too long, malformed, a password anywhere
            (user information or a secret query key such as ``password``, ``sslpassword``,
            ``token``), a user name on a scheme that takes none, a fragment, a bad port, a
            repeated option or an option name that is not a name. The message shows the URL
            redacted, never as given.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a store URL must be a string, not {type(url).__name__}")
    if len(url) > MAX_URL_LENGTH:
        raise ConfigurationError(
            f"the store URL is {len(url)} characters long; at most {MAX_URL_LENGTH} are accepted"
        )
    if _CONTROL.search(url):
        raise ConfigurationError("the store URL contains control characters (tab, newline...)")
    scheme, rest = _scheme_and_rest(url)
    if _password_span(url) is not None:
        shown = f" {_shorten(redact_url(url))}" if scheme is not None else ""
        raise ConfigurationError(
            f"the store URL{shown} carries a password; secrets never travel in URLs, which end "
            f"up in logs, shell histories and process lists: {secret_hint(scheme)}"
        )
    if scheme is None or not rest.startswith("//"):
        raise _not_a_url(url)
    parts = _parts(url)
    if parts is None:
        # Neither urllib's message nor the URL is shown: what reads as a bad port or host is
        # often a password holding '/', '?' or '#'.
        raise ConfigurationError(
            f"malformed {scheme}:// URL ({len(url)} characters): check the host, the port (a "
            "number from 1 to 65535), any [IPv6] brackets, and that no password is in it"
        )
    if "#" in url:
        raise ConfigurationError(f"a {scheme}:// URL takes no #fragment")
    shown = _shorten(redact_url(url))
    spec = BUILTIN_ADAPTERS.get(scheme)
    if parts.username is not None and spec is not None and not spec.user_names:
        raise ConfigurationError(
            f"{scheme}:// URLs take no user name or password (got {shown}); {secret_hint(scheme)}"
        )
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, max_num_fields=_MAX_OPTIONS)
    except ValueError:
        raise ConfigurationError(f"the store URL has more than {_MAX_OPTIONS} options") from None
    options: dict[str, str] = {}
    for key, value in pairs:
        check_option_name(key, scheme, "in the URL")
        if key in options:
            raise ConfigurationError(f"option {option_label(key)} is given twice in the URL")
        options[key] = value
    return StoreURL(
        scheme=scheme,
        user=None if parts.username is None else unquote(parts.username),
        host=parts.hostname,
        port=parts.port,
        address=parts.netloc.rpartition("@")[2],
        path=unquote(parts.path),
        options=MappingProxyType(options),
        text=url,
        shown=shown,
    )
