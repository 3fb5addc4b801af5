"""Foundry failures, translated to contract errors.

Foundry answers errors with an envelope ``{errorCode, errorName, errorInstanceId, parameters}``.
The HTTP status decides the contract error first; the ``errorName`` refines it second, because
status and ``errorCode`` are not one to one (``LinkAlreadyExists`` is CONFLICT with status 400).
The raised contract error always has a :class:`FoundryApiError` as its ``__cause__``, which keeps
the status, the names, the parameters and the instance id that Palantir support asks for.

httpx and tenacity exceptions never escape the adapter: :func:`from_transport_error` maps every
httpx exception class and :data:`TENACITY_ERRORS` every tenacity one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import tenacity

from contracts.errors import (
    AlreadyExists,
    BackendError,
    CaseportError,
    ConfigurationError,
    DeadlineExceeded,
    InvalidCursor,
    NotFound,
    PermissionDenied,
    RateLimited,
    TransientError,
    Unavailable,
    UpstreamContractError,
    ValidationFailed,
)

__all__ = [
    "ERROR_NAMES",
    "HTTPX_ERRORS",
    "TENACITY_ERRORS",
    "CircuitOpen",
    "FoundryApiError",
    "WriteOutcomeUnknown",
    "from_response",
    "from_transport_error",
    "redact",
    "scrub",
]


class CircuitOpen(Unavailable):
    """Raised without calling Foundry while the circuit breaker is open after repeated failures."""


class WriteOutcomeUnknown(BackendError):
    """Raised when a write was sent but no answer came back, so it may have been applied."""


@dataclass(eq=False)
class FoundryApiError(Exception):
    """What Foundry said, kept as the ``__cause__`` of the contract error raised for it.

    Attributes:
        status: the HTTP status.
        method: the HTTP method of the request.
        path: the request path (no query string, no host; never holds secrets).
        error_code: the broad category (``NOT_FOUND``, ``INVALID_ARGUMENT``, ...), if any.
        error_name: the specific name (``ObjectNotFound``, ...), if any.
        error_instance_id: the id Palantir support needs to find this failure, if any.
        parameters: the name-specific details.
        body_excerpt: the start of a body that was not an error envelope (an HTML proxy page).
    """

    status: int
    method: str
    path: str
    error_code: str | None = None
    error_name: str | None = None
    error_instance_id: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    body_excerpt: str | None = None

    def __str__(self) -> str:
        name = self.error_name or "no error envelope"
        text = f"Foundry answered {self.status} ({name}) to {self.method} {self.path}"
        if self.error_instance_id:
            text += f"; errorInstanceId {self.error_instance_id}"
        if self.body_excerpt:
            text += f"; body starts {self.body_excerpt!r}"
        return text


ERROR_NAMES: Final[Mapping[str, type[CaseportError]]] = {
    # general
    "ApiFeaturePreviewUsageOnly": ConfigurationError,
    "ApiUsageDenied": PermissionDenied,
    "Conjure:InvalidArgument": ValidationFailed,
    "Conjure:UnprocessableEntity": ValidationFailed,
    "Conjure:UnsupportedMediaType": UpstreamContractError,
    "Default:Internal": BackendError,
    "Default:PermissionDenied": PermissionDenied,
    "Default:Unauthorized": PermissionDenied,
    "MissingCredentials": PermissionDenied,
    "InvalidPageSize": ValidationFailed,
    "InvalidPageToken": InvalidCursor,
    "InvalidParameterCombination": ValidationFailed,
    # ontology
    "ObjectNotFound": NotFound,
    "ObjectTypeNotFound": ConfigurationError,
    "OntologyNotFound": ConfigurationError,
    "LinkTypeNotFound": ConfigurationError,
    "LinkedObjectNotFound": NotFound,
    "PropertiesNotFound": ConfigurationError,
    "ActionTypeNotFound": ConfigurationError,
    "ObjectSetNotFound": ConfigurationError,
    "InterfaceTypeNotFound": ConfigurationError,
    "ObjectsExceededLimit": BackendError,
    "ObjectTypeNotSynced": Unavailable,
    "OntologySyncing": Unavailable,
    "OntologyApiNameNotUnique": ConfigurationError,
    "CompositePrimaryKeyNotSupported": ConfigurationError,
    "ViewObjectPermissionDenied": PermissionDenied,
    "ActionValidationFailed": ValidationFailed,
    # search
    "PropertiesNotSearchable": ConfigurationError,
    "PropertiesNotFilterable": ConfigurationError,
    "PropertiesNotSortable": ConfigurationError,
    "InvalidPropertyValue": ValidationFailed,
    "PropertyTypesSearchNotSupported": ConfigurationError,
    "InvalidRangeQuery": ValidationFailed,
    "InvalidSortOrder": ValidationFailed,
    "InvalidSortType": ValidationFailed,
    "DuplicateOrderBy": ValidationFailed,
    # aggregations
    "AggregationAccuracyNotSupported": ValidationFailed,
    "AggregationGroupCountExceededLimit": ValidationFailed,
    "AggregationMemoryExceededLimit": BackendError,
    "InvalidAggregationRange": ValidationFailed,
    "InvalidDurationGroupByValue": ValidationFailed,
    "MultipleGroupByOnFieldNotSupported": ValidationFailed,
    # actions
    "ParametersNotFound": ConfigurationError,
    "InvalidParameterValue": ValidationFailed,
    "MissingParameter": ConfigurationError,
    "ActionParameterObjectNotFound": NotFound,
    "ActionParameterObjectTypeNotFound": ConfigurationError,
    "ActionEditsReadOnlyEntity": PermissionDenied,
    "EditObjectPermissionDenied": PermissionDenied,
    "ObjectChanged": TransientError,
    "ActionContainsDuplicateEdits": ValidationFailed,
    "ObjectAlreadyExists": AlreadyExists,
    "LinkAlreadyExists": AlreadyExists,
    "OntologyEditsExceededLimit": ValidationFailed,
    "ApplyActionFailed": BackendError,
    # timeouts reported by the platform itself
    "FunctionExecutionTimedOut": DeadlineExceeded,
    "QueryMemoryExceededLimit": BackendError,
}
"""Every documented ``errorName`` and the contract error it refines to."""

_BY_STATUS: Final[Mapping[int, type[CaseportError]]] = {
    400: ValidationFailed,
    401: PermissionDenied,
    403: PermissionDenied,
    404: NotFound,
    409: TransientError,
    413: ValidationFailed,
    414: ValidationFailed,
    415: UpstreamContractError,
    422: ValidationFailed,
    429: RateLimited,
    431: ValidationFailed,
    500: BackendError,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}

_HINTS: Final[Mapping[str, str]] = {
    "ObjectsExceededLimit": (
        "the object type is backed by Object Storage V1, which stops at 10,000 objects; "
        "export its backing dataset instead or migrate the type to Object Storage V2"
    ),
    "InvalidPageToken": "the page token expired or is not valid; restart the scan without it",
    "ApiFeaturePreviewUsageOnly": "the endpoint is in preview on this stack",
    "OntologySyncing": "the ontology is being updated; try again in a few seconds",
    "ObjectChanged": "the object changed while the action ran; read it again and retry",
}


def _refined(status: int, name: str | None) -> type[CaseportError]:
    by_status = _BY_STATUS.get(status)
    if by_status is None:
        by_status = BackendError if status >= 500 else ValidationFailed
    named = ERROR_NAMES.get(name or "")
    if named is None:
        return by_status
    # The name refines the status class, except that it may never make a server failure look
    # like a caller error or the other way round.
    if status >= 500 and not issubclass(named, BackendError):
        return by_status
    return named


def from_response(api: FoundryApiError, retry_after: float | None = None) -> CaseportError:
    """The contract error for a Foundry error response; raise it ``from api``."""
    if 300 <= api.status < 400:
        return UpstreamContractError(
            f"Foundry answered {api.status} (a redirect) to {api.method} {api.path}; "
            "redirects are never followed, check the host in the store URL"
        )
    if api.status == 404 and api.error_name is None:
        return ConfigurationError(
            f"{api.method} {api.path} does not exist on this Foundry stack (404 without an "
            "error envelope): the endpoint may be unavailable here or the token lacks a scope"
        )
    cls = _refined(api.status, api.error_name)
    message = str(api)
    hint = _HINTS.get(api.error_name or "")
    if hint:
        message += f" ({hint})"
    if api.status in (401, 403):
        message += "; check the token's scopes (api:ontologies-read, api:ontologies-write)"
    if cls is NotFound:
        params = api.parameters
        kind = str(params.get("objectType") or params.get("linkedObjectType") or "object")
        key = params.get("primaryKey") or params.get("linkedObjectPrimaryKey") or "?"
        if isinstance(key, Mapping) and len(key) == 1:
            key = next(iter(key.values()))
        error: CaseportError = NotFound(kind, str(key))
        error.add_note(message)
        return error
    if cls is AlreadyExists:
        params = api.parameters
        key = params.get("primaryKey", "?")
        if isinstance(key, Mapping) and len(key) == 1:
            key = next(iter(key.values()))
        error = AlreadyExists(str(params.get("objectType", "object")), str(key))
        error.add_note(message)
        return error
    if cls is RateLimited:
        return RateLimited(message, retry_after)
    return cls(message)


HTTPX_ERRORS: Final[Mapping[type[Exception], type[CaseportError]]] = {
    httpx.ConnectTimeout: Unavailable,
    httpx.PoolTimeout: Unavailable,
    httpx.ReadTimeout: DeadlineExceeded,
    httpx.WriteTimeout: DeadlineExceeded,
    httpx.TimeoutException: DeadlineExceeded,
    httpx.ConnectError: Unavailable,
    httpx.ReadError: Unavailable,
    httpx.WriteError: Unavailable,
    httpx.CloseError: Unavailable,
    httpx.NetworkError: Unavailable,
    httpx.ProxyError: Unavailable,
    httpx.RemoteProtocolError: Unavailable,
    httpx.LocalProtocolError: UpstreamContractError,
    httpx.ProtocolError: Unavailable,
    httpx.UnsupportedProtocol: ConfigurationError,
    httpx.DecodingError: UpstreamContractError,
    httpx.TooManyRedirects: UpstreamContractError,
    httpx.TransportError: Unavailable,
    httpx.HTTPStatusError: BackendError,
    httpx.RequestError: Unavailable,
    httpx.HTTPError: BackendError,
    httpx.InvalidURL: ConfigurationError,
    httpx.CookieConflict: BackendError,
    httpx.StreamConsumed: BackendError,
    httpx.StreamClosed: BackendError,
    httpx.ResponseNotRead: BackendError,
    httpx.RequestNotRead: BackendError,
    httpx.StreamError: BackendError,
}
"""Every httpx exception class and the contract error it becomes (most specific first)."""

TENACITY_ERRORS: Final[Mapping[type[Exception], type[CaseportError]]] = {
    tenacity.RetryError: Unavailable,
    tenacity.TryAgain: Unavailable,
}
"""tenacity's own exceptions; the retry helper re-raises the last real error instead."""


def from_transport_error(
    exc: Exception, method: str, path: str, secrets: Iterable[str] = ()
) -> CaseportError:
    """The contract error for an httpx (or tenacity) exception; raise it ``from exc``.

    Args:
        exc: the httpx or tenacity exception.
        method: the HTTP method of the request.
        path: the request path.
        secrets: values that must never appear in the message (the bearer token).

    Returns:
        The contract error, its message redacted (see :func:`redact`).
    """
    for table in (HTTPX_ERRORS, TENACITY_ERRORS):
        for cls, target in table.items():
            if isinstance(exc, cls):
                detail = _describe(exc, secrets)
                return target(f"{type(exc).__name__} during {method} {path}: {detail}")
    return BackendError(f"{type(exc).__name__} during {method} {path}")


_BEARER: Final = re.compile(r"(?i)\bBearer\s+\S+")
_REDACTED: Final = "[redacted]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``Bearer <anything>`` and every one of ``secrets`` replaced.

    httpx and httpcore protocol errors can quote a request header (an illegal header value is
    reported with the value), so their text never reaches a message without passing here.
    Each secret is also looked for in its escaped form, as ``repr`` of a header would show it.

    Args:
        text: the text to clean.
        secrets: values to remove wherever they appear.

    Returns:
        The cleaned text.
    """
    for secret in secrets:
        for form in {secret, secret.strip(), repr(secret)[1:-1], ascii(secret)[1:-1]}:
            if len(form) >= 4:
                text = text.replace(form, _REDACTED)
    return _BEARER.sub(f"Bearer {_REDACTED}", text)


def scrub(exc: BaseException, secrets: Iterable[str] = ()) -> None:
    """Redact, in place, the message of ``exc`` and of every exception chained to it.

    The httpx exception stays the ``__cause__`` of the contract error raised for it, so its
    text (and that of the httpcore and h11 exceptions behind it) must be as clean as ours.

    Args:
        exc: the exception whose chain to clean.
        secrets: values to remove (see :func:`redact`).
    """
    secrets = tuple(secrets)
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current)
        cleaned = redact(text, secrets)
        if cleaned != text:
            current.args = (cleaned,)
        current = current.__cause__ or current.__context__


def _describe(exc: Exception, secrets: Iterable[str] = ()) -> str:
    # httpx messages hold the URL at most, but protocol errors can quote a header: redact.
    text = redact(str(exc), secrets) or "no detail"
    return text[:200]
