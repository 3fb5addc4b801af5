"""Turning a URL, or the configuration, into a store."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from adapters._registry import resolve
from adapters.config import load_settings
from contracts.errors import CaseportError, ConfigurationError
from contracts.store import CaseStore

__all__ = ["connect", "redact_url", "split_url"]

_SECRET_KEYS = frozenset({"password", "token", "secret", "client_secret", "api_key"})


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """The scheme of ``url`` and its query parameters as options.

    Raises:
        ConfigurationError: the URL is malformed, has no scheme, repeats a query parameter or
            carries a secret.
    """
    if "://" not in url:
        raise ConfigurationError(
            f"{url[:200]!r} is not a store URL; expected e.g. memory:// or sqlite:///file.db"
        )
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ConfigurationError(f"malformed store URL: {exc}") from None
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
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<malformed URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connect(url: str | None = None, **options: str) -> CaseStore:
    """Open the store at ``url``, or the configured one when ``url`` is ``None``.

    Options are merged in this order, later ones winning: the URL's query string, then (when
    no URL is given) the configured options (``[store.options]`` in the file, then
    ``CASEPORT_OPTION_*`` variables), then ``options``. Schemes: ``caseport info`` lists them.

    Raises:
        ConfigurationError: unknown scheme, unknown option, missing dependency (the message
            names the ``pip install`` command), unreadable configuration, or an adapter whose
            factory fails unexpectedly.
    """
    configured: dict[str, str] = {}
    if url is None:
        settings = load_settings()
        url = settings.url
        configured.update(settings.options)
    scheme, merged = split_url(url)
    merged.update(configured)
    merged.update({key: str(value) for key, value in options.items()})
    factory = resolve(scheme)
    try:
        store = factory(url, merged)
    except CaseportError:
        raise
    except Exception as exc:
        # A third-party factory must not crash the caller with its own exception types.
        raise ConfigurationError(
            f"the adapter for {scheme}:// failed to open the store: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(store, CaseStore):
        raise ConfigurationError(
            f"the adapter for {scheme}:// returned {type(store).__name__}, not a CaseStore"
        )
    return store
