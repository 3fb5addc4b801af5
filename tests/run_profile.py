"""How long the suite's generated tests run: one profile chosen for the whole run.

``CASEPORT_HYPOTHESIS_PROFILE`` picks it: ``quick`` (the default, what the README's test line
runs in a few minutes), ``ci`` (what ``.ci/run`` runs again for the state machines, the search
and cursor properties, the API fuzz test and the Foundry conformance run under random faults) or
``soak`` (many more and longer runs, by hand).
"""

from __future__ import annotations

import os
from typing import Final

PROFILES: Final = ("quick", "ci", "soak")
PROFILE: Final = os.environ.get("CASEPORT_HYPOTHESIS_PROFILE", "quick")
if PROFILE not in PROFILES:
    raise ValueError(f"CASEPORT_HYPOTHESIS_PROFILE must be one of {', '.join(PROFILES)}")


def by_profile(quick: int, ci: int, soak: int) -> int:
    """The number for the profile of this run."""
    return {"quick": quick, "ci": ci, "soak": soak}[PROFILE]
