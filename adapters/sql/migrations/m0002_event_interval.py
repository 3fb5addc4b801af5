"""Migration 2: the end of each event's interval, stored and indexed for the timeline.

``event_until`` is ``occurred_to``, or ``occurred_from`` for an instant, so a timeline window
``[start, end)`` is two indexed comparisons. Existing rows are backfilled.
"""

from __future__ import annotations

from typing import Final

from adapters.sql.migrations.model import Migration

__all__ = ["MIGRATION"]

_BACKFILL: Final = (
    "UPDATE entities SET event_until = coalesce(event_occurred_to, event_occurred_from)"
    " WHERE event_occurred_from IS NOT NULL"
)
_INDEX: Final = (
    "CREATE INDEX entities_event_time ON entities (event_occurred_from, event_until)"
    " WHERE event_occurred_from IS NOT NULL"
)

MIGRATION: Final = Migration(
    version=2,
    name="event interval end for the timeline",
    statements={
        "sqlite": ("ALTER TABLE entities ADD COLUMN event_until TEXT", _BACKFILL, _INDEX),
        "postgresql": (
            'ALTER TABLE entities ADD COLUMN event_until text COLLATE "C"',
            _BACKFILL,
            _INDEX,
        ),
    },
)
