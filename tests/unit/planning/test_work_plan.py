"""The work plan (SKP) aggregate: life cycle, permissions and cascading links.

Its indicators, targets and period splits are tested in ``test_work_plan_indicators.py``.
"""

from __future__ import annotations

import pytest

from services.planning.domain.work_plan import (
    PlanApproved,
    PlanRejected,
    PlanRevised,
    PlanStatus,
    PlanSubmitted,
    ResultKind,
    ResultRef,
    WorkPlan,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal
from tests.unit.planning.builders import (
    CLERK,
    HEAD,
    OTHER,
    approved_plan,
    documents_indicator,
    draft_plan,
    nip,
    plan_with_one_result,
    submitted_plan,
)

# Life cycle


def test_a_complete_plan_goes_from_draft_through_submitted_to_approved() -> None:
    plan = submitted_plan(CLERK, HEAD)
    statuses = [plan.status]

    plan.approve(HEAD)

    assert [*statuses, plan.status] == [PlanStatus.SUBMITTED, PlanStatus.APPROVED]
    assert [type(event) for event in plan.pull_events()] == [PlanSubmitted, PlanApproved]
    assert plan.pull_events() == ()


def test_the_rater_rejects_a_plan_with_a_reason() -> None:
    plan = submitted_plan(CLERK, HEAD)

    plan.reject(HEAD, "  Target dokumen terlalu rendah dibanding tahun lalu ")

    assert plan.status is PlanStatus.REJECTED
    assert plan.rejection_reason == "Target dokumen terlalu rendah dibanding tahun lalu"
    assert isinstance(plan.pull_events()[-1], PlanRejected)


def test_a_rejection_without_a_reason_is_refused() -> None:
    plan = submitted_plan(CLERK, HEAD)
    with pytest.raises(Refusal) as refused:
        plan.reject(HEAD, "   ")
    assert refused.value.field == "rejection_reason"
    assert plan.status is PlanStatus.SUBMITTED


def test_nobody_may_approve_their_own_plan() -> None:
    plan = submitted_plan(HEAD, HEAD)
    with pytest.raises(Refusal) as refused:
        plan.approve(HEAD)
    assert refused.value.code == "self_approval"
    assert "sendiri" in refusal_body(refused.value)["message_id"]


def test_only_the_plans_rater_may_approve_or_reject_it() -> None:
    plan = submitted_plan(CLERK, HEAD)
    with pytest.raises(Refusal) as approve_refused:
        plan.approve(OTHER)
    with pytest.raises(Refusal) as reject_refused:
        plan.reject(OTHER, "Tidak sesuai")
    assert approve_refused.value.code == reject_refused.value.code == "not_rater"


def test_the_employee_cannot_approve_their_plan_even_when_submitted_to_someone_else() -> None:
    with pytest.raises(Refusal):
        submitted_plan(CLERK, HEAD).approve(CLERK)


def test_a_draft_cannot_be_approved_before_it_is_submitted() -> None:
    plan, _ = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.approve(HEAD)
    assert refused.value.field == "status"


def test_only_the_plans_employee_may_edit_it() -> None:
    with pytest.raises(Refusal) as refused:
        draft_plan().add_result(HEAD, ResultKind.MAIN, "RHK atasan ditulis untuk bawahan")
    assert refused.value.code == "not_plan_owner"


@pytest.mark.parametrize("status", [PlanStatus.SUBMITTED, PlanStatus.APPROVED])
def test_a_plan_that_is_not_a_draft_cannot_be_edited(status: PlanStatus) -> None:
    plan = submitted_plan(CLERK, HEAD)
    if status is PlanStatus.APPROVED:
        plan.approve(HEAD)
    result_id = plan.results[0].id

    with pytest.raises(Refusal) as refused:
        plan.edit_result(CLERK, result_id, text="Diubah setelah disetujui")

    assert refused.value.code == "cannot_edit"
    assert plan.results[0].text == "Layanan dokumen kependudukan selesai tepat waktu"


def test_revising_an_approved_plan_opens_a_new_draft_version_with_the_same_content() -> None:
    approved = approved_plan(CLERK, HEAD)

    revision = approved.revise(CLERK, "skp-2")

    assert (revision.id, revision.version, revision.status) == ("skp-2", 2, PlanStatus.DRAFT)
    assert revision.previous_plan_id == approved.id
    assert revision.results == approved.results
    assert approved.status is PlanStatus.APPROVED
    assert revision.pull_events() == (PlanRevised("skp-2", approved.id, CLERK, 2025, 2),)


def test_a_revision_can_be_edited_while_the_approved_version_stays_untouched() -> None:
    approved = approved_plan(CLERK, HEAD)
    revision = approved.revise(CLERK, "skp-2", rater=OTHER)

    added = revision.add_result(CLERK, ResultKind.ADDITIONAL, "Membantu pelayanan keliling")

    assert added.id == "R2"
    assert revision.rater == OTHER
    assert len(approved.results) == 1


def test_result_ids_are_never_reused_after_a_removal() -> None:
    plan, first = plan_with_one_result()
    plan.remove_result(CLERK, first)
    assert plan.add_result(CLERK, ResultKind.MAIN, "RHK baru").id == "R2"


def test_a_rejected_plan_is_revised_into_a_newdraft_plan() -> None:
    plan = submitted_plan(CLERK, HEAD)
    plan.reject(HEAD, "Tambahkan indikator waktu tunggu")
    assert plan.revise(CLERK, "skp-2").status is PlanStatus.DRAFT


@pytest.mark.parametrize("submit", [False, True])
def test_only_approved_or_rejected_plans_can_be_revised(submit: bool) -> None:
    plan = submitted_plan(CLERK, HEAD) if submit else draft_plan()
    with pytest.raises(Refusal) as refused:
        plan.revise(CLERK, "skp-2")
    assert refused.value.code == "cannot_revise"


def test_a_plan_without_a_main_result_cannot_be_submitted() -> None:
    plan = draft_plan()
    result = plan.add_result(CLERK, ResultKind.ADDITIONAL, "Membantu kegiatan sosialisasi")
    plan.add_indicator(CLERK, result.id, documents_indicator())

    with pytest.raises(Refusal) as refused:
        plan.submit(CLERK)

    assert (refused.value.field, refused.value.code) == ("results", "no_main_result")
    assert plan.status is PlanStatus.DRAFT


def test_a_plan_with_a_result_without_indicators_cannot_be_submitted() -> None:
    plan = draft_plan()
    main = plan.add_result(CLERK, ResultKind.MAIN, "Dokumen selesai")
    plan.add_indicator(CLERK, main.id, documents_indicator())
    plan.add_result(CLERK, ResultKind.ADDITIONAL, "Pelayanan keliling")

    with pytest.raises(Refusal) as refused:
        plan.submit(CLERK)

    assert [p.field for p in refused.value.problems] == ["results[1].indicators"]


def test_an_empty_plan_reports_every_reason_it_cannot_be_submitted() -> None:
    plan = draft_plan()
    plan.add_result(CLERK, ResultKind.ADDITIONAL, "Pelayanan keliling")
    codes = [p.code for p in plan.completeness_problems()]
    assert codes == ["no_main_result", "no_indicator"]


def test_a_result_needs_text() -> None:
    with pytest.raises(Refusal) as refused:
        draft_plan().add_result(CLERK, ResultKind.MAIN, " ")
    assert refused.value.field == "results[0].text"


def test_an_unknown_result_is_reported_as_not_found() -> None:
    with pytest.raises(Refusal):
        draft_plan().add_indicator(CLERK, "R9", documents_indicator())


@pytest.mark.parametrize("year", [1999, 2101])
def test_a_plan_year_must_be_plausible(year: int) -> None:
    with pytest.raises(Refusal) as refused:
        WorkPlan.start("skp", CLERK, HEAD, year)
    assert refused.value.field == "year"


# Cascading (intervensi)


def test_a_result_may_support_a_result_of_the_raters_approved_plan() -> None:
    head_plan = approved_plan(HEAD, nip(99), plan_id="skp-head")
    plan, result_id = plan_with_one_result()

    plan.link_result(CLERK, result_id, head_plan, "R1")

    assert plan.result(result_id).supports == ResultRef(HEAD, 2025, "R1")


def test_linking_to_a_plan_that_is_not_the_raters_is_refused() -> None:
    plan, result_id = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(OTHER, HEAD), "R1")
    assert (refused.value.field, refused.value.code) == ("results[0].supports", "not_rater_plan")


def test_linking_to_a_raters_plan_that_is_not_approved_is_refused() -> None:
    plan, result_id = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, submitted_plan(HEAD, nip(99)), "R1")
    assert refused.value.code == "rater_plan_not_approved"


def test_linking_to_the_raters_plan_of_another_year_is_refused() -> None:
    plan, result_id = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99), year=2024), "R1")
    assert refused.value.code == "other_year"


def test_linking_to_a_result_the_rater_does_not_have_is_refused() -> None:
    plan, result_id = plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99)), "R7")
    assert refused.value.field == "results[0].supports"


def test_a_link_can_be_removed() -> None:
    plan, result_id = plan_with_one_result()
    plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99)), "R1")
    plan.unlink_result(CLERK, result_id)
    assert plan.result(result_id).supports is None
