"""A stateful fake Foundry for tests, demos and trying a mapping without a tenant.

:class:`FakeFoundry` answers the Ontology API v2 endpoints the adapter uses, with their real
paths, shapes, paging, search grammar, action validation and error envelopes, from an
in-memory ontology built from a mapping (:mod:`adapters.foundry.fake_ontology`). It plugs into
httpx as a ``MockTransport`` (:meth:`FakeFoundry.transport`), so the real adapter code runs
over httpx; :func:`serve_http` also serves it on a loopback port. Faults can be scripted
(:meth:`FakeFoundry.inject`) or drawn at random (:class:`FaultRates`): 429 with or without
``Retry-After``, 503, 5xx HTML pages, timeouts before or after the write ran, dropped
connections, malformed, oversized and redirecting answers, slow bodies and refused tokens.
Its :class:`FakeWriteFaults` is the write fault point of the stores built over it, for the
conformance kit's tests of atomicity under failing writes.

``foundry+fake://[ONTOLOGY]`` builds a store over a fresh fake ontology at each connect; time
is virtual there (a :class:`FakeClock` shared by the fake and the store), so retries never
sleep for real.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, Literal
from urllib.parse import parse_qsl, unquote

import httpx

from adapters._connect import store_arguments
from adapters._url import StoreURL
from adapters._write_faults import WriteFaultCounter
from adapters.foundry.auth import TOKEN_PATH, StaticToken, TokenProvider
from adapters.foundry.client import ClientSettings, FoundryClient
from adapters.foundry.fake_aggregate import aggregate
from adapters.foundry.fake_ontology import (
    MAX_BATCH,
    MAX_LOAD_PAGE,
    MAX_PAGE,
    FakeError,
    FakeOntology,
)
from adapters.foundry.mapping import FoundryMapping, load_mapping
from adapters.foundry.options import FoundryFakeOptions
from adapters.foundry.store import FoundryCaseStore, StoreOptions
from contracts.errors import ConfigurationError
from contracts.store import CaseStore

__all__ = [
    "FAKE_BASE_URL",
    "FakeClock",
    "FakeFoundry",
    "FakeWriteFaults",
    "Fault",
    "FaultKind",
    "FaultRates",
    "from_url",
    "serve_http",
]

FAKE_BASE_URL: Final = "https://fake-foundry.invalid"
_HEALING_S: Final = 3_600.0
"""Virtual seconds a heal of the write faults moves the clock on: past the circuit breaker's
cooldown, so the store's next request is sent."""

FaultKind = Literal[
    "rate_limited",
    "unavailable",
    "server_error",
    "bad_gateway",
    "gateway_timeout",
    "connect_error",
    "connect_timeout",
    "read_timeout",
    "lost_reply",
    "dropped",
    "malformed",
    "html",
    "redirect",
    "oversized",
    "slow_body",
    "unauthorized",
    "expire_page_tokens",
    "bad_request",
]
"""What a fault does to one request.

``connect_error``, ``connect_timeout``, ``rate_limited``, ``unavailable`` and
``bad_request`` (400 ``ActionValidationFailed``) refuse the request before it runs;
``read_timeout`` times out before it runs; ``lost_reply`` (a read timeout) and ``dropped``
(the connection closes) happen after it ran, as when an answer is lost on the way back;
``malformed``, ``html``, ``redirect`` and ``oversized`` answer off-contract after it ran;
``slow_body`` trickles the real answer while the clock runs.
"""


class FakeClock:
    """Virtual time: ``sleep`` advances it at once; every sleep is recorded."""

    def __init__(self, start: float = 1_000.0, wall: datetime | None = None) -> None:
        self._now = start
        self._start = start
        self._wall = wall or datetime(2025, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        """See :meth:`adapters.foundry.timing.Clock.monotonic`."""
        with self._lock:
            return self._now

    def now(self) -> datetime:
        """See :meth:`adapters.foundry.timing.Clock.now`."""
        with self._lock:
            return self._wall + timedelta(seconds=self._now - self._start)

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` without waiting."""
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass (not recorded as a sleep)."""
        with self._lock:
            self._now += seconds


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted fault, applied to the next matching requests.

    Attributes:
        kind: what happens.
        retry_after: the ``Retry-After`` header of a 429 or 503 (``None``: no header).
        method: only requests with this HTTP method.
        path_contains: only requests whose path contains this text.
        times: how many matching requests it hits.
        chunk_delay: seconds each chunk of a ``slow_body`` answer takes.
    """

    kind: FaultKind
    retry_after: str | None = None
    method: str | None = None
    path_contains: str | None = None
    times: int = 1
    chunk_delay: float = 0.5

    def matches(self, request: httpx.Request) -> bool:
        """Whether the fault applies to ``request``."""
        if self.method is not None and request.method != self.method:
            return False
        return self.path_contains is None or self.path_contains in request.url.path


@dataclass(frozen=True, slots=True)
class FaultRates:
    """Random faults: the chance that any API request meets each kind (token calls spared)."""

    rate_limited: float = 0.0
    unavailable: float = 0.0
    lost_reply: float = 0.0
    dropped: float = 0.0
    seed: int = 0

    @property
    def active(self) -> bool:
        """Whether any rate is above zero."""
        return any((self.rate_limited, self.unavailable, self.lost_reply, self.dropped))


@dataclass(slots=True)
class _Issued:
    expires_at: float


class _SlowStream(httpx.SyncByteStream):
    def __init__(self, body: bytes, clock: FakeClock, delay: float) -> None:
        self._body = body
        self._clock = clock
        self._delay = delay

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self._body), 64):
            self._clock.advance(self._delay)
            yield self._body[start : start + 64]


@dataclass
class FakeFoundry:
    """A fake Foundry stack serving one ontology.

    Attributes:
        mapping: the mapping the ontology is built from (the reference design by default).
        ontology_name: the ontology's API name.
        token: the bearer token it accepts (besides tokens it issues).
        clients: OAuth2 client id to secret, for the client-credentials grant.
        token_lifetime: ``expires_in`` of issued tokens, in seconds.
        clock: its time (shared with the store under test for virtual time).
        rates: random faults.
    """

    mapping: FoundryMapping = field(default_factory=load_mapping)
    ontology_name: str = "caseport"
    token: str = field(default_factory=lambda: f"fake-{uuid.uuid4().hex}")
    clients: Mapping[str, str] = field(default_factory=dict)
    token_lifetime: int = 3600
    clock: FakeClock = field(default_factory=FakeClock)
    rates: FaultRates = field(default_factory=FaultRates)
    requests: list[httpx.Request] = field(default_factory=list)
    token_requests: int = 0
    ontology: FakeOntology = field(init=False)
    _faults: list[Fault] = field(default_factory=list)
    _issued: dict[str, _Issued] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)
    write_faults: FakeWriteFaults = field(init=False)
    """The write fault point of the stores built over this fake (conformance testing only)."""

    def __post_init__(self) -> None:
        self.ontology = FakeOntology.from_mapping(
            self.mapping, self.ontology_name, self.clock.monotonic
        )
        self._rng = random.Random(self.rates.seed)
        self.write_faults = FakeWriteFaults(self)

    # ------------------------------------------------------------------ public helpers

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each hits the next ``times`` requests it matches."""
        with self._lock:
            self._faults.extend(faults)

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this fake."""
        return httpx.MockTransport(self.handle)

    def client(
        self,
        *,
        settings: ClientSettings | None = None,
        auth: TokenProvider | None = None,
        clock: Any = None,
        rng: random.Random | None = None,
    ) -> FoundryClient:
        """A client wired to this fake (its token and clock unless given)."""
        return FoundryClient(
            FAKE_BASE_URL,
            self.ontology_name,
            auth or StaticToken(self.token),
            settings=settings,
            transport=self.transport(),
            clock=clock or self.clock,
            rng=rng or random.Random(0),
        )

    def store(
        self,
        *,
        settings: ClientSettings | None = None,
        options: StoreOptions | None = None,
        auth: TokenProvider | None = None,
    ) -> FoundryCaseStore:
        """A store wired to this fake, on its virtual clock, with :attr:`write_faults`."""
        client = self.client(settings=settings, auth=auth)
        return FoundryCaseStore(client, self.mapping, options, write_faults=self.write_faults)

    def count(self, method: str, path_contains: str) -> int:
        """How many requests with ``method`` had ``path_contains`` in their path."""
        return sum(
            1
            for request in self.requests
            if request.method == method and path_contains in request.url.path
        )

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request (the ``MockTransport`` handler)."""
        request.read()
        with self._lock:
            self.requests.append(request)
            if self.write_faults.refuses(request):
                return _json(503, FakeError(503, "INTERNAL", "ServiceUnavailable").envelope())
            fault = self._next_fault(request)
        if fault is not None and fault.kind in _BEFORE:
            return self._fault_before(fault, request)
        response = self._answer(request)
        if fault is not None:
            return self._fault_after(fault, request, response)
        return response

    def _next_fault(self, request: httpx.Request) -> Fault | None:
        for index, fault in enumerate(self._faults):
            if fault.matches(request):
                if fault.times <= 1:
                    del self._faults[index]
                else:
                    self._faults[index] = replace(fault, times=fault.times - 1)
                return fault
        if not self.rates.active or request.url.path.endswith(TOKEN_PATH):
            return None
        draw = self._rng.random()
        for kind, rate in (
            ("rate_limited", self.rates.rate_limited),
            ("unavailable", self.rates.unavailable),
            ("lost_reply", self.rates.lost_reply),
            ("dropped", self.rates.dropped),
        ):
            if draw < rate:
                retry_after = "1" if kind == "rate_limited" else None
                return Fault(kind, retry_after=retry_after)  # type: ignore[arg-type]
            draw -= rate
        return None

    def _fault_before(self, fault: Fault, request: httpx.Request) -> httpx.Response:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        if fault.kind == "rate_limited":
            return httpx.Response(429, headers=headers)
        if fault.kind == "unavailable":
            return httpx.Response(503, headers=headers, text="Service Unavailable")
        if fault.kind == "server_error":
            error = FakeError(500, "INTERNAL", "Default:Internal")
            return _json(500, error.envelope())
        if fault.kind == "bad_gateway":
            return httpx.Response(
                502, headers={"Content-Type": "text/html"}, text="<html>Bad Gateway</html>"
            )
        if fault.kind == "gateway_timeout":
            return httpx.Response(504, text="Gateway Timeout")
        if fault.kind == "unauthorized":
            error = FakeError(401, "UNAUTHORIZED", "Default:Unauthorized")
            return _json(401, error.envelope())
        if fault.kind == "bad_request":
            error = FakeError(400, "INVALID_ARGUMENT", "ActionValidationFailed")
            return _json(400, error.envelope())
        if fault.kind == "expire_page_tokens":
            self.ontology.expire_page_tokens()
            return self._answer(request)
        exception = {
            "connect_error": httpx.ConnectError,
            "connect_timeout": httpx.ConnectTimeout,
            "read_timeout": httpx.ReadTimeout,
        }[fault.kind]
        raise exception(f"injected {fault.kind}", request=request)

    def _fault_after(
        self, fault: Fault, request: httpx.Request, response: httpx.Response
    ) -> httpx.Response:
        if fault.kind == "lost_reply":
            raise httpx.ReadTimeout("injected lost reply", request=request)
        if fault.kind == "dropped":
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        if fault.kind == "malformed":
            return httpx.Response(
                200, headers={"Content-Type": "application/json"}, content=b'{"data": [{"__pr'
            )
        if fault.kind == "html":
            return httpx.Response(
                200, headers={"Content-Type": "text/html"}, text="<html>Sign in</html>"
            )
        if fault.kind == "redirect":
            return httpx.Response(302, headers={"Location": "https://elsewhere.invalid/login"})
        if fault.kind == "oversized":
            return httpx.Response(
                200,
                headers={"Content-Type": "application/json"},
                content=b'{"data": [' + b'{"x": 1},' * 200_000 + b'{"x": 1}]}',
            )
        body = response.read()
        return httpx.Response(
            response.status_code,
            headers={"Content-Type": "application/json"},
            stream=_SlowStream(body, self.clock, fault.chunk_delay),
        )

    def _answer(self, request: httpx.Request) -> httpx.Response:
        raw_path = request.url.raw_path.decode("ascii").partition("?")[0]
        segments = [unquote(part) for part in raw_path.split("/") if part]
        try:
            if raw_path.endswith(TOKEN_PATH):
                return self._token(request)
            if "api" not in segments:
                return httpx.Response(404)
            segments = segments[segments.index("api") + 1 :]
            self._authenticate(request)
            return self._route(request, segments)
        except FakeError as error:
            return _json(error.status, error.envelope())

    # ------------------------------------------------------------------ auth

    def _token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.token_requests += 1
        form = dict(parse_qsl(request.content.decode()))
        if form.get("grant_type") != "client_credentials" or "client_id" not in form:
            return _json(400, {"error": "invalid_request", "error_description": "bad grant"})
        if self.clients.get(form["client_id"]) != form.get("client_secret"):
            return _json(401, {"error": "unauthorized_client", "error_description": "refused"})
        token = f"issued-{uuid.uuid4().hex}"
        with self._lock:
            self._issued[token] = _Issued(self.clock.monotonic() + self.token_lifetime)
        return _json(
            200,
            {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime},
        )

    def _authenticate(self, request: httpx.Request) -> None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise FakeError(401, "UNAUTHORIZED", "MissingCredentials")
        token = header.removeprefix("Bearer ")
        if token == self.token:
            return
        with self._lock:
            issued = self._issued.get(token)
        if issued is None or issued.expires_at <= self.clock.monotonic():
            raise FakeError(401, "UNAUTHORIZED", "Default:Unauthorized")

    def revoke_issued_tokens(self) -> None:
        """Make every issued OAuth2 token invalid (as an expiry on the server would)."""
        with self._lock:
            self._issued.clear()

    # ------------------------------------------------------------------ routes

    def _route(self, request: httpx.Request, parts: list[str]) -> httpx.Response:
        method = request.method
        if parts[:2] != ["v2", "ontologies"]:
            return httpx.Response(404)
        if len(parts) == 2 and method == "GET":
            return _json(200, {"data": [self._ontology_json()]})
        if parts[2] not in (self.ontology_name, self.ontology.rid):
            raise FakeError(404, "NOT_FOUND", "OntologyNotFound", {"apiName": parts[2]})
        rest = parts[3:]
        query = request.url.params
        if not rest and method == "GET":
            return _json(200, self._ontology_json())
        if rest[:1] == ["objects"] and len(rest) >= 2:
            type_name = rest[1]
            if len(rest) == 2 and method == "GET":
                return self._list(type_name, query)
            if len(rest) == 3 and rest[2] == "search" and method == "POST":
                return self._search(type_name, _body(request))
            if len(rest) == 3 and rest[2] == "aggregate" and method == "POST":
                return _json(200, aggregate(self.ontology, type_name, _body(request)))
            if len(rest) == 3 and method == "GET":
                return self._get(type_name, rest[2], query)
            if len(rest) == 5 and rest[3] == "links" and method == "GET":
                return self._links(type_name, rest[2], rest[4], query)
        if rest == ["objectSets", "loadObjects"] and method == "POST":
            return self._load(_body(request))
        if len(rest) == 3 and rest[0] == "actions" and method == "POST":
            if rest[2] == "apply":
                return self._apply(rest[1], _body(request))
            if rest[2] == "applyBatch":
                return self._apply_batch(rest[1], _body(request))
        return httpx.Response(404)

    def _ontology_json(self) -> dict[str, Any]:
        return {
            "apiName": self.ontology_name,
            "displayName": "caseport fake ontology",
            "description": "An in-memory ontology built from a caseport mapping",
            "rid": self.ontology.rid,
        }

    def _get(self, type_name: str, key: str, query: httpx.QueryParams) -> httpx.Response:
        type_def = self.ontology.object_type(type_name)
        select = query.get_list("select")
        self.ontology.check_select(type_def, select)
        stored = self.ontology.get(type_name, key)
        return _json(
            200, self.ontology.render(type_def, stored, select, _flag(query, "excludeRid"))
        )

    def _page_answer(
        self,
        type_def: Any,
        chunk: list[dict[str, Any]],
        token: str | None,
        total: int | None,
        select: Sequence[str],
        exclude_rid: bool,
    ) -> httpx.Response:
        answer: dict[str, Any] = {
            "data": [self.ontology.render(type_def, obj, select, exclude_rid) for obj in chunk]
        }
        if token is not None:
            answer["nextPageToken"] = token
        style = self.ontology.total_count_style()
        if total is not None and style != "missing":
            answer["totalCount"] = total if style == "number" else str(total)
        return _json(200, answer)

    def _list(self, type_name: str, query: httpx.QueryParams) -> httpx.Response:
        type_def = self.ontology.object_type(type_name)
        select = query.get_list("select")
        self.ontology.check_select(type_def, select)
        order = _order_string(query.get("orderBy"))
        chunk, token, total = self.ontology.page(
            lambda: self.ontology.search_type(type_def, None, order),
            page_size=_int(query.get("pageSize")),
            page_token=query.get("pageToken"),
            snapshot=_flag(query, "snapshot"),
            fingerprint=f"list:{type_name}:{query.get('orderBy')}",
            max_page=MAX_PAGE,
        )
        return self._page_answer(type_def, chunk, token, total, select, _flag(query, "excludeRid"))

    def _search(self, type_name: str, body: dict[str, Any]) -> httpx.Response:
        type_def = self.ontology.object_type(type_name)
        select = _names(body.get("select"))
        self.ontology.check_select(type_def, select)
        where, order = body.get("where"), body.get("orderBy")
        chunk, token, total = self.ontology.page(
            lambda: self.ontology.search_type(type_def, where, order),
            page_size=_int(body.get("pageSize")),
            page_token=body.get("pageToken"),
            snapshot=bool(body.get("snapshot")),
            fingerprint=f"search:{type_name}:{_fingerprint(where, order, select)}",
            max_page=MAX_PAGE,
        )
        return self._page_answer(
            type_def, chunk, token, total, select, bool(body.get("excludeRid"))
        )

    def _links(
        self, type_name: str, key: str, link_name: str, query: httpx.QueryParams
    ) -> httpx.Response:
        found = self.ontology.linked(type_name, key, link_name)
        link = self.ontology.link_types[(type_name, link_name)]
        type_def = self.ontology.object_types[link.target]
        select = query.get_list("select")
        self.ontology.check_select(type_def, select)
        order = _order_string(query.get("orderBy"))
        chunk, token, _ = self.ontology.page(
            lambda: self.ontology.order(
                type_def, self.ontology.linked(type_name, key, link_name), order
            ),
            page_size=_int(query.get("pageSize")),
            page_token=query.get("pageToken"),
            snapshot=_flag(query, "snapshot"),
            fingerprint=f"links:{type_name}:{key}:{link_name}",
            max_page=MAX_PAGE,
        )
        del found
        return self._page_answer(type_def, chunk, token, None, select, _flag(query, "excludeRid"))

    def _load(self, body: dict[str, Any]) -> httpx.Response:
        object_set = body.get("objectSet")
        type_def = self.ontology.set_type(object_set)
        select = _names(body.get("select"))
        self.ontology.check_select(type_def, select)
        order = body.get("orderBy")
        chunk, token, total = self.ontology.page(
            lambda: self.ontology.search(
                type_def, self.ontology.evaluate_set(object_set)[1], None, order
            ),
            page_size=_int(body.get("pageSize")),
            page_token=body.get("pageToken"),
            snapshot=bool(body.get("snapshot")),
            fingerprint=f"load:{_fingerprint(object_set, order, select)}",
            max_page=MAX_LOAD_PAGE,
        )
        return self._page_answer(
            type_def, chunk, token, total, select, bool(body.get("excludeRid"))
        )

    def _apply(self, name: str, body: dict[str, Any]) -> httpx.Response:
        action = self.ontology.action(name)
        options = body.get("options") or {}
        mode = options.get("mode", "VALIDATE_AND_EXECUTE")
        if mode not in ("VALIDATE_ONLY", "VALIDATE_AND_EXECUTE"):
            raise FakeError(400, "INVALID_ARGUMENT", "InvalidParameterValue", {"mode": mode})
        parameters = body.get("parameters")
        with self.ontology.lock:
            refused = self.ontology.validate(action, parameters)
            if refused is not None:
                return _json(200, refused)
            if mode == "VALIDATE_AND_EXECUTE":
                assert isinstance(parameters, dict)
                self.ontology.execute(action, parameters)
        return _json(200, self.ontology.valid_answer(action))

    def _apply_batch(self, name: str, body: dict[str, Any]) -> httpx.Response:
        action = self.ontology.action(name)
        requests = body.get("requests")
        if not isinstance(requests, list) or not 1 <= len(requests) <= MAX_BATCH:
            raise FakeError(
                400,
                "INVALID_ARGUMENT",
                "InvalidParameterValue",
                {"parameter": "requests", "reason": f"1 to {MAX_BATCH} requests"},
            )
        with self.ontology.lock:
            keys = set()
            for item in requests:
                parameters = item.get("parameters") if isinstance(item, dict) else None
                refused = self.ontology.validate(action, parameters)
                if refused is not None:
                    raise FakeError(
                        400, "INVALID_ARGUMENT", "ActionValidationFailed", {"actionType": name}
                    )
                assert isinstance(parameters, dict)
                key = parameters[self.ontology.object_types[action.object_type].primary_key]
                if key in keys:
                    raise FakeError(
                        409, "CONFLICT", "ActionContainsDuplicateEdits", {"actionType": name}
                    )
                keys.add(key)
            for item in requests:
                self.ontology.execute(action, item["parameters"])
        return _json(200, {})


_BEFORE: Final = frozenset(
    {
        "rate_limited",
        "unavailable",
        "server_error",
        "bad_gateway",
        "gateway_timeout",
        "connect_error",
        "connect_timeout",
        "read_timeout",
        "unauthorized",
        "expire_page_tokens",
        "bad_request",
    }
)


class FakeWriteFaults(WriteFaultCounter):
    """Fails the writes a :class:`FakeFoundry` receives on demand: conformance testing only.

    The :class:`~contracts.conformance.stores.WriteFaults` of every store built over the fake
    (its ``write_faults()``): a backend write is one request applying an action (``apply`` or
    ``applyBatch``). Unarmed (always, unless a test arms it) it does nothing. Armed with
    :meth:`fail_writes_after`, it lets that many through, then answers 503 to every later one
    before the fake applies it; reads are answered as usual.
    """

    def __init__(self, fake: FakeFoundry) -> None:
        super().__init__()
        self._clock = fake.clock

    def heal(self, store: CaseStore) -> None:
        """Answer every request again, once the store's circuit breaker has cooled down."""
        super().heal(store)
        self._clock.advance(_HEALING_S)

    def refuses(self, request: httpx.Request) -> bool:
        """Count ``request`` if it applies an action; whether to refuse it."""
        if request.method != "POST" or "/actions/" not in request.url.path:
            return False
        return self.fails_next()


def _json(status: int, data: Any) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": "application/json"},
        content=json.dumps(data, separators=(",", ":")).encode(),
    )


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        data = json.loads(request.content or b"{}")
    except ValueError:
        raise FakeError(400, "INVALID_ARGUMENT", "Conjure:InvalidArgument") from None
    if not isinstance(data, dict):
        raise FakeError(400, "INVALID_ARGUMENT", "Conjure:InvalidArgument")
    return data


def _flag(query: httpx.QueryParams, name: str) -> bool:
    return str(query.get(name, "false")).lower() == "true"


def _int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FakeError(
            400, "INVALID_ARGUMENT", "InvalidPageSize", {"pageSize": str(value)}
        ) from None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FakeError(400, "INVALID_ARGUMENT", "InvalidParameterValue", {"parameter": "select"})
    return value


def _fingerprint(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, default=str)


def _order_string(text: str | None) -> dict[str, Any] | None:
    """``properties.a:asc,p.b:desc`` as the body form of ``orderBy``."""
    if not text:
        return None
    fields = []
    for part in text.split(","):
        name, _, direction = part.strip().partition(":")
        for prefix in ("properties.", "p."):
            if name.startswith(prefix):
                name = name.removeprefix(prefix)
                break
        else:
            raise FakeError(400, "INVALID_ARGUMENT", "InvalidSortType", {"orderBy": part})
        fields.append({"field": name, "direction": direction or "asc"})
    return {"fields": fields}


# ---------------------------------------------------------------------------- serving


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFoundry
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = httpx.Request(
            self.command,
            f"http://{self.headers.get('Host', 'localhost')}{self.path}",
            headers=list(self.headers.items()),
            content=body,
        )
        try:
            response = self.fake.handle(request)
            content = response.read()
        except httpx.HTTPError:
            self.close_connection = True
            return
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = _serve  # noqa: N815 - the name http.server dispatches GET to
    do_POST = _serve  # noqa: N815 - the name http.server dispatches POST to

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


def serve_http(fake: FakeFoundry, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Serve ``fake`` over plain HTTP on a loopback port; call ``serve_forever`` on the result.

    The server's ``server_address`` gives the chosen port.

    Raises:
        ConfigurationError: ``host`` is not a loopback address.
    """
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ConfigurationError("the fake Foundry only listens on a loopback address")
    handler = type("FakeFoundryHandler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


# ---------------------------------------------------------------------------- URL


def from_url(
    url: StoreURL | str, options: FoundryFakeOptions | Mapping[str, str]
) -> FoundryCaseStore:
    """A store over a fresh fake ontology: ``foundry+fake://[ONTOLOGY]`` and its options.

    Besides the ``foundry+https://`` options, those of
    :class:`~adapters.foundry.options.FoundryFakeOptions`: ``short_pages``, ``total_count``,
    ``page_token_ttl`` and random faults ``rate_limit_rate``, ``unavailable_rate``,
    ``lost_reply_rate``, ``dropped_rate`` with ``seed``. Time is virtual, so retries do not
    sleep for real.

    Raises:
        ConfigurationError: an unknown option or a bad value.
    """
    parsed, read = store_arguments(url, options, FoundryFakeOptions)
    names = [part for part in (parsed.address, *parsed.path.split("/")) if part]
    rates = FaultRates(
        rate_limited=read.rate_limit_rate,
        unavailable=read.unavailable_rate,
        lost_reply=read.lost_reply_rate,
        dropped=read.dropped_rate,
        seed=read.seed,
    )
    fake = FakeFoundry(
        mapping=load_mapping(read.mapping),
        ontology_name=names[-1] if names else "caseport",
        rates=rates,
    )
    fake.ontology.short_pages = read.short_pages
    fake.ontology.total_count = read.total_count
    fake.ontology.page_token_ttl = read.page_token_ttl
    return fake.store(settings=read.client_settings(), options=read.store_options())
