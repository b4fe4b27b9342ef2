"""What scoring's use cases take and return, the API's bodies."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from shared.contracts.periods import PeriodKey
from shared.region_time import DeviceTime

RatingValue = Literal["ABOVE", "MEETS", "BELOW"]


class ActivityRead(BaseModel):
    """One activity behind an indicator's numbers (bukti dukung), and whether it counts."""

    activity_id: str
    occurred_at: DeviceTime | None = Field(description="When it happened, with the offset the device sent.")
    quantity: Decimal | None
    denominator: Decimal | None
    status: str = Field(description="UNVERIFIED, VERIFIED or REJECTED (rejected ones do not count).")
    counted: bool
    corrected: bool
    evidence_count: int


class IndicatorScore(BaseModel):
    """One indicator (IKI) in one period: target, realisation and achievement, with the activities."""

    indicator_id: str
    code: str | None
    name: str
    result_id: str
    result_kind: str
    aspect: str
    direction: str
    aggregation: str
    unit_of_measure: str
    target: Decimal | None = Field(description="The period's target (its split, or derived from the annual).")
    qualitative_target: str | None
    realisation: Decimal | None
    verified_share: Decimal | None
    achievement: Decimal | None = Field(description="1.00 = target met; respects direction; capped.")
    basis: str = Field(description="MEASURED, JUDGED or NO_DATA.")
    judgement: str | None = Field(
        default=None, description="The rater's judgement of a qualitative indicator (basis JUDGED)."
    )
    activity_count: int
    verified_count: int
    rejected_count: int
    last_activity_at: datetime | None
    last_activity_id: str | None
    events_applied: int
    last_event_id: str | None
    updated_at: datetime | None
    activities: list[ActivityRead]


class ProposalReasonRead(BaseModel):
    """One threshold the results-rating proposal checked.

    A client words it from ``code`` and the two shares in its own language and number format (the
    web pages do); ``message_en``/``message_id`` are ready-made texts with the shares as plain
    decimals, for clients that do not.
    """

    code: str = Field(
        description="NO_DATA, ABOVE_ACHIEVEMENT, ABOVE_VERIFIED_SHARE, MEETS_ACHIEVEMENT "
        "or CAPPED_BY_VERIFICATION"
    )
    required: Decimal | None = Field(description="the threshold, a share (1.1 is 110%)")
    actual: Decimal | None = Field(description="what was found, a share (0.875 is 87.5%); null without data")
    satisfied: bool
    message_en: str
    message_id: str


class BehaviourRead(BaseModel):
    """The rater's BerAKHLAK assessment behind the behaviour-rating proposal."""

    assessment_id: str
    assessor_id: str
    proposed_rating: str | None
    scores: dict[str, int]
    submitted_at: datetime


class FieldVisitRead(BaseModel):
    """A supervisor's field visit (kunjungan lapangan) in the period."""

    visit_id: str
    supervisor_id: str
    visited_at: DeviceTime = Field(description="When the visit was, with the offset the device sent.")
    location: str
    findings: str
    follow_up: str | None


class DecisionRead(BaseModel):
    """The rater's confirmation or override (keputusan penilai)."""

    result_rating: str
    behaviour_rating: str
    predicate: str
    overridden: bool
    reason: str | None
    decided_by: str
    decided_at: datetime
    proposal_changed_since: bool = Field(description="The data-driven proposal changed after the decision.")


class ScorecardRead(BaseModel):
    """An employee's scorecard for one period (e-performance self-monitoring), explained to the activity."""

    employee_id: str
    region_id: str
    period: PeriodKey
    plan_id: str
    unit_id: str
    job_type: str
    rater_id: str | None
    achievement: Decimal | None
    main_achievement: Decimal | None
    additional_bonus: Decimal
    verified_share: Decimal | None
    activity_count: int
    rule_set_from: date = Field(description="The region's rule set that scores this period.")
    proposed_result_rating: str
    proposal_reasons: list[ProposalReasonRead]
    proposed_behaviour_rating: str | None
    behaviour_assessment: BehaviourRead | None
    proposed_predicate: str | None
    decision: DecisionRead | None
    predicate: str | None = Field(description="The confirmed predicate, once the rater decided.")
    period_closed: bool
    field_visits: list[FieldVisitRead]
    indicators: list[IndicatorScore]
    last_event_id: str | None
    updated_at: datetime


class RatingDecisionCreate(BaseModel):
    """The rater confirms (same ratings as proposed) or overrides (different, with a reason)."""

    result_rating: RatingValue
    behaviour_rating: RatingValue
    reason: str | None = Field(default=None, max_length=2000, description="Required for an override.")


JudgementValue = Literal["NOT_MET", "PARTLY_MET", "MET", "EXCEEDED"]


class JudgementCreate(BaseModel):
    """The rater's judgement of a qualitative indicator (penilaian atasan)."""

    judgement: JudgementValue
    note: str | None = Field(
        default=None, max_length=2000, description="Required when the target is NOT_MET or EXCEEDED."
    )


class JudgementRead(BaseModel):
    """A recorded judgement, with the scorecard's figures it changed."""

    employee_id: str
    indicator_id: str
    period: PeriodKey
    judgement: str
    note: str | None
    rater_id: str
    judged_at: datetime
    achievement: Decimal | None = Field(description="The indicator's achievement from the judgement scale.")
    employee_achievement: Decimal | None
    proposed_result_rating: str


class RatingDecisionRead(BaseModel):
    """A recorded rating decision."""

    decision_id: str
    employee_id: str
    period: PeriodKey
    rater_id: str
    unit_id: str
    proposed_result_rating: str
    result_rating: str
    proposed_behaviour_rating: str | None
    behaviour_rating: str
    predicate: str
    overridden: bool
    reason: str | None
    achievement: Decimal | None
    decided_at: datetime


class RaterOverrideCount(BaseModel):
    """How often one rater departed from the proposals."""

    rater_id: str
    decisions: int
    overrides: int
    override_rate: Decimal


class OverridesRead(BaseModel):
    """Overrides in a region and period, for auditors."""

    region_id: str
    period: PeriodKey
    decisions: int
    overrides: int
    by_rater: list[RaterOverrideCount]
    items: list[RatingDecisionRead]


class SatisfactionRead(BaseModel):
    """A unit's satisfaction index (IKM) for a period."""

    unit_id: str
    service_id: str
    period: PeriodKey
    satisfaction_index: Decimal
    grade: str
    respondents: int
    sample_adequate: bool | None
    updated_at: datetime


class PredicateCount(BaseModel):
    """How many employees hold a predicate."""

    predicate: str
    label_id: str
    count: int


class DistributionWarning(BaseModel):
    """One distribution constraint that does not hold."""

    message_en: str
    message_id: str
    actual_count: int
    required_count: int


class DistributionCheckRead(BaseModel):
    """The unit's predicates against the pattern its organisation predicate sets (never changes ratings)."""

    organisation_predicate: str
    compliant: bool
    warnings: list[DistributionWarning]


class TrendPoint(BaseModel):
    """One period of a unit's trend."""

    period: PeriodKey
    employees: int
    achievement_mean: Decimal | None
    complaint_breaches: int


class RankingEntry(BaseModel):
    """One employee's place in a ranking."""

    rank: int
    employee_id: str
    job_type: str
    predicate: str | None
    achievement: Decimal | None


class UnitDashboardRead(BaseModel):
    """A unit's figures for a period."""

    unit_id: str
    region_id: str
    period: PeriodKey
    unit_name: str | None
    organisation_predicate: str | None
    employees: int
    achievement_mean: Decimal | None
    predicates: list[PredicateCount]
    without_predicate: int
    decided: int
    distribution: DistributionCheckRead | None
    satisfaction: list[SatisfactionRead]
    complaint_breaches: int
    complaint_breaches_by_stage: dict[str, int]
    trend: list[TrendPoint]
    ranking: list[RankingEntry]


class UnitSummary(BaseModel):
    """One unit on the region dashboard."""

    unit_id: str
    unit_name: str | None
    employees: int
    achievement_mean: Decimal | None
    distribution_compliant: bool | None
    complaint_breaches: int
    satisfaction_index: Decimal | None


class RegionDashboardRead(BaseModel):
    """A region's figures for a period, unit by unit."""

    region_id: str
    period: PeriodKey
    employees: int
    achievement_mean: Decimal | None
    predicates: list[PredicateCount]
    units: list[UnitSummary]
    trend: list[TrendPoint]
