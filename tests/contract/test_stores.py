"""How the kit gets its stores: no adapter imported up front, one table of record capabilities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters.memory import MemoryBackend
from contracts import store as contract_store
from contracts.capabilities import Capability, Support, declare
from contracts.conformance import stores
from contracts.errors import NotSupported
from contracts.models.cases import Case
from contracts.models.exhibits import Exhibit
from contracts.store import CaseStore

REPOSITORY = Path(__file__).resolve().parents[2]
_TIMEOUT_S = 120  # a guard against a hung interpreter, not a performance expectation

_IMPORT_THE_KIT = """
import sys

import contracts.conformance
import contracts.conformance.plugin
import contracts.conformance.stores

print(sorted(name for name in sys.modules if name.split(".")[0] == "adapters"))
"""

_UNSUPPORTED = (Capability.BULK_EXPORT, Capability.CASES)


class _WithoutExportOrCasesBackend(MemoryBackend):
    """A backend that can neither export nor keep cases, so the kit lists each type it keeps."""

    CAPABILITIES = declare(
        **{
            capability.name: (
                Support.UNSUPPORTED
                if capability in _UNSUPPORTED
                else MemoryBackend.CAPABILITIES[capability]
            )
            for capability in Capability
        }
    )


def _without_export_or_cases() -> CaseStore:
    return CaseStore(_WithoutExportOrCasesBackend())


def test_importing_the_kit_imports_no_adapter() -> None:
    """The kit imports the adapters package only when it builds a store or redacts a URL."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_THE_KIT],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4_000:]
    assert result.stdout.strip() == "[]"


def test_the_kit_reads_record_capabilities_from_the_store_module() -> None:
    """The kit keeps no copy of the table saying which capability each record type needs."""
    assert vars(stores)["RECORD_CAPABILITY"] is contract_store.RECORD_CAPABILITY


def test_an_empty_store_without_export_is_read_only_through_supported_types() -> None:
    """holds_records skips cases when they are unsupported instead of raising NotSupported."""
    store = _without_export_or_cases()
    with pytest.raises(NotSupported):
        store.list_records(Case)
    assert stores.holds_records(store) is False


def test_a_store_without_export_holding_an_optional_record_is_not_empty() -> None:
    """A single exhibit, read through list_records, makes the store count as holding records."""
    store = _without_export_or_cases()
    store.create(Exhibit(id="x-1", reference="EXH/1", description="a phone"))
    assert stores.holds_records(store) is True
