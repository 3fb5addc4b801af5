"""The canonical model of case data: POLE+O entities, links, cases, reports, exhibits."""

from contracts.models.cases import Case, CaseMember, CaseStatus
from contracts.models.common import Classification, Markings, Provenance, Record, RecordType
from contracts.models.entities import (
    Entity,
    EntityKind,
    EventFields,
    Identifier,
    LocationFields,
    ObjectFields,
    OrganisationFields,
    PersonFields,
)
from contracts.models.exhibits import CustodyEvent, Exhibit
from contracts.models.intelligence import (
    Grading,
    Grading3x5x2,
    Grading5x5x5,
    IntelligenceReport,
    Regrading,
    ReportSubject,
)
from contracts.models.links import Link, LinkRole
from contracts.models.records import (
    RECORD_CLASSES,
    AnyRecord,
    parse_record,
    record_class,
    to_json_line,
)

__all__ = [
    "AnyRecord",
    "Case",
    "CaseMember",
    "CaseStatus",
    "Classification",
    "CustodyEvent",
    "Entity",
    "EntityKind",
    "EventFields",
    "Exhibit",
    "Grading",
    "Grading3x5x2",
    "Grading5x5x5",
    "Identifier",
    "IntelligenceReport",
    "Link",
    "LinkRole",
    "LocationFields",
    "Markings",
    "ObjectFields",
    "OrganisationFields",
    "PersonFields",
    "Provenance",
    "RECORD_CLASSES",
    "Record",
    "RecordType",
    "Regrading",
    "ReportSubject",
    "parse_record",
    "record_class",
    "to_json_line",
]
