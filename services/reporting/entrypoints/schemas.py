"""Request and response models of the reporting API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

#: A single activity cannot plausibly contribute more than this (a typo guard, not a business rule).
MAX_QUANTITY = Decimal(100_000)
MAX_BATCH_ITEMS = 500


class ActivityCreate(BaseModel):
    """An activity report (laporan kegiatan) from a field app."""

    model_config = ConfigDict(extra="forbid")

    activity_id: str = Field(
        pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Client-generated id (e.g. a UUID): a retry never duplicates.",
    )
    indicator_id: str = Field(max_length=64, description="An indicator (IKI) of your approved plan.")
    occurred_at: AwareDatetime
    quantity: Decimal | None = Field(default=None, ge=0, le=MAX_QUANTITY, allow_inf_nan=False)
    denominator: Decimal | None = Field(default=None, gt=0, le=MAX_QUANTITY, allow_inf_nan=False)
    description: str = Field(min_length=3, max_length=4000, description="What was done.")
    obstacles: str | None = Field(default=None, max_length=4000, description="Kendala met.")
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)


class ActivityRead(BaseModel):
    """An activity as stored."""

    activity_id: str
    region_id: str
    employee_id: str
    plan_id: str
    result_id: str
    indicator_id: str
    occurred_at: datetime
    quantity: Decimal | None
    denominator: Decimal | None
    description: str
    obstacles: str | None
    status: Literal["submitted", "verified", "rejected"]
    review_note: str | None = None


class BatchCreate(BaseModel):
    """Activities queued on a phone while offline, sent in one request."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, object]] = Field(min_length=1, max_length=MAX_BATCH_ITEMS)


class BatchItemOutcome(BaseModel):
    """What happened to one item of a batch."""

    index: int
    activity_id: str | None
    outcome: Literal["accepted", "duplicate", "rejected"]
    error: dict[str, object] | None = None


class BatchRead(BaseModel):
    """Per-item outcomes of a batch; one bad item never rejects the rest."""

    accepted: int
    duplicates: int
    rejected: int
    items: list[BatchItemOutcome]


class ReviewCreate(BaseModel):
    """A supervisor's verification decision."""

    note: str | None = Field(default=None, max_length=2000)
