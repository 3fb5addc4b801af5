"""Foundry errors, malformed answers and backend exceptions all become contract errors."""

from __future__ import annotations

import inspect
from decimal import Decimal

import httpx
import pytest
import tenacity
from foundry_support import fake_store, person

from adapters.foundry.errors import (
    ERROR_NAMES,
    HTTPX_ERRORS,
    TENACITY_ERRORS,
    FoundryApiError,
    from_response,
    from_transport_error,
)
from adapters.foundry.testing import Fault
from adapters.foundry.wire import ObjectPage, decode_decimal, decode_long
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
    Unavailable,
    UpstreamContractError,
    ValidationFailed,
)
from contracts.models import Entity

# Every errorName the reference lists (general, ontology, search, aggregation, action errors).
DOCUMENTED_ERROR_NAMES = [
    "ApiFeaturePreviewUsageOnly", "ApiUsageDenied", "Conjure:InvalidArgument",
    "Conjure:UnprocessableEntity", "Conjure:UnsupportedMediaType", "Default:Internal",
    "Default:PermissionDenied", "Default:Unauthorized", "MissingCredentials", "InvalidPageSize",
    "InvalidPageToken", "InvalidParameterCombination", "ObjectNotFound", "ObjectTypeNotFound",
    "OntologyNotFound", "LinkTypeNotFound", "LinkedObjectNotFound", "PropertiesNotFound",
    "ActionTypeNotFound", "ObjectSetNotFound", "InterfaceTypeNotFound", "ObjectsExceededLimit",
    "ObjectTypeNotSynced", "OntologySyncing", "OntologyApiNameNotUnique",
    "CompositePrimaryKeyNotSupported", "ViewObjectPermissionDenied", "ActionValidationFailed",
    "PropertiesNotSearchable", "PropertiesNotFilterable", "PropertiesNotSortable",
    "InvalidPropertyValue", "PropertyTypesSearchNotSupported", "InvalidRangeQuery",
    "InvalidSortOrder", "InvalidSortType", "DuplicateOrderBy",
    "AggregationGroupCountExceededLimit", "AggregationMemoryExceededLimit",
    "InvalidAggregationRange", "InvalidDurationGroupByValue",
    "MultipleGroupByOnFieldNotSupported", "ParametersNotFound", "InvalidParameterValue",
    "MissingParameter", "ActionParameterObjectNotFound", "ActionParameterObjectTypeNotFound",
    "ActionEditsReadOnlyEntity", "EditObjectPermissionDenied", "ObjectChanged",
    "ActionContainsDuplicateEdits", "ObjectAlreadyExists", "LinkAlreadyExists",
    "OntologyEditsExceededLimit", "ApplyActionFailed", "FunctionExecutionTimedOut",
    "QueryMemoryExceededLimit",
]  # fmt: skip


def _exception_classes(module: object) -> list[type[BaseException]]:
    return [
        value
        for _, value in inspect.getmembers(module, inspect.isclass)
        if issubclass(value, Exception) and value.__module__.startswith(module.__name__)  # type: ignore[attr-defined]
    ]


@pytest.mark.parametrize("name", DOCUMENTED_ERROR_NAMES)
def test_every_documented_error_name_has_a_mapping(name: str) -> None:
    """A listed errorName missing from the table fails here."""
    assert name in ERROR_NAMES
    assert issubclass(ERROR_NAMES[name], CaseportError)


@pytest.mark.parametrize("cls", _exception_classes(httpx), ids=lambda c: c.__name__)
def test_every_httpx_exception_class_has_a_mapping(cls: type[Exception]) -> None:
    """A new httpx exception class without an entry fails here."""
    assert cls in HTTPX_ERRORS


@pytest.mark.parametrize("cls", _exception_classes(tenacity), ids=lambda c: c.__name__)
def test_every_tenacity_exception_class_has_a_mapping(cls: type[Exception]) -> None:
    """Tenacity's own exceptions are mapped too."""
    assert cls in TENACITY_ERRORS


def test_transport_errors_map_to_their_contract_class() -> None:
    """A connect error is Unavailable, a read timeout DeadlineExceeded, a bad URL configuration."""
    request = httpx.Request("GET", "https://h.example/x")
    cases = {
        httpx.ConnectError("no", request=request): Unavailable,
        httpx.ReadTimeout("slow", request=request): DeadlineExceeded,
        httpx.RemoteProtocolError("gone", request=request): Unavailable,
        httpx.UnsupportedProtocol("ftp", request=request): ConfigurationError,
        httpx.DecodingError("bad gzip", request=request): UpstreamContractError,
    }
    for exc, expected in cases.items():
        assert type(from_transport_error(exc, "GET", "/x")) is expected


@pytest.mark.parametrize(
    ("status", "name", "expected"),
    [
        (400, None, ValidationFailed),
        (400, "InvalidPageToken", InvalidCursor),
        (400, "LinkAlreadyExists", AlreadyExists),
        (400, "ObjectsExceededLimit", BackendError),
        (401, "MissingCredentials", PermissionDenied),
        (403, "ViewObjectPermissionDenied", PermissionDenied),
        (404, "ObjectNotFound", NotFound),
        (404, "ObjectTypeNotFound", ConfigurationError),
        (409, "ObjectAlreadyExists", AlreadyExists),
        (409, "OntologySyncing", Unavailable),
        (429, None, RateLimited),
        (500, "Default:Internal", BackendError),
        (500, "FunctionExecutionTimedOut", DeadlineExceeded),
        (500, "ObjectNotFound", BackendError),
        (502, None, Unavailable),
        (503, None, Unavailable),
        (302, None, UpstreamContractError),
    ],
)
def test_status_decides_first_and_the_error_name_refines(
    status: int, name: str | None, expected: type[CaseportError]
) -> None:
    """The HTTP status picks the family; the errorName narrows it but never crosses 4xx/5xx."""
    error = from_response(FoundryApiError(status, "GET", "/x", error_name=name))
    assert type(error) is expected


def test_a_404_without_envelope_names_a_missing_endpoint_or_scope() -> None:
    """A body-less 404 means the endpoint is not on this stack, not a missing record."""
    error = from_response(FoundryApiError(404, "GET", "/api/v2/x"))
    assert isinstance(error, ConfigurationError)
    assert "scope" in str(error)


def test_rate_limited_keeps_the_retry_after() -> None:
    """A 429 becomes RateLimited carrying the server's Retry-After."""
    error = from_response(FoundryApiError(429, "GET", "/x"), retry_after=7.0)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, None), (3, 3), ("3", 3), ("3,", 3), ("many", None), (3.0, 3)]
)
def test_total_count_is_read_leniently(raw: object, expected: int | None) -> None:
    """TotalCount may be missing, a number or a string (even a sloppy one)."""
    body: dict[str, object] = {"data": []}
    if raw is not None:
        body["totalCount"] = raw
    assert ObjectPage.model_validate(body).total_count == expected


def test_longs_and_decimals_sent_as_strings_stay_exact() -> None:
    """Longs and decimals never pass through a float."""
    assert decode_long("58319870951433") == 58319870951433
    assert decode_long("123456789012345678901234567890") == 123456789012345678901234567890
    assert decode_decimal("0.1") == Decimal("0.1")
    assert decode_decimal("12345678901234567890.123456789") == Decimal(
        "12345678901234567890.123456789"
    )
    with pytest.raises(ValueError, match="not a long"):
        decode_long("1.5")


@pytest.mark.parametrize("kind", ["malformed", "html", "redirect", "oversized"])
def test_off_contract_answers_to_reads_become_upstream_contract_errors(kind: str) -> None:
    """Malformed, non-JSON, redirecting and oversized answers are refused, never followed."""
    fake, store = fake_store(testing=True, max_response_bytes=1_000_000)
    store.create(person("John Smith", id="p-1"))
    before = len(fake.requests)
    fake.inject(Fault(kind, method="GET"))  # type: ignore[arg-type]
    with pytest.raises(UpstreamContractError):
        store.get(Entity, "p-1")
    assert len(fake.requests) == before + 1
    assert all("elsewhere" not in str(r.url) for r in fake.requests)


def test_an_html_error_page_from_a_proxy_keeps_a_short_excerpt() -> None:
    """A 502 HTML page becomes Unavailable whose cause quotes the page's start."""
    fake, store = fake_store(testing=True, max_attempts=1)
    fake.inject(Fault("bad_gateway"))
    with pytest.raises(Unavailable) as caught:
        store.get(Entity, "p-1")
    assert "Bad Gateway" in str(caught.value.__cause__)


def test_a_malformed_answer_to_a_write_is_resolved_by_reading_back() -> None:
    """A write whose answer is unreadable is checked by a read, not assumed failed or sent twice."""
    fake, store = fake_store(testing=True)
    fake.inject(Fault("malformed", method="POST", path_contains="/apply"))
    created = store.create(person("John Smith", id="p-1"))
    assert store.get(Entity, "p-1") == created
    assert fake.count("POST", "/apply") == 1


def test_objects_not_written_by_caseport_are_reported() -> None:
    """An object without a canonical record, or edited behind caseport's back, is refused."""
    fake, store = fake_store()
    store.create(person("John Smith", id="p-1"))
    stored = fake.ontology.objects["CaseportEntity"]["p-1"]
    stored["version"] = 9
    with pytest.raises(UpstreamContractError, match="changed outside caseport"):
        store.get(Entity, "p-1")
    stored["canonicalRecord"] = None
    with pytest.raises(UpstreamContractError, match="not written"):
        store.get(Entity, "p-1")


def test_both_documented_apply_answer_shapes_are_accepted() -> None:
    """The example's top-level parameters and the model's nested ones both read as valid."""
    for style in ("example", "full"):
        fake, store = fake_store()
        fake.ontology.apply_answer = style
        created = store.create(person("John Smith", id="p-1"))
        assert store.get(Entity, "p-1") == created


def test_plain_http_is_refused_except_on_loopback() -> None:
    """Tokens never travel over plain http to a remote host."""
    from adapters.foundry.auth import StaticToken
    from adapters.foundry.client import FoundryClient

    with pytest.raises(ConfigurationError, match="https"):
        FoundryClient("http://foundry.example", "o", StaticToken("t"))
    FoundryClient("http://127.0.0.1:8080", "o", StaticToken("t")).close()


def test_a_concurrent_change_during_an_update_is_a_conflict() -> None:
    """ObjectChanged (409) while updating reads as Conflict, with the stored version."""
    from adapters.foundry.auth import StaticToken
    from adapters.foundry.client import FoundryClient
    from adapters.foundry.fake_ontology import FakeError
    from adapters.foundry.store import FoundryCaseStore
    from adapters.foundry.testing import FAKE_BASE_URL, FakeFoundry
    from contracts.errors import Conflict

    fake = FakeFoundry()

    def changed(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("caseport-update-entity/apply"):
            error = FakeError(409, "CONFLICT", "ObjectChanged", {"objectType": "CaseportEntity"})
            return httpx.Response(409, json=error.envelope())
        return fake.handle(request)

    client = FoundryClient(
        FAKE_BASE_URL,
        fake.ontology_name,
        StaticToken(fake.token),
        transport=httpx.MockTransport(changed),
        clock=fake.clock,
    )
    store = FoundryCaseStore(client, fake.mapping)
    created = store.create(person("John Smith", id="p-1"))
    with pytest.raises(Conflict) as caught:
        store.update(created.revise(label="J Smith"), expected_version=1)
    assert caught.value.actual == 1
