"""The HTTP client for Foundry's Ontology API v2: one request path for every call.

Every request goes through the same steps: circuit breaker, concurrency limit (30 in flight by
default, Foundry's documented per-user limit), bearer token, explicit connect/read/write/pool
timeouts cut to what is left of the call's deadline, no redirects, a streamed body with a size
cap and the deadline checked as it arrives, JSON validated by the caller's pydantic model, and
errors mapped to contract errors. Retries follow :mod:`adapters.foundry.retry`:

- reads retry on connection failures, timeouts, 429, 500, 502, 503 and 504;
- writes (actions) retry only when the request certainly did not run: the connection was never
  made, or Foundry answered 429 or 503. Any other failure after sending raises
  :class:`~adapters.foundry.errors.WriteOutcomeUnknown`, and the store reads back before it
  tries again;
- a 401 fetches a new token once and repeats the request once, never more.

The transport is injected (``httpx.MockTransport`` in tests, the fake Foundry in
``foundry+fake://``), never patched.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar
from urllib.parse import quote, urlencode

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from adapters.foundry.auth import TOKEN_PATH, TokenProvider, bearer_token
from adapters.foundry.breaker import CircuitBreaker
from adapters.foundry.errors import (
    FoundryApiError,
    WriteOutcomeUnknown,
    from_response,
    from_transport_error,
    scrub,
)
from adapters.foundry.retry import (
    Retryable,
    RetryBudget,
    RetryPolicy,
    parse_retry_after,
    run_with_retries,
)
from adapters.foundry.timing import Clock, Deadline, SystemClock
from adapters.foundry.wire import (
    AggregateAnswer,
    ApplyActionResponse,
    BatchApplyResponse,
    ErrorEnvelope,
    ObjectPage,
)
from contracts.errors import (
    CaseportError,
    ConfigurationError,
    DeadlineExceeded,
    NotFound,
    PermissionDenied,
    UpstreamContractError,
    ValidationFailed,
)

__all__ = ["MAX_BATCH_REQUESTS", "ClientSettings", "FoundryClient", "path_segment"]

M = TypeVar("M", bound=BaseModel)
_log = logging.getLogger("caseport.foundry")

MAX_BATCH_REQUESTS: Final = 20
"""Most requests one ``applyBatch`` call may carry (the limit for function-backed actions)."""
_READ_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_WRITE_RETRY_STATUSES: Final = frozenset({429, 503})
_NOT_SENT: Final = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_RETRYABLE_TRANSPORT: Final = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)
_VERSION: Final = "0.1.0"
_LOOPBACK: Final = frozenset({"127.0.0.1", "::1", "localhost"})


def path_segment(value: str) -> str:
    """``value`` percent-encoded for one path segment, nothing kept (``/`` becomes ``%2F``)."""
    return quote(value, safe="")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Timeouts, limits and policies of one client.

    Attributes:
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds of silence allowed while reading an answer.
        write_timeout: seconds allowed to send a request body.
        pool_timeout: seconds to wait for a free connection.
        deadline: seconds for one call, every attempt and wait included.
        concurrency: requests in flight at once (Foundry allows 30 per user).
        max_response_bytes: larger answers are refused as off-contract.
        retry: the retry policy.
        breaker_failures: consecutive failures that open the circuit breaker.
        breaker_cooldown: seconds the circuit stays open.
    """

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    write_timeout: float = 30.0
    pool_timeout: float = 5.0
    deadline: float = 60.0
    concurrency: int = 30
    max_response_bytes: int = 64 * 1024 * 1024
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    breaker_failures: int = 5
    breaker_cooldown: float = 30.0

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "write_timeout", "pool_timeout"):
            value = getattr(self, name)
            if not 0 < value <= 3600:
                raise ValidationFailed(f"{name} must be between 0 and 3600 seconds")
        if not 0 < self.deadline <= 86_400:
            raise ValidationFailed("deadline must be between 0 and 86400 seconds")
        if not 1 <= self.concurrency <= 800:
            raise ValidationFailed("concurrency must be between 1 and 800")
        if self.max_response_bytes < 1024:
            raise ValidationFailed("max_response_bytes must be at least 1024")

    def timeout(self, remaining: float) -> httpx.Timeout:
        """The httpx timeouts for one attempt, none longer than ``remaining``."""
        cap = max(remaining, 0.001)
        return httpx.Timeout(
            connect=min(self.connect_timeout, cap),
            read=min(self.read_timeout, cap),
            write=min(self.write_timeout, cap),
            pool=min(self.pool_timeout, cap),
        )


class FoundryClient:
    """Calls the Ontology API v2 of one ontology on one Foundry host.

    Args:
        base_url: ``https://host[:port][/gateway-prefix]``.
        ontology: the ontology's API name or RID.
        auth: where the bearer token comes from.
        settings: timeouts, limits and policies.
        transport: the httpx transport to use (tests and the fake inject theirs).
        clock: time source for deadlines, backoff and the breaker.
        rng: random source for backoff jitter.
    """

    def __init__(
        self,
        base_url: str,
        ontology: str,
        auth: TokenProvider,
        *,
        settings: ClientSettings | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings or ClientSettings()
        self.clock: Clock = clock or SystemClock()
        self._rng = rng or random.Random()
        self._auth = auth
        origin = httpx.URL(base_url)
        if origin.scheme not in ("https", "http") or not origin.host:
            raise ConfigurationError(f"{base_url!r} is not an http(s) URL with a host")
        if origin.scheme == "http" and origin.host not in _LOOPBACK:
            raise ConfigurationError(
                "Foundry must be reached over https; plain http is only allowed on loopback"
            )
        self._origin = (origin.scheme, origin.host, origin.port)
        self._prefix = origin.path.rstrip("/")
        self.ontology = ontology
        self._ontology_path = f"{self._prefix}/api/v2/ontologies/{path_segment(ontology)}"
        self._root = str(origin.copy_with(path="/", query=None, fragment=None)).rstrip("/")
        self._headers = {
            "Accept": "application/json",
            "User-Agent": (
                f"caseport-foundry/{_VERSION} python/{sys.version_info[0]}.{sys.version_info[1]}"
            ),
        }
        self._http = httpx.Client(
            transport=transport,
            timeout=self.settings.timeout(self.settings.deadline),
            limits=httpx.Limits(
                max_connections=self.settings.concurrency,
                max_keepalive_connections=self.settings.concurrency,
            ),
            follow_redirects=False,
            headers=self._headers,
        )
        self._slots = threading.BoundedSemaphore(self.settings.concurrency)
        self.breaker = CircuitBreaker(
            self.clock,
            failure_threshold=self.settings.breaker_failures,
            cooldown=self.settings.breaker_cooldown,
        )
        self.budget = RetryBudget()
        self._closed = False

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the Foundry stack (no path, no secrets)."""
        scheme, host, port = self._origin
        return f"{scheme}://{host}" + (f":{port}" if port else "")

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called; every later call raises ``ConfigurationError``."""
        return self._closed

    def close(self) -> None:
        """Close the connections; calls made afterwards raise ``ConfigurationError``."""
        self._closed = True
        self._http.close()

    def _check_open(self) -> None:
        if self._closed:
            raise ConfigurationError("this store is closed")

    def __repr__(self) -> str:
        return f"<FoundryClient {self.origin} ontology={self.ontology!r}>"

    # ------------------------------------------------------------------ Ontology API v2

    def ontology_path(self, *segments: str) -> str:
        """The path of an Ontology API resource, each segment percent-encoded."""
        return "/".join([self._ontology_path, *(path_segment(s) for s in segments)])

    def get_ontology(self) -> dict[str, Any]:
        """``GET /api/v2/ontologies/{ontology}``."""
        answer = self.call("GET", self._ontology_path, what="get ontology")
        if not isinstance(answer, dict):
            raise UpstreamContractError("the ontology answer is not a JSON object")
        return answer

    def get_object(
        self, object_type: str, primary_key: str, select: Sequence[str] = ()
    ) -> dict[str, Any] | None:
        """``GET .../objects/{objectType}/{primaryKey}``; ``None`` when it does not exist."""
        if not primary_key:
            raise ValidationFailed("a primary key cannot be empty")
        params = [("select", name) for name in select]
        params.append(("excludeRid", "true"))
        try:
            answer = self.call(
                "GET",
                self.ontology_path("objects", object_type, primary_key),
                params=params,
                what=f"get {object_type}",
            )
        except NotFound as exc:
            if _error_name(exc) == "ObjectNotFound":
                return None
            raise
        if not isinstance(answer, dict):
            raise UpstreamContractError(f"get {object_type}: the answer is not a JSON object")
        return answer

    def search(self, object_type: str, body: Mapping[str, Any]) -> ObjectPage:
        """``POST .../objects/{objectType}/search`` (one page)."""
        answer = self.call(
            "POST",
            self.ontology_path("objects", object_type, "search"),
            json_body=body,
            what=f"search {object_type}",
        )
        return self.parse(ObjectPage, answer, f"search {object_type}")

    def aggregate(self, object_type: str, body: Mapping[str, Any]) -> AggregateAnswer:
        """``POST .../objects/{objectType}/aggregate``: metrics per group of matching objects."""
        answer = self.call(
            "POST",
            self.ontology_path("objects", object_type, "aggregate"),
            json_body=body,
            what=f"aggregate {object_type}",
        )
        return self.parse(AggregateAnswer, answer, f"aggregate {object_type}")

    def load_objects(self, body: Mapping[str, Any]) -> ObjectPage:
        """``POST .../objectSets/loadObjects`` (one page)."""
        answer = self.call(
            "POST",
            self.ontology_path("objectSets", "loadObjects"),
            json_body=body,
            what="load objects",
        )
        return self.parse(ObjectPage, answer, "load objects")

    def linked_objects(
        self,
        object_type: str,
        primary_key: str,
        link_type: str,
        *,
        page_size: int,
        page_token: str | None,
        select: Sequence[str] = (),
        order_by: str | None = None,
        snapshot: bool = True,
    ) -> ObjectPage:
        """``GET .../objects/{objectType}/{primaryKey}/links/{linkType}`` (one page)."""
        params: list[tuple[str, str]] = [("pageSize", str(page_size))]
        if page_token is not None:
            params.append(("pageToken", page_token))
        params.extend(("select", name) for name in select)
        if order_by is not None:
            params.append(("orderBy", order_by))
        params.append(("excludeRid", "true"))
        params.append(("snapshot", "true" if snapshot else "false"))
        answer = self.call(
            "GET",
            self.ontology_path("objects", object_type, primary_key, "links", link_type),
            params=params,
            what=f"list {link_type} of {object_type}",
        )
        return self.parse(ObjectPage, answer, f"list {link_type}")

    def apply(self, action: str, parameters: Mapping[str, Any]) -> ApplyActionResponse:
        """``POST .../actions/{action}/apply`` in ``VALIDATE_AND_EXECUTE`` mode.

        Returns the answer, whose ``valid`` must be checked: HTTP 200 is not success.

        Raises:
            WriteOutcomeUnknown: the request was sent and may have been applied.
        """
        body = {
            "parameters": dict(parameters),
            "options": {"mode": "VALIDATE_AND_EXECUTE", "returnEdits": "NONE"},
        }
        what = f"apply {action}"
        answer = self.call(
            "POST",
            self.ontology_path("actions", action, "apply"),
            json_body=body,
            write=True,
            what=what,
        )
        return self.parse(ApplyActionResponse, answer, what, write=True)

    def apply_batch(self, action: str, requests: Sequence[Mapping[str, Any]]) -> BatchApplyResponse:
        """``POST .../actions/{action}/applyBatch`` with at most 20 requests, all or none.

        Raises:
            ValidationFailed: more than 20 requests.
            WriteOutcomeUnknown: the request was sent and may have been applied.
        """
        if not 1 <= len(requests) <= MAX_BATCH_REQUESTS:
            raise ValidationFailed(f"applyBatch takes 1 to {MAX_BATCH_REQUESTS} requests")
        body = {
            "requests": [{"parameters": dict(parameters)} for parameters in requests],
            "options": {"returnEdits": "NONE"},
        }
        what = f"apply {action} to {len(requests)} requests"
        answer = self.call(
            "POST",
            self.ontology_path("actions", action, "applyBatch"),
            json_body=body,
            write=True,
            what=what,
        )
        return self.parse(BatchApplyResponse, answer, what, write=True)

    def parse(self, model: type[M], answer: Any, what: str, *, write: bool = False) -> M:
        """Validate ``answer`` with ``model``.

        Raises:
            UpstreamContractError: the answer does not have the documented shape.
            WriteOutcomeUnknown: the same, for the answer to a write (it may have run).
        """
        try:
            return model.model_validate(answer)
        except ValidationError as exc:
            problem = UpstreamContractError(
                f"{what}: Foundry answered a {model.__name__} of unexpected shape "
                f"({exc.error_count()} problem(s), first at "
                f"{'.'.join(map(str, exc.errors()[0]['loc'])) or 'top level'})"
            )
            if write:
                raise WriteOutcomeUnknown(f"{what}: {problem}") from problem
            raise problem from None

    # ------------------------------------------------------------------ requests

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        write: bool = False,
        authenticated: bool = True,
        what: str,
    ) -> Any:
        """Send one logical request with retries, within one deadline; return its JSON.

        Raises:
            CaseportError: the mapped failure; ``WriteOutcomeUnknown`` for a write that may
                have been applied.
        """
        self._check_open()
        deadline = Deadline(self.clock, self.settings.deadline)
        content = None
        headers: dict[str, str] = {}
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"

        def attempt(number: int) -> Any:
            return self._attempt(
                method,
                path,
                params,
                content,
                form,
                headers,
                write,
                authenticated,
                deadline,
                what,
            )

        return run_with_retries(
            attempt,
            policy=self.settings.retry,
            deadline=deadline,
            clock=self.clock,
            rng=self._rng,
            budget=self.budget,
            what=what,
        )

    def _attempt(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        content: bytes | None,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        write: bool,
        authenticated: bool,
        deadline: Deadline,
        what: str,
    ) -> Any:
        token = self._auth.token(self._token_exchange) if authenticated else None
        self.breaker.before_call()
        healthy: bool | None = None
        try:
            status, response_headers, body = self._exchange_once(
                method, path, params, content, form, headers, token, deadline, what
            )
            healthy = status < 500 and status != 429
            return self._interpret(method, path, status, response_headers, body, write, what)
        except httpx.HTTPError as exc:
            healthy = False
            secrets = () if token is None else (token.get_secret_value(),)
            scrub(exc, secrets)
            error = from_transport_error(exc, method, path, secrets)
            if not write and isinstance(exc, (*_RETRYABLE_TRANSPORT, *_NOT_SENT)):
                raise Retryable(error) from exc
            if write and isinstance(exc, _NOT_SENT):
                raise Retryable(error) from exc
            if write:
                raise WriteOutcomeUnknown(f"{what}: {error}; it may have been applied") from exc
            raise error from exc
        except _BodyDeadline as exc:
            healthy = False
            if write:
                raise WriteOutcomeUnknown(f"{exc}; the write may have been applied") from exc
            raise
        finally:
            if healthy is True:
                self.breaker.record_success()
            elif healthy is False:
                self.breaker.record_failure()
            else:
                self.breaker.release_probe()

    def _exchange_once(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]],
        content: bytes | None,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str],
        token: SecretStr | None,
        deadline: Deadline,
        what: str,
    ) -> tuple[int, httpx.Headers, bytes]:
        refreshed = False
        while True:
            request_headers = {**self._headers, **headers}
            if token is not None:
                request_headers["Authorization"] = _authorization(token)
            query = f"?{urlencode(params, quote_via=quote)}" if params else ""
            request = httpx.Request(
                method,
                f"{self._root}{path}{query}",
                content=content,
                data=dict(form) if form is not None else None,
                headers=request_headers,
                extensions={"timeout": self.settings.timeout(deadline.remaining()).as_dict()},
            )
            self._check_origin(request)
            status, response_headers, body = self._send(request, deadline, what)
            if status == 401 and token is not None and not refreshed:
                refreshed = True
                if self._auth.invalidate(token):
                    _log.info("%s: token refused (401); fetching a new one once", what)
                    token = self._auth.token(self._token_exchange)
                    continue
            return status, response_headers, body

    def _check_origin(self, request: httpx.Request) -> None:
        url = request.url
        if (url.scheme, url.host, url.port) != self._origin:
            raise ConfigurationError("refusing to send a request off the configured Foundry host")

    def _send(
        self, request: httpx.Request, deadline: Deadline, what: str
    ) -> tuple[int, httpx.Headers, bytes]:
        if not self._slots.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise DeadlineExceeded(
                f"{what}: no request slot freed up before the deadline "
                f"({self.settings.concurrency} in flight)"
            )
        try:
            return self._send_in_slot(request, deadline, what)
        finally:
            self._slots.release()

    def _send_in_slot(
        self, request: httpx.Request, deadline: Deadline, what: str
    ) -> tuple[int, httpx.Headers, bytes]:
        self._check_open()
        try:
            response = self._http.send(request, stream=True)
        except RuntimeError:
            # httpx refuses to send once the client is closed (a close racing this call).
            if self._closed:
                raise ConfigurationError("this store is closed") from None
            raise
        try:
            limit = self.settings.max_response_bytes
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise UpstreamContractError(
                    f"{what}: Foundry announced {int(declared)} bytes, more than the "
                    f"{limit}-byte cap"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise UpstreamContractError(
                        f"{what}: the answer passed the {limit}-byte cap; stopped reading"
                    )
                chunks.append(chunk)
                if deadline.expired():
                    raise _BodyDeadline(
                        f"{what}: the answer was still arriving when the "
                        f"{deadline.seconds:g} s deadline passed"
                    )
            return response.status_code, response.headers, b"".join(chunks)
        finally:
            response.close()

    def _interpret(
        self,
        method: str,
        path: str,
        status: int,
        headers: httpx.Headers,
        body: bytes,
        write: bool,
        what: str,
    ) -> Any:
        if 200 <= status < 300:
            if status == 204 or (not body and method != "GET"):
                return {}
            kind = headers.get("content-type", "")
            try:
                if "json" not in kind:
                    raise ValueError(f"content type {kind[:60]!r}")
                return json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                problem = UpstreamContractError(
                    f"{what}: Foundry answered {status} with a body that is not JSON"
                )
                if write:
                    raise WriteOutcomeUnknown(f"{problem}; it may have been applied") from exc
                raise problem from exc
        api = _api_error(method, path, status, body)
        retry_after = parse_retry_after(headers.get("retry-after"), self.clock.now())
        error = from_response(api, retry_after)
        retryable = _WRITE_RETRY_STATUSES if write else _READ_RETRY_STATUSES
        if status in retryable:
            raise Retryable(error, retry_after) from api
        if write and status >= 500:
            raise WriteOutcomeUnknown(f"{what}: {error}; it may have been applied") from api
        raise error from api

    def _token_exchange(self, form: Mapping[str, str]) -> Mapping[str, Any]:
        try:
            answer = self.call(
                "POST",
                f"{self._prefix}{TOKEN_PATH}",
                form=form,
                authenticated=False,
                what="fetch an OAuth2 token",
            )
        except CaseportError as exc:
            raise _oauth_error(exc) from exc
        if not isinstance(answer, dict):
            raise UpstreamContractError("the token endpoint answered something other than JSON")
        return answer


def _authorization(token: SecretStr) -> str:
    """The ``Authorization`` header for ``token``, checked so httpx never quotes it in an error.

    Providers other than this package's may hand out any string; one that is not an RFC 6750
    bearer token is refused here, without its value, instead of failing inside httpx.
    """
    checked = bearer_token(token)
    if checked is None:
        raise ConfigurationError(
            "the token provider gave a token with characters a bearer token cannot carry (RFC 6750)"
        )
    return f"Bearer {checked.get_secret_value()}"


class _BodyDeadline(DeadlineExceeded):
    """The deadline passed while an answer was arriving (the request had been sent)."""


def _api_error(method: str, path: str, status: int, body: bytes) -> FoundryApiError:
    envelope: ErrorEnvelope | None = None
    excerpt: str | None = None
    try:
        envelope = ErrorEnvelope.model_validate_json(body) if body else None
    except ValidationError:
        text = body[:300].decode("utf-8", "replace")
        excerpt = "".join(ch if ch.isprintable() else " " for ch in text)[:160] or None
    if envelope is not None and envelope.error_name is None and envelope.error_code is None:
        oauth = _oauth_fields(body)
        if oauth:
            return FoundryApiError(status, method, path, error_name=oauth)
    return FoundryApiError(
        status=status,
        method=method,
        path=path,
        error_code=envelope.error_code if envelope else None,
        error_name=envelope.error_name if envelope else None,
        error_instance_id=envelope.error_instance_id if envelope else None,
        parameters=envelope.parameters if envelope else {},
        body_excerpt=excerpt,
    )


def _oauth_fields(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return f"oauth:{data['error'][:60]}"
    return None


def _oauth_error(exc: CaseportError) -> CaseportError:
    cause = exc.__cause__
    if isinstance(cause, FoundryApiError) and cause.status in (400, 401, 403):
        return PermissionDenied(
            "the Foundry token endpoint refused the client credentials "
            f"({cause.error_name or cause.status})"
        )
    return exc


def _error_name(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return cause.error_name if isinstance(cause, FoundryApiError) else None
