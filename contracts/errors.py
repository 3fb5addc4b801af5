"""The one error hierarchy of caseport.

Every error an adapter or the layer raises on purpose is a :class:`CaseportError`. Backend
exceptions (``sqlite3``, ``psycopg``, ``httpx``, ``tenacity``) never escape an adapter: each is
translated to the most specific class below with ``raise ... from exc`` so the cause stays
attached for debugging::

    CaseportError
    ├── NotFound                  the record, or a record it refers to, does not exist
    ├── AlreadyExists             same id, different content
    ├── Conflict                  the expected version is not the stored version
    ├── ValidationFailed          the caller sent something the contract does not allow
    │   └── InvalidCursor         a paging cursor is malformed or belongs to another query
    ├── NotSupported              the adapter declares the capability unsupported
    ├── PermissionDenied          the backend or the layer refused the caller
    ├── ConfigurationError        no adapter can be built from the given settings
    └── BackendError              the backend failed; the request may not have been applied
        ├── TransientError        trying again later may succeed
        │   ├── Unavailable       the backend cannot be reached or is overloaded
        │   │   └── RateLimited   the backend asked us to slow down (HTTP 429)
        │   └── DeadlineExceeded  the call did not finish in its time budget
        └── UpstreamContractError the backend answered with something the contract forbids
            └── UnreadableRecords an export left out stored records that are not valid records

Errors are split by who must act: ``ValidationFailed`` and its kin mean the caller must change
the request; ``BackendError`` means the backend misbehaved; ``TransientError`` tells retry
policies that a later attempt may succeed.
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "BackendError",
    "CaseportError",
    "ConfigurationError",
    "Conflict",
    "DeadlineExceeded",
    "InvalidCursor",
    "NotFound",
    "NotSupported",
    "PermissionDenied",
    "RateLimited",
    "TransientError",
    "Unavailable",
    "UnreadableRecords",
    "UpstreamContractError",
    "ValidationFailed",
]


class CaseportError(Exception):
    """Root of every error caseport raises on purpose; catch this to catch them all."""


class NotFound(CaseportError):
    """Raised when a record, or a record it refers to, does not exist."""

    def __init__(self, record_type: str, record_id: str) -> None:
        super().__init__(f"{record_type} {record_id!r} does not exist")
        self.record_type = record_type
        self.record_id = record_id


class AlreadyExists(CaseportError):
    """Raised when a create reuses an existing id with different content."""

    def __init__(self, record_type: str, record_id: str) -> None:
        super().__init__(
            f"{record_type} {record_id!r} already exists with different content; "
            "use update() with the stored version to change it"
        )
        self.record_type = record_type
        self.record_id = record_id


class Conflict(CaseportError):
    """Raised when an update's expected version is not the stored version."""

    def __init__(self, record_type: str, record_id: str, expected: int, actual: int | None) -> None:
        found = "no stored version" if actual is None else f"stored version {actual}"
        super().__init__(
            f"{record_type} {record_id!r}: expected version {expected}, found {found}; "
            "read it again and reapply the change"
        )
        self.record_type = record_type
        self.record_id = record_id
        self.expected = expected
        self.actual = actual


class ValidationFailed(CaseportError, ValueError):
    """Raised when a record, query or argument breaks the contract; nothing was written.

    ``problems`` lists, for a record or query refused by its model, each failing field's
    location and pydantic's error type (``("label", "string_too_long")``), never the value.
    """

    def __init__(self, message: str, *, problems: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class InvalidCursor(ValidationFailed):
    """Raised when a paging cursor is malformed, tampered with or from another query."""


class NotSupported(CaseportError):
    """Raised when an operation needs a capability the adapter declares unsupported."""

    def __init__(self, capability: str, adapter: str) -> None:
        super().__init__(f"adapter {adapter!r} does not support capability {capability!r}")
        self.capability = capability
        self.adapter = adapter


class PermissionDenied(CaseportError):
    """Raised when the backend or a safeguard of the layer refuses the caller."""


class ConfigurationError(CaseportError):
    """Raised when no store can be built: unknown scheme, bad option, missing dependency."""


class BackendError(CaseportError):
    """Raised when the backend failed; a write may or may not have been applied."""


class TransientError(BackendError):
    """Raised for failures where a later attempt may succeed."""


class Unavailable(TransientError):
    """Raised when the backend cannot be reached, refuses connections or is overloaded."""


class RateLimited(Unavailable):
    """Raised when the backend asks the client to slow down; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        hint = "" if retry_after is None else f" (retry after {retry_after:g} s)"
        super().__init__(message + hint)
        self.retry_after = retry_after


class DeadlineExceeded(TransientError):
    """Raised when a call did not finish within its time budget."""


class UpstreamContractError(BackendError):
    """Raised when a backend's answer is malformed, oversized or otherwise off-contract."""


class UnreadableRecords(UpstreamContractError):
    """Raised at the end of an export that left out stored records it could not read.

    Every readable record was streamed first. ``records`` names each one left out as
    ``(record_type, record_id)``; writing a valid record with the same id (``upsert_many``)
    repairs it.
    """

    def __init__(self, records: tuple[tuple[str, str], ...]) -> None:
        shown = ", ".join(f"{kind} {key!r}" for kind, key in records[:5])
        more = f" and {len(records) - 5} more" if len(records) > 5 else ""
        super().__init__(
            f"the export left out {len(records)} stored record(s) that are not valid records: "
            f"{shown}{more}; write valid records with the same ids with upsert_many to repair them"
        )
        self.records = records
