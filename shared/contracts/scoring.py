"""Events published by the scoring service: raters' judgements, confirmed ratings, objectivity flags."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from shared.contracts.base import Event
from shared.contracts.periods import EventPeriodKey


class RatingConfirmed(Event):
    """A rater confirmed or overrode the proposed ratings of an employee for a period."""

    topic: ClassVar[str] = "scoring.rating.v1"

    employee_id: str
    rater_id: str
    period: EventPeriodKey
    proposed_result_rating: str
    result_rating: str
    behaviour_rating: str
    predicate: str
    overridden: bool
    reason: str | None = None
    proposed_behaviour_rating: str | None = None
    unit_id: str | None = None
    decision_id: str | None = None
    achievement: Decimal | None = Field(default=None, description="Capaian behind the proposal, 1.00 = met.")

    def partition_key(self) -> str:
        return self.employee_id


class IndicatorJudged(Event):
    """A rater judged a qualitative indicator of an employee for a period (penilaian atasan).

    On the ratings topic, keyed by employee: a judgement and the confirmation that follows it stay
    in order for every reader.
    """

    topic: ClassVar[str] = "scoring.rating.v1"

    employee_id: str
    rater_id: str
    period: EventPeriodKey
    indicator_id: str
    judgement: str = Field(description="NOT_MET, PARTLY_MET, MET or EXCEEDED.")
    note: str | None = Field(default=None, description="Why, when the judgement departs from the target.")
    indicator_achievement: Decimal | None = Field(
        default=None, description="The indicator's capaian by the region's judgement scale, 1.00 = met."
    )
    achievement: Decimal | None = Field(default=None, description="The employee's capaian for the period.")
    proposed_result_rating: str | None = None

    def partition_key(self) -> str:
        return self.employee_id


class FlagRaised(Event):
    """Scoring raised a flag: a system problem, rater leniency, or an anomaly."""

    topic: ClassVar[str] = "scoring.flag.v1"

    flag_id: str
    kind: str
    subject_id: str
    period: EventPeriodKey
    details: dict[str, Any] = Field(default_factory=dict)

    def partition_key(self) -> str:
        return self.subject_id
