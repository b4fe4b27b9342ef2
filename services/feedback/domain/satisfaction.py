"""Citizen satisfaction survey (Survei Kepuasan Masyarakat, SKM) after PermenPANRB 14/2017.

Arithmetic is exact (``fractions.Fraction``) all the way to the index; rounding happens once,
at the end, to the two decimals the regulation's grade table is written in.

Boundary convention: the regulation's grade table uses converted values with two decimals
(88.31-100 A, 76.61-88.30 B, ...), leaving gaps such as 88.30 < x < 88.31 uncovered. We round
the exact IKM to two decimals half-up and classify the rounded value, so 88.305 -> 88.31 -> A
and 88.3049... -> 88.30 -> B. Both the exact and the rounded IKM are exposed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Final

from shared.labels import LabelledEnum
from shared.refusals import Refusal

MIN_SCORE: Final = 1
MAX_SCORE: Final = 4
# The converted index is the mean score times 25, so it spans 25..100.
CONVERSION_FACTOR: Final = 25


class ServiceItem(LabelledEnum):
    """Survey item (unsur pelayanan), declared in the order of PermenPANRB 14/2017; its Indonesian
    label is the item's name as printed in the regulation."""

    REQUIREMENTS = "requirements", "persyaratan", "requirements"
    PROCEDURE = "procedure", "sistem, mekanisme, dan prosedur", "procedure"
    COMPLETION_TIME = "completion_time", "waktu pelayanan", "completion time"
    COST = "cost", "biaya/tarif", "cost/tariff"
    PRODUCT_SPECIFICATION = (
        "product_specification",
        "produk spesifikasi jenis pelayanan",
        "product specification",
    )
    STAFF_COMPETENCE = "staff_competence", "kompetensi pelaksana", "staff competence"
    STAFF_BEHAVIOUR = "staff_behaviour", "perilaku pelaksana", "staff behaviour"
    FACILITIES = "facilities", "sarana dan prasarana", "facilities"
    COMPLAINT_HANDLING = "complaint_handling", "penanganan pengaduan, saran dan masukan", "complaint handling"

    @property
    def position(self) -> int:
        """Zero-based position in regulation order."""
        return _ITEM_POSITIONS[self]


_ITEM_POSITIONS: Final[Mapping[ServiceItem, int]] = {item: i for i, item in enumerate(ServiceItem)}
ITEM_COUNT: Final = len(_ITEM_POSITIONS)
# Equal weight per item; kept as an exact fraction because 0.111 shifts grades (see tests).
ITEM_WEIGHT: Final = Fraction(1, ITEM_COUNT)


def _validated_score(item: ServiceItem, score: object) -> int:
    # bool is an int subclass; a True slipping through as "1" would be a silent data bug.
    if not isinstance(score, int) or isinstance(score, bool):
        raise Refusal(
            "feedback.survey.score_not_integer",
            "Score for item '%(item)s' must be a whole number",
            field=f"scores.{item.value}",
            params={"item": item.label},
        )
    if not MIN_SCORE <= score <= MAX_SCORE:
        raise Refusal(
            "feedback.score_out_of_range",
            "Score for item '%(item)s' must be between %(low)s and %(high)s",
            field=f"scores.{item.value}",
            params={"item": item.label, "low": MIN_SCORE, "high": MAX_SCORE},
        )
    return score


@dataclass(frozen=True)
class SurveyResponse:
    """One respondent's answers (kuesioner SKM): nine scores 1..4 in regulation order."""

    scores: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.scores) != ITEM_COUNT:
            raise Refusal(
                "feedback.survey.wrong_item_count",
                "A response must have %(expected)s item scores, not %(count)s",
                field="scores",
                params={"expected": ITEM_COUNT, "count": len(self.scores)},
            )
        for item, score in zip(ServiceItem, self.scores, strict=True):
            _validated_score(item, score)

    @classmethod
    def from_mapping(cls, scores: Mapping[ServiceItem, int]) -> SurveyResponse:
        """Build a response from scores keyed by item; every one of the nine items is required."""
        ordered: list[int] = []
        for item in ServiceItem:
            if item not in scores:
                raise Refusal(
                    "feedback.missing_value",
                    "'score for item %(item)s' is required",
                    field=f"scores.{item.value}",
                    params={"item": item.label},
                )
            ordered.append(_validated_score(item, scores[item]))
        return cls(tuple(ordered))

    def score(self, item: ServiceItem) -> int:
        """The score given to one item."""
        return self.scores[item.position]


class SatisfactionGrade(LabelledEnum):
    """Service quality grade (mutu pelayanan) derived from the IKM; its labels name the unit's
    performance (kinerja unit pelayanan)."""

    A = "A", "Sangat Baik", "Very good"
    B = "B", "Baik", "Good"
    C = "C", "Kurang Baik", "Poor"
    D = "D", "Tidak Baik", "Very poor"


@dataclass(frozen=True)
class GradeBand:
    """A grade and the lowest rounded IKM that earns it."""

    grade: SatisfactionGrade
    lower_bound: Decimal


def _default_bands() -> tuple[GradeBand, ...]:
    return (
        GradeBand(SatisfactionGrade.A, Decimal("88.31")),
        GradeBand(SatisfactionGrade.B, Decimal("76.61")),
        GradeBand(SatisfactionGrade.C, Decimal("65.00")),
        GradeBand(SatisfactionGrade.D, Decimal("25.00")),
    )


@dataclass(frozen=True)
class GradeScale:
    """Grade table for the IKM; a region may configure its own (wrap it in ``Dated``)."""

    bands: tuple[GradeBand, ...] = field(default_factory=_default_bands)
    decimals: int = 2

    def __post_init__(self) -> None:
        bounds = [band.lower_bound for band in self.bands]
        grades = [band.grade for band in self.bands]
        # Classification walks bands top-down, so order and coverage of the floor are invariants.
        if not bounds or bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
            raise Refusal(
                "feedback.invalid_configuration",
                "Grade lower bounds must be distinct and in descending order",
                field="bands",
            )
        if len(set(grades)) != len(grades):
            raise Refusal("feedback.invalid_configuration", "Each grade may appear only once", field="bands")
        if bounds[-1] > MIN_SCORE * CONVERSION_FACTOR:
            raise Refusal(
                "feedback.invalid_configuration", "The lowest grade must cover an index of 25", field="bands"
            )
        if self.decimals < 0:
            raise Refusal(
                "feedback.invalid_configuration", "Number of decimals must not be negative", field="decimals"
            )

    def round(self, exact: Fraction) -> Decimal:
        """Round an exact index half-up to the scale's decimals (exactly, without float)."""
        scaled = exact * 10**self.decimals
        # floor(x + 1/2) is half-up for the positive values an index can take.
        return Decimal(math.floor(scaled + Fraction(1, 2))).scaleb(-self.decimals)

    def grade_of(self, exact: Fraction) -> SatisfactionGrade:
        """Grade of an exact index: round half-up first, then classify the rounded value."""
        rounded = self.round(exact)
        for band in self.bands:
            if rounded >= band.lower_bound:
                return band.grade
        raise Refusal(
            "feedback.survey.index_below_scale",
            "Index %(rounded)s lies below the grade table",
            field="index",
            params={"rounded": rounded},
        )


DEFAULT_GRADE_SCALE: Final = GradeScale()


@dataclass(frozen=True)
class ItemResult:
    """Per-item result: NRR (nilai rata-rata unsur) and NRR tertimbang (NRR x 1/9)."""

    item: ServiceItem
    nrr: Fraction

    @property
    def weighted_nrr(self) -> Fraction:
        """NRR times the item's exact weight 1/9."""
        return self.nrr * ITEM_WEIGHT


@dataclass(frozen=True)
class SatisfactionIndex:
    """IKM (Indeks Kepuasan Masyarakat) of one unit and period."""

    exact: Fraction
    rounded: Decimal
    grade: SatisfactionGrade
    respondents: int


@dataclass(frozen=True)
class SurveyAggregate:
    """Running totals of a survey (per unit and period), updated one response at a time."""

    score_sums: tuple[int, ...] = (0,) * ITEM_COUNT
    respondents: int = 0

    def __post_init__(self) -> None:
        if len(self.score_sums) != ITEM_COUNT or self.respondents < 0:
            raise Refusal(
                "feedback.survey.invalid_aggregate", "Survey aggregate is inconsistent", field="score_sums"
            )
        # A stored aggregate must be reachable from real responses, or every mean is suspect.
        low, high = MIN_SCORE * self.respondents, MAX_SCORE * self.respondents
        if any(not low <= total <= high for total in self.score_sums):
            raise Refusal(
                "feedback.survey.invalid_aggregate",
                "Item score sums do not match the number of respondents",
                field="score_sums",
            )

    @classmethod
    def of(cls, responses: Iterable[SurveyResponse]) -> SurveyAggregate:
        """Aggregate computed from scratch from all responses."""
        aggregate = cls()
        for response in responses:
            aggregate = aggregate.add(response)
        return aggregate

    def add(self, response: SurveyResponse) -> SurveyAggregate:
        """A new aggregate including one more response."""
        sums = tuple(total + score for total, score in zip(self.score_sums, response.scores, strict=True))
        return SurveyAggregate(sums, self.respondents + 1)

    def merge(self, other: SurveyAggregate) -> SurveyAggregate:
        """Combine two disjoint aggregates (e.g. two counters, or two quarters into a year)."""
        sums = tuple(a + b for a, b in zip(self.score_sums, other.score_sums, strict=True))
        return SurveyAggregate(sums, self.respondents + other.respondents)

    def _require_respondents(self) -> None:
        if self.respondents == 0:
            raise Refusal(
                "feedback.survey.no_respondents", "The survey has no respondents yet", field="respondents"
            )

    def nrr(self, item: ServiceItem) -> Fraction:
        """NRR (mean score) of one item."""
        self._require_respondents()
        return Fraction(self.score_sums[item.position], self.respondents)

    def weighted_nrr(self, item: ServiceItem) -> Fraction:
        """NRR of one item times 1/9 (NRR tertimbang)."""
        return self.nrr(item) * ITEM_WEIGHT

    def item_results(self) -> tuple[ItemResult, ...]:
        """NRR of every item, in regulation order."""
        return tuple(ItemResult(item, self.nrr(item)) for item in ServiceItem)

    def exact_index(self) -> Fraction:
        """IKM = (sum of NRR x 1/9) x 25, as an exact fraction."""
        return sum((result.weighted_nrr for result in self.item_results()), Fraction(0)) * CONVERSION_FACTOR

    def index(self, scale: GradeScale = DEFAULT_GRADE_SCALE) -> SatisfactionIndex:
        """IKM with its rounded value and grade under the given scale."""
        exact = self.exact_index()
        return SatisfactionIndex(exact, scale.round(exact), scale.grade_of(exact), self.respondents)

    def improvement_priorities(self, limit: int = 3) -> tuple[ItemResult, ...]:
        """Lowest-scoring items first (ties in regulation order): where to improve service."""
        if limit < 0:
            raise Refusal("feedback.invalid_value", "Limit must not be negative", field="limit")
        ranked = sorted(self.item_results(), key=lambda result: (result.nrr, result.item.position))
        return tuple(ranked[:limit])
