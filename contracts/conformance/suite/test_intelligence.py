"""Intelligence reports: gradings that name their scheme and a history that only grows."""

from __future__ import annotations

import pytest

from contracts.capabilities import Capability
from contracts.conformance.suite import data
from contracts.errors import ValidationFailed
from contracts.models.intelligence import (
    Grading,
    Grading3x5x2,
    Grading5x5x5,
    IntelligenceReport,
    Regrading,
    ReportSubject,
)
from contracts.store import CaseStore

pytestmark = pytest.mark.capability(Capability.INTELLIGENCE_REPORTS)


@pytest.mark.requirement("INTEL-001")
def test_a_report_is_stored_with_every_field(store: CaseStore) -> None:
    """Every field, a text of 1,000,000 characters included, reads back."""
    text = ("Subject seen at the depot; 👀 «quote» — " * 40_000)[:1_000_000]
    full = data.report(
        "ir-1",
        originating_unit="Force Intelligence Bureau",
        source_ref="SRC-7f3a",
        text=text,
        subjects=(
            ReportSubject(entity_id="p-1"),
            ReportSubject(entity_id="v-1", role="vehicle"),
        ),
        sanitised=True,
        handling_conditions="Not for onward dissemination.",
        risk_assessment_ref="RA/2024/17",
        fact_or_assessment="fact",
    )
    created = store.create(full)
    got = store.get(IntelligenceReport, "ir-1")
    assert got == created
    assert len(got.text) == 1_000_000
    assert got.text == text
    assert [subject.role for subject in got.subjects] == ["subject", "vehicle"]
    assert store.create(data.report("ir-2")).fact_or_assessment == "assessment"


@pytest.mark.requirement("INTEL-002")
@pytest.mark.parametrize(
    ("grading", "code"),
    [
        (data.GRADE_1AP, "1AP"),
        (
            Grading3x5x2(source_evaluation="3", intelligence_assessment="E", handling_code="C"),
            "3EC",
        ),
        (data.GRADE_B35, "B35"),
        (
            Grading5x5x5(source_evaluation="E", intelligence_evaluation="1", handling_code="1"),
            "E11",
        ),
    ],
    ids=["1AP", "3EC", "B35", "E11"],
)
def test_a_grading_keeps_its_scheme(store: CaseStore, grading: Grading, code: str) -> None:
    """A grade reads back in the scheme it was written in, never converted."""
    store.create(data.report("ir-1", grading=grading, handling_conditions="Share with FIB only."))
    got = store.get(IntelligenceReport, "ir-1").grading
    assert got == grading
    assert type(got) is type(grading)
    assert (got.scheme, got.code) == (grading.scheme, code)


@pytest.mark.requirement("INTEL-002")
def test_handling_code_c_needs_handling_conditions(store: CaseStore) -> None:
    """A 3x5x2 grade with handling code C is refused without handling conditions."""
    stored = store.create(data.report("ir-1"))
    conditional = Grading3x5x2(
        source_evaluation="2", intelligence_assessment="B", handling_code="C"
    )
    with pytest.raises(ValidationFailed):
        stored.revise(grading=conditional)
    with pytest.raises(ValidationFailed):
        stored.revise(grading={"scheme": "3x5x2", "source_evaluation": "4"})
    allowed = stored.revise(grading=conditional, handling_conditions="FIB only")
    assert store.update(allowed.revise(grading=data.GRADE_1AP), expected_version=1).version == 2


@pytest.mark.requirement("INTEL-003")
def test_a_regrade_appends_the_previous_grade(store: CaseStore) -> None:
    """Re-grading stores the new grade and one history entry holding the old one."""
    stored = store.create(data.report("ir-1"))
    regraded = stored.regraded(
        data.GRADE_2BP, by="DS 1234", rationale="second source", at=data.at(5)
    )
    updated = store.update(regraded, expected_version=1)
    got = store.get(IntelligenceReport, "ir-1")
    assert got == updated
    assert got.grading == data.GRADE_2BP
    assert got.grading_history == (
        Regrading(
            previous=data.GRADE_1AP,
            changed_at=data.at(5),
            changed_by="DS 1234",
            rationale="second source",
        ),
    )


@pytest.mark.requirement("INTEL-003", "ERR-003")
def test_a_change_of_grade_without_history_is_refused(store: CaseStore) -> None:
    """Changing the grade without exactly one matching history entry fails."""
    stored = store.create(data.report("ir-1"))
    with pytest.raises(ValidationFailed):
        store.update(stored.revise(grading=data.GRADE_2BP), expected_version=1)
    wrong_previous = Regrading(
        previous=data.GRADE_B35, changed_at=data.at(1), changed_by="DS 1", rationale="x"
    )
    with pytest.raises(ValidationFailed):
        store.update(
            stored.revise(grading=data.GRADE_2BP, grading_history=(wrong_previous,)),
            expected_version=1,
        )
    assert store.get(IntelligenceReport, "ir-1") == stored


@pytest.mark.requirement("INTEL-004")
def test_the_grading_history_only_grows_with_a_change_of_grade(store: CaseStore) -> None:
    """History entries cannot be removed, altered or added without a change of grade."""
    stored = store.create(data.report("ir-1"))
    once = store.update(
        stored.regraded(data.GRADE_2BP, by="DS 1", rationale="first", at=data.at(1)),
        expected_version=1,
    )
    entry = once.grading_history[0]
    altered = entry.model_copy(update={"rationale": "rewritten"})
    extra = Regrading(
        previous=data.GRADE_2BP, changed_at=data.at(2), changed_by="DS 2", rationale="none"
    )
    for history in ((), (altered,), (entry, extra)):
        with pytest.raises(ValidationFailed):
            store.update(once.revise(grading_history=history), expected_version=2)
    assert store.get(IntelligenceReport, "ir-1") == once
    twice = store.update(
        once.regraded(data.GRADE_1AP, by="DS 2", rationale="back", at=data.at(2)),
        expected_version=2,
    )
    assert [past.previous for past in twice.grading_history] == [data.GRADE_1AP, data.GRADE_2BP]


@pytest.mark.requirement("INTEL-005")
def test_a_regrade_may_change_the_scheme(store: CaseStore) -> None:
    """A legacy 5x5x5 report re-evaluated under 3x5x2 keeps its old grade unconverted."""
    stored = store.create(data.report("ir-1", grading=data.GRADE_B35))
    updated = store.update(
        stored.regraded(data.GRADE_2BP, by="DS 1", rationale="re-evaluated", at=data.at(1)),
        expected_version=1,
    )
    got = store.get(IntelligenceReport, "ir-1")
    assert got == updated
    assert got.grading == data.GRADE_2BP
    previous = got.grading_history[0].previous
    assert isinstance(previous, Grading5x5x5)
    assert previous == data.GRADE_B35


@pytest.mark.requirement("INTEL-006")
@pytest.mark.layer_only(
    "the record model gives a source no field; the store only keeps the opaque handle"
)
def test_a_report_holds_an_opaque_source_handle_and_no_source_name(store: CaseStore) -> None:
    """Only ``source_ref`` refers to a source, and it comes back exactly as given."""
    handle = "SRC:7f3a-09"
    stored = store.create(data.report("ir-1", source_ref=handle))
    assert store.get(IntelligenceReport, "ir-1").source_ref == handle
    for field in ("source", "source_name", "informant"):
        with pytest.raises(ValidationFailed):
            stored.revise(**{field: "Jane Doe"})
