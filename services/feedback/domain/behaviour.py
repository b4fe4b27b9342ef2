"""Behaviour assessment (penilaian perilaku kerja) on the seven BerAKHLAK core values.

Scale: each value is scored 1..5, so raters can say more than the three official levels
while the mapping to them stays obvious: 3 means "as expected" (Sesuai Ekspektasi), 4-5 above,
1-2 below. The regulation gives no formula for the behaviour rating, so the platform only
*proposes* one (``propose_behaviour_rating``); the rater confirms or overrides it.

Peer answers are anonymous in practice only if they are pooled: ``aggregate_peer_assessments``
returns nothing until enough distinct peers (default 3) have answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Final

from shared.labels import LabelledEnum
from shared.refusals import Refusal

MIN_BEHAVIOUR_SCORE: Final = 1
MAX_BEHAVIOUR_SCORE: Final = 5


class CoreValue(LabelledEnum):
    """BerAKHLAK core value (nilai dasar ASN), in the official order of the acronym."""

    SERVICE_ORIENTED = "service_oriented", "Berorientasi Pelayanan", "service oriented"
    ACCOUNTABLE = "accountable", "Akuntabel", "accountable"
    COMPETENT = "competent", "Kompeten", "competent"
    HARMONIOUS = "harmonious", "Harmonis", "harmonious"
    LOYAL = "loyal", "Loyal", "loyal"
    ADAPTIVE = "adaptive", "Adaptif", "adaptive"
    COLLABORATIVE = "collaborative", "Kolaboratif", "collaborative"

    @property
    def position(self) -> int:
        """Zero-based position in BerAKHLAK order."""
        return _VALUE_POSITIONS[self]


_VALUE_POSITIONS: Final[Mapping[CoreValue, int]] = {value: i for i, value in enumerate(CoreValue)}
VALUE_COUNT: Final = len(_VALUE_POSITIONS)


class AssessorRole(StrEnum):
    """Who gave an assessment."""

    RATER = "rater"  # pejabat penilai kinerja
    PEER = "peer"  # rekan kerja
    SELF = "self"  # penilaian diri sendiri


class BehaviourRating(LabelledEnum):
    """Behaviour rating (rating perilaku kerja), PermenPANRB 6/2022."""

    ABOVE_EXPECTATION = "above_expectation", "Di Atas Ekspektasi"
    MEETS_EXPECTATION = "meets_expectation", "Sesuai Ekspektasi"
    BELOW_EXPECTATION = "below_expectation", "Di Bawah Ekspektasi"


@dataclass(frozen=True)
class ValueProfile:
    """Mean score per core value over one or more assessments."""

    means: tuple[Fraction, ...]
    assessors: int

    def __post_init__(self) -> None:
        if len(self.means) != VALUE_COUNT or self.assessors < 1:
            raise Refusal(
                "feedback.behaviour.invalid_profile", "Behaviour value profile is inconsistent", field="means"
            )

    def mean(self, value: CoreValue) -> Fraction:
        """Mean score of one core value."""
        return self.means[value.position]

    @property
    def overall_mean(self) -> Fraction:
        """Mean over the seven values, each counting equally."""
        return sum(self.means, Fraction(0)) / VALUE_COUNT


def _validated_score(value: CoreValue, score: object) -> int:
    if (
        not isinstance(score, int)
        or isinstance(score, bool)
        or not (MIN_BEHAVIOUR_SCORE <= score <= MAX_BEHAVIOUR_SCORE)
    ):
        raise Refusal(
            "feedback.score_out_of_range",
            "Score for core value '%(value)s' must be between %(low)s and %(high)s",
            field=f"scores.{value.value}",
            params={"value": value.label, "low": MIN_BEHAVIOUR_SCORE, "high": MAX_BEHAVIOUR_SCORE},
        )
    return score


@dataclass(frozen=True)
class BehaviourAssessment:
    """One assessor's scores (1..5) for the seven core values, in BerAKHLAK order."""

    role: AssessorRole
    assessor_id: str
    scores: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.scores) != VALUE_COUNT:
            raise Refusal(
                "feedback.behaviour.wrong_value_count",
                "A behaviour assessment must have %(expected)s scores, not %(count)s",
                field="scores",
                params={"expected": VALUE_COUNT, "count": len(self.scores)},
            )
        for value, score in zip(CoreValue, self.scores, strict=True):
            _validated_score(value, score)

    @classmethod
    def from_mapping(
        cls, role: AssessorRole, assessor_id: str, scores: Mapping[CoreValue, int]
    ) -> BehaviourAssessment:
        """Build an assessment from scores keyed by value; all seven values are required."""
        for value in CoreValue:
            if value not in scores:
                raise Refusal(
                    "feedback.missing_value",
                    "'score for core value %(value)s' is required",
                    field=f"scores.{value.value}",
                    params={"value": value.label},
                )
        return cls(role, assessor_id, tuple(scores[value] for value in CoreValue))

    def score(self, value: CoreValue) -> int:
        """The score given to one core value."""
        return self.scores[value.position]

    def profile(self) -> ValueProfile:
        """This single assessment as a profile."""
        return ValueProfile(tuple(Fraction(score) for score in self.scores), 1)


@dataclass(frozen=True)
class BehaviourThresholds:
    """Configurable rules turning a value profile into a proposed rating."""

    # ABOVE needs a high overall mean *and* no weak value: "consistently above expectation".
    above_min_mean: Fraction = Fraction(4)
    above_min_value: Fraction = Fraction(3)
    # BELOW on a low overall mean, or on one serious lapse (e.g. Akuntabel) that an
    # average would otherwise hide.
    below_mean_under: Fraction = Fraction(3)
    below_value_under: Fraction = Fraction(2)

    def __post_init__(self) -> None:
        consistent = (
            self.below_value_under <= self.above_min_value
            and self.below_mean_under <= self.above_min_mean
            and self.below_value_under <= self.below_mean_under
        )
        if not consistent:
            raise Refusal(
                "feedback.invalid_configuration",
                "Behaviour rating thresholds are inconsistent",
                field="behaviour_thresholds",
            )


DEFAULT_BEHAVIOUR_THRESHOLDS: Final = BehaviourThresholds()


def propose_behaviour_rating(
    profile: ValueProfile, thresholds: BehaviourThresholds = DEFAULT_BEHAVIOUR_THRESHOLDS
) -> BehaviourRating:
    """Rating the platform proposes to the rater from a value profile (the rater decides)."""
    lowest = min(profile.means)
    overall = profile.overall_mean
    # BELOW is checked first so a serious lapse can never be outvoted into ABOVE.
    if overall < thresholds.below_mean_under or lowest < thresholds.below_value_under:
        return BehaviourRating.BELOW_EXPECTATION
    if overall >= thresholds.above_min_mean and lowest >= thresholds.above_min_value:
        return BehaviourRating.ABOVE_EXPECTATION
    return BehaviourRating.MEETS_EXPECTATION


@dataclass(frozen=True)
class PeerVisibilityPolicy:
    """How many distinct peers must answer before their pooled scores may be shown."""

    minimum_peers: int = 3

    def __post_init__(self) -> None:
        # Below 2 a "pooled" score is one identifiable colleague's answer.
        if self.minimum_peers < 2:
            raise Refusal(
                "feedback.invalid_configuration",
                "Minimum number of peers must be at least 2",
                field="minimum_peers",
            )


DEFAULT_PEER_VISIBILITY: Final = PeerVisibilityPolicy()


def aggregate_peer_assessments(
    assessments: Iterable[BehaviourAssessment], policy: PeerVisibilityPolicy = DEFAULT_PEER_VISIBILITY
) -> ValueProfile | None:
    """Pooled peer scores, or None while fewer than the policy's minimum of distinct peers answered."""
    peers = list(assessments)
    if any(assessment.role is not AssessorRole.PEER for assessment in peers):
        raise Refusal(
            "feedback.behaviour.not_a_peer_assessment",
            "Only peer assessments can be pooled here",
            field="assessments",
        )
    # A peer counted twice would both skew the mean and fake the anonymity threshold.
    if len({assessment.assessor_id for assessment in peers}) != len(peers):
        raise Refusal(
            "feedback.behaviour.duplicate_peer", "Each peer may assess only once", field="assessments"
        )
    if len(peers) < policy.minimum_peers:
        return None
    means = tuple(
        Fraction(sum(assessment.scores[position] for assessment in peers), len(peers))
        for position in range(VALUE_COUNT)
    )
    return ValueProfile(means, len(peers))
