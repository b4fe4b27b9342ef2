"""Satisfaction survey (SKM): NRR, IKM, grade and improvement priorities."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.feedback.domain.satisfaction import (
    GradeBand,
    GradeScale,
    SatisfactionGrade,
    ServiceItem,
    SurveyAggregate,
    SurveyResponse,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal

# Four respondents, hand-worked below.
HAND_WORKED = (
    SurveyResponse((4, 4, 3, 3, 4, 3, 4, 3, 2)),
    SurveyResponse((3, 3, 3, 4, 4, 3, 4, 3, 2)),
    SurveyResponse((4, 3, 3, 4, 4, 4, 4, 3, 3)),
    SurveyResponse((3, 3, 2, 4, 4, 3, 4, 3, 3)),
)


def test_items_are_the_nine_unsur_in_regulation_order() -> None:
    assert [item.label_id for item in ServiceItem] == [
        "persyaratan",
        "sistem, mekanisme, dan prosedur",
        "waktu pelayanan",
        "biaya/tarif",
        "produk spesifikasi jenis pelayanan",
        "kompetensi pelaksana",
        "perilaku pelaksana",
        "sarana dan prasarana",
        "penanganan pengaduan, saran dan masukan",
    ]


def test_nrr_is_the_mean_score_of_each_item() -> None:
    aggregate = SurveyAggregate.of(HAND_WORKED)

    # Item sums 14, 13, 11, 15, 16, 13, 16, 12, 10 over 4 respondents.
    assert [result.nrr for result in aggregate.item_results()] == [
        Fraction(7, 2),
        Fraction(13, 4),
        Fraction(11, 4),
        Fraction(15, 4),
        Fraction(4),
        Fraction(13, 4),
        Fraction(4),
        Fraction(3),
        Fraction(5, 2),
    ]


def test_weighted_nrr_is_nrr_times_exactly_one_ninth() -> None:
    aggregate = SurveyAggregate.of(HAND_WORKED)

    assert aggregate.weighted_nrr(ServiceItem.REQUIREMENTS) == Fraction(7, 2) / 9


def test_index_of_hand_worked_example_is_83_33_grade_b() -> None:
    # Sum of NRR = 120 / 4 = 30; IKM = 30 x 1/9 x 25 = 250/3 = 83.333...
    index = SurveyAggregate.of(HAND_WORKED).index()

    assert index.exact == Fraction(250, 3)
    assert index.rounded == Decimal("83.33")
    assert index.grade is SatisfactionGrade.B
    assert index.grade.label_id == "Baik"
    assert index.respondents == 4


def test_index_is_100_when_everyone_gives_4_and_25_when_everyone_gives_1() -> None:
    best = SurveyAggregate.of([SurveyResponse((4,) * 9)] * 3).index()
    worst = SurveyAggregate.of([SurveyResponse((1,) * 9)] * 3).index()

    assert (best.exact, best.grade) == (Fraction(100), SatisfactionGrade.A)
    assert (worst.exact, worst.grade) == (Fraction(25), SatisfactionGrade.D)


def test_index_uses_exact_one_ninth_weight_not_rounded_0_111() -> None:
    # With S the sum of the nine NRR, the exact index rounds to >= 88.31 (grade A) when
    # S x 25/9 >= 88.305, i.e. S >= 31.7898; the 0.111-weighted index only when
    # S x 2.775 >= 88.305, i.e. S >= 31.8216. Any S in [31.7898, 31.8216) separates them; ten
    # respondents with item sums 36,36,36,36,35,35,35,35,34 (total 318) give S = 31.8.
    #   exact:  318/10 x 1/9 x 25 = 88.333... -> 88.33 -> A (>= 88.31)
    #   0.111:  31.8 x 0.111 x 25 = 88.245    -> 88.25 -> B (<  88.31)
    sums = (36, 36, 36, 36, 35, 35, 35, 35, 34)
    # Respondent r gives 4 on an item while r < (sum - 30), else 3, reproducing those sums.
    responses = [SurveyResponse(tuple(4 if r < total - 30 else 3 for total in sums)) for r in range(10)]
    aggregate = SurveyAggregate.of(responses)
    assert aggregate.score_sums == sums

    index = aggregate.index()
    rounded_weight_index = (
        sum((aggregate.nrr(item) * Fraction("0.111") for item in ServiceItem), Fraction(0)) * 25
    )

    assert index.exact == Fraction(265, 3)
    assert index.grade is SatisfactionGrade.A
    assert rounded_weight_index == Fraction("88.245")
    assert GradeScale().grade_of(rounded_weight_index) is SatisfactionGrade.B


@pytest.mark.parametrize(
    ("exact", "rounded", "grade"),
    [
        (Fraction("100"), "100.00", SatisfactionGrade.A),
        (Fraction("88.305"), "88.31", SatisfactionGrade.A),
        (Fraction("88.3049"), "88.30", SatisfactionGrade.B),
        (Fraction("76.61"), "76.61", SatisfactionGrade.B),
        (Fraction("76.605"), "76.61", SatisfactionGrade.B),
        (Fraction("76.6049"), "76.60", SatisfactionGrade.C),
        (Fraction("64.995"), "65.00", SatisfactionGrade.C),
        (Fraction("64.9949"), "64.99", SatisfactionGrade.D),
        (Fraction("25"), "25.00", SatisfactionGrade.D),
    ],
)
def test_values_between_table_boundaries_are_rounded_half_up_to_two_decimals_then_classified(
    exact: Fraction, rounded: str, grade: SatisfactionGrade
) -> None:
    scale = GradeScale()

    assert scale.round(exact) == Decimal(rounded)
    assert scale.grade_of(exact) is grade


def test_a_region_may_configure_its_own_grade_table() -> None:
    strict = GradeScale(
        bands=(
            GradeBand(SatisfactionGrade.A, Decimal("90.00")),
            GradeBand(SatisfactionGrade.B, Decimal("80.00")),
            GradeBand(SatisfactionGrade.C, Decimal("70.00")),
            GradeBand(SatisfactionGrade.D, Decimal("25.00")),
        )
    )

    assert SurveyAggregate.of(HAND_WORKED).index(strict).grade is SatisfactionGrade.B
    assert strict.grade_of(Fraction(89)) is SatisfactionGrade.B


@pytest.mark.parametrize(
    "bands",
    [
        (),
        (GradeBand(SatisfactionGrade.D, Decimal("25")), GradeBand(SatisfactionGrade.A, Decimal("88.31"))),
        (GradeBand(SatisfactionGrade.A, Decimal("88.31")), GradeBand(SatisfactionGrade.D, Decimal("30"))),
        (GradeBand(SatisfactionGrade.A, Decimal("88.31")), GradeBand(SatisfactionGrade.A, Decimal("25"))),
    ],
)
def test_grade_table_must_be_descending_unique_and_cover_25(bands: tuple[GradeBand, ...]) -> None:
    with pytest.raises(Refusal):
        GradeScale(bands=bands)


def test_improvement_priorities_are_lowest_nrr_first_with_ties_in_regulation_order() -> None:
    aggregate = SurveyAggregate.of(HAND_WORKED)

    lowest = aggregate.improvement_priorities(limit=5)

    assert [result.item for result in lowest] == [
        ServiceItem.COMPLAINT_HANDLING,  # 2.5
        ServiceItem.COMPLETION_TIME,  # 2.75
        ServiceItem.FACILITIES,  # 3.0
        ServiceItem.PROCEDURE,  # 3.25, before staff competence (also 3.25) by regulation order
        ServiceItem.STAFF_COMPETENCE,
    ]


def test_incremental_aggregate_can_be_merged_from_partial_counters() -> None:
    left = SurveyAggregate.of(HAND_WORKED[:1])
    right = SurveyAggregate.of(HAND_WORKED[1:])

    assert left.merge(right) == SurveyAggregate.of(HAND_WORKED)


def test_empty_survey_has_no_index() -> None:
    with pytest.raises(Refusal) as raised:
        SurveyAggregate().index()

    assert raised.value.code == "feedback.survey.no_respondents"


def test_score_outside_1_to_4_names_the_item_in_indonesian_and_english() -> None:
    scores = dict.fromkeys(ServiceItem, 3)
    scores[ServiceItem.COMPLETION_TIME] = 5

    with pytest.raises(Refusal) as raised:
        SurveyResponse.from_mapping(scores)

    error = raised.value
    assert error.code == "feedback.score_out_of_range"
    assert error.field == "scores.completion_time"
    assert refusal_body(error)["message_id"] == "Nilai unsur 'waktu pelayanan' harus antara 1 dan 4"
    assert error.message_en == "Score for item 'completion time' must be between 1 and 4"


@pytest.mark.parametrize("bad", [0, 5, -1])
def test_response_refuses_scores_outside_1_to_4(bad: int) -> None:
    with pytest.raises(Refusal):
        SurveyResponse((3, 3, 3, 3, bad, 3, 3, 3, 3))


@pytest.mark.parametrize("bad", [3.5, True, "4"])
def test_response_refuses_scores_that_are_not_whole_numbers(bad: object) -> None:
    with pytest.raises(Refusal) as raised:
        SurveyResponse((3, 3, 3, 3, bad, 3, 3, 3, 3))  # type: ignore[arg-type]

    assert raised.value.code == "feedback.survey.score_not_integer"


def test_response_requires_all_nine_items() -> None:
    scores = dict.fromkeys(ServiceItem, 3)
    del scores[ServiceItem.COST]

    with pytest.raises(Refusal) as raised:
        SurveyResponse.from_mapping(scores)

    assert raised.value.field == "scores.cost"
    with pytest.raises(Refusal):
        SurveyResponse((3,) * 8)


def test_aggregate_refuses_sums_no_set_of_responses_could_produce() -> None:
    with pytest.raises(Refusal):
        SurveyAggregate((9,) * 9, respondents=2)


responses = st.builds(SurveyResponse, st.tuples(*[st.integers(1, 4)] * 9))


@given(st.lists(responses, min_size=1, max_size=40))
def test_index_always_lies_between_25_and_100(answers: list[SurveyResponse]) -> None:
    index = SurveyAggregate.of(answers).index()

    assert 25 <= index.exact <= 100
    assert Decimal(25) <= index.rounded <= Decimal(100)


@given(st.lists(responses, max_size=30), st.lists(responses, min_size=1, max_size=30))
def test_incremental_and_merged_aggregates_equal_recomputation_from_all_responses(
    first: list[SurveyResponse], second: list[SurveyResponse]
) -> None:
    incremental = SurveyAggregate()
    for response in first + second:
        incremental = incremental.add(response)
    recomputed = SurveyAggregate.of(first + second)

    assert incremental == recomputed
    assert SurveyAggregate.of(first).merge(SurveyAggregate.of(second)) == recomputed
    assert incremental.index() == recomputed.index()
