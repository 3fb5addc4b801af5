"""The caseport conformance kit: a pytest plugin, a suite per area and a JSON report.

Run it against any store with
``pytest --pyargs contracts.conformance.suite --caseport-url URL --caseport-report FILE``
(add ``-p contracts.conformance.plugin`` when caseport is not installed), or from Python with
:func:`run_conformance`.
"""

from contracts.conformance.report import ConformanceReport, read_report
from contracts.conformance.runner import run_conformance

__all__ = ["ConformanceReport", "read_report", "run_conformance"]
