"""Events published by the scoring service: confirmed ratings and objectivity flags."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from pydantic import Field

from shared.contracts.base import Event


class RatingConfirmed(Event):
    """A rater confirmed or overrode the proposed ratings of an employee for a period."""

    topic: ClassVar[str] = "scoring.rating.v1"

    employee_id: str
    rater_id: str
    period: str
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


class FlagRaised(Event):
    """Scoring raised a flag: a system problem, rater leniency, or an anomaly."""

    topic: ClassVar[str] = "scoring.flag.v1"

    flag_id: str
    kind: str
    subject_id: str
    period: str
    details: dict[str, Any] = Field(default_factory=dict)

    def partition_key(self) -> str:
        return self.subject_id
