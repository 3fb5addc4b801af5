"""The caseport conformance kit: a pytest plugin, a suite per area and a JSON report.

Run it against any store with
``pytest --pyargs contracts.conformance.suite --caseport-url URL --caseport-report FILE``
(add ``-p contracts.conformance.plugin`` when caseport is not installed), or from Python with
:func:`run_conformance`.

The kit is the one part of ``contracts`` that depends on more than pydantic: it depends on
pytest, and it reaches into ``adapters`` in two places, each imported lazily inside the one
function that needs it (:mod:`contracts.conformance.stores`), so importing the kit imports no
adapter and the suite itself knows no backend:

- ``adapters.connect``, in the default store factory only, which builds each store from the URL
  given to ``--caseport-url``; a vendor overrides the ``caseport_store_factory`` fixture in a
  ``conftest.py`` to build stores without it;
- ``adapters.redact_url``, which takes the password out of that URL before it appears in a
  report or message.
"""

from contracts.conformance.report import ConformanceReport, read_report
from contracts.conformance.runner import run_conformance

__all__ = ["ConformanceReport", "read_report", "run_conformance"]
