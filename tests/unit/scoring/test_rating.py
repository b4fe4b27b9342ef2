"""Results-rating proposal, and the rater's confirmation or override."""

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from services.scoring.domain.rating import (
    OverridePolicy,
    OverrideReasonError,
    Rating,
    RatingKind,
    RatingThresholds,
    ReasonCode,
    confirm,
    override,
    propose_result_rating,
)
from shared.i18n import phrase_message

NOW = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("achievement", "verified_share", "expected"),
    [
        (Fraction(11, 10), Fraction(4, 5), Rating.ABOVE),
        (Fraction(13, 10), Fraction(1), Rating.ABOVE),
        (Fraction(109, 100), Fraction(1), Rating.MEETS),
        (Fraction(9, 10), Fraction(0), Rating.MEETS),
        (Fraction(89, 100), Fraction(1), Rating.BELOW),
    ],
)
def test_the_proposal_follows_the_default_thresholds(
    achievement: Fraction, verified_share: Fraction, expected: Rating
) -> None:
    assert propose_result_rating(achievement, verified_share).rating is expected


def test_low_verified_share_caps_a_high_achievement_at_meets_and_says_why() -> None:
    proposal = propose_result_rating(Fraction(3, 2), Fraction(1, 2))
    assert proposal.rating is Rating.MEETS
    codes = [r.code for r in proposal.reasons]
    assert codes == [
        ReasonCode.ABOVE_ACHIEVEMENT,
        ReasonCode.ABOVE_VERIFIED_SHARE,
        ReasonCode.CAPPED_BY_VERIFICATION,
    ]
    assert not proposal.reasons[1].satisfied
    assert "0.80" in phrase_message(proposal.reasons[1].explanation, "en")


def test_unknown_verified_share_cannot_support_above() -> None:
    assert propose_result_rating(Fraction(3, 2), None).rating is Rating.MEETS


def test_the_proposal_carries_the_thresholds_it_applied() -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    assert proposal.kind is RatingKind.RESULTS
    assert [(r.code, r.required, r.satisfied) for r in proposal.reasons] == [
        (ReasonCode.ABOVE_ACHIEVEMENT, Fraction(11, 10), False),
        (ReasonCode.MEETS_ACHIEVEMENT, Fraction(9, 10), True),
    ]
    assert (
        phrase_message(proposal.reasons[1].explanation, "id") == "Ambang capaian Sesuai: 1.00 (syarat ≥ 0.90)"
    )
    assert phrase_message(proposal.reasons[1].explanation, "en").endswith(": 1.00 (requires ≥ 0.90)")


def test_no_achievement_data_proposes_below_with_that_reason() -> None:
    proposal = propose_result_rating(None, None)
    assert proposal.rating is Rating.BELOW
    assert proposal.reasons[0].code is ReasonCode.NO_DATA


def test_thresholds_come_from_configuration() -> None:
    strict = RatingThresholds(above_min_achievement=Fraction(6, 5), meets_min_achievement=Fraction(1))
    assert propose_result_rating(Fraction(115, 100), Fraction(1), strict).rating is Rating.MEETS
    assert propose_result_rating(Fraction(95, 100), Fraction(1), strict).rating is Rating.BELOW


def test_inconsistent_thresholds_are_rejected() -> None:
    with pytest.raises(ValueError, match="MEETS"):
        RatingThresholds(above_min_achievement=Fraction(1), meets_min_achievement=Fraction(2))


def test_confirming_keeps_the_proposal_as_the_final_rating() -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    decision = confirm(proposal, "rater-1", NOW)
    assert decision.final is Rating.MEETS
    assert not decision.is_override
    assert decision.shift == 0


def test_an_override_keeps_both_proposal_and_final_with_the_reason() -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    reason = "  Menangani lonjakan antrean KTP saat pemadaman sistem  "
    decision = override(proposal, Rating.ABOVE, "rater-1", NOW, reason)
    assert decision.proposal.rating is Rating.MEETS
    assert decision.final is Rating.ABOVE
    assert decision.reason == reason.strip()
    assert decision.is_override
    assert decision.shift == 1


@pytest.mark.parametrize("reason", ["", "   ", "karena baik"])
def test_an_override_without_a_long_enough_reason_is_refused(reason: str) -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    with pytest.raises(OverrideReasonError):
        override(proposal, Rating.ABOVE, "rater-1", NOW, reason)


def test_the_minimum_reason_length_is_configurable_but_never_empty() -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    assert (
        override(proposal, Rating.BELOW, "r", NOW, "telat", OverridePolicy(min_reason_length=5)).reason
        == "telat"
    )
    with pytest.raises(OverrideReasonError):
        override(proposal, Rating.BELOW, "r", NOW, " ", OverridePolicy(min_reason_length=0))


def test_an_override_to_the_proposed_rating_is_refused() -> None:
    proposal = propose_result_rating(Fraction(1), Fraction(1))
    with pytest.raises(ValueError, match="confirm"):
        override(proposal, Rating.MEETS, "rater-1", NOW, "alasan yang cukup panjang untuk lolos")
