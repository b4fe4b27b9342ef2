"""Events published by the feedback service: citizen satisfaction, complaints, internal feedback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Event
from shared.contracts.periods import EventPeriodKey


class SurveyResponseAccepted(Event):
    """A citizen's satisfaction survey (SKM) response was accepted."""

    topic: ClassVar[str] = "feedback.survey.v1"

    response_id: str
    unit_id: str
    service_id: str | None = None
    period: EventPeriodKey
    scores: list[int] = Field(min_length=9, max_length=9, description="The nine SKM items, 1-4 each.")
    officer_employee_id: str | None = None
    survey_kind: str | None = Field(
        default=None, description="public_service, school_parents or clinic_patients."
    )
    ticketed: bool = Field(default=False, description="The response redeemed a single-use service ticket.")

    def partition_key(self) -> str:
        return self.unit_id


class SatisfactionIndexChanged(Event):
    """A unit's satisfaction index (IKM), or one of its services', for a period or a year changed."""

    topic: ClassVar[str] = "feedback.satisfaction_index.v1"

    unit_id: str
    service_id: str | None = Field(
        default=None, description="None: the unit as a whole, over every response it received."
    )
    period: EventPeriodKey
    respondents: int
    item_means: list[Decimal] = Field(description="NRR per item, in regulation order.")
    index: Decimal = Field(description="IKM, 25-100, rounded to 2 decimals.")
    grade: str
    sample_adequate: bool | None = None
    required_sample: int | None = Field(
        default=None, description="Krejcie-Morgan sample size for the service users the unit reported."
    )
    service_users: int | None = None

    def partition_key(self) -> str:
        return self.unit_id


class ComplaintFiled(Event):
    """A citizen filed a complaint (pengaduan) about a unit or service."""

    topic: ClassVar[str] = "feedback.complaint.v1"

    complaint_id: str
    unit_id: str
    officer_employee_id: str | None = None
    filed_at: datetime
    category: str | None = None

    def partition_key(self) -> str:
        return self.complaint_id


class ComplaintStatusChanged(Event):
    """A complaint moved in its life cycle."""

    topic: ClassVar[str] = "feedback.complaint.v1"

    complaint_id: str
    unit_id: str
    from_status: str
    to_status: str
    changed_at: datetime
    due_at: datetime | None = None
    deadline_kind: str | None = Field(default=None, description="The stage deadline now running, if any.")
    dispatched_unit_id: str | None = Field(default=None, description="Where the complaint was dispatched.")
    reason: str | None = None

    def partition_key(self) -> str:
        return self.complaint_id


class ComplaintClosed(Event):
    """A complaint was closed after its answer (the citizen may still reopen it within the window)."""

    topic: ClassVar[str] = "feedback.complaint.v1"

    complaint_id: str
    unit_id: str
    filed_at: datetime
    closed_at: datetime
    breached_deadlines: int = Field(default=0, description="Deadlines breached during the complaint's life.")

    def partition_key(self) -> str:
        return self.complaint_id


class ComplaintDeadlineBreached(Event):
    """A complaint's stage deadline passed without the required action (emitted exactly once)."""

    topic: ClassVar[str] = "feedback.complaint.v1"

    complaint_id: str
    unit_id: str
    stage: str
    due_at: datetime

    def partition_key(self) -> str:
        return self.complaint_id


class ContinuousFeedbackGiven(Event):
    """A rater gave continuous feedback (umpan balik berkelanjutan) on a planned result."""

    topic: ClassVar[str] = "feedback.continuous.v1"

    feedback_id: str
    employee_id: str
    rater_id: str
    result_id: str | None = None
    activity_id: str | None = None
    period: EventPeriodKey
    text: str
    activity_ids: list[str] = Field(default_factory=list, description="Evidence (activities) it refers to.")

    def partition_key(self) -> str:
        return self.employee_id


class BehaviourAssessmentSubmitted(Event):
    """A behaviour assessment on the seven BerAKHLAK values was submitted."""

    topic: ClassVar[str] = "feedback.behaviour.v1"

    assessment_id: str
    employee_id: str
    assessor_id: str
    assessor_role: str = Field(description="rater, peer or self")
    period: EventPeriodKey
    scores: dict[str, int]
    proposed_rating: str | None = None

    def partition_key(self) -> str:
        return self.employee_id
