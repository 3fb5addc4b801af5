"""The Palantir Foundry adapter: caseport's contract over the Foundry Ontology API v2.

Selected by ``foundry+https://HOST[:PORT][/GATEWAY-PREFIX]/ONTOLOGY`` with options such as
``mapping`` (a TOML mapping file; the reference design ships as the default), timeouts
(``connect_timeout``, ``read_timeout``, ``write_timeout``, ``pool_timeout``, ``deadline``),
``max_attempts``, ``concurrency`` and the paging and batching options of
:class:`~adapters.foundry.store.StoreOptions`, all in
:class:`~adapters.foundry.options.FoundryOptions`. Credentials come only from the environment:
``CASEPORT_FOUNDRY_TOKEN``, or ``CASEPORT_FOUNDRY_CLIENT_ID`` and
``CASEPORT_FOUNDRY_CLIENT_SECRET`` for OAuth2 client credentials. ``foundry+fake://`` serves
the same adapter from an in-memory fake Foundry (:mod:`adapters.foundry.testing`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from adapters._connect import store_arguments
from adapters._url import StoreURL
from adapters.foundry.auth import ClientCredentials, StaticToken, TokenProvider, from_environment
from adapters.foundry.client import ClientSettings, FoundryClient
from adapters.foundry.errors import CircuitOpen, FoundryApiError, WriteOutcomeUnknown
from adapters.foundry.mapping import FoundryMapping, load_mapping
from adapters.foundry.options import FoundryFakeOptions, FoundryOptions
from adapters.foundry.retry import RetryPolicy
from adapters.foundry.store import FoundryCaseStore, StoreOptions
from adapters.foundry.timing import SystemClock
from contracts.errors import ConfigurationError

__all__ = [
    "CircuitOpen",
    "ClientCredentials",
    "ClientSettings",
    "FoundryApiError",
    "FoundryCaseStore",
    "FoundryClient",
    "FoundryFakeOptions",
    "FoundryMapping",
    "FoundryOptions",
    "RetryPolicy",
    "StaticToken",
    "StoreOptions",
    "TokenProvider",
    "WriteOutcomeUnknown",
    "from_url",
    "load_mapping",
    "split_store_url",
]


def split_store_url(url: str, scheme: str) -> tuple[str, str]:
    """``(base_url, ontology)`` from ``SCHEME://host[:port][/prefix]/ontology``.

    Raises:
        ConfigurationError: wrong scheme, credentials in the URL, or no ontology.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != scheme:
        raise ConfigurationError(f"expected a {scheme}:// URL, got {parts.scheme}://")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "credentials must not travel in the store URL; set CASEPORT_FOUNDRY_TOKEN or the "
            "OAuth2 client variables in the environment"
        )
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise ConfigurationError(
            f"{scheme}://HOST/ONTOLOGY needs the ontology API name or RID as the last path part"
        )
    prefix = "/".join(segments[:-1])
    transport = scheme.partition("+")[2] or "https"
    base = f"{transport}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
    return base, segments[-1]


def from_url(url: StoreURL | str, options: FoundryOptions | Mapping[str, str]) -> FoundryCaseStore:
    """Build a store from ``foundry+https://HOST/ONTOLOGY`` and its options.

    Called with text, the URL is parsed and the options validated here (see
    :class:`~adapters.foundry.options.FoundryOptions`); through :func:`adapters.connect`, the
    registry has done both.

    Raises:
        ConfigurationError: a bad URL, an unknown option, a bad mapping or no credentials.
    """
    parsed, read = store_arguments(url, options, FoundryOptions)
    base, ontology = split_store_url(parsed.text, "foundry+https")
    if not parsed.host:
        raise ConfigurationError("foundry+https:// needs a host name")
    mapping = load_mapping(read.mapping)
    clock = SystemClock()
    auth = from_environment(os.environ, clock, read.scopes)
    client = FoundryClient(base, ontology, auth, settings=read.client_settings(), clock=clock)
    return FoundryCaseStore(client, mapping, read.store_options())
