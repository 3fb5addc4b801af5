"""Records, markings and provenance: what every record holds and how faithfully it is kept."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import AlreadyExists, ValidationFailed
from contracts.models.common import Classification, Markings, Provenance, Record, RecordType
from contracts.models.entities import Entity, EntityKind
from contracts.models.links import Link
from contracts.models.records import parse_record, to_json_line
from contracts.query import Eq, In, SearchQuery
from contracts.store import CaseStore

_RECORDS: list[tuple[RecordType, Callable[[], Record], tuple[Capability, ...]]] = [
    (RecordType.ENTITY, lambda: data.entity("rec-1"), ()),
    (RecordType.LINK, lambda: data.link("rec-1", "a", "b"), ()),
    (RecordType.CASE, lambda: data.case("rec-1", [("a", "suspect")]), (Capability.CASES,)),
    (
        RecordType.INTELLIGENCE_REPORT,
        lambda: data.report("rec-1", subjects=()),
        (Capability.INTELLIGENCE_REPORTS,),
    ),
    (RecordType.EXHIBIT, lambda: data.exhibit("rec-1"), (Capability.EXHIBITS,)),
]


@pytest.mark.requirement("REC-001", "REC-002")
@pytest.mark.parametrize(
    ("record_type", "build"),
    [
        pytest.param(kind, build, marks=pytest.mark.capability(*needs), id=kind.value)
        for kind, build, needs in _RECORDS
    ],
)
def test_every_record_type_is_kept_and_read_back_unchanged(
    store: CaseStore, record_type: RecordType, build: Callable[[], Record]
) -> None:
    """Each of the five record types is stored and read back equal to what create returned."""
    store.create(data.entity("a"))
    store.create(data.entity("b"))
    created = store.create(build())
    stored = store.get(type(created), "rec-1")
    assert stored == created
    assert stored.RECORD_TYPE is record_type
    assert stored.model_dump()["record_type"] == record_type.value


@pytest.mark.requirement("REC-003")
@pytest.mark.layer_only(
    "parse_record and revise refuse the content in the models, before any store call"
)
def test_unknown_fields_and_coerced_values_are_refused(store: CaseStore) -> None:
    """Invalid content is refused by parse_record and revise; valid JSON parses back."""
    stored = store.create(data.entity("e-1"))
    line = json.loads(to_json_line(stored))
    with pytest.raises(ValidationFailed):
        parse_record(json.dumps({**line, "nickname": "Smudge"}))
    with pytest.raises(ValidationFailed):
        parse_record(json.dumps({**line, "version": "1"}))
    with pytest.raises(ValidationFailed):
        stored.revise(label=7)
    with pytest.raises(ValidationFailed):
        stored.revise(kind="person")
    with pytest.raises(ValueError, match="frozen"):
        setattr(stored, "label", "changed")  # noqa: B010 -- the point is that it is refused
    assert parse_record(json.dumps(line)) == stored


@pytest.mark.requirement("REC-004")
def test_datetimes_are_kept_as_the_same_instant_in_utc(store: CaseStore) -> None:
    """A datetime written in another zone reads back as the same instant, in UTC."""
    cest = timezone(timedelta(hours=2))
    start = datetime(2024, 3, 1, 11, 30, tzinfo=cest)
    stored = store.create(data.event("ev-1", start, datetime(2024, 3, 1, 12, 0, tzinfo=cest)))
    got = store.get(Entity, "ev-1")
    assert got == stored
    assert got.event is not None
    assert got.event.occurred_from == data.at(0.5)
    assert got.event.occurred_from is not None
    assert got.event.occurred_from.utcoffset() == timedelta(0)
    assert got.created_at is not None
    assert got.created_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationFailed):
        got.revise(event={"occurred_from": datetime(2024, 3, 1, 9, 0)})


@pytest.mark.requirement("REC-005")
def test_text_is_returned_code_point_for_code_point(store: CaseStore) -> None:
    """Whitespace, case, quotes, markup, emoji and decomposed letters come back untouched."""
    label = '  O\'Brien "Bob" <b>Ünïcødé</b> 👮 e\u0301 \\ %_ \t '
    description = "line one\r\nline two\n\u200b zero width, ALL CAPS, trailing  "
    stored = store.create(data.entity("e-1", label=label, description=description))
    got = store.get(Entity, "e-1")
    assert got.label == label
    assert got.description == description
    assert got == stored


@pytest.mark.requirement("REC-005", "ERR-003")
@pytest.mark.layer_only("revise refuses the text in the model, before any store call")
def test_text_with_nul_bytes_or_lone_surrogates_is_refused(store: CaseStore) -> None:
    """NUL bytes and lone surrogates are refused, and the stored record stays as it was."""
    stored = store.create(data.entity("e-1"))
    for bad in ("nul\x00byte", "lone \ud800 surrogate"):
        with pytest.raises(ValidationFailed):
            stored.revise(label=bad)
        with pytest.raises(ValidationFailed):
            stored.revise(description=bad)
    assert store.get(Entity, "e-1") == stored


@pytest.mark.requirement("REC-006")
def test_properties_keep_their_types(store: CaseStore) -> None:
    """Integers, floats, booleans, strings and tuples of them come back with their types."""
    properties = {
        "count": 1,
        "ratio": 1.0,
        "flag": True,
        "code": "1",
        "tags": ("a", "b"),
        "mixed": (1, "1", True, 1.5),
        "big": 9_007_199_254_740_993,
        "small": -0.000123,
    }
    store.create(data.entity("e-1", properties=properties))
    got = store.get(Entity, "e-1").properties
    assert got == properties
    assert [type(got[name]) for name in ("count", "ratio", "flag", "code", "big", "small")] == [
        int,
        float,
        bool,
        str,
        int,
        float,
    ]
    mixed = got["mixed"]
    assert isinstance(mixed, tuple)
    assert [type(value) for value in mixed] == [int, str, bool, float]


@pytest.mark.requirement("REC-007")
def test_every_stored_record_round_trips_through_canonical_json(store: CaseStore) -> None:
    """to_json_line then parse_record gives back each record read from the store."""
    store.create(
        data.entity(
            "p-1",
            aliases=("Smudge",),
            person={"given_names": ("Ann",), "family_name": "Smith", "date_of_birth": "1980"},
            properties={"height_cm": 170, "score": 0.5},
            markings=Markings(classification=Classification.SECRET, caveats=("UK EYES ONLY",)),
        )
    )
    store.create(data.entity("p-2"))
    store.create(data.link("l-1", "p-1", "p-2", confidence=0.25, valid_from=data.at(1)))
    for record in (store.get(Entity, "p-1"), store.get(Entity, "p-2")):
        assert parse_record(to_json_line(record)) == record
    link = store.get(Link, "l-1")
    assert parse_record(to_json_line(link)) == link


# ---------------------------------------------------------------------------------- markings


@pytest.mark.requirement("MARK-001", "MARK-003")
def test_markings_default_to_official_and_are_kept_exactly(store: CaseStore) -> None:
    """Default markings are OFFICIAL; full markings survive create and update unchanged."""
    plain = store.create(data.entity("e-1"))
    assert store.get(Entity, "e-1").markings == Markings()
    assert plain.markings.classification is Classification.OFFICIAL
    assert plain.markings.sensitive is False
    full = Markings(
        classification=Classification.OFFICIAL,
        sensitive=True,
        caveats=("UK EYES ONLY",),
        compartments=("OP_KESTREL",),
        handling_instructions="Do not disclose to third parties.",
        legacy_gpms="RESTRICTED",
    )
    store.create(data.entity("e-2", markings=full))
    assert store.get(Entity, "e-2").markings == full
    assert full.label == "OFFICIAL-SENSITIVE [UK EYES ONLY]"
    secret = Markings(classification=Classification.TOP_SECRET, compartments=("OP_X",))
    store.update(plain.revise(markings=secret), expected_version=1)
    assert store.get(Entity, "e-1").markings == secret


@pytest.mark.requirement("MARK-002")
def test_caveats_and_compartments_are_sorted_and_unique(store: CaseStore) -> None:
    """Caveats and compartments come back sorted without repeats, however they were given."""
    given = Markings(caveats=("UK EYES ONLY", "B", "B", "A"), compartments=("Z", "Y", "Z"))
    store.create(data.entity("e-1", markings=given))
    markings = store.get(Entity, "e-1").markings
    assert markings.caveats == ("A", "B", "UK EYES ONLY")
    assert markings.compartments == ("Y", "Z")
    same = Markings(caveats=("A", "UK EYES ONLY", "B"), compartments=("Y", "Z"))
    assert store.create(data.entity("e-1", markings=same)) == store.get(Entity, "e-1")


@pytest.mark.requirement("MARK-003", "BULK-001")
@pytest.mark.capability(Capability.BULK_UPSERT)
def test_markings_survive_bulk_upsert(store: CaseStore) -> None:
    """Markings written by upsert_many read back exactly."""
    marked = Markings(
        classification=Classification.SECRET, sensitive=True, caveats=("UK EYES ONLY",)
    )
    store.upsert_many([data.entity("e-1", markings=marked)])
    assert store.get(Entity, "e-1").markings == marked


@pytest.mark.requirement("MARK-004")
def test_markings_combined_from_stored_records_are_kept_on_the_derived_record(
    store: CaseStore,
) -> None:
    """Markings read back combine as MARK-004 says, and the derived record keeps the result.

    ``Markings.combine`` is the layer's, not the adapter's; what the store adds is returning
    each source's markings intact and keeping the combined ones, whose handling instructions
    hold a line break, on the record derived from them.
    """
    sources = {
        "src-a": Markings(
            classification=Classification.SECRET,
            caveats=("UK EYES ONLY",),
            compartments=("OP_X",),
            handling_instructions="Do not copy.",
            legacy_gpms="RESTRICTED",
        ),
        "src-b": Markings(
            sensitive=True,
            caveats=("LE ONLY",),
            compartments=("OP_Y", "OP_X"),
            handling_instructions="Do not copy.",
        ),
        "src-c": Markings(handling_instructions="Brief the SIO first."),
    }
    for entity_id, markings in sources.items():
        store.create(data.entity(entity_id, markings=markings))
    read_back = [store.get(Entity, entity_id).markings for entity_id in ("src-c", "src-a", "src-b")]
    expected = Markings(
        classification=Classification.SECRET,
        sensitive=True,
        caveats=("LE ONLY", "UK EYES ONLY"),
        compartments=("OP_X", "OP_Y"),
        handling_instructions="Brief the SIO first.\nDo not copy.",
    )
    combined = Markings.combine(*read_back)
    assert combined == expected
    store.create(data.entity("derived", markings=combined))
    assert store.get(Entity, "derived").markings == expected


@pytest.mark.requirement("MARK-005", "SRCH-005")
@pytest.mark.capability(Capability.SEARCH_FILTER)
def test_entities_can_be_searched_by_their_markings(store: CaseStore) -> None:
    """Classification, sensitivity, caveats and compartments are search fields."""
    store.create(data.entity("m-a"))
    store.create(
        data.entity(
            "m-b",
            markings=Markings(
                classification=Classification.SECRET,
                sensitive=True,
                caveats=("UK EYES ONLY",),
                compartments=("OP_X",),
            ),
        )
    )
    store.create(
        data.entity(
            "m-c",
            markings=Markings(
                classification=Classification.TOP_SECRET, compartments=("OP_X", "OP_Y")
            ),
        )
    )

    def found(condition: Eq | In) -> list[str]:
        return [e.id for e in store.search(SearchQuery(filter=condition)).items]

    assert found(Eq("markings.classification", "SECRET")) == ["m-b"]
    assert found(In("markings.classification", ("OFFICIAL", "TOP_SECRET"))) == ["m-a", "m-c"]
    assert found(Eq("markings.sensitive", True)) == ["m-b"]
    assert found(Eq("markings.caveats", "UK EYES ONLY")) == ["m-b"]
    assert found(Eq("markings.compartments", "OP_X")) == ["m-b", "m-c"]
    assert found(Eq("markings.compartments", "OP_Y")) == ["m-c"]


# -------------------------------------------------------------------------------- provenance


def _provenance() -> tuple[Provenance, ...]:
    return (
        Provenance(
            source_system="records-management",
            source_record_id="RMS/2024/000123",
            source_dataset="nominals",
            collected_at=data.at(-24),
            collected_by="PC 4321",
            method="import",
            lawful_basis="DPA 2018 s.35, law enforcement purposes",
            transform="rms-to-caseport 2.1",
        ),
        Provenance(source_system="analyst-notebook", method="manual"),
    )


@pytest.mark.requirement("PROV-001")
def test_provenance_entries_are_kept_in_the_order_given(store: CaseStore) -> None:
    """Every provenance field and the order of the entries survive the store."""
    given = _provenance()
    store.create(data.entity("e-1", provenance=given))
    store.create(data.entity("e-2", provenance=tuple(reversed(given))))
    assert store.get(Entity, "e-1").provenance == given
    assert store.get(Entity, "e-2").provenance == tuple(reversed(given))
    assert Provenance(source_system="x").method == "manual"


@pytest.mark.requirement("PROV-002", "ID-007")
def test_a_repeated_create_differing_in_provenance_or_markings_is_a_clash(
    store: CaseStore,
) -> None:
    """Provenance and markings are content: changing either makes a repeat an AlreadyExists."""
    stored = store.create(data.entity("e-1", kind=EntityKind.OBJECT))
    with pytest.raises(AlreadyExists):
        store.create(data.entity("e-1", kind=EntityKind.OBJECT, provenance=_provenance()))
    with pytest.raises(AlreadyExists):
        store.create(
            data.entity(
                "e-1",
                kind=EntityKind.OBJECT,
                markings=Markings(classification=Classification.SECRET),
            )
        )
    assert store.get(Entity, "e-1") == stored
