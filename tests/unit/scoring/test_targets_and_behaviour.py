"""Period targets from annual ones, and the behaviour rating from a BerAKHLAK assessment."""

from fractions import Fraction

from services.scoring.domain.achievement import Aggregation
from services.scoring.domain.behaviour import behaviour_rating, value_ratings
from services.scoring.domain.periods import Period, PeriodKind
from services.scoring.domain.rating import BehaviourValue, Rating
from services.scoring.domain.targets import period_target

Q3 = Period(2026, PeriodKind.QUARTERLY, 3)


def test_a_sum_target_without_a_split_is_spread_over_the_year() -> None:
    assert period_target(Aggregation.SUM, Fraction(400), {}, Q3) == 100


def test_the_plans_own_split_wins() -> None:
    assert period_target(Aggregation.SUM, Fraction(400), {"2026-Q3": Fraction(70)}, Q3) == 70


def test_levels_keep_their_annual_target_in_every_period() -> None:
    for aggregation in (Aggregation.AVERAGE, Aggregation.LAST, Aggregation.RATIO):
        assert period_target(aggregation, Fraction(15), {}, Q3) == 15


def test_the_year_keeps_the_annual_target_and_qualitative_targets_have_none() -> None:
    assert period_target(Aggregation.SUM, Fraction(400), {}, Period(2026, PeriodKind.YEAR)) == 400
    assert period_target(Aggregation.SUM, None, {}, Q3) is None


def test_an_assessments_own_proposal_wins_over_its_scores() -> None:
    assert behaviour_rating("above_expectation", {"loyal": 1}) is Rating.ABOVE


def test_scores_alone_give_the_rating_by_their_mean_where_three_is_as_expected() -> None:
    assert behaviour_rating(None, {"loyal": 3, "adaptive": 3}) is Rating.MEETS
    assert behaviour_rating(None, {"loyal": 5, "adaptive": 3}) is Rating.ABOVE
    assert behaviour_rating(None, {"loyal": 2, "adaptive": 3}) is Rating.BELOW
    assert behaviour_rating(None, {"unknown": 5}) is None


def test_each_value_is_rated_for_development_plans() -> None:
    assert value_ratings({"service_oriented": 2, "collaborative": 4}) == {
        BehaviourValue.BERORIENTASI_PELAYANAN: Rating.BELOW,
        BehaviourValue.KOLABORATIF: Rating.ABOVE,
    }
