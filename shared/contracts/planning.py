"""Events published by the planning service: organisation and approved work plans (SKP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event
from shared.contracts.periods import EventPeriodKey

Direction = Literal["higher_is_better", "lower_is_better"]
Aggregation = Literal["sum", "average", "last", "ratio"]
Aspect = Literal["quantity", "quality", "time", "cost"]


class RegionRegistered(Event):
    """A region (pemerintah daerah) joined the platform or changed its settings."""

    topic: ClassVar[str] = "planning.region.v1"

    name: str
    timezone: str = "Asia/Jakarta"
    period_kind: Literal["monthly", "quarterly", "semester"] = "quarterly"

    def partition_key(self) -> str:
        return self.region_id


class UnitUpserted(Event):
    """An organisational unit (dinas / OPD, section, service point) was created or changed."""

    topic: ClassVar[str] = "planning.organisation.v1"

    unit_id: str
    code: str
    name: str
    kind: str
    parent_unit_id: str | None = None
    organisation_predicate: str | None = Field(
        default=None, description="Predikat kinerja organisasi, which sets the expected distribution."
    )

    def partition_key(self) -> str:
        return self.unit_id


class EmployeeUpserted(Event):
    """An employee (ASN) was created or moved (unit, supervisor, position), effective from a date."""

    topic: ClassVar[str] = "planning.organisation.v1"

    employee_id: str
    nip: str
    name: str
    unit_id: str
    position: str
    job_type: str
    supervisor_id: str | None = None
    effective_from: date

    def partition_key(self) -> str:
        return self.employee_id


class IndicatorSnapshot(BaseModel):
    """An indicator (IKI) of a planned result as approved: target, direction and period split."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    indicator_id: str
    code: str | None = None
    name: str
    aspect: Aspect
    direction: Direction
    aggregation: Aggregation
    unit_of_measure: str
    target: Decimal | None = Field(default=None, description="Annual target; None when qualitative.")
    qualitative_target: str | None = None
    period_targets: dict[EventPeriodKey, Decimal] = Field(
        default_factory=dict, description="e.g. {'2026-Q1': 25}"
    )
    qualitative: bool = Field(
        default=False, description="A target statement whose realisation the rater judges (no numbers)."
    )


class PlannedResultSnapshot(BaseModel):
    """A planned result (RHK) as approved, with its indicators."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    result_id: str
    kind: Literal["main", "additional"]
    text: str
    supports_result_id: str | None = None
    indicators: list[IndicatorSnapshot]
    supports_employee_id: str | None = Field(
        default=None, description="Owner of the supported result (the rater when the link was made)."
    )


class WorkPlanApproved(Event):
    """An annual work plan (SKP) was approved by its rater; carries the full content."""

    topic: ClassVar[str] = "planning.work_plan.v1"

    plan_id: str
    employee_id: str
    rater_id: str
    unit_id: str
    job_type: str
    year: int
    version: int
    results: list[PlannedResultSnapshot]
    previous_plan_id: str | None = Field(default=None, description="The version this one revises, if any.")

    def partition_key(self) -> str:
        return self.employee_id


class WorkPlanSuperseded(Event):
    """An approved plan stopped being the one in force (revised into a new version, or withdrawn)."""

    topic: ClassVar[str] = "planning.work_plan.v1"

    plan_id: str
    employee_id: str
    year: int
    reason: Literal["revised", "withdrawn"]
    superseded_by_plan_id: str | None = Field(
        default=None, description="The newly approved version, when the plan was revised."
    )

    def partition_key(self) -> str:
        return self.employee_id
