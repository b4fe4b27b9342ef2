"""Survey sample adequacy after Krejcie & Morgan (1970), as used by PermenPANRB 14/2017.

n = chi2 * N * P(1 - P) / (d^2 (N - 1) + chi2 * P(1 - P)), computed exactly.

Rounding: the default is CEILING (never report a sample as adequate when it is a fraction of
a respondent short), which gives 100 -> 80, 1 000 -> 278, 1 000 000 -> 384. The published
Krejcie & Morgan table itself rounds to the NEAREST integer (e.g. N = 50 -> 44, where the
ceiling gives 45); a region that wants to match the printed table configures NEAREST.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Final

from shared.refusals import Refusal


class SampleSizeRounding(StrEnum):
    """How the fractional sample size becomes a whole number of respondents."""

    CEILING = "ceiling"
    NEAREST = "nearest"


@dataclass(frozen=True)
class SampleSizeParameters:
    """Krejcie & Morgan parameters: chi-square (1 df, 95%), population proportion, margin of error."""

    chi_square: Fraction = Fraction("3.841")
    proportion: Fraction = Fraction(1, 2)
    margin_of_error: Fraction = Fraction(1, 20)
    rounding: SampleSizeRounding = SampleSizeRounding.CEILING

    def __post_init__(self) -> None:
        valid = self.chi_square > 0 and 0 < self.proportion < 1 and 0 < self.margin_of_error < 1
        if not valid:
            raise Refusal(
                "feedback.invalid_configuration",
                "Sample size parameters are not valid",
                field="sample_size_parameters",
            )


DEFAULT_SAMPLE_SIZE_PARAMETERS: Final = SampleSizeParameters()


def exact_sample_size(
    population: int, parameters: SampleSizeParameters = DEFAULT_SAMPLE_SIZE_PARAMETERS
) -> Fraction:
    """Required sample size before rounding, as an exact fraction."""
    if population < 1:
        raise Refusal(
            "feedback.invalid_value", "Population of service users must be at least 1", field="population"
        )
    variance = parameters.proportion * (1 - parameters.proportion)
    numerator = parameters.chi_square * population * variance
    denominator = parameters.margin_of_error**2 * (population - 1) + parameters.chi_square * variance
    return numerator / denominator


def required_sample_size(
    population: int, parameters: SampleSizeParameters = DEFAULT_SAMPLE_SIZE_PARAMETERS
) -> int:
    """Minimum number of respondents for a population of service users N."""
    exact = exact_sample_size(population, parameters)
    if parameters.rounding is SampleSizeRounding.NEAREST:
        return math.floor(exact + Fraction(1, 2))
    return math.ceil(exact)


@dataclass(frozen=True)
class SampleAdequacy:
    """Whether a survey's respondents are enough for its population, and by how many it falls short."""

    population: int
    respondents: int
    required: int

    @property
    def is_adequate(self) -> bool:
        """True when the survey has at least the required number of respondents."""
        return self.respondents >= self.required

    @property
    def shortfall(self) -> int:
        """Respondents still missing (0 when adequate)."""
        return max(0, self.required - self.respondents)


def assess_sample(
    respondents: int, population: int, parameters: SampleSizeParameters = DEFAULT_SAMPLE_SIZE_PARAMETERS
) -> SampleAdequacy:
    """Compare a respondent count with the size required for the population."""
    if respondents < 0:
        raise Refusal(
            "feedback.invalid_value", "Number of respondents must not be negative", field="respondents"
        )
    return SampleAdequacy(population, respondents, required_sample_size(population, parameters))
