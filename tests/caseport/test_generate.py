"""The synthetic data generator: deterministic, exact, referentially sound, realistic, flat."""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import tracemalloc
from collections import Counter, defaultdict, deque
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from caseport.generate import (
    BLOCK_ENTITIES,
    DEFAULT_START,
    SOURCE_SYSTEM,
    GenerationStats,
    generate,
    write_jsonl,
)
from contracts.models import (
    Case,
    Classification,
    Entity,
    EntityKind,
    Exhibit,
    Grading3x5x2,
    Grading5x5x5,
    IntelligenceReport,
    Link,
    LinkRole,
    Record,
    parse_record,
    to_json_line,
)

SAMPLE_ENTITIES = 2_000
SAMPLE_SEED = 11


def _lines(entities: int, seed: int, start: datetime | None = None) -> list[str]:
    return [to_json_line(record) for record in generate(entities, seed=seed, start=start)]


@pytest.fixture(scope="module")
def sample() -> list[Record]:
    return list(generate(SAMPLE_ENTITIES, seed=SAMPLE_SEED))


@pytest.fixture(scope="module")
def entities(sample: list[Record]) -> dict[str, Entity]:
    return {record.id: record for record in sample if isinstance(record, Entity)}


@pytest.fixture(scope="module")
def links(sample: list[Record]) -> list[Link]:
    return [record for record in sample if isinstance(record, Link)]


# ---- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_lines() -> None:
    assert _lines(1_200, seed=3) == _lines(1_200, seed=3)


def test_output_does_not_depend_on_string_hashing() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the output must not."""
    script = (
        "import hashlib, io\n"
        "from caseport.generate import generate, write_jsonl\n"
        "buffer = io.StringIO()\n"
        "write_jsonl(generate(600, seed=5), buffer)\n"
        "print(hashlib.sha256(buffer.getvalue().encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    path = os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": path},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1


def test_different_seed_gives_different_data() -> None:
    first, second = _lines(1_200, seed=3), _lines(1_200, seed=4)
    assert first != second
    assert not {json.loads(line)["id"] for line in first} & {
        json.loads(line)["id"] for line in second
    }


def test_start_anchors_event_times() -> None:
    later = DEFAULT_START + timedelta(days=400)
    records = list(generate(300, seed=1, start=later))
    crimes = [r for r in records if isinstance(r, Entity) and r.subtype == "crime"]
    assert crimes
    for crime in crimes:
        assert crime.event is not None
        assert crime.event.occurred_from is not None
        assert later <= crime.event.occurred_from < later + timedelta(days=366)
    assert _lines(300, seed=1) != [to_json_line(record) for record in records]


def test_timestamps_come_from_start_not_the_clock(sample: list[Record]) -> None:
    end = DEFAULT_START + timedelta(days=400)
    for record in sample:
        assert record.created_at is not None
        assert record.created_at < end
        if not isinstance(record, IntelligenceReport):  # legacy reports predate 2014
            assert record.created_at >= DEFAULT_START


# ---- exact counts and ordering -------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 1, 7, 79, 80, 100, 499, 501, 1_234, 2_750])
def test_entity_count_is_exact(count: int) -> None:
    stats: list[GenerationStats] = []
    records = list(generate(count, seed=count, progress=stats.append))
    assert sum(isinstance(record, Entity) for record in records) == count
    if count:
        final = stats[-1]
        assert final.entities == count == final.entities_target
        assert final.records == len(records)
        assert final.links == sum(isinstance(record, Link) for record in records)


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="negative"):
        generate(-1)
    with pytest.raises(ValueError, match="timezone"):
        generate(10, start=datetime(2025, 1, 1))


def test_progress_hook_sees_every_block() -> None:
    seen: list[tuple[int, int]] = []
    stream = generate(1_600, seed=2, progress=lambda s: seen.append((s.blocks, s.entities)))
    assert not seen, "generation is lazy: nothing happens before the stream is read"
    for _ in stream:
        pass
    assert [blocks for blocks, _ in seen] == [1, 2, 3, 4]
    assert seen[-1][1] == 1_600
    assert [entities for _, entities in seen] == sorted(entities for _, entities in seen)


def test_every_reference_points_to_an_earlier_record(sample: list[Record]) -> None:
    seen_entities: set[str] = set()
    seen_cases: set[str] = set()
    ids: set[str] = set()
    for record in sample:
        assert record.id not in ids, "ids are unique"
        ids.add(record.id)
        if isinstance(record, Entity):
            seen_entities.add(record.id)
        elif isinstance(record, Link):
            assert record.source_id in seen_entities
            assert record.target_id in seen_entities
        elif isinstance(record, Case):
            assert {member.entity_id for member in record.members} <= seen_entities
            seen_cases.add(record.id)
        elif isinstance(record, IntelligenceReport):
            assert {subject.entity_id for subject in record.subjects} <= seen_entities
        else:
            assert isinstance(record, Exhibit)
            assert record.object_entity_id in seen_entities
            assert record.case_id is None or record.case_id in seen_cases


def test_links_per_entity_in_range(sample: list[Record], links: list[Link]) -> None:
    assert 2.0 <= len(links) / SAMPLE_ENTITIES <= 3.0


def test_ids_are_uuid_shaped(sample: list[Record]) -> None:
    shape = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert all(shape.match(record.id) for record in sample)


# ---- canonical JSON ------------------------------------------------------------------------


def test_every_line_parses_back_to_an_equal_record(sample: list[Record]) -> None:
    for record in sample:
        line = to_json_line(record)
        assert "\n" not in line
        parsed = parse_record(line)
        assert parsed == record
        assert to_json_line(parsed) == line


def test_write_jsonl_writes_one_canonical_line_per_record() -> None:
    buffer = io.StringIO()
    written = write_jsonl(generate(1_100, seed=6), buffer)
    lines = buffer.getvalue().split("\n")
    assert lines[-1] == ""
    assert lines[:-1] == _lines(1_100, seed=6)
    assert written == len(lines) - 1
    assert write_jsonl([], buffer) == 0


# ---- what is in the data -------------------------------------------------------------------


def test_all_kinds_and_link_types_are_present(
    sample: list[Record], entities: dict[str, Entity], links: list[Link]
) -> None:
    assert {entity.kind for entity in entities.values()} == set(EntityKind)
    subtypes = {entity.subtype for entity in entities.values()}
    assert {
        "person",
        "officer",
        "address",
        "postcode",
        "area",
        "vehicle",
        "phone",
        "email",
        "crime",
        "phone_call",
        "gang",
        "company",
    } <= subtypes
    types = {link.type for link in links}
    assert {
        "ASSOCIATE_OF",
        "FAMILY_OF",
        "LIVES_WITH",
        "RESIDES_AT",
        "WITHIN",
        "OWNS",
        "USES",
        "FROM",
        "TO",
        "PARTY_TO",
        "OCCURRED_AT",
        "INVOLVED_IN",
        "INVESTIGATED_BY",
        "MEMBER_OF",
        "EMPLOYED_BY",
    } <= types
    roles = {link.role for link in links if link.type == "PARTY_TO"}
    assert {LinkRole.SUSPECT, LinkRole.VICTIM, LinkRole.WITNESS} <= roles
    assert all(link.role is not None for link in links if link.type == "PARTY_TO")
    kinds = Counter(type(record).__name__ for record in sample)
    assert kinds["Case"]
    assert kinds["IntelligenceReport"]
    assert kinds["Exhibit"]


def test_symmetric_relations_are_undirected(entities: dict[str, Entity], links: list[Link]) -> None:
    qualifiers: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.type in {"ASSOCIATE_OF", "LIVES_WITH"}:
            assert not link.directed
        if link.type == "FAMILY_OF":
            assert link.qualifier is not None
            assert link.directed == (link.qualifier in {"parent", "grandparent"})
        if link.type in {"ASSOCIATE_OF", "FAMILY_OF"}:
            assert link.qualifier is not None
            qualifiers[link.type].add(link.qualifier)
            assert entities[link.source_id].kind is EntityKind.PERSON
            assert entities[link.target_id].kind is EntityKind.PERSON
    assert {"knows", "social_media", "phone_contact"} <= qualifiers["ASSOCIATE_OF"]
    assert {"partner", "parent", "sibling"} <= qualifiers["FAMILY_OF"]


def test_people_look_real(entities: dict[str, Entity]) -> None:
    people = [e for e in entities.values() if e.kind is EntityKind.PERSON]
    for person in people:
        fields = person.person
        assert fields is not None
        assert fields.given_names
        assert fields.family_name
        assert fields.date_of_birth is not None
        assert re.match(r"^\d{4}-\d\d-\d\d$", fields.date_of_birth)
        assert fields.gender is not None
        assert 1900 < int(fields.date_of_birth[:4]) <= DEFAULT_START.year
    officers = [p for p in people if p.subtype == "officer"]
    assert officers
    assert all(o.person and o.person.identifiers[0].scheme == "collar_number" for o in officers)


def test_locations_form_a_greater_manchester_hierarchy(
    entities: dict[str, Entity], links: list[Link]
) -> None:
    within = {link.source_id: link.target_id for link in links if link.type == "WITHIN"}
    for entity in entities.values():
        if entity.kind is not EntityKind.LOCATION:
            continue
        place = entity.location
        assert place is not None
        assert place.area_code is not None
        assert place.latitude is not None
        assert place.longitude is not None
        assert 53.2 < place.latitude < 53.8
        assert -2.9 < place.longitude < -1.8
        if entity.subtype == "address":
            postcode = entities[within[entity.id]]
            assert postcode.subtype == "postcode"
            assert postcode.location
            assert place.postcode == postcode.location.postcode
            area = entities[within[postcode.id]]
            assert area.subtype == "area"
            assert area.location
            assert area.location.area_code == place.area_code


def test_objects_carry_identifiers(entities: dict[str, Entity], links: list[Link]) -> None:
    used_or_owned = {link.target_id for link in links if link.type in {"USES", "OWNS"}}
    for entity in entities.values():
        if entity.subtype == "vehicle":
            fields = entity.object
            assert fields
            assert fields.make
            assert fields.model
            assert fields.colour
            (vrm,) = fields.identifiers
            assert vrm.scheme == "vrm"
            assert re.match(r"^[A-Z]{2}\d\d [A-Z]{3}$", vrm.value)
            assert entity.id in used_or_owned
        if entity.subtype == "phone":
            assert entity.object
            assert entity.object.identifiers[0].scheme == "msisdn"
            assert entity.object.identifiers[0].value.startswith("+447")
            assert entity.id in used_or_owned


def test_calls_and_crimes_are_events_with_participants(
    entities: dict[str, Entity], links: list[Link]
) -> None:
    ends: dict[str, set[str]] = defaultdict(set)
    for link in links:
        ends[link.source_id].add(link.type)
        if link.type in {"FROM", "TO"}:
            assert entities[link.target_id].subtype == "phone"
    categories = set()
    for entity in entities.values():
        if entity.subtype == "phone_call":
            assert entity.event
            assert entity.event.occurred_from
            assert entity.event.occurred_to
            assert {"FROM", "TO"} <= ends[entity.id]
        if entity.subtype == "crime":
            event = entity.event
            assert event
            assert event.reference
            assert event.category
            assert event.outcome
            assert event.occurred_from is not None
            assert {"OCCURRED_AT", "INVESTIGATED_BY"} <= ends[entity.id]
            categories.add(event.category)
    assert {"Burglary", "Vehicle crime", "Violence and sexual offences"} <= categories
    for link in links:
        if link.type == "INVESTIGATED_BY":
            assert entities[link.target_id].subtype == "officer"
        if link.type == "PARTY_TO":
            assert entities[link.source_id].subtype == "person"
            assert entities[link.target_id].subtype == "crime"


def test_cases_group_a_crime_with_its_parties(sample: list[Record], links: list[Link]) -> None:
    parties: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for link in links:
        if link.type == "PARTY_TO" and link.role is not None:
            parties[link.target_id].add((link.source_id, link.role.value))
    cases = [record for record in sample if isinstance(record, Case)]
    crime_cases = [case for case in cases if case.reference.startswith("CASE/")]
    assert crime_cases
    for case in crime_cases:
        (crime,) = [m.entity_id for m in case.members if m.role == "crime"]
        members = {(m.entity_id, m.role) for m in case.members}
        assert parties[crime] <= members
        assert case.officer_in_case
        assert case.opened_at
    operations = [case for case in cases if case.compartment]
    assert operations
    assert all(case.compartment in case.markings.compartments for case in operations)


def test_reports_use_both_grading_schemes(sample: list[Record]) -> None:
    reports = [record for record in sample if isinstance(record, IntelligenceReport)]
    schemes = Counter(type(report.grading) for report in reports)
    assert schemes[Grading3x5x2] > schemes[Grading5x5x5] > 0
    conditional = [
        r for r in reports if isinstance(r.grading, Grading3x5x2) and r.grading.handling_code == "C"
    ]
    assert conditional
    assert all(r.handling_conditions and r.risk_assessment_ref for r in conditional)
    assert all(r.subjects and r.source_ref and r.text for r in reports)
    regraded = [r for r in reports if r.grading_history]
    assert all(isinstance(r.grading_history[0].previous, Grading5x5x5) for r in regraded)


def test_exhibits_have_hash_and_ordered_custody(sample: list[Record]) -> None:
    exhibits = [record for record in sample if isinstance(record, Exhibit)]
    assert exhibits
    lengths = set()
    for exhibit in exhibits:
        assert exhibit.content_hash is not None
        assert re.match(r"^[0-9a-f]{64}$", exhibit.content_hash)
        assert 1 <= len(exhibit.custody) <= 3
        times = [event.at for event in exhibit.custody]
        assert times == sorted(times)
        assert exhibit.seized_at is not None
        assert exhibit.seized_at <= times[0]
        lengths.add(len(exhibit.custody))
    assert lengths == {1, 2, 3}
    assert len({exhibit.content_hash for exhibit in exhibits}) == len(exhibits)


def test_markings_and_provenance(sample: list[Record]) -> None:
    markings = Counter(record.markings for record in sample)
    official = sum(n for m, n in markings.items() if m.classification is Classification.OFFICIAL)
    assert official / len(sample) > 0.9
    assert any(m.sensitive for m in markings)
    assert any(m.caveats for m in markings)
    assert any(m.compartments for m in markings)
    for record in sample:
        (provenance,) = record.provenance
        assert provenance.source_system == SOURCE_SYSTEM
        assert provenance.method == "generated"
        assert record.created_at is not None
        assert record.updated_at is not None
        assert record.created_at <= record.updated_at


def test_suspects_are_a_few_hops_apart(entities: dict[str, Entity], links: list[Link]) -> None:
    ignored = {"WITHIN", "OCCURRED_AT", "INVESTIGATED_BY", "LOCATED_AT"}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for link in links:
        if link.type in ignored or entities[link.target_id].subtype == "police_force":
            continue
        neighbours[link.source_id].add(link.target_id)
        neighbours[link.target_id].add(link.source_id)
    suspects = sorted({link.source_id for link in links if link.role is LinkRole.SUSPECT})
    assert len(suspects) > 20

    def hops(start: str, goal: str, limit: int = 6) -> int | None:
        frontier, depth = deque([(start, 0)]), {start: 0}
        while frontier:
            node, distance = frontier.popleft()
            if node == goal:
                return distance
            if distance < limit:
                for other in neighbours[node]:
                    if other not in depth:
                        depth[other] = distance + 1
                        frontier.append((other, distance + 1))
        return None

    rng = random.Random(0)
    pairs = [rng.sample(suspects, 2) for _ in range(60)]
    reachable = sum(hops(a, b) is not None for a, b in pairs)
    assert reachable >= 0.8 * len(pairs)


# ---- memory --------------------------------------------------------------------------------


def test_memory_stays_flat_however_many_entities() -> None:
    """Memory reaches its plateau within the first blocks and stays there.

    The stream is made one block of about 500 entities at a time; anything kept per entity
    would raise the peak block after block. 25,000 entities (50 blocks) show a leak of about
    50 bytes an entity, as well as a run ten times longer would.
    """
    total, early_block = 25_000, 10
    peaks: list[int] = []
    made = 0
    tracemalloc.start()
    try:
        for record in generate(
            total, seed=1, progress=lambda _: peaks.append(tracemalloc.get_traced_memory()[1])
        ):
            made += type(record) is Entity
    finally:
        tracemalloc.stop()
    assert made == total
    assert len(peaks) == total // BLOCK_ENTITIES
    early_peak, final_peak = peaks[early_block - 1], peaks[-1]
    assert final_peak < 50 * 1024 * 1024
    assert final_peak < 1.25 * early_peak, "memory grew with the number of entities"
