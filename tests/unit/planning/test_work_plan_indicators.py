"""The work plan (SKP) aggregate's indicators: targets, period splits and their refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.planning.domain.indicators import Aggregation, Aspect, Direction
from services.planning.domain.work_plan import (
    Indicator,
    PeriodScheme,
    PeriodSplit,
    ResultKind,
    Target,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal
from tests.unit.planning.builders import (
    CLERK,
    documents_indicator,
    draft_plan,
    plan_with_one_result,
    refusal_of,
    template,
)


def test_an_indicator_error_names_its_dotted_path() -> None:
    plan = draft_plan()
    plan.add_result(CLERK, ResultKind.MAIN, "Dokumen selesai")
    second = plan.add_result(CLERK, ResultKind.MAIN, "Waktu tunggu turun")
    negative = Indicator.from_template(template("FO-AVG-WAIT-MIN"), Decimal(-5))

    with pytest.raises(Refusal) as refused:
        plan.add_indicator(CLERK, second.id, negative)

    assert (refused.value.field, refused.value.code) == ("results[1].indicators[0].target", "negative")
    assert "negatif" in refusal_body(refused.value)["message_id"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_a_non_finite_target_is_refused(value: str) -> None:
    error = refusal_of(Indicator.from_template(template("FO-AVG-WAIT-MIN"), Decimal(value)))
    assert (error.field, error.code) == ("results[0].indicators[0].target", "not_finite")


def test_a_float_target_is_refused_because_money_and_counts_need_exact_decimals() -> None:
    inexact = Target(quantity=0.1, unit="menit")  # type: ignore[arg-type]
    indicator = Indicator("Waktu", Aspect.TIME, Direction.LOWER_IS_BETTER, Aggregation.AVERAGE, inexact)
    assert refusal_of(indicator).code == "not_decimal"


def test_a_ratio_target_above_one_hundred_percent_is_refused() -> None:
    error = refusal_of(Indicator.from_template(template("PRM-ISSUED-ON-TIME"), Decimal(101)))
    assert error.code == "out_of_range"


def test_a_qualitative_indicator_needs_a_statement_and_no_split() -> None:
    quality = template("GEN-WORK-QUALITY")
    ok = Indicator.from_template(quality, "Laporan diterima pimpinan tanpa revisi")
    plan, result_id = plan_with_one_result()
    plan.add_indicator(CLERK, result_id, ok)

    with_number = Indicator.from_template(quality, Decimal(3))
    with_split = Indicator.from_template(
        quality, "Tanpa revisi", PeriodSplit.of(PeriodScheme.SEMESTER, {"S1": 1, "S2": 1})
    )
    assert refusal_of(with_number).code == "qualitative_target"
    assert refusal_of(with_split).field == "results[0].indicators[0].split"


def test_a_custom_indicator_needs_a_name_and_a_unit() -> None:
    nameless = Indicator(
        " ", Aspect.QUANTITY, Direction.HIGHER_IS_BETTER, Aggregation.SUM, Target.quantitative(5, "")
    )
    fields = [p.field for p in refusal_of(nameless).problems]
    assert fields == ["results[0].indicators[0].name", "results[0].indicators[0].target.unit"]


def test_a_sum_split_that_adds_up_to_the_annual_target_is_accepted() -> None:
    plan, result_id = plan_with_one_result()
    plan.add_indicator(
        CLERK, result_id, documents_indicator(1000, {"Q1": 200, "Q2": 250, "Q3": 250, "Q4": 300})
    )
    assert plan.result(result_id).indicators[0].target == Target.quantitative(1000, "dokumen")


def test_a_sum_split_that_does_not_add_up_is_refused_with_both_totals() -> None:
    error = refusal_of(documents_indicator(1000, {"Q1": 200, "Q2": 250, "Q3": 250, "Q4": 299}))
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
    error = refusal_of(documents_indicator(1000, split))
    assert error.code == "split_keys"
    assert detail in error.message_en


def test_a_negative_period_target_is_refused_at_its_period() -> None:
    error = refusal_of(documents_indicator(1000, {"Q1": 600, "Q2": -100, "Q3": 250, "Q4": 250}))
    assert (error.field, error.code) == ("results[0].indicators[0].split.Q2", "negative")


def test_monthly_and_semester_splits_use_their_own_keys() -> None:
    assert PeriodScheme.MONTHLY.keys[0] == "M01"
    assert PeriodScheme.MONTHLY.keys[-1] == "M12"
    assert PeriodScheme.SEMESTER.keys == ("S1", "S2")
    plan, result_id = plan_with_one_result()
    monthly = PeriodSplit.of(PeriodScheme.MONTHLY, dict.fromkeys(PeriodScheme.MONTHLY.keys, 100))
    plan.add_indicator(
        CLERK, result_id, Indicator.from_template(template("FO-DOCS-COMPLETED"), 1200, monthly)
    )


def test_an_average_period_target_outside_the_scale_is_refused() -> None:
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 3, "Q2": 5, "Q3": 3, "Q4": 3})
    error = refusal_of(Indicator.from_template(template("HLT-PATIENT-SATISFACTION"), Decimal("3.5"), split))
    assert (error.field, error.code) == ("results[0].indicators[0].split.Q2", "out_of_range")


def test_an_average_target_outside_the_range_of_its_period_targets_is_refused() -> None:
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 20, "Q2": 18, "Q3": 15, "Q4": 12})
    error = refusal_of(Indicator.from_template(template("FO-AVG-WAIT-MIN"), 10, split))
    assert error.code == "split_mean"


def test_an_improving_average_split_around_the_annual_target_is_accepted() -> None:
    plan, result_id = plan_with_one_result()
    split = PeriodSplit.of(PeriodScheme.QUARTERLY, {"Q1": 20, "Q2": 18, "Q3": 15, "Q4": 12})
    plan.add_indicator(CLERK, result_id, Indicator.from_template(template("FO-AVG-WAIT-MIN"), 16, split))


def test_a_ratio_split_must_stay_within_zero_and_one_hundred_percent() -> None:
    split = PeriodSplit.of(PeriodScheme.SEMESTER, {"S1": Decimal("90"), "S2": Decimal("100.5")})
    error = refusal_of(Indicator.from_template(template("KTP-ISSUED-ON-TIME"), 95, split))
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
    error = refusal_of(level)
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
    plan, result_id = plan_with_one_result()
    plan.add_indicator(CLERK, result_id, indicator)
    assert all(value >= 0 for value in split.as_dict().values())


def test_indicators_can_be_replaced_and_removed_by_position() -> None:
    plan, result_id = plan_with_one_result()
    plan.add_indicator(CLERK, result_id, documents_indicator(400))
    plan.replace_indicator(CLERK, result_id, 0, documents_indicator(800))
    assert plan.result(result_id).indicators[0].target.quantity == Decimal(800)

    plan.remove_indicator(CLERK, result_id, 0)
    assert plan.result(result_id).indicators == ()
    with pytest.raises(Refusal):
        plan.remove_indicator(CLERK, result_id, 0)
