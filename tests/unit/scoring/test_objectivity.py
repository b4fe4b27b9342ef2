"""Objectivity: leniency and severity, override rate, volume anomalies, shared evidence."""

from datetime import UTC, datetime
from fractions import Fraction

import pytest

from services.scoring.domain.objectivity import (
    ActivityVolume,
    EvidenceClaim,
    ObjectivityFlag,
    ObjectivityPolicy,
    VolumeDirection,
    VolumePolicy,
    median,
    rater_objectivity,
    robust_z_scores,
    shared_evidence,
    volume_anomalies,
)
from services.scoring.domain.rating import (
    Rating,
    RatingDecision,
    RatingKind,
    RatingProposal,
)

NOW = datetime(2026, 10, 2, tzinfo=UTC)
REASON = "alasan tertulis yang cukup panjang"


def decision(
    rater: str, proposed: Rating, final: Rating, kind: RatingKind = RatingKind.RESULTS
) -> RatingDecision:
    reason = None if proposed is final else REASON
    return RatingDecision(RatingProposal(kind, proposed), final, rater, NOW, reason)


def team(rater: str, pairs: list[tuple[Rating, Rating]]) -> list[RatingDecision]:
    return [decision(rater, proposed, final) for proposed, final in pairs]


M, A, B = Rating.MEETS, Rating.ABOVE, Rating.BELOW


def test_a_rater_who_lifts_most_proposals_is_flagged_lenient() -> None:
    decisions = team("lenient", [(M, A), (M, A), (B, M), (M, M), (A, A)])
    [report] = rater_objectivity(decisions)
    assert report.leniency_index == Fraction(3, 5)
    assert report.override_rate == Fraction(3, 5)
    assert report.flags == {ObjectivityFlag.LENIENT, ObjectivityFlag.FREQUENT_OVERRIDES}


def test_a_rater_who_lowers_proposals_is_flagged_severe() -> None:
    decisions = team("severe", [(A, B), (M, B), (M, M), (M, M), (M, M), (M, M)])
    [report] = rater_objectivity(decisions)
    assert report.leniency_index == Fraction(-1, 2)
    assert report.flags == {ObjectivityFlag.SEVERE}


def test_a_rater_who_follows_the_data_is_not_flagged() -> None:
    decisions = team("fair", [(M, M), (A, A), (B, B), (M, M), (M, A), (A, M)])
    [report] = rater_objectivity(decisions)
    assert report.leniency_index == 0
    assert report.flags == frozenset()


def test_a_team_below_the_minimum_size_is_reported_but_not_flagged() -> None:
    [report] = rater_objectivity(team("small", [(M, A), (M, A)]))
    assert not report.assessed
    assert report.leniency_index == 1
    assert report.flags == frozenset()


def test_objectivity_thresholds_are_configurable() -> None:
    decisions = team("r", [(M, A), (M, M), (M, M), (M, M)])
    policy = ObjectivityPolicy(min_team_size=3, leniency_threshold=Fraction(1, 4))
    [report] = rater_objectivity(decisions, policy)
    assert ObjectivityFlag.LENIENT in report.flags


def test_raters_are_reported_separately_and_other_rating_kinds_are_ignored() -> None:
    decisions = [
        *team("r2", [(M, M)]),
        *team("r1", [(M, A)]),
        decision("r1", B, A, RatingKind.BEHAVIOUR),
    ]
    reports = rater_objectivity(decisions)
    assert [(r.rater_id, r.team_size) for r in reports] == [("r1", 1), ("r2", 1)]


def test_median_is_exact_for_even_and_odd_counts() -> None:
    assert median([Fraction(3), Fraction(1), Fraction(2)]) == 2
    assert median([Fraction(1), Fraction(2)]) == Fraction(3, 2)


def test_robust_z_uses_median_and_mad() -> None:
    values = [Fraction(v) for v in (10, 12, 11, 13, 9, 60)]
    scores = robust_z_scores(values)
    # median 11.5, MAD 1.5: z(60) = 0.6745 * 48.5 / 1.5
    assert scores[-1] == Fraction("0.6745") * Fraction(97, 2) / Fraction(3, 2)


def test_an_implausible_activity_volume_against_peers_is_flagged() -> None:
    volumes = [
        ActivityVolume(f"e{i}", "operator", Fraction(v)) for i, v in enumerate((40, 42, 38, 41, 39, 160))
    ]
    volumes.append(ActivityVolume("g1", "guru", Fraction(500)))
    [anomaly] = volume_anomalies(volumes)
    assert (anomaly.employee_id, anomaly.job_type, anomaly.direction) == (
        "e5",
        "operator",
        VolumeDirection.HIGH,
    )
    assert anomaly.peer_median == Fraction(81, 2)
    assert anomaly.robust_z > Fraction(7, 2)


def test_too_few_peers_give_no_anomaly() -> None:
    volumes = [ActivityVolume(f"e{i}", "operator", Fraction(v)) for i, v in enumerate((40, 41, 400))]
    assert volume_anomalies(volumes) == ()


def test_low_volumes_are_flagged_only_when_configured() -> None:
    volumes = [
        ActivityVolume(f"e{i}", "operator", Fraction(v)) for i, v in enumerate((40, 42, 38, 41, 39, 0))
    ]
    assert volume_anomalies(volumes) == ()
    [anomaly] = volume_anomalies(volumes, VolumePolicy(flag_low=True))
    assert anomaly.direction is VolumeDirection.LOW


def test_identical_majority_falls_back_to_mean_absolute_deviation() -> None:
    volumes = [
        ActivityVolume(f"e{i}", "operator", Fraction(v)) for i, v in enumerate((40, 40, 40, 40, 41, 200))
    ]
    [anomaly] = volume_anomalies(volumes)
    assert anomaly.employee_id == "e5"
    uniform = [ActivityVolume(f"e{i}", "operator", Fraction(40)) for i in range(6)]
    assert volume_anomalies(uniform) == ()


def test_the_same_evidence_file_claimed_by_several_employees_is_reported() -> None:
    digest = "ab" * 32
    claims = [
        EvidenceClaim("e1", digest.upper(), "c1"),
        EvidenceClaim("e2", digest, "c7"),
        EvidenceClaim("e1", digest, "c2"),
        EvidenceClaim("e3", "cd" * 32, "c3"),
        EvidenceClaim("e3", "cd" * 32, "c4"),
    ]
    [shared] = shared_evidence(claims)
    assert shared.sha256 == digest
    assert shared.employee_ids == ("e1", "e2")
    assert shared.contribution_ids == ("c1", "c2", "c7")


def test_a_malformed_digest_is_rejected() -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        EvidenceClaim("e1", "not-a-hash")
