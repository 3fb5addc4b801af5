"""A conformance-kit plugin: a run whose stores offer no write fault point.

Loaded with ``-p no_write_faults`` (this directory on ``PYTHONPATH``), it overrides the kit's
``caseport_write_faults`` fixture with ``None``, as for a third-party adapter whose stores have
no ``write_faults()``: the tests that need failing backend writes cannot run.
"""

from __future__ import annotations

import pytest


class _Fixtures:
    """The kit's write-faults fixture, for stores without a fault point."""

    @pytest.fixture
    def caseport_write_faults(self) -> None:
        """No write faults: the stores offer none."""
        return


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Register the fixture after the kit's session, so that it overrides the kit's own."""
    config.pluginmanager.register(_Fixtures(), "no-write-faults")
