"""Stops the suite early, and clearly, when it has no store to test."""

from __future__ import annotations

import pytest

from contracts.conformance.plugin import SESSION_PLUGIN_NAME


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run the suite without the active kit."""
    if items and not config.pluginmanager.has_plugin(SESSION_PLUGIN_NAME):
        raise pytest.UsageError(
            "the caseport conformance suite tests a store: pass --caseport-url URL "
            "(and -p contracts.conformance.plugin when caseport is not installed)"
        )
