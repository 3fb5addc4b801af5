"""The SQL adapter's model-based state machine, extended to the Foundry adapter.

The machine in ``tests/sql/test_sql_state_machine.py`` compares every answer (errors included)
and the full export after every step with the in-memory reference; here the store under test
is the Foundry adapter over a fake ontology that returns short pages.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from adapters.foundry.store import StoreOptions
from adapters.foundry.testing import FakeFoundry
from contracts.store import CaseStore

SQL_TESTS = Path(__file__).resolve().parents[1] / "sql"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_machine() -> ModuleType | None:
    """The SQL tests' state machine module, imported with its own conftest and helpers."""
    path = SQL_TESTS / "test_sql_state_machine.py"
    if not path.is_file():
        return None
    if str(SQL_TESTS) not in sys.path:
        sys.path.append(str(SQL_TESTS))
    saved = sys.modules.get("conftest")
    try:
        sys.modules["conftest"] = _load("caseport_sql_conftest", SQL_TESTS / "conftest.py")
        return _load("caseport_shared_state_machine", path)
    except ImportError:
        return None
    finally:
        if saved is None:
            sys.modules.pop("conftest", None)
        else:
            sys.modules["conftest"] = saved


_machine = _load_machine()

if _machine is None:

    def test_the_shared_state_machine_is_available() -> None:
        """The SQL adapter's state machine is not in this tree; nothing to extend."""
        pytest.skip("tests/sql/test_sql_state_machine.py is not available")

else:

    class FoundryComparison(_machine.StoreComparison):  # type: ignore[name-defined,misc]
        """The comparison against a fresh fake Foundry ontology per sequence."""

        def open_store(self) -> tuple[CaseStore, Callable[[], None]]:
            fake = FakeFoundry()
            fake.ontology.short_pages = True
            store = fake.store(options=StoreOptions(page_size=3, batch_requests=4))
            return store, store.close

    TestFoundryMatchesTheReference = FoundryComparison.TestCase
    TestFoundryMatchesTheReference.settings = _machine.MACHINE_SETTINGS
