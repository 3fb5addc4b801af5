"""Errors: one hierarchy, details a caller can act on, and nothing written on refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

import pytest

from contracts.conformance.suite import data
from contracts.errors import (
    AlreadyExists,
    BackendError,
    CaseportError,
    Conflict,
    DeadlineExceeded,
    InvalidCursor,
    NotFound,
    NotSupported,
    RateLimited,
    TransientError,
    Unavailable,
    ValidationFailed,
)
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.models.records import parse_record, to_json_line
from contracts.store import CaseStore


@pytest.mark.requirement("ERR-001")
def test_every_refusal_is_a_caseport_error_of_the_right_class(store: CaseStore) -> None:
    """Each failing call raises the specific contract error, a CaseportError."""
    stored = store.create(data.entity("e-1"))
    failing: list[tuple[Callable[[], object], type[CaseportError]]] = [
        (lambda: store.get(Entity, "missing"), NotFound),
        (lambda: store.update(data.entity("missing"), expected_version=1), NotFound),
        (lambda: store.create(data.entity("e-1", label="other")), AlreadyExists),
        (lambda: store.update(stored, expected_version=5), Conflict),
        (lambda: store.create(data.link("l-1", "e-1", "missing")), NotFound),
        (lambda: store.create(data.entity("e-2", version=3)), ValidationFailed),
        (lambda: store.list_records(Entity, page_size=0), ValidationFailed),
        (lambda: store.list_records(Entity, cursor="@@@"), InvalidCursor),
        (lambda: store.create(cast(Any, {"id": "e-3"})), ValidationFailed),
    ]
    for call, expected in failing:
        with pytest.raises(expected) as raised:
            call()
        assert isinstance(raised.value, CaseportError)
    assert issubclass(ValidationFailed, ValueError)
    assert issubclass(InvalidCursor, ValidationFailed)


@pytest.mark.requirement("ERR-002", "ERR-006")
def test_errors_carry_what_the_caller_needs(store: CaseStore) -> None:
    """NotFound, AlreadyExists and Conflict name the record and say what to do next."""
    stored = store.create(data.entity("e-1"))
    with pytest.raises(NotFound) as missing:
        store.get(Link, "l-9")
    assert (missing.value.record_type, missing.value.record_id) == ("link", "l-9")
    with pytest.raises(AlreadyExists) as clash:
        store.create(data.entity("e-1", EntityKind.OBJECT))
    assert (clash.value.record_type, clash.value.record_id) == ("entity", "e-1")
    assert "update()" in str(clash.value)
    store.update(stored.revise(label="moved on"), expected_version=1)
    with pytest.raises(Conflict) as stale:
        store.update(stored.revise(label="stale"), expected_version=1)
    conflict = stale.value
    assert (conflict.record_type, conflict.record_id, conflict.expected, conflict.actual) == (
        "entity",
        "e-1",
        1,
        2,
    )
    assert "read it again" in str(conflict)


@pytest.mark.requirement("ERR-003")
def test_failed_operations_write_nothing(store: CaseStore) -> None:
    """After a run of refused writes the store holds exactly what it held before."""
    person = store.create(data.entity("e-1"))
    other = store.create(data.entity("e-2"))
    relation = store.create(data.link("l-1", "e-1", "e-2"))
    attempts: list[Callable[[], object]] = [
        lambda: store.create(data.entity("e-3", version=2)),
        lambda: store.create(data.link("l-2", "e-1", "ghost")),
        lambda: store.create(data.entity("e-1", label="clash")),
        lambda: store.update(person.revise(label="stale"), expected_version=9),
        lambda: store.update(person.revise(kind=EntityKind.OBJECT), expected_version=1),
        lambda: store.update(relation.revise(target_id="e-1"), expected_version=1),
        lambda: store.update(data.entity("e-4"), expected_version=1),
    ]
    for attempt in attempts:
        with pytest.raises(CaseportError):
            attempt()
    assert list(store.list_records(Entity).items) == [person, other]
    assert list(store.list_records(Link).items) == [relation]


@pytest.mark.requirement("ERR-004")
@pytest.mark.layer_only(
    "the messages come from the models' and the layer's validation, shared by every adapter"
)
def test_validation_messages_name_fields_but_never_repeat_values(store: CaseStore) -> None:
    """A refused value does not come back in the error message; its field's name does."""
    stored = store.create(data.entity("e-1"))
    secret = "S3CRET-informant-name"
    with pytest.raises(ValidationFailed) as nul:
        stored.revise(label=f"{secret}\x00")
    assert "label" in str(nul.value)
    assert secret not in str(nul.value)
    with pytest.raises(ValidationFailed) as long:
        stored.revise(description=secret * 1_000)
    assert "description" in str(long.value)
    assert secret not in str(long.value)
    line = json.loads(to_json_line(stored))
    with pytest.raises(ValidationFailed) as wrong_type:
        parse_record(json.dumps({**line, "kind": secret}))
    assert secret not in str(wrong_type.value)
    with pytest.raises(ValidationFailed) as not_a_record:
        store.create(cast(Any, {"label": secret}))
    assert secret not in str(not_a_record.value)


@pytest.mark.requirement("ERR-005")
@pytest.mark.layer_only(
    "checks the error classes every adapter raises, not how a store behaves under faults"
)
def test_transient_and_backend_errors_are_told_apart_from_refusals() -> None:
    """Transient errors are backend errors; the refusals that write nothing are neither."""
    for transient in (Unavailable, RateLimited, DeadlineExceeded):
        assert issubclass(transient, TransientError)
    assert issubclass(TransientError, BackendError)
    assert RateLimited("slow down", retry_after=2.5).retry_after == 2.5
    assert RateLimited("slow down").retry_after is None
    for refusal in (ValidationFailed, NotFound, AlreadyExists, Conflict, NotSupported):
        assert not issubclass(refusal, BackendError)
