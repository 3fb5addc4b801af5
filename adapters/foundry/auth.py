"""Where the bearer token comes from: a fixed token, or OAuth2 client credentials.

Tokens are :class:`pydantic.SecretStr` from the moment they are read: they print as
``**********`` in reprs, logs and exceptions, and travel only in the ``Authorization`` header,
never in a URL. Client-credentials tokens are refreshed before they expire, by one thread at a
time (the others keep using the current token or wait for the new one), and once more when
Foundry answers 401, never in a loop.

Every token is checked before it is used: surrounding whitespace is stripped and what is left
must be an RFC 6750 ``b64token`` (``[A-Za-z0-9-._~+/]+=*``). A token with other characters (a
line break, a non-ASCII letter) would otherwise make httpx or httpcore fail with the header,
token included, in the exception text; here it fails without the value instead.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, Protocol

from pydantic import SecretStr, ValidationError

from adapters.foundry.timing import Clock
from adapters.foundry.wire import TokenResponse
from contracts.errors import ConfigurationError, UpstreamContractError

__all__ = [
    "CLIENT_ID_ENV",
    "CLIENT_SECRET_ENV",
    "TOKEN_ENV",
    "TOKEN_PATH",
    "ClientCredentials",
    "StaticToken",
    "TokenExchange",
    "TokenProvider",
    "bearer_token",
    "from_environment",
]

TOKEN_ENV: Final = "CASEPORT_FOUNDRY_TOKEN"
CLIENT_ID_ENV: Final = "CASEPORT_FOUNDRY_CLIENT_ID"
CLIENT_SECRET_ENV: Final = "CASEPORT_FOUNDRY_CLIENT_SECRET"
TOKEN_PATH: Final = "/multipass/api/oauth2/token"

TokenExchange = Callable[[Mapping[str, str]], Mapping[str, Any]]
"""Posts a form to the token endpoint and returns the JSON answer (supplied by the client)."""

_B64TOKEN: Final = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
"""RFC 6750's ``b64token``: the only characters a bearer token may carry."""


def bearer_token(token: SecretStr | str) -> SecretStr | None:
    """``token`` without surrounding whitespace, or ``None`` if it is not a valid bearer token.

    Args:
        token: the token as configured or received.

    Returns:
        The stripped token, or ``None`` when it is empty or holds characters outside RFC 6750's
        ``b64token`` set (the caller raises an error that does not include the value).
    """
    value = token.get_secret_value() if isinstance(token, SecretStr) else token
    value = value.strip()
    if not _B64TOKEN.fullmatch(value):
        return None
    return SecretStr(value)


class TokenProvider(Protocol):
    """Gives the bearer token for the next request."""

    def token(self, exchange: TokenExchange) -> SecretStr:
        """The token to send now, fetched or refreshed through ``exchange`` if needed."""
        ...

    def invalidate(self, rejected: SecretStr) -> bool:
        """Forget ``rejected`` after a 401; return whether a new token may now be obtained."""
        ...


class StaticToken:
    """A fixed token (a personal or service token); it cannot be refreshed."""

    def __init__(self, token: SecretStr | str) -> None:
        raw = token.get_secret_value() if isinstance(token, SecretStr) else token
        if not raw.strip():
            raise ConfigurationError("the Foundry token is empty")
        checked = bearer_token(raw)
        if checked is None:
            raise ConfigurationError(
                "the Foundry token holds characters a bearer token cannot carry (RFC 6750 "
                "allows letters, digits and -._~+/ with trailing =); check how it was copied"
            )
        self._token = checked

    def token(self, exchange: TokenExchange) -> SecretStr:
        """See :meth:`TokenProvider.token`."""
        return self._token

    def invalidate(self, rejected: SecretStr) -> bool:
        """A fixed token cannot be replaced; see :meth:`TokenProvider.invalidate`."""
        return False

    def __repr__(self) -> str:
        return "StaticToken(**********)"


class ClientCredentials:
    """OAuth2 client-credentials grant against ``/multipass/api/oauth2/token``.

    Args:
        client_id: the third-party application's client id.
        client_secret: its secret.
        clock: measures token lifetimes.
        scopes: scopes to ask for; none asks for every scope the application has.
        refresh_margin: refresh this many seconds before expiry (at most a quarter of the
            token's lifetime).
    """

    def __init__(
        self,
        client_id: str,
        client_secret: SecretStr | str,
        clock: Clock,
        *,
        scopes: Sequence[str] = (),
        refresh_margin: float = 60.0,
    ) -> None:
        if not client_id.strip():
            raise ConfigurationError("the Foundry OAuth2 client id is empty")
        secret = client_secret if isinstance(client_secret, SecretStr) else SecretStr(client_secret)
        if not secret.get_secret_value().strip():
            raise ConfigurationError("the Foundry OAuth2 client secret is empty")
        self.client_id = client_id
        self._secret = secret
        self._clock = clock
        self.scopes = tuple(scopes)
        self.refresh_margin = refresh_margin
        self._lock = threading.Lock()
        self._current: SecretStr | None = None
        self._refresh_at = 0.0
        self._expires_at = 0.0
        self.refreshes = 0
        """How many tokens were fetched so far (for tests and metrics)."""

    def token(self, exchange: TokenExchange) -> SecretStr:
        """See :meth:`TokenProvider.token`."""
        now = self._clock.monotonic()
        current = self._current
        if current is not None and now < self._refresh_at:
            return current
        if current is not None and now < self._expires_at:
            # Due for refresh but still valid: refresh unless another thread already is.
            if not self._lock.acquire(blocking=False):
                return current
        else:
            self._lock.acquire()
        try:
            now = self._clock.monotonic()
            if self._current is not None and now < self._refresh_at:
                return self._current
            return self._fetch(exchange)
        finally:
            self._lock.release()

    def invalidate(self, rejected: SecretStr) -> bool:
        """See :meth:`TokenProvider.invalidate`."""
        with self._lock:
            if self._current is not None and (
                self._current.get_secret_value() == rejected.get_secret_value()
            ):
                self._current = None
                self._refresh_at = self._expires_at = 0.0
        return True

    def _fetch(self, exchange: TokenExchange) -> SecretStr:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._secret.get_secret_value(),
        }
        if self.scopes:
            form["scope"] = " ".join(self.scopes)
        started = self._clock.monotonic()
        answer = exchange(form)
        try:
            parsed = TokenResponse.model_validate(answer)
        except ValidationError as exc:
            raise UpstreamContractError(
                f"the token endpoint answered an unexpected shape ({exc.error_count()} problems)"
            ) from None
        access_token = bearer_token(parsed.access_token)
        if access_token is None:
            raise UpstreamContractError(
                "the token endpoint answered an access token with characters a bearer token "
                "cannot carry (RFC 6750)"
            )
        lifetime = float(parsed.expires_in)
        margin = min(self.refresh_margin, lifetime / 4)
        self._current = access_token
        self._expires_at = started + lifetime
        self._refresh_at = started + lifetime - margin
        self.refreshes += 1
        return access_token

    def __repr__(self) -> str:
        return f"ClientCredentials(client_id={self.client_id!r}, client_secret=**********)"


def from_environment(
    environ: Mapping[str, str], clock: Clock, scopes: Sequence[str] = ()
) -> TokenProvider:
    """The token provider the environment configures.

    ``CASEPORT_FOUNDRY_TOKEN`` gives a fixed token; otherwise ``CASEPORT_FOUNDRY_CLIENT_ID`` and
    ``CASEPORT_FOUNDRY_CLIENT_SECRET`` give OAuth2 client credentials.

    Raises:
        ConfigurationError: neither is set, or only half of the client credentials.
    """
    token = environ.get(TOKEN_ENV)
    client_id = environ.get(CLIENT_ID_ENV)
    client_secret = environ.get(CLIENT_SECRET_ENV)
    if token:
        return StaticToken(SecretStr(token))
    if client_id and client_secret:
        return ClientCredentials(client_id, SecretStr(client_secret), clock, scopes=scopes)
    if client_id or client_secret:
        missing = CLIENT_SECRET_ENV if client_id else CLIENT_ID_ENV
        raise ConfigurationError(f"OAuth2 client credentials need {missing} as well")
    raise ConfigurationError(
        f"no Foundry credentials: set {TOKEN_ENV}, or {CLIENT_ID_ENV} and {CLIENT_SECRET_ENV}"
    )
