"""Employee-period achievement across planned results (RHK) with its breakdown."""

from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.achievement import (
    AchievementBasis,
    Aggregation,
    Aspect,
    Contribution,
    Direction,
    Indicator,
    IndicatorAchievement,
    NumericTarget,
    assess_indicator,
    compute_realisation,
)
from services.scoring.domain.performance import (
    EmployeeAchievementPolicy,
    MainWeighting,
    PlannedResult,
    ResultKind,
    _weighted_mean,
    assess_employee,
)

T0 = datetime(2026, 7, 1, tzinfo=UTC)


def ind(iid: str, target: int = 100) -> Indicator:
    return Indicator(
        iid,
        f"T-{iid}",
        Aspect.QUANTITY,
        Direction.HIGHER_IS_BETTER,
        Aggregation.SUM,
        NumericTarget(Fraction(target)),
    )


def achieved(indicator: Indicator, quantity: int, *, verified: bool = True) -> IndicatorAchievement:
    realisation = compute_realisation(
        Aggregation.SUM, [Contribution(f"{indicator.id}-c", T0, Fraction(quantity), verified=verified)]
    )
    return assess_indicator(indicator, realisation)


A, B, C, X = ind("a"), ind("b"), ind("c"), ind("x")
PLAN = (
    PlannedResult("rhk-1", ResultKind.MAIN, (A, B), title="Dokumen kependudukan terbit"),
    PlannedResult("rhk-2", ResultKind.MAIN, (C,), title="Pengaduan tertangani"),
    PlannedResult("rhk-3", ResultKind.ADDITIONAL, (X,), title="Narasumber sosialisasi"),
)


def test_main_achievement_defaults_to_the_mean_over_all_main_indicators() -> None:
    result = assess_employee(PLAN, {i.id: achieved(i, q) for i, q in [(A, 100), (B, 80), (C, 60)]})
    assert result.main_achievement == Fraction(240, 300)
    assert result.additional_bonus == 0
    assert result.achievement == Fraction(4, 5)


def test_per_result_weighting_averages_each_result_first() -> None:
    policy = EmployeeAchievementPolicy(main_weighting=MainWeighting.PER_RESULT)
    result = assess_employee(PLAN, {i.id: achieved(i, q) for i, q in [(A, 100), (B, 80), (C, 60)]}, policy)
    assert result.main_achievement == (Fraction(9, 10) + Fraction(6, 10)) / 2


def test_additional_results_only_add_a_small_capped_bonus() -> None:
    achievements = {i.id: achieved(i, q) for i, q in [(A, 100), (B, 100), (C, 100), (X, 150)]}
    result = assess_employee(PLAN, achievements)
    assert result.additional_bonus == Fraction(1, 20)
    assert result.achievement == Fraction(21, 20)

    generous = EmployeeAchievementPolicy(
        bonus_per_additional_result=Fraction(1, 2), max_additional_bonus=Fraction(1, 5)
    )
    assert assess_employee(PLAN, achievements, generous).additional_bonus == Fraction(1, 5)


def test_an_indicator_without_data_counts_as_zero_by_default() -> None:
    result = assess_employee(PLAN, {i.id: achieved(i, 90) for i in (A, C)})
    assert result.main_achievement == Fraction(180, 300)
    missing = result.results[0].indicators[1]
    assert missing.basis is AchievementBasis.NO_DATA


def test_an_indicator_without_data_can_be_left_out_instead() -> None:
    policy = EmployeeAchievementPolicy(missing_counts_as_zero=False)
    result = assess_employee(PLAN, {i.id: achieved(i, 90) for i in (A, C)}, policy)
    assert result.main_achievement == Fraction(9, 10)


def test_the_breakdown_lists_each_result_and_indicator_with_its_numbers() -> None:
    result = assess_employee(PLAN, {i.id: achieved(i, q) for i, q in [(A, 100), (B, 80), (C, 60), (X, 10)]})
    assert [b.result.id for b in result.results] == ["rhk-1", "rhk-2", "rhk-3"]
    first = result.results[0]
    assert first.achievement == Fraction(9, 10)
    assert [(i.indicator.id, i.realisation.value, i.achievement) for i in first.indicators] == [
        ("a", Fraction(100), Fraction(1)),
        ("b", Fraction(80), Fraction(4, 5)),
    ]
    assert [i.indicator.id for i in result.indicators()] == ["a", "b", "c", "x"]


def test_verified_share_is_the_weighted_mean_over_main_indicators() -> None:
    achievements = {A.id: achieved(A, 100), B.id: achieved(B, 100, verified=False), C.id: achieved(C, 100)}
    assert assess_employee(PLAN, achievements).verified_share == Fraction(2, 3)


def test_an_achievement_for_a_different_indicator_is_rejected() -> None:
    with pytest.raises(ValueError, match="different indicator"):
        assess_employee(PLAN, {A.id: achieved(ind("a", target=5), 1)})


def test_a_plan_without_main_results_has_no_achievement() -> None:
    result = assess_employee(PLAN[2:], {X.id: achieved(X, 100)})
    assert result.achievement is None


fractions = st.fractions(min_value=0, max_value=10, max_denominator=10_000)
weights = st.fractions(min_value=Fraction(1, 1000), max_value=50, max_denominator=1000)


@given(st.lists(st.tuples(fractions, weights), max_size=12))
def test_a_weighted_mean_is_exactly_the_fractions_one(pairs: list[tuple[Fraction, Fraction]]) -> None:
    total_weight = sum((weight for _, weight in pairs), Fraction(0))
    expected = sum((v * w for v, w in pairs), Fraction(0)) / total_weight if total_weight else None
    mean = _weighted_mean(pairs)
    assert mean == expected
    assert mean is None or (type(mean) is Fraction and mean.denominator > 0)
