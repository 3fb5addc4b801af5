"""Turning a URL, or the configuration, into a store."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from adapters._registry import resolve
from adapters.config import load_settings
from contracts.errors import ConfigurationError
from contracts.store import CaseStore

__all__ = ["connect", "redact_url", "split_url"]

_SECRET_KEYS = frozenset({"password", "token", "secret", "client_secret", "api_key"})


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """The scheme of ``url`` and its query parameters as options.

    Raises:
        ConfigurationError: the URL has no scheme or repeats a query parameter.
    """
    if "://" not in url:
        raise ConfigurationError(
            f"{url!r} is not a store URL; expected e.g. memory:// or sqlite:///path/to/file.db"
        )
    parts = urlsplit(url)
    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in options:
            raise ConfigurationError(f"option {key!r} is given twice in the URL")
        if key.lower() in _SECRET_KEYS:
            raise ConfigurationError(
                f"secrets such as {key!r} must not travel in a URL; set them in the environment"
            )
        options[key] = value
    return parts.scheme.lower(), options


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connect(url: str | None = None, **options: str) -> CaseStore:
    """Open the store at ``url``, or the configured one when ``url`` is ``None``.

    Options come from the URL's query string, then the configuration (when no URL is given),
    then ``options`` (keywords win). Schemes: ``memory://`` built in; more from installed
    adapters (``caseport info`` lists them).

    Raises:
        ConfigurationError: unknown scheme, unknown option, missing dependency (the message
            names the ``pip install`` command) or unreadable configuration.
    """
    merged: dict[str, str] = {}
    if url is None:
        settings = load_settings()
        url = settings.url
        merged.update(settings.options)
    scheme, url_options = split_url(url)
    merged.update(url_options)
    merged.update({key: str(value) for key, value in options.items()})
    factory = resolve(scheme)
    return factory(url, merged)
