"""What scoring's governance takes and answers: closing periods, late events, dated rule sets."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.contracts.periods import PeriodKey
from shared.dates import BoundedDate


class PeriodCloseCreate(BaseModel):
    """Closing a period freezes it; distribution warnings must be acknowledged."""

    acknowledge_warnings: bool = False


class CloseWarning(BaseModel):
    """What a region administrator should know before closing a period, for one unit."""

    unit_id: str
    message: str
    message_id: str


class PeriodRead(BaseModel):
    """A closed period."""

    period: PeriodKey
    closed_at: datetime
    closed_by: str
    warnings: list[CloseWarning]
    flags_raised: int


class LateEventRead(BaseModel):
    """An event that arrived after its period closed: kept, never applied."""

    event_id: str
    event_type: str
    period: PeriodKey
    subject_id: str
    occurred_at: datetime
    received_at: datetime
    payload: dict[str, Any]


class RatingThresholdsSettings(BaseModel):
    """Thresholds of the results-rating proposal."""

    above_min_achievement: Decimal | None = Field(default=None, gt=0)
    above_min_verified_share: Decimal | None = Field(default=None, ge=0, le=1)
    meets_min_achievement: Decimal | None = Field(default=None, gt=0)


class TrainingEntrySettings(BaseModel):
    """An entry of the region's training catalogue."""

    code: str
    kind: str
    title_id: str
    title_en: str
    aspects: list[Literal["quantity", "quality", "time", "cost"]] = []
    values: list[str] = []
    job_types: list[str] = []


class RuleSetCreate(BaseModel):
    """A region's rule change, effective from a date (never before the last closed period ends)."""

    effective_from: BoundedDate
    rating: RatingThresholdsSettings = RatingThresholdsSettings()
    achievement_cap: Decimal | None = Field(default=None, ge=1)
    override_min_reason_length: int | None = Field(default=None, ge=1, le=500)
    reward_top_k: int | None = Field(default=None, ge=1, le=100)
    training: list[TrainingEntrySettings] = []


class RuleSetRead(BaseModel):
    """A stored rule set."""

    effective_from: date
    settings: dict[str, Any]
    created_by: str
    created_at: datetime
