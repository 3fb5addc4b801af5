"""Which Foundry object types, properties, link types and actions carry caseport's records.

Every ontology is set up differently, so a TOML mapping file says where each canonical record
type lives. The default file, ``default_mapping.toml`` beside this module, describes the
reference ontology design; copy and edit it for a tenant whose names differ. A mapping is
checked in full when it is loaded: a missing piece, an unknown field or a type that cannot hold
a field's values is reported with its place in the file.

The design, per record type: one object type whose primary key is the record id, a string
property holding the canonical record as JSON (the source of truth, read back losslessly),
typed properties copied from the record for searching and sorting (named under
``properties``), and four action types (create, update with an expected-version submission
criterion, upsert for bulk writes, delete to undo a failed bulk write). Links are objects too,
with two Foundry link types from the entity object type to the link objects, one by source and
one by target, which ``expand`` follows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts.errors import ConfigurationError
from contracts.evaluation import field_values
from contracts.models.common import Record, RecordType
from contracts.models.entities import Entity
from contracts.query import FIELDS, FieldKind

__all__ = [
    "DEFAULT_MAPPING",
    "RECORD_FIELDS",
    "FoundryMapping",
    "MappedProperty",
    "PropertyType",
    "RecordLayout",
    "load_mapping",
]

DEFAULT_MAPPING: Final = "default_mapping.toml"

PropertyType = Literal[
    "string",
    "integer",
    "long",
    "double",
    "boolean",
    "timestamp",
    "array<string>",
    "array<integer>",
    "array<long>",
    "array<double>",
    "array<boolean>",
    "array<timestamp>",
]

ApiName = Annotated[
    str, Field(strict=True, min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")
]

_COMMON: Final[dict[str, tuple[FieldKind, bool]]] = {
    "version": ("int", False),
    "created_at": ("datetime", False),
    "updated_at": ("datetime", False),
    "markings.classification": ("str", False),
    "markings.sensitive": ("bool", False),
    "markings.caveats": ("str", True),
    "markings.compartments": ("str", True),
}

RECORD_FIELDS: Final[dict[RecordType, dict[str, tuple[FieldKind, bool]]]] = {
    RecordType.ENTITY: {
        name: (spec.kind, spec.multi) for name, spec in FIELDS.items() if name != "id"
    },
    RecordType.LINK: {
        **_COMMON,
        "type": ("str", False),
        "source_id": ("str", False),
        "target_id": ("str", False),
        "directed": ("bool", False),
        "role": ("str", False),
        "qualifier": ("str", False),
        "valid_from": ("datetime", False),
        "valid_to": ("datetime", False),
        "confidence": ("float", False),
        "fact_or_assessment": ("str", False),
    },
    RecordType.CASE: {
        **_COMMON,
        "reference": ("str", False),
        "title": ("str", False),
        "status": ("str", False),
        "description": ("str", False),
        "officer_in_case": ("str", False),
        "opened_at": ("datetime", False),
        "closed_at": ("datetime", False),
        "compartment": ("str", False),
        "members.entity_id": ("str", True),
        "members.role": ("str", True),
    },
    RecordType.INTELLIGENCE_REPORT: {
        **_COMMON,
        "reference": ("str", False),
        "submitted_at": ("datetime", False),
        "submitted_by": ("str", False),
        "originating_unit": ("str", False),
        "grading.scheme": ("str", False),
        "grading.code": ("str", False),
        "subjects.entity_id": ("str", True),
        "sanitised": ("bool", False),
        "fact_or_assessment": ("str", False),
    },
    RecordType.EXHIBIT: {
        **_COMMON,
        "reference": ("str", False),
        "description": ("str", False),
        "object_entity_id": ("str", False),
        "case_id": ("str", False),
        "seized_at": ("datetime", False),
        "seized_by": ("str", False),
        "seized_from": ("str", False),
        "storage_location": ("str", False),
        "content_hash": ("str", False),
        "media_type": ("str", False),
        "size_bytes": ("int", False),
    },
}
"""The record fields a mapping may copy into typed properties: kind and whether multi-valued."""

_SCALAR_TYPES: Final[dict[FieldKind, tuple[str, ...]]] = {
    "str": ("string",),
    "int": ("long", "integer"),
    "float": ("double",),
    "bool": ("boolean",),
    "datetime": ("timestamp",),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertySpec(_Strict):
    """A typed property: its API name and Foundry type."""

    property: ApiName
    type: PropertyType


class ActionNames(_Strict):
    """The action types that write one record type."""

    create: ApiName
    update: ApiName
    upsert: ApiName
    delete: ApiName | None = None
    expected_version: ApiName = "expectedVersion"


class RecordSection(_Strict):
    """Where one record type lives."""

    object_type: ApiName
    primary_key: ApiName
    record: ApiName
    actions: ActionNames
    properties: dict[str, ApiName | PropertySpec] = Field(default_factory=dict)


class EntitySection(RecordSection):
    """Where entities live, and the property of search terms for text conditions."""

    text_terms: ApiName | None = None


class LinkSection(RecordSection):
    """Where links live, and the Foundry link types ``expand`` follows from an entity."""

    from_source: ApiName
    from_target: ApiName


class MappingFile(_Strict):
    """The whole mapping file."""

    format: Literal[1] = 1
    description: str | None = None
    entity: EntitySection
    link: LinkSection
    case: RecordSection | None = None
    intelligence_report: RecordSection | None = None
    exhibit: RecordSection | None = None

    @model_validator(mode="after")
    def _required_properties(self) -> MappingFile:
        for name in ("entity", "link"):
            section: RecordSection = getattr(self, name)
            if "version" not in section.properties:
                raise ValueError(f"{name}.properties.version is missing")
        for field in ("source_id", "target_id"):
            if field not in self.link.properties:
                raise ValueError(f"link.properties.{field} is missing")
        return self


@dataclass(frozen=True, slots=True)
class MappedProperty:
    """A record field copied into a typed property."""

    path: str
    api_name: str
    type: str
    multi: bool

    @property
    def scalar_type(self) -> str:
        """The type of one value (the item type of an array)."""
        return self.type.removeprefix("array<").removesuffix(">")


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """The resolved mapping of one record type, ready to use."""

    record_type: RecordType
    object_type: str
    primary_key: str
    record_property: str
    actions: ActionNames
    properties: tuple[MappedProperty, ...]
    text_terms: str | None = None
    from_source: str | None = None
    from_target: str | None = None

    def property_for(self, path: str) -> MappedProperty | None:
        """The typed property that holds field ``path``, if mapped."""
        for prop in self.properties:
            if prop.path == path:
                return prop
        return None

    @property
    def version_property(self) -> str:
        """The API name of the typed ``version`` property."""
        prop = self.property_for("version")
        assert prop is not None  # checked when the mapping was loaded
        return prop.api_name

    def values(self, record: Record) -> dict[str, Any]:
        """The typed property values of ``record`` (``None`` where it has none)."""
        extract = field_values if isinstance(record, Entity) else _walk_path
        out: dict[str, Any] = {}
        for prop in self.properties:
            found = extract(record, prop.path)
            encoded = [encode_value(value) for value in found]
            out[prop.api_name] = encoded if prop.multi else (encoded[0] if encoded else None)
        return out


def encode_value(value: object) -> Any:
    """A field value in Foundry's JSON encoding (timestamps as ISO-8601 UTC with ``Z``)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, StrEnum):
        return value.value
    return value


def _walk_path(record: Record, path: str) -> list[Any]:
    def walk(value: Any, segments: list[str]) -> list[Any]:
        if value is None:
            return []
        if isinstance(value, tuple | list):
            return [item for element in value for item in walk(element, segments)]
        if not segments:
            return [value]
        return walk(getattr(value, segments[0]), segments[1:])

    return walk(record, path.split("."))


class FoundryMapping:
    """A checked mapping: one :class:`RecordLayout` per mapped record type.

    Build it with :func:`load_mapping`.
    """

    def __init__(self, layouts: Mapping[RecordType, RecordLayout], source: str) -> None:
        self.layouts = dict(layouts)
        self.source = source

    def layout(self, record_type: RecordType) -> RecordLayout | None:
        """The layout of ``record_type``, ``None`` when the mapping leaves it out."""
        return self.layouts.get(record_type)

    def require(self, record_type: RecordType) -> RecordLayout:
        """The layout of ``record_type``.

        Raises:
            ConfigurationError: the mapping leaves it out.
        """
        layout = self.layouts.get(record_type)
        if layout is None:
            raise ConfigurationError(
                f"the Foundry mapping {self.source} has no [{record_type.value}] section"
            )
        return layout

    @property
    def entity(self) -> RecordLayout:
        """The entity layout (always present)."""
        return self.layouts[RecordType.ENTITY]

    @property
    def link(self) -> RecordLayout:
        """The link layout (always present)."""
        return self.layouts[RecordType.LINK]

    def __repr__(self) -> str:
        kinds = ", ".join(sorted(t.value for t in self.layouts))
        return f"<FoundryMapping {self.source} ({kinds})>"


def _resolve(record_type: RecordType, section: RecordSection, where: str) -> RecordLayout:
    known = RECORD_FIELDS[record_type]
    props: list[MappedProperty] = []
    used: dict[str, str] = {}
    for path, raw in section.properties.items():
        if path not in known:
            raise ConfigurationError(
                f"{where}.properties: unknown field {path!r}; known: {', '.join(sorted(known))}"
            )
        kind, multi = known[path]
        allowed = _SCALAR_TYPES[kind]
        if isinstance(raw, str):
            api_name, declared = raw, allowed[0]
            declared = f"array<{declared}>" if multi else declared
        else:
            api_name, declared = raw.property, raw.type
        scalar = declared.removeprefix("array<").removesuffix(">")
        if scalar not in allowed or declared.startswith("array<") != multi:
            wanted = " or ".join(f"array<{t}>" if multi else t for t in allowed)
            raise ConfigurationError(
                f"{where}.properties.{path}: type {declared!r} cannot hold this field; use {wanted}"
            )
        if api_name in used:
            raise ConfigurationError(
                f"{where}.properties: {path!r} and {used[api_name]!r} share property {api_name!r}"
            )
        used[api_name] = path
        props.append(MappedProperty(path, api_name, declared, multi))
    reserved = {section.primary_key: "primary_key", section.record: "record"}
    text_terms = getattr(section, "text_terms", None)
    if text_terms:
        reserved[text_terms] = "text_terms"
    if len(reserved) != 2 + bool(text_terms):
        raise ConfigurationError(f"{where}: primary_key, record and text_terms must differ")
    for api_name, role in reserved.items():
        if api_name in used:
            raise ConfigurationError(
                f"{where}: property {api_name!r} is both the {role} and field {used[api_name]!r}"
            )
    return RecordLayout(
        record_type=record_type,
        object_type=section.object_type,
        primary_key=section.primary_key,
        record_property=section.record,
        actions=section.actions,
        properties=tuple(props),
        text_terms=text_terms,
        from_source=getattr(section, "from_source", None),
        from_target=getattr(section, "from_target", None),
    )


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
        where = where.replace(".str", "").replace(".PropertySpec", "")
        message = "is missing" if error["type"] == "missing" else error["msg"]
        if error["type"] == "extra_forbidden":
            message = "is not a known key"
        problems.append(f"{where or 'top level'} {message}".strip())
    more = exc.error_count() - len(problems)
    return "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")


def parse_mapping(data: Mapping[str, Any], source: str) -> FoundryMapping:
    """Check a mapping given as data (a parsed TOML document).

    Raises:
        ConfigurationError: the mapping is incomplete or wrong; the message names the piece.
    """
    try:
        parsed = MappingFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigurationError(f"Foundry mapping {source}: {_describe(exc)}") from None
    layouts: dict[RecordType, RecordLayout] = {}
    object_types: dict[str, str] = {}
    for record_type in RecordType:
        section = getattr(parsed, record_type.value)
        if section is None:
            continue
        try:
            layout = _resolve(record_type, section, record_type.value)
        except ConfigurationError as exc:
            raise ConfigurationError(f"Foundry mapping {source}: {exc}") from None
        if layout.object_type in object_types:
            raise ConfigurationError(
                f"Foundry mapping {source}: {record_type.value} and "
                f"{object_types[layout.object_type]} share object type {layout.object_type!r}"
            )
        object_types[layout.object_type] = record_type.value
        layouts[record_type] = layout
    return FoundryMapping(layouts, source)


def load_mapping(path: str | Path | None = None) -> FoundryMapping:
    """Load and check a mapping file; the shipped reference mapping when ``path`` is ``None``.

    Raises:
        ConfigurationError: the file cannot be read, is not TOML, or is incomplete.
    """
    try:
        if path is None:
            text = resources.files("adapters.foundry").joinpath(DEFAULT_MAPPING).read_text("utf-8")
            source = f"(built-in {DEFAULT_MAPPING})"
        else:
            text = Path(path).read_text("utf-8")
            source = str(path)
    except OSError as exc:
        raise ConfigurationError(f"cannot read the Foundry mapping {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"Foundry mapping {source} is not valid TOML: {exc}") from exc
    return parse_mapping(data, source)
