"""Achievement of one indicator: aggregations, directions, edge cases, qualitative targets."""

from datetime import UTC, datetime, timedelta, timezone
from fractions import Fraction

import pytest

from services.scoring.domain.achievement import (
    AchievementBasis,
    AchievementPolicy,
    Aggregation,
    Aspect,
    Contribution,
    ContributionError,
    Direction,
    Indicator,
    IndicatorAccumulator,
    Judgement,
    NumericTarget,
    QualitativeTarget,
    Realisation,
    achievement_ratio,
    assess_indicator,
    compute_realisation,
)

T0 = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)


def contribution(
    cid: str, quantity: int | str, *, hours: int = 0, verified: bool = True, denominator: int | None = None
) -> Contribution:
    return Contribution(
        id=cid,
        occurred_at=T0 + timedelta(hours=hours),
        quantity=Fraction(quantity),
        verified=verified,
        denominator=None if denominator is None else Fraction(denominator),
    )


def indicator(
    aggregation: Aggregation = Aggregation.SUM,
    direction: Direction = Direction.HIGHER_IS_BETTER,
    target: int | str = 100,
) -> Indicator:
    return Indicator(
        id="ind-1",
        template_code="DOC-DONE",
        aspect=Aspect.QUANTITY,
        direction=direction,
        aggregation=aggregation,
        target=NumericTarget(Fraction(target)),
    )


def test_sum_adds_every_contribution_and_tracks_the_verified_part() -> None:
    realisation = compute_realisation(
        Aggregation.SUM, [contribution("a", 30), contribution("b", 50), contribution("c", 20, verified=False)]
    )
    assert realisation.value == 100
    assert realisation.verified_value == 80
    assert realisation.verified_share == Fraction(4, 5)
    assert (realisation.contribution_count, realisation.verified_count) == (3, 2)


def test_sum_of_no_contributions_is_zero_with_no_verified_share() -> None:
    realisation = compute_realisation(Aggregation.SUM, [])
    assert realisation.value == 0
    assert realisation.verified_share is None


def test_average_is_the_exact_mean_of_quantities() -> None:
    realisation = compute_realisation(
        Aggregation.AVERAGE, [contribution("a", 10), contribution("b", 20), contribution("c", 20)]
    )
    assert realisation.value == Fraction(50, 3)


def test_average_verified_share_counts_contributions() -> None:
    realisation = compute_realisation(
        Aggregation.AVERAGE, [contribution("a", 10), contribution("b", 90, verified=False)]
    )
    assert realisation.verified_share == Fraction(1, 2)
    assert realisation.verified_value == 10


def test_last_takes_the_latest_contribution_regardless_of_input_order() -> None:
    items = [contribution("a", 7, hours=5), contribution("b", 3, hours=1), contribution("c", 9, hours=2)]
    assert compute_realisation(Aggregation.LAST, items).value == 7
    assert compute_realisation(Aggregation.LAST, list(reversed(items))).value == 7


def test_last_breaks_a_tie_in_time_by_the_larger_contribution_id() -> None:
    items = [contribution("b", 2, hours=1), contribution("a", 1, hours=1)]
    assert compute_realisation(Aggregation.LAST, items).value == 2


def test_last_compares_instants_across_time_zones() -> None:
    wib = timezone(timedelta(hours=7))
    early_but_later_on_the_clock = Contribution("a", datetime(2026, 7, 1, 14, 0, tzinfo=wib), Fraction(1))
    later = Contribution("b", datetime(2026, 7, 1, 8, 0, tzinfo=UTC), Fraction(2))
    assert compute_realisation(Aggregation.LAST, [early_but_later_on_the_clock, later]).value == 2


def test_ratio_divides_summed_numerators_by_summed_denominators() -> None:
    items = [
        contribution("a", 8, denominator=10),
        contribution("b", 1, denominator=10, verified=False),
    ]
    realisation = compute_realisation(Aggregation.RATIO, items)
    assert realisation.value == Fraction(9, 20)
    assert realisation.verified_value == Fraction(8, 10)
    assert realisation.verified_share == Fraction(1, 2)


def test_ratio_with_no_denominator_yet_has_no_value() -> None:
    assert compute_realisation(Aggregation.RATIO, [contribution("a", 0, denominator=0)]).value is None


def test_a_ratio_contribution_without_denominator_is_rejected() -> None:
    with pytest.raises(ContributionError):
        compute_realisation(Aggregation.RATIO, [contribution("a", 1)])


def test_a_sum_contribution_with_a_denominator_is_rejected() -> None:
    with pytest.raises(ContributionError):
        compute_realisation(Aggregation.SUM, [contribution("a", 1, denominator=2)])


def test_naive_timestamps_are_rejected() -> None:
    with pytest.raises(ContributionError):
        Contribution("a", datetime(2026, 7, 1), Fraction(1))


def test_negative_quantities_are_rejected() -> None:
    with pytest.raises(ContributionError):
        contribution("a", -1)


def test_a_redelivered_contribution_is_counted_once() -> None:
    realisation = compute_realisation(Aggregation.SUM, [contribution("a", 5), contribution("a", 5)])
    assert realisation.value == 5


def test_a_later_verified_copy_upgrades_an_unverified_contribution() -> None:
    realisation = compute_realisation(
        Aggregation.SUM, [contribution("a", 5, verified=False), contribution("a", 5, verified=True)]
    )
    assert realisation.verified_value == 5


def test_the_same_id_with_different_data_is_a_conflict() -> None:
    with pytest.raises(ContributionError):
        compute_realisation(Aggregation.SUM, [contribution("a", 5), contribution("a", 6)])


def test_the_accumulator_reports_whether_a_contribution_changed_anything() -> None:
    accumulator = IndicatorAccumulator(Aggregation.SUM)
    assert accumulator.add(contribution("a", 5, verified=False))
    assert not accumulator.add(contribution("a", 5, verified=False))
    assert accumulator.add(contribution("a", 5, verified=True))
    assert not accumulator.add(contribution("a", 5, verified=False))
    assert accumulator.realisation() == compute_realisation(Aggregation.SUM, [contribution("a", 5)])


def test_higher_is_better_achievement_is_realisation_over_target() -> None:
    ratio = achievement_ratio(Direction.HIGHER_IS_BETTER, Fraction(100), Fraction(90), cap=Fraction(3, 2))
    assert ratio == Fraction(9, 10)


def test_lower_is_better_achievement_is_target_over_realisation() -> None:
    # Target 15 waiting minutes, realised 20: 75 %.
    ratio = achievement_ratio(Direction.LOWER_IS_BETTER, Fraction(15), Fraction(20), cap=Fraction(3, 2))
    assert ratio == Fraction(3, 4)


def test_achievement_is_capped_so_one_indicator_cannot_mask_others() -> None:
    result = assess_indicator(indicator(), compute_realisation(Aggregation.SUM, [contribution("a", 400)]))
    assert result.achievement == Fraction(3, 2)
    assert result.capped


def test_the_cap_is_configurable() -> None:
    policy = AchievementPolicy(cap=Fraction(6, 5))
    result = assess_indicator(
        indicator(), compute_realisation(Aggregation.SUM, [contribution("a", 400)]), policy
    )
    assert result.achievement == Fraction(6, 5)


def test_an_achievement_exactly_at_the_cap_is_not_reported_as_capped() -> None:
    result = assess_indicator(indicator(), compute_realisation(Aggregation.SUM, [contribution("a", 150)]))
    assert result.achievement == Fraction(3, 2)
    assert not result.capped


def test_a_zero_target_for_higher_is_better_counts_as_met() -> None:
    result = assess_indicator(
        indicator(target=0), compute_realisation(Aggregation.SUM, [contribution("a", 7)])
    )
    assert result.achievement == 1


def test_zero_realisation_for_lower_is_better_beats_a_positive_target_up_to_the_cap() -> None:
    ind = indicator(Aggregation.AVERAGE, Direction.LOWER_IS_BETTER, target=15)
    result = assess_indicator(ind, compute_realisation(Aggregation.AVERAGE, [contribution("a", 0)]))
    assert result.achievement == Fraction(3, 2)
    assert result.capped


def test_zero_realisation_meets_a_zero_target_for_lower_is_better() -> None:
    ind = indicator(Aggregation.SUM, Direction.LOWER_IS_BETTER, target=0)
    assert assess_indicator(ind, compute_realisation(Aggregation.SUM, [])).achievement == 1


def test_any_realisation_misses_a_zero_target_for_lower_is_better() -> None:
    ind = indicator(Aggregation.SUM, Direction.LOWER_IS_BETTER, target=0)
    assert (
        assess_indicator(ind, compute_realisation(Aggregation.SUM, [contribution("a", 2)])).achievement == 0
    )


def test_an_indicator_without_data_has_no_achievement() -> None:
    ind = indicator(Aggregation.AVERAGE)
    result = assess_indicator(ind, Realisation.empty(Aggregation.AVERAGE))
    assert result.basis is AchievementBasis.NO_DATA
    assert result.achievement is None


def test_a_qualitative_target_takes_its_achievement_from_the_rater_judgement() -> None:
    ind = Indicator(
        id="q-1",
        template_code="SOP-REVISED",
        aspect=Aspect.QUALITY,
        direction=Direction.HIGHER_IS_BETTER,
        aggregation=Aggregation.SUM,
        target=QualitativeTarget("SOP pelayanan KTP direvisi dan disahkan"),
    )
    realisation = compute_realisation(Aggregation.SUM, [contribution("a", 1, verified=False)])
    judged = assess_indicator(ind, realisation, judgement=Judgement.PARTLY_MET)
    assert judged.basis is AchievementBasis.JUDGED
    assert judged.achievement == Fraction(1, 2)
    assert judged.verified_share == 1
    assert assess_indicator(ind, realisation).basis is AchievementBasis.NO_DATA


def test_a_numeric_target_cannot_be_judged() -> None:
    with pytest.raises(ValueError, match="measured"):
        assess_indicator(indicator(), Realisation.empty(Aggregation.SUM), judgement=Judgement.MET)


def test_a_realisation_from_another_aggregation_is_rejected() -> None:
    with pytest.raises(ValueError, match="aggregated"):
        assess_indicator(indicator(Aggregation.SUM), Realisation.empty(Aggregation.AVERAGE))
