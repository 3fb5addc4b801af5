"""Rules an update must keep, checked by the layer for every adapter alike."""

from __future__ import annotations

from contracts.errors import ValidationFailed
from contracts.models.common import Record
from contracts.models.entities import Entity
from contracts.models.exhibits import Exhibit
from contracts.models.intelligence import IntelligenceReport
from contracts.models.links import Link

__all__ = ["check_update"]


def check_update(current: Record, new: Record) -> None:
    """Refuse an update that rewrites what the contract makes permanent.

    - an entity keeps its kind;
    - a link keeps its endpoints and direction (make a new link instead);
    - an exhibit's chain of custody only grows at the end, and its content hash, once set,
      never changes;
    - an intelligence report's grading history only grows, and a change of grade appends the
      previous grade to it.

    Raises:
        ValidationFailed: the update breaks one of these rules.
    """
    if type(current) is not type(new):
        raise ValidationFailed("an update cannot change the type of a record")
    if isinstance(current, Entity) and isinstance(new, Entity) and current.kind != new.kind:
        raise ValidationFailed(f"entity {current.id!r}: kind cannot change")
    if isinstance(current, Link) and isinstance(new, Link):
        before = (current.source_id, current.target_id, current.directed)
        if before != (new.source_id, new.target_id, new.directed):
            raise ValidationFailed(
                f"link {current.id!r}: endpoints and direction are fixed; create a new link"
            )
    if isinstance(current, Exhibit) and isinstance(new, Exhibit):
        _check_exhibit(current, new)
    if isinstance(current, IntelligenceReport) and isinstance(new, IntelligenceReport):
        _check_report(current, new)


def _check_exhibit(current: Exhibit, new: Exhibit) -> None:
    if new.custody[: len(current.custody)] != current.custody:
        raise ValidationFailed(f"exhibit {current.id!r}: the chain of custody is append-only")
    if current.content_hash is not None and new.content_hash != current.content_hash:
        raise ValidationFailed(f"exhibit {current.id!r}: the content hash cannot change")


def _check_report(current: IntelligenceReport, new: IntelligenceReport) -> None:
    old_history = current.grading_history
    if new.grading_history[: len(old_history)] != old_history:
        raise ValidationFailed(
            f"intelligence report {current.id!r}: grading history is append-only"
        )
    added = new.grading_history[len(old_history) :]
    if new.grading != current.grading:
        if len(added) != 1 or added[0].previous != current.grading:
            raise ValidationFailed(
                f"intelligence report {current.id!r}: a re-grade must append exactly one "
                "history entry holding the previous grade (use IntelligenceReport.regraded)"
            )
    elif added:
        raise ValidationFailed(
            f"intelligence report {current.id!r}: history grows only when the grade changes"
        )
