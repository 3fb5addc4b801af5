"""Shared helpers of the hostile-input tests (PostgreSQL schemas come from :mod:`backends`)."""

from __future__ import annotations

from backends import drop_schema, postgres_base, with_schema

from contracts.models import Entity, EntityKind, PersonFields

__all__ = ["drop_schema", "person", "postgres_base", "with_schema"]


def person(record_id: str, label: str) -> Entity:
    """A person entity whose family name is the last word of ``label``."""
    return Entity(
        id=record_id,
        kind=EntityKind.PERSON,
        subtype="person",
        label=label,
        person=PersonFields(family_name=label.split()[-1]),
    )
