"""Turning a URL, or the configuration, into a store.

This is the layer's door, so the checks every adapter relies on happen here, before any
adapter code runs: the URL is parsed once into a :class:`~adapters._url.StoreURL` (no secret,
well formed), option names are checked (no secret, names only), the adapter is found, and the
merged options are validated against its options model. The factory gets the parsed URL and
the validated model.
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters._options import OptionsT, check_option_name, validate_options
from adapters._registry import Adapter, resolve
from adapters._url import StoreURL, redact_url
from adapters.config import load_settings
from contracts.errors import CaseportError, ConfigurationError
from contracts.store import CaseStore

__all__ = ["connect", "redact_url", "split_url", "store_arguments"]


def split_url(url: str) -> tuple[str, dict[str, str]]:
    """The scheme of ``url`` and its query parameters, once the URL is checked.

    Raises:
        ConfigurationError: as :meth:`StoreURL.parse`.
    """
    parsed = StoreURL.parse(url)
    return parsed.scheme, dict(parsed.options)


def store_arguments(
    url: StoreURL | str, options: Mapping[str, str] | OptionsT, model: type[OptionsT]
) -> tuple[StoreURL, OptionsT]:
    """What an adapter's factory takes, from a URL and options in either form.

    Lets a factory be called directly with text (``from_url("sqlite:///x.db", {})``) as well
    as by the registry: text is parsed, and the URL's options merged with ``options`` (which
    win) and validated against ``model``; a parsed URL and a model pass through unchanged.

    Raises:
        ConfigurationError: as :meth:`StoreURL.parse` and
            :func:`~adapters._options.validate_options`.
    """
    parsed = url if isinstance(url, StoreURL) else StoreURL.parse(url)
    model.check_url(parsed)
    if isinstance(options, model):
        return parsed, options
    given: Mapping[str, str] = options  # type: ignore[assignment]
    for name in given:
        check_option_name(name, parsed.scheme, "an option")
    merged = {**parsed.options, **given}
    return parsed, validate_options(parsed.scheme, model, merged)


def connect(url: str | None = None, **options: str) -> CaseStore:
    """Open the store at ``url``, or the configured one when ``url`` is ``None``.

    Options are merged in this order, later ones winning: the URL's query string, then (when
    no URL is given) the configured options (``[store.options]`` in the file, then
    ``CASEPORT_OPTION_*`` variables), then ``options``. Every option name is checked here, and
    the merged options are validated against the adapter's options model; secrets are refused
    wherever they come from. Schemes: ``caseport info``; a scheme's options: ``caseport info
    SCHEME``.

    Raises:
        ConfigurationError: a bad or secret-bearing URL or option, unknown scheme, unknown
            option, missing dependency (the message names the ``pip install`` command),
            unreadable configuration, or an adapter whose factory fails unexpectedly.
    """
    configured: dict[str, str] = {}
    if url is None:
        # load_settings has checked the configured URL and option names, naming their source.
        settings = load_settings()
        url = settings.url
        configured.update(settings.options)
    parsed = StoreURL.parse(url)
    merged = dict(parsed.options)
    merged.update(configured)
    merged.update({key: str(value) for key, value in options.items()})
    for name in options:
        check_option_name(name, parsed.scheme, "a keyword argument")
    return _build(resolve(parsed.scheme), parsed, merged)


def _build(adapter: Adapter[OptionsT], url: StoreURL, options: Mapping[str, str]) -> CaseStore:
    scheme = url.scheme
    adapter.options.check_url(url)
    validated = validate_options(scheme, adapter.options, options)
    try:
        store = adapter.factory(url, validated)
    except CaseportError:
        raise
    except Exception as exc:
        # A third-party factory must not crash the caller with its own exception types. Its
        # message is not repeated (it may hold anything it was given); the chained cause keeps
        # it for a traceback asked for on purpose.
        raise ConfigurationError(
            f"the adapter for {scheme}:// failed to open the store ({type(exc).__name__}); "
            "run with --debug, or read the chained exception, for its message"
        ) from exc
    if not isinstance(store, CaseStore):
        raise ConfigurationError(
            f"the adapter for {scheme}:// returned {type(store).__name__}, not a CaseStore"
        )
    return store
