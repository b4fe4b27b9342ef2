"""Events published by the reporting service: activities, their evidence and review, field visits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from shared.contracts.base import Event, SentTime


class ActivityReported(Event):
    """An employee reported an activity contributing to an indicator of their approved plan."""

    topic: ClassVar[str] = "reporting.activity.v1"

    activity_id: str
    employee_id: str
    plan_id: str
    result_id: str
    indicator_id: str
    occurred_at: SentTime
    quantity: Decimal | None = None
    denominator: Decimal | None = Field(default=None, description="For ratio indicators: the base count.")
    description: str
    obstacles: str | None = Field(default=None, description="Kendala met while doing it.")
    evidence_sha256: list[str] = Field(default_factory=list)

    def partition_key(self) -> str:
        return self.employee_id


class ActivityVerified(Event):
    """The supervisor verified an activity."""

    topic: ClassVar[str] = "reporting.activity.v1"

    activity_id: str
    employee_id: str
    verifier_id: str
    note: str | None = None
    evidence_sha256: list[str] = Field(
        default_factory=list,
        description="SHA-256 of each evidence file attached when this happened (spots files claimed twice).",
    )

    def partition_key(self) -> str:
        return self.employee_id


class ActivityRejected(Event):
    """The supervisor rejected an activity, with a note; the employee may correct it."""

    topic: ClassVar[str] = "reporting.activity.v1"

    activity_id: str
    employee_id: str
    verifier_id: str
    note: str
    evidence_sha256: list[str] = Field(
        default_factory=list,
        description="SHA-256 of each evidence file attached when this happened (spots files claimed twice).",
    )

    def partition_key(self) -> str:
        return self.employee_id


class ActivityCorrected(Event):
    """The employee corrected a rejected activity; it awaits verification again."""

    topic: ClassVar[str] = "reporting.activity.v1"

    activity_id: str
    employee_id: str
    occurred_at: datetime
    quantity: Decimal | None = None
    denominator: Decimal | None = None
    description: str
    obstacles: str | None = Field(default=None, description="Kendala met while doing it.")
    evidence_sha256: list[str] = Field(
        default_factory=list,
        description="SHA-256 of each evidence file attached when this happened (spots files claimed twice).",
    )

    def partition_key(self) -> str:
        return self.employee_id


class EvidenceAttached(Event):
    """The employee attached an evidence file (bukti dukung) to an activity after reporting it.

    Keyed like the activity's other events, so it follows the report on its partition; a consumer
    that sees it first keeps it until the report arrives.
    """

    topic: ClassVar[str] = "reporting.activity.v1"

    activity_id: str
    employee_id: str
    sha256: str = Field(description="SHA-256 of the file's content, lower-case hex.")
    content_type: str
    size_bytes: int

    def partition_key(self) -> str:
        return self.employee_id


class FieldVisitLogged(Event):
    """A supervisor logged a field visit (kunjungan lapangan)."""

    topic: ClassVar[str] = "reporting.field_visit.v1"

    visit_id: str
    supervisor_id: str
    employee_ids: list[str]
    location: str
    visited_at: datetime
    findings: str
    follow_up: str | None = None

    def partition_key(self) -> str:
        return self.supervisor_id
