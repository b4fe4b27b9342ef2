"""Response models of the scoring API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field


class IndicatorScore(BaseModel):
    """One indicator in one period: target, realisation and achievement, with where they come from."""

    indicator_id: str
    name: str
    result_id: str
    result_kind: str
    direction: str
    aggregation: str
    unit_of_measure: str
    target: Decimal | None = Field(description="The period's target (or the annual one if not split).")
    realisation: Decimal | None
    verified_share: Decimal | None
    achievement: Decimal | None = Field(description="1.00 = target met; respects direction; capped.")
    activity_count: int
    verified_count: int
    last_activity_at: datetime | None
    events_applied: int
    updated_at: datetime | None


class ScorecardRead(BaseModel):
    """An employee's scorecard for one period (e-performance self-monitoring)."""

    employee_id: str
    region_id: str
    period: str
    achievement: Decimal | None
    verified_share: Decimal | None
    proposed_result_rating: str
    proposal_reasons: list[str]
    indicators: list[IndicatorScore]


class SatisfactionRead(BaseModel):
    """A unit's satisfaction index (IKM) for a period."""

    unit_id: str
    service_id: str
    period: str
    satisfaction_index: Decimal
    grade: str
    respondents: int
    sample_adequate: bool | None
    updated_at: datetime


class UnitDashboardRead(BaseModel):
    """A unit's figures for a period."""

    unit_id: str
    region_id: str
    period: str
    employees: int
    satisfaction: list[SatisfactionRead]
