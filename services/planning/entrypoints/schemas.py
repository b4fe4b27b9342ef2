"""Request and response models of the planning API (``<Entity>Create`` / ``<Entity>Read``)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.contracts.planning import Aggregation, Aspect, Direction

PERIOD_KEY = re.compile(r"\d{4}-(Q[1-4]|M(0[1-9]|1[0-2])|S[12])")

Slug = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$", description="Lower-case id, e.g. 'medan'.")


class RegionCreate(BaseModel):
    """A region (pemerintah daerah) joining the platform."""

    region_id: str = Slug
    name: str = Field(min_length=2, max_length=200)
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = "Asia/Jakarta"
    period_kind: Literal["monthly", "quarterly", "semester"] = "quarterly"


class RegionRead(RegionCreate):
    """A region as stored."""


class UnitCreate(BaseModel):
    """An organisational unit: dinas / OPD, section or service point."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=2, max_length=300)
    kind: Literal["agency", "section", "service_point"] = "agency"
    parent_unit_id: str | None = None
    organisation_predicate: (
        Literal["istimewa", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"] | None
    ) = None


class UnitRead(UnitCreate):
    """A unit as stored."""

    unit_id: str
    region_id: str


class EmployeeCreate(BaseModel):
    """An employee (ASN) with their unit, position and supervisor."""

    employee_id: str | None = Field(default=None, max_length=64, description="Generated when omitted.")
    nip: str = Field(pattern=r"^\d{18}$", description="Nomor Induk Pegawai: 18 digits.")
    name: str = Field(min_length=2, max_length=300)
    unit_id: str
    position: str = Field(min_length=2, max_length=200)
    job_type: str = Field(min_length=2, max_length=64)
    supervisor_id: str | None = None
    effective_from: date


class EmployeeRead(EmployeeCreate):
    """An employee as stored."""

    employee_id: str
    region_id: str


class IndicatorIn(BaseModel):
    """An indicator (IKI) with its target and optional period split."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=300)
    code: str | None = Field(default=None, max_length=64)
    aspect: Aspect = "quantity"
    direction: Direction = "higher_is_better"
    aggregation: Aggregation = "sum"
    unit_of_measure: str = Field(min_length=1, max_length=64)
    target: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False, max_digits=18, decimal_places=4)
    qualitative_target: str | None = Field(default=None, max_length=1000)
    period_targets: dict[str, Decimal] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _target_present_and_split_adds_up(self) -> IndicatorIn:
        if self.target is None and not self.qualitative_target:
            raise ValueError("either a numeric target or a qualitative_target is required")
        for key, value in self.period_targets.items():
            if not PERIOD_KEY.fullmatch(key):
                raise ValueError(
                    f"period_targets key {key!r} is not a period such as '2026-Q1', '2026-M01' or '2026-S1'"
                )
            if not value.is_finite() or value < 0:
                raise ValueError(f"period_targets[{key}] must be a non-negative number")
        if self.period_targets and self.aggregation == "sum" and self.target is not None:
            total = sum(self.period_targets.values(), Decimal(0))
            if total != self.target:
                raise ValueError(f"period_targets add up to {total}, but the annual target is {self.target}")
        return self


class PlannedResultIn(BaseModel):
    """A planned result (RHK) with its indicators."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["main", "additional"] = "main"
    text: str = Field(min_length=3, max_length=2000)
    supports_result_id: str | None = None
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)


class WorkPlanCreate(BaseModel):
    """A new draft work plan (SKP) for the caller, for one year."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2020, le=2100)
    results: list[PlannedResultIn] = Field(min_length=1, max_length=50)

    @field_validator("results")
    @classmethod
    def _has_main_result(cls, results: list[PlannedResultIn]) -> list[PlannedResultIn]:
        if not any(result.kind == "main" for result in results):
            raise ValueError("a work plan needs at least one main (utama) result")
        return results

    @model_validator(mode="after")
    def _split_within_plan_year(self) -> WorkPlanCreate:
        for r, result in enumerate(self.results):
            for i, indicator in enumerate(result.indicators):
                for key in indicator.period_targets:
                    if not key.startswith(f"{self.year}-"):
                        raise ValueError(
                            f"results.{r}.indicators.{i}.period_targets: {key!r} is outside the plan year "
                            f"{self.year}"
                        )
        return self


class IndicatorRead(IndicatorIn):
    """An indicator as stored, with its id."""

    indicator_id: str


class PlannedResultRead(BaseModel):
    """A planned result as stored, with ids."""

    result_id: str
    kind: Literal["main", "additional"]
    text: str
    supports_result_id: str | None
    indicators: list[IndicatorRead]


class WorkPlanRead(BaseModel):
    """A work plan as stored."""

    plan_id: str
    region_id: str
    employee_id: str
    rater_id: str
    year: int
    version: int
    status: Literal["draft", "submitted", "approved", "rejected", "superseded"]
    results: list[PlannedResultRead]
    rejection_reason: str | None = None


class RejectionCreate(BaseModel):
    """Why the rater rejects a submitted plan."""

    reason: str = Field(min_length=5, max_length=2000)
