"""The work plan (SKP) aggregate: life cycle, permissions, cascading links and indicator targets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.domain.indicators import Aggregation, Aspect, Direction
from services.planning.domain.work_plan import (
    Indicator,
    PeriodScheme,
    PeriodSplit,
    PlanApproved,
    PlanRejected,
    PlanRevised,
    PlanStatus,
    PlanSubmitted,
    ResultKind,
    ResultRef,
    Target,
    WorkPlan,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal
from tests.unit.planning.builders import approved_plan, documents_indicator, nip, submitted_plan, template

CLERK = nip(10)
HEAD = nip(1)
OTHER = nip(20)


def _draft() -> WorkPlan:
    return WorkPlan.start("skp-clerk-2025", CLERK, HEAD, 2025)


def _plan_with_one_result() -> tuple[WorkPlan, str]:
    plan = _draft()
    result = plan.add_result(CLERK, ResultKind.MAIN, "Dokumen kependudukan selesai")
    return plan, result.id


def _refusal_of(indicator: Indicator) -> Refusal:
    plan, result_id = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.add_indicator(CLERK, result_id, indicator)
    return refused.value


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
    plan, _ = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.approve(HEAD)
    assert refused.value.field == "status"


def test_only_the_plans_employee_may_edit_it() -> None:
    with pytest.raises(Refusal) as refused:
        _draft().add_result(HEAD, ResultKind.MAIN, "RHK atasan ditulis untuk bawahan")
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
    plan, first = _plan_with_one_result()
    plan.remove_result(CLERK, first)
    assert plan.add_result(CLERK, ResultKind.MAIN, "RHK baru").id == "R2"


def test_a_rejected_plan_is_revised_into_a_new_draft() -> None:
    plan = submitted_plan(CLERK, HEAD)
    plan.reject(HEAD, "Tambahkan indikator waktu tunggu")
    assert plan.revise(CLERK, "skp-2").status is PlanStatus.DRAFT


@pytest.mark.parametrize("submit", [False, True])
def test_only_approved_or_rejected_plans_can_be_revised(submit: bool) -> None:
    plan = submitted_plan(CLERK, HEAD) if submit else _draft()
    with pytest.raises(Refusal) as refused:
        plan.revise(CLERK, "skp-2")
    assert refused.value.code == "cannot_revise"


def test_a_plan_without_a_main_result_cannot_be_submitted() -> None:
    plan = _draft()
    result = plan.add_result(CLERK, ResultKind.ADDITIONAL, "Membantu kegiatan sosialisasi")
    plan.add_indicator(CLERK, result.id, documents_indicator())

    with pytest.raises(Refusal) as refused:
        plan.submit(CLERK)

    assert (refused.value.field, refused.value.code) == ("results", "no_main_result")
    assert plan.status is PlanStatus.DRAFT


def test_a_plan_with_a_result_without_indicators_cannot_be_submitted() -> None:
    plan = _draft()
    main = plan.add_result(CLERK, ResultKind.MAIN, "Dokumen selesai")
    plan.add_indicator(CLERK, main.id, documents_indicator())
    plan.add_result(CLERK, ResultKind.ADDITIONAL, "Pelayanan keliling")

    with pytest.raises(Refusal) as refused:
        plan.submit(CLERK)

    assert [p.field for p in refused.value.problems] == ["results[1].indicators"]


def test_an_empty_plan_reports_every_reason_it_cannot_be_submitted() -> None:
    plan = _draft()
    plan.add_result(CLERK, ResultKind.ADDITIONAL, "Pelayanan keliling")
    codes = [p.code for p in plan.completeness_problems()]
    assert codes == ["no_main_result", "no_indicator"]


def test_a_result_needs_text() -> None:
    with pytest.raises(Refusal) as refused:
        _draft().add_result(CLERK, ResultKind.MAIN, " ")
    assert refused.value.field == "results[0].text"


def test_an_unknown_result_is_reported_as_not_found() -> None:
    with pytest.raises(Refusal):
        _draft().add_indicator(CLERK, "R9", documents_indicator())


# Cascading (intervensi)


def test_a_result_may_support_a_result_of_the_raters_approved_plan() -> None:
    head_plan = approved_plan(HEAD, nip(99), plan_id="skp-head")
    plan, result_id = _plan_with_one_result()

    plan.link_result(CLERK, result_id, head_plan, "R1")

    assert plan.result(result_id).supports == ResultRef(HEAD, 2025, "R1")


def test_linking_to_a_plan_that_is_not_the_raters_is_refused() -> None:
    plan, result_id = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(OTHER, HEAD), "R1")
    assert (refused.value.field, refused.value.code) == ("results[0].supports", "not_rater_plan")


def test_linking_to_a_raters_plan_that_is_not_approved_is_refused() -> None:
    plan, result_id = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, submitted_plan(HEAD, nip(99)), "R1")
    assert refused.value.code == "rater_plan_not_approved"


def test_linking_to_the_raters_plan_of_another_year_is_refused() -> None:
    plan, result_id = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99), year=2024), "R1")
    assert refused.value.code == "other_year"


def test_linking_to_a_result_the_rater_does_not_have_is_refused() -> None:
    plan, result_id = _plan_with_one_result()
    with pytest.raises(Refusal) as refused:
        plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99)), "R7")
    assert refused.value.field == "results[0].supports"


def test_a_link_can_be_removed() -> None:
    plan, result_id = _plan_with_one_result()
    plan.link_result(CLERK, result_id, approved_plan(HEAD, nip(99)), "R1")
    plan.unlink_result(CLERK, result_id)
    assert plan.result(result_id).supports is None


# Indicators and targets


def test_an_indicator_error_names_its_dotted_path() -> None:
    plan = _draft()
    plan.add_result(CLERK, ResultKind.MAIN, "Dokumen selesai")
    second = plan.add_result(CLERK, ResultKind.MAIN, "Waktu tunggu turun")
    negative = Indicator.from_template(template("FO-AVG-WAIT-MIN"), Decimal(-5))

    with pytest.raises(Refusal) as refused:
        plan.add_indicator(CLERK, second.id, negative)

    assert (refused.value.field, refused.value.code) == ("results[1].indicators[0].target", "negative")
    assert "negatif" in refusal_body(refused.value)["message_id"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_non_finite_target_is_refused(value: str) -> None:
    error = _refusal_of(Indicator.from_template(template("FO-AVG-WAIT-MIN"), Decimal(value)))
    assert (error.field, error.code) == ("results[0].indicators[0].target", "not_finite")


def test_a_float_target_is_refused_because_money_and_counts_need_exact_decimals() -> None:
    inexact = Target(quantity=0.1, unit="menit")  # type: ignore[arg-type]
    indicator = Indicator("Waktu", Aspect.TIME, Direction.LOWER_IS_BETTER, Aggregation.AVERAGE, inexact)
    assert _refusal_of(indicator).code == "not_decimal"


def test_a_ratio_target_above_one_hundred_percent_is_refused() -> None:
    error = _refusal_of(Indicator.from_template(template("PRM-ISSUED-ON-TIME"), Decimal(101)))
    assert error.code == "out_of_range"


def test_a_qualitative_indicator_needs_a_statement_and_no_split() -> None:
    quality = template("GEN-WORK-QUALITY")
    ok = Indicator.from_template(quality, "Laporan diterima pimpinan tanpa revisi")
    plan, result_id = _plan_with_one_result()
    plan.add_indicator(CLERK, result_id, ok)

    with_number = Indicator.from_template(quality, Decimal(3))
    with_split = Indicator.from_template(
        quality, "Tanpa revisi", PeriodSplit.of(PeriodScheme.SEMESTER, {"S1": 1, "S2": 1})
    )
    assert _refusal_of(with_number).code == "qualitative_target"
    assert _refusal_of(with_split).field == "results[0].indicators[0].split"


def test_a_custom_indicator_needs_a_name_and_a_unit() -> None:
    nameless = Indicator(
        " ", Aspect.QUANTITY, Direction.HIGHER_IS_BETTER, Aggregation.SUM, Target.quantitative(5, "")
    )
    fields = [p.field for p in _refusal_of(nameless).problems]
    assert fields == ["results[0].indicators[0].name", "results[0].indicators[0].target.unit"]


def test_a_sum_split_that_adds_up_to_the_annual_target_is_accepted() -> None:
    plan, result_id = _plan_with_one_result()
    plan.add_indicator(
        CLERK, result_id, documents_indicator(1000, {"Q1": 200, "Q2": 250, "Q3": 250, "Q4": 300})
    )
    assert plan.result(result_id).indicators[0].target == Target.quantitative(1000, "dokumen")


def test_a_sum_split_that_does_not_add_up_is_refused_with_both_totals() -> None:
    error = _refusal_of(documents_indicator(1000, {"Q1": 200, "Q2": 250, "Q3": 250, "Q4": 299}))
    assert (error.field, error.code) == ("results[0].indicators[0].split", "split_sum")
    assert "999" in error.message_en
    assert "1000" in error.message_en


@pytest.mark.parametrize(
    ("split", "detail"),
    [
        ({"Q1": 300, "Q2": 300, "Q3": 400}, "missing Q4"),
        ({"Q1": 250, "Q2": 250, "Q3": 250, "Q4": 150, "Q5": 100}, "unexpected Q5"),
        ({"M01": 500, "M02": 500, "Q3": 0, "Q4": 0}, "missing Q1, Q2"),
    ],
)
def test_a_split_with_wrong_period_keys_is_refused(split: dict[str, int], detail: str) -> None:
    error = _refusal_of(documents_indicator(1000, split))
    assert error.code == "split_keys"
    assert detail in error.message_en


def test_a_negative_period_target_is_refused_at_its_period() -> None:
    error = _refusal_of(documents_indicator(1000, {"Q1": 600, "Q2": -100, "Q3": 250, "Q4": 250}))
    assert (error.field, error.code) == ("results[0].indicators[0].split.Q2", "negative")


def test_monthly_and_semester_splits_use_their_own_keys() -> None:
    assert PeriodScheme.MONTHLY.keys[0] == "M01"
    assert PeriodScheme.MONTHLY.keys[-1] == "M12"
    assert PeriodScheme.SEMESTER.keys == ("S1", "S2")
    plan, result_id = _plan_with_one_result()
    monthly = PeriodSplit.of(PeriodScheme.MONTHLY, dict.fromkeys(PeriodScheme.MONTHLY.keys, 100))
    plan.add_indicator(
        CLERK, result_id, Indicator.from_template(template("FO-DOCS-COMPLETED"), 1200, monthly)
    )


def test_an_average_period_target_outside_the_scale_is_refused() -> None:
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 3, "Q2": 5, "Q3": 3, "Q4": 3})
    error = _refusal_of(Indicator.from_template(template("HLT-PATIENT-SATISFACTION"), Decimal("3.5"), split))
    assert (error.field, error.code) == ("results[0].indicators[0].split.Q2", "out_of_range")


def test_an_average_target_outside_the_range_of_its_period_targets_is_refused() -> None:
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 20, "Q2": 18, "Q3": 15, "Q4": 12})
    error = _refusal_of(Indicator.from_template(template("FO-AVG-WAIT-MIN"), 10, split))
    assert error.code == "split_mean"


def test_an_improving_average_split_around_the_annual_target_is_accepted() -> None:
    plan, result_id = _plan_with_one_result()
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 20, "Q2": 18, "Q3": 15, "Q4": 12})
    plan.add_indicator(CLERK, result_id, Indicator.from_template(template("FO-AVG-WAIT-MIN"), 16, split))


def test_a_ratio_split_must_stay_within_zero_and_one_hundred_percent() -> None:
    split = PeriodSplit.of(PeriodScheme.SEMESTER, {"S1": Decimal("90"), "S2": Decimal("100.5")})
    error = _refusal_of(Indicator.from_template(template("KTP-ISSUED-ON-TIME"), 95, split))
    assert (error.field, error.code) == ("results[0].indicators[0].split.S2", "out_of_range")


def test_a_last_value_split_must_end_at_the_annual_target() -> None:
    level = Indicator(
        "Tingkat digitalisasi arsip",
        Aspect.QUALITY,
        Direction.HIGHER_IS_BETTER,
        Aggregation.LAST,
        Target.quantitative(80, "%"),
        PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 20, "Q2": 40, "Q3": 60, "Q4": 70}),
    )
    error = _refusal_of(level)
    assert (error.field, error.code) == ("results[0].indicators[0].split.Q4", "split_last")


@pytest.mark.parametrize(
    ("scheme", "annual", "aggregation"),
    [
        (PeriodScheme.QUARTERLY, Decimal(1001), Aggregation.SUM),
        (PeriodScheme.MONTHLY, Decimal(18), Aggregation.SUM),
        (PeriodScheme.MONTHLY, Decimal("100.5"), Aggregation.SUM),
        (PeriodScheme.SEMESTER, Decimal(90), Aggregation.RATIO),
    ],
)
def test_an_even_spread_is_always_a_valid_split(
    scheme: PeriodScheme, annual: Decimal, aggregation: Aggregation
) -> None:
    split = PeriodSplit.spread(scheme, annual, aggregation)
    indicator = Indicator(
        "Target",
        Aspect.QUANTITY,
        Direction.HIGHER_IS_BETTER,
        aggregation,
        Target.quantitative(annual, "%"),
        split,
    )
    plan, result_id = _plan_with_one_result()
    plan.add_indicator(CLERK, result_id, indicator)
    assert all(value >= 0 for value in split.as_dict().values())


def test_indicators_can_be_replaced_and_removed_by_position() -> None:
    plan, result_id = _plan_with_one_result()
    plan.add_indicator(CLERK, result_id, documents_indicator(400))
    plan.replace_indicator(CLERK, result_id, 0, documents_indicator(800))
    assert plan.result(result_id).indicators[0].target.quantity == Decimal(800)

    plan.remove_indicator(CLERK, result_id, 0)
    assert plan.result(result_id).indicators == ()
    with pytest.raises(Refusal):
        plan.remove_indicator(CLERK, result_id, 0)


@pytest.mark.parametrize("year", [1999, 2101])
def test_a_plan_year_must_be_plausible(year: int) -> None:
    with pytest.raises(Refusal) as refused:
        WorkPlan.start("skp", CLERK, HEAD, year)
    assert refused.value.field == "year"
