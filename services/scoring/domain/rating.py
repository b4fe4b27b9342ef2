"""Ratings (hasil kerja, perilaku kerja): the data-driven proposal and the rater's confirm or override."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from shared.labels import LabelledEnum
from shared.refusals import Label, Phrase


class Rating(LabelledEnum):
    """Rating hasil kerja or perilaku kerja against expectations."""

    ABOVE = "ABOVE", "Di Atas Ekspektasi", "Above expectations"
    MEETS = "MEETS", "Sesuai Ekspektasi", "Meets expectations"
    BELOW = "BELOW", "Di Bawah Ekspektasi", "Below expectations"

    @property
    def rank(self) -> int:
        """Ordinal rank: BELOW 0, MEETS 1, ABOVE 2."""
        return _RANK[self]


_RANK: dict[Rating, int] = {Rating.BELOW: 0, Rating.MEETS: 1, Rating.ABOVE: 2}


class BehaviourValue(LabelledEnum):
    """Nilai dasar BerAKHLAK on which work behaviour (perilaku kerja) is judged."""

    BERORIENTASI_PELAYANAN = "BERORIENTASI_PELAYANAN", "Berorientasi Pelayanan", "Service-oriented"
    AKUNTABEL = "AKUNTABEL", "Akuntabel", "Accountable"
    KOMPETEN = "KOMPETEN", "Kompeten", "Competent"
    HARMONIS = "HARMONIS", "Harmonis", "Harmonious"
    LOYAL = "LOYAL", "Loyal", "Loyal"
    ADAPTIF = "ADAPTIF", "Adaptif", "Adaptive"
    KOLABORATIF = "KOLABORATIF", "Kolaboratif", "Collaborative"


class RatingKind(LabelledEnum):
    """Which of the two ratings a proposal or decision is about."""

    RESULTS = "RESULTS", "Hasil kerja", "Work results"
    BEHAVIOUR = "BEHAVIOUR", "Perilaku kerja", "Work behaviour"


class ReasonCode(LabelledEnum):
    """Why a proposal came out as it did."""

    NO_DATA = "NO_DATA", "Belum ada data capaian", "No achievement data"
    ABOVE_ACHIEVEMENT = "ABOVE_ACHIEVEMENT", "Ambang capaian Di Atas", "Achievement threshold for Above"
    ABOVE_VERIFIED_SHARE = "ABOVE_VERIFIED_SHARE", "Ambang bukti terverifikasi", "Verified-evidence threshold"
    MEETS_ACHIEVEMENT = "MEETS_ACHIEVEMENT", "Ambang capaian Sesuai", "Achievement threshold for Meets"
    CAPPED_BY_VERIFICATION = (
        "CAPPED_BY_VERIFICATION",
        "Dibatasi Sesuai karena bukti kurang terverifikasi",
        "Capped at Meets for lack of verified evidence",
    )


@dataclass(frozen=True)
class RatingThresholds:
    """Thresholds of the results-rating proposal; part of a region's dated rule set.

    ABOVE needs both the achievement and the verified share; an achievement high enough for ABOVE but
    with too little verified evidence is capped at MEETS, because unverified claims should not lift a
    rating above expectations.
    """

    above_min_achievement: Fraction = Fraction(11, 10)
    above_min_verified_share: Fraction = Fraction(4, 5)
    meets_min_achievement: Fraction = Fraction(9, 10)

    def __post_init__(self) -> None:
        if self.meets_min_achievement > self.above_min_achievement:
            raise ValueError("the MEETS threshold cannot exceed the ABOVE threshold")


@dataclass(frozen=True)
class ProposalReason:
    """One threshold checked by a proposal: what was required, what was found, whether it held."""

    code: ReasonCode
    required: Fraction | None
    actual: Fraction | None
    satisfied: bool

    @property
    def explanation(self) -> Phrase:
        """What was found against what was required (English msgid; the catalogue has the Indonesian)."""
        return Phrase(
            "%(reason)s: %(actual)s (requires ≥ %(required)s)",
            {
                "reason": Label(self.code.label_en, self.code.label_id),
                "actual": _fmt(self.actual),
                "required": _fmt(self.required),
            },
        )


def _fmt(value: Fraction | None) -> str:
    return "-" if value is None else f"{float(value):.2f}"


@dataclass(frozen=True)
class RatingProposal:
    """Usulan rating: what the platform proposes, with the reasons, for the rater to confirm or override."""

    kind: RatingKind
    rating: Rating
    reasons: tuple[ProposalReason, ...] = ()
    achievement: Fraction | None = None
    verified_share: Fraction | None = None


def propose_result_rating(
    achievement: Fraction | None,
    verified_share: Fraction | None,
    thresholds: RatingThresholds | None = None,
) -> RatingProposal:
    """Propose the results rating (hasil kerja) from achievement and the share of verified evidence."""
    t = thresholds or RatingThresholds()
    if achievement is None:
        reasons = (ProposalReason(ReasonCode.NO_DATA, None, None, satisfied=False),)
        return RatingProposal(RatingKind.RESULTS, Rating.BELOW, reasons, achievement, verified_share)
    reaches_above = achievement >= t.above_min_achievement
    checked = [
        ProposalReason(ReasonCode.ABOVE_ACHIEVEMENT, t.above_min_achievement, achievement, reaches_above)
    ]
    if reaches_above:
        verified = verified_share is not None and verified_share >= t.above_min_verified_share
        checked.append(
            ProposalReason(
                ReasonCode.ABOVE_VERIFIED_SHARE, t.above_min_verified_share, verified_share, verified
            )
        )
        if verified:
            rating = Rating.ABOVE
        else:
            rating = Rating.MEETS
            checked.append(
                ProposalReason(
                    ReasonCode.CAPPED_BY_VERIFICATION,
                    t.above_min_verified_share,
                    verified_share,
                    satisfied=False,
                )
            )
    else:
        reaches_meets = achievement >= t.meets_min_achievement
        checked.append(
            ProposalReason(ReasonCode.MEETS_ACHIEVEMENT, t.meets_min_achievement, achievement, reaches_meets)
        )
        rating = Rating.MEETS if reaches_meets else Rating.BELOW
    return RatingProposal(RatingKind.RESULTS, rating, tuple(checked), achievement, verified_share)


class OverrideReasonError(ValueError):
    """An override without a sufficient written reason."""


@dataclass(frozen=True)
class OverridePolicy:
    """What an override must carry; part of a region's dated rule set."""

    min_reason_length: int = 20


@dataclass(frozen=True)
class RatingDecision:
    """Keputusan penilai: the proposal and the final rating, kept together for audit."""

    proposal: RatingProposal
    final: Rating
    rater_id: str
    decided_at: datetime
    reason: str | None = None

    @property
    def is_override(self) -> bool:
        """Whether the rater departed from the proposal."""
        return self.final is not self.proposal.rating

    @property
    def shift(self) -> int:
        """Final rank minus proposed rank: positive is more lenient, negative more severe."""
        return self.final.rank - self.proposal.rating.rank


def confirm(proposal: RatingProposal, rater_id: str, decided_at: datetime) -> RatingDecision:
    """The rater accepts the proposal as it is."""
    return RatingDecision(proposal, proposal.rating, rater_id, decided_at)


def override(
    proposal: RatingProposal,
    final: Rating,
    rater_id: str,
    decided_at: datetime,
    reason: str,
    policy: OverridePolicy | None = None,
) -> RatingDecision:
    """The rater replaces the proposal with another rating, giving a written reason."""
    policy = policy or OverridePolicy()
    if final is proposal.rating:
        raise ValueError("an override must change the rating; confirm the proposal instead")
    text = reason.strip()
    if len(text) < max(policy.min_reason_length, 1):
        raise OverrideReasonError(
            f"an override needs a reason of at least {policy.min_reason_length} characters "
            f"(alasan minimal {policy.min_reason_length} karakter)"
        )
    return RatingDecision(proposal, final, rater_id, decided_at, text)
