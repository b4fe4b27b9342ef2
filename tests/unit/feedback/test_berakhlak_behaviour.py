"""Behaviour assessment on the BerAKHLAK values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from services.feedback.domain.behaviour import (
    AssessorRole,
    BehaviourAssessment,
    BehaviourRating,
    BehaviourThresholds,
    CoreValue,
    PeerVisibilityPolicy,
    aggregate_peer_assessments,
    propose_behaviour_rating,
)
from shared.i18n import refusal_body
from shared.refusals import Refusal


def peer(assessor_id: str, *scores: int) -> BehaviourAssessment:
    return BehaviourAssessment(AssessorRole.PEER, assessor_id, scores)


def rating_of(*scores: int, thresholds: BehaviourThresholds | None = None) -> BehaviourRating:
    profile = BehaviourAssessment(AssessorRole.RATER, "atasan", scores).profile()
    return (
        propose_behaviour_rating(profile)
        if thresholds is None
        else propose_behaviour_rating(profile, thresholds)
    )


def test_values_are_the_seven_berakhlak_values_in_acronym_order() -> None:
    assert [value.label_id for value in CoreValue] == [
        "Berorientasi Pelayanan",
        "Akuntabel",
        "Kompeten",
        "Harmonis",
        "Loyal",
        "Adaptif",
        "Kolaboratif",
    ]


def test_scores_of_three_propose_meets_expectation() -> None:
    rating = rating_of(3, 3, 3, 3, 3, 3, 3)

    assert rating is BehaviourRating.MEETS_EXPECTATION
    assert rating.label_id == "Sesuai Ekspektasi"


def test_consistently_high_scores_propose_above_expectation() -> None:
    assert rating_of(4, 4, 4, 4, 4, 4, 4) is BehaviourRating.ABOVE_EXPECTATION
    assert rating_of(5, 5, 5, 3, 3, 4, 4) is BehaviourRating.ABOVE_EXPECTATION  # mean 29/7 = 4.14


def test_one_weak_value_prevents_above_expectation_despite_a_high_mean() -> None:
    # Mean 32/7 = 4.57, but Harmonis at 2 is below "as expected".
    assert rating_of(5, 5, 5, 2, 5, 5, 5) is BehaviourRating.MEETS_EXPECTATION


def test_a_serious_lapse_on_one_value_proposes_below_expectation() -> None:
    # Mean 31/7 = 4.43 would hide an Akuntabel score of 1.
    assert rating_of(5, 1, 5, 5, 5, 5, 5) is BehaviourRating.BELOW_EXPECTATION


def test_a_low_mean_proposes_below_expectation() -> None:
    assert rating_of(3, 3, 2, 2, 3, 3, 2) is BehaviourRating.BELOW_EXPECTATION  # mean 18/7 < 3


def test_thresholds_are_configurable() -> None:
    lenient = BehaviourThresholds(above_min_mean=Fraction(7, 2))

    assert rating_of(4, 4, 4, 3, 3, 3, 4, thresholds=lenient) is BehaviourRating.ABOVE_EXPECTATION
    assert rating_of(4, 4, 4, 3, 3, 3, 4) is BehaviourRating.MEETS_EXPECTATION


def test_inconsistent_thresholds_are_refused() -> None:
    with pytest.raises(Refusal):
        BehaviourThresholds(below_mean_under=Fraction(5), above_min_mean=Fraction(4))


def test_peer_scores_stay_hidden_below_three_peers() -> None:
    assert aggregate_peer_assessments([]) is None
    assert aggregate_peer_assessments([peer("a", *[4] * 7), peer("b", *[3] * 7)]) is None


def test_peer_scores_are_pooled_from_three_peers() -> None:
    profile = aggregate_peer_assessments(
        [peer("a", 4, 4, 4, 4, 4, 4, 4), peer("b", 3, 3, 3, 3, 3, 3, 3), peer("c", 5, 3, 3, 3, 3, 3, 2)]
    )

    assert profile is not None
    assert profile.assessors == 3
    assert profile.mean(CoreValue.SERVICE_ORIENTED) == 4
    assert profile.mean(CoreValue.COLLABORATIVE) == 3
    assert profile.mean(CoreValue.ACCOUNTABLE) == Fraction(10, 3)


def test_minimum_number_of_peers_is_configurable_but_never_below_two() -> None:
    three = [peer(name, *[4] * 7) for name in "abc"]

    assert aggregate_peer_assessments(three, PeerVisibilityPolicy(minimum_peers=5)) is None
    with pytest.raises(Refusal):
        PeerVisibilityPolicy(minimum_peers=1)


def test_the_same_peer_cannot_be_counted_twice_towards_the_minimum() -> None:
    with pytest.raises(Refusal) as raised:
        aggregate_peer_assessments([peer("a", *[4] * 7), peer("a", *[4] * 7), peer("b", *[4] * 7)])

    assert raised.value.code == "feedback.behaviour.duplicate_peer"


def test_only_peer_assessments_can_be_pooled() -> None:
    self_assessment = BehaviourAssessment(AssessorRole.SELF, "me", (5,) * 7)

    with pytest.raises(Refusal):
        aggregate_peer_assessments([peer("a", *[4] * 7), peer("b", *[4] * 7), self_assessment])


def test_score_outside_one_to_five_names_the_value_in_both_languages() -> None:
    with pytest.raises(Refusal) as raised:
        BehaviourAssessment(AssessorRole.RATER, "atasan", (3, 6, 3, 3, 3, 3, 3))

    assert refusal_body(raised.value)["message_id"] == "Nilai perilaku 'Akuntabel' harus antara 1 dan 5"
    assert raised.value.message_en == "Score for core value 'accountable' must be between 1 and 5"


def test_all_seven_values_are_required() -> None:
    scores = dict.fromkeys(CoreValue, 3)
    del scores[CoreValue.LOYAL]

    with pytest.raises(Refusal) as raised:
        BehaviourAssessment.from_mapping(AssessorRole.SELF, "me", scores)

    assert raised.value.field == "scores.loyal"
