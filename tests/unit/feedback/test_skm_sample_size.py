"""Survey sample adequacy (Krejcie & Morgan)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.feedback.domain.sampling import (
    SampleSizeParameters,
    SampleSizeRounding,
    assess_sample,
    exact_sample_size,
    required_sample_size,
)
from shared.refusals import Refusal


@pytest.mark.parametrize(("population", "required"), [(100, 80), (1_000, 278), (1_000_000, 384)])
def test_required_sample_matches_the_regulation_examples(population: int, required: int) -> None:
    assert required_sample_size(population) == required


def test_required_sample_is_rounded_up_by_default() -> None:
    # 100 users: 3.841 x 100 x 0.25 / (0.0025 x 99 + 3.841 x 0.25) = 96.025 / 1.20775 = 79.507...
    assert exact_sample_size(100) == Fraction("96.025") / Fraction("1.20775")
    assert required_sample_size(100) == 80


@pytest.mark.parametrize(
    ("population", "published"),
    [(10, 10), (50, 44), (100, 80), (500, 217), (1_000, 278), (75_000, 382), (1_000_000, 384)],
)
def test_nearest_rounding_reproduces_the_published_krejcie_morgan_table(
    population: int, published: int
) -> None:
    nearest = SampleSizeParameters(rounding=SampleSizeRounding.NEAREST)

    assert required_sample_size(population, nearest) == published


def test_ceiling_and_published_table_differ_where_the_fraction_is_below_one_half() -> None:
    # 50 users need 44.34 respondents: the printed table says 44, the safe default 45.
    assert required_sample_size(50) == 45


def test_adequacy_reports_the_shortfall() -> None:
    short = assess_sample(respondents=250, population=1_000)
    enough = assess_sample(respondents=300, population=1_000)

    assert (short.required, short.is_adequate, short.shortfall) == (278, False, 28)
    assert (enough.is_adequate, enough.shortfall) == (True, 0)


def test_adequacy_is_reached_exactly_at_the_required_count() -> None:
    assert assess_sample(respondents=80, population=100).is_adequate


def test_population_and_respondents_must_be_sensible() -> None:
    with pytest.raises(Refusal):
        required_sample_size(0)
    with pytest.raises(Refusal):
        assess_sample(respondents=-1, population=100)
    with pytest.raises(Refusal):
        SampleSizeParameters(margin_of_error=Fraction(0))


def test_ceiling_reaches_385_only_beyond_about_1_47_million_users() -> None:
    # The exact size tends to chi2 x P(1-P) / d^2 = 384.1; it passes 384 at N > 1 471 104.
    assert required_sample_size(1_471_104) == 384
    assert required_sample_size(1_471_105) == 385


@given(st.integers(min_value=1, max_value=10**12))
def test_required_sample_never_exceeds_the_population_nor_the_infinite_population_limit(
    population: int,
) -> None:
    exact = exact_sample_size(population)

    assert exact < Fraction("384.1")
    assert 1 <= required_sample_size(population) <= min(population, 385)
