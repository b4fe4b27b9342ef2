"""Request and response models of the feedback API."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.feedback.domain.satisfaction import ServiceItem


class SurveyResponseCreate(BaseModel):
    """A citizen's answers to the nine SKM items (1 = tidak baik ... 4 = sangat baik)."""

    model_config = ConfigDict(extra="forbid")

    scores: dict[ServiceItem, int] = Field(description="All nine items, each 1-4.")
    service_id: str | None = Field(default=None, max_length=64, description="e.g. 'ktp-counter'")
    comment: str | None = Field(default=None, max_length=2000)


class SurveyResponseRead(BaseModel):
    """Receipt for an accepted response."""

    response_id: str
    unit_id: str
    period: str


class ItemScore(BaseModel):
    """NRR of one item."""

    item: ServiceItem
    label_id: str
    mean: Decimal


class SatisfactionIndexRead(BaseModel):
    """The live satisfaction index (IKM) of a unit, service and period."""

    unit_id: str
    service_id: str
    period: str
    respondents: int
    items: list[ItemScore]
    index: Decimal
    grade: str
    grade_label_id: str
    required_sample: int | None
    sample_adequate: bool | None
    improvement_priorities: list[ServiceItem]
