"""What planning's use cases take and return, the API's bodies: ``<Entity>Create`` / ``Update`` / ``Read``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from services.planning.domain.organisation import JobType
from shared.contracts.periods import PeriodKey, period_key_parts
from shared.contracts.planning import Aggregation, Aspect, Direction
from shared.dates import BoundedDate
from shared.validation import invalid, without_nul


class Input(BaseModel):
    """Base of request bodies."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        return without_nul(data)


#: Jenis jabatan: the one list the import and the employee routes accept, documented as an enum;
#: common Indonesian names (guru, kepala, ...) are read as their code by ``JobType.parse``.
JobTypeName = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "enum": [job.value for job in JobType],
            "description": "Jenis jabatan; common Indonesian names such as 'guru' are read as their code.",
        }
    ),
]

Slug = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$", description="Lower-case id, e.g. 'medan'.")
UnitKindName = Literal["agency", "section", "service_point"]
OrganisationPredicate = Literal["istimewa", "baik", "butuh_perbaikan", "kurang", "sangat_kurang"]
PlanStatusName = Literal["draft", "submitted", "approved", "rejected", "superseded", "withdrawn"]


class RegionCreate(Input):
    """A region (pemerintah daerah) joining the platform."""

    region_id: str = Slug
    name: str = Field(min_length=2, max_length=200)
    timezone: Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"] = "Asia/Jakarta"
    period_kind: Literal["monthly", "quarterly", "semester"] = "quarterly"


class RegionRead(RegionCreate):
    """A region as stored."""


class UnitCreate(Input):
    """An organisational unit: agency (dinas / OPD), section (bidang) or service point (UPT, sekolah)."""

    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=2, max_length=300)
    kind: UnitKindName = "agency"
    parent_unit_id: str | None = None
    organisation_predicate: OrganisationPredicate | None = None


class UnitUpdate(Input):
    """Changes to a unit; fields left out stay as they are (``parent_unit_id: null`` makes it top-level)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=300)
    kind: UnitKindName | None = None
    parent_unit_id: str | None = None
    organisation_predicate: OrganisationPredicate | None = None


class UnitRead(UnitCreate):
    """A unit as stored."""

    unit_id: str
    region_id: str


class EmployeeCreate(Input):
    """An employee (ASN) with their unit, position, job type and supervisor from a date."""

    employee_id: str | None = Field(default=None, max_length=64, description="Generated when omitted.")
    nip: str = Field(pattern=r"^\d{18}$", description="Nomor Induk Pegawai: 18 digits.")
    name: str = Field(min_length=2, max_length=300)
    unit_id: str
    position: str = Field(min_length=2, max_length=200, description="Jabatan, e.g. 'Guru Ahli Pertama'.")
    job_type: JobTypeName = Field(min_length=2, max_length=64)
    supervisor_id: str | None = Field(default=None, description="Atasan langsung, who rates this employee.")
    effective_from: BoundedDate


class EmployeeRead(EmployeeCreate):
    """An employee with the assignment that holds on the date asked for (today in the region by default)."""

    employee_id: str
    region_id: str
    effective_from: date


class MoveCreate(Input):
    """A dated move (mutasi): a new unit, supervisor and/or position from ``effective_from``.

    Fields left out are unchanged; ``supervisor_id: null`` makes the employee a head with no rater.
    """

    model_config = ConfigDict(extra="forbid")

    effective_from: BoundedDate
    unit_id: str | None = None
    supervisor_id: str | None = None
    position: str | None = Field(default=None, min_length=2, max_length=200)
    job_type: JobTypeName | None = Field(default=None, min_length=2, max_length=64)

    @model_validator(mode="after")
    def _changes_something(self) -> MoveCreate:
        if not self.model_fields_set - {"effective_from"}:
            raise invalid(
                "a move changes at least one of unit_id, supervisor_id, position, job_type",
                "perpindahan harus mengubah unit_id, supervisor_id, position atau job_type",
            )
        return self


class AssignmentRead(BaseModel):
    """One dated assignment of an employee: it holds from ``effective_from`` until the next one."""

    effective_from: date
    unit_id: str
    position: str
    job_type: JobTypeName
    supervisor_id: str | None


class EmployeeHistoryRead(BaseModel):
    """An employee's assignments, oldest first."""

    employee_id: str
    region_id: str
    nip: str
    name: str
    assignments: list[AssignmentRead]


class IndicatorTemplateCreate(Input):
    """A region's own indicator template (template indikator) for some job types."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(
        min_length=2, max_length=64, description="Upper-case words joined by '-', e.g. MDN-PBB."
    )
    name_id: str = Field(min_length=2, max_length=300)
    name_en: str = Field(min_length=2, max_length=300)
    job_types: list[JobTypeName] = Field(min_length=1, max_length=20)
    aspect: Aspect
    unit_of_measure: str = Field(default="", max_length=64)
    direction: Direction = "higher_is_better"
    aggregation: Aggregation = "sum"
    qualitative: bool = False
    minimum: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=18, decimal_places=4)
    maximum: Decimal | None = Field(default=None, allow_inf_nan=False, max_digits=18, decimal_places=4)
    replaces_national: bool = Field(
        default=False, description="Replace the national template with this code for this region."
    )


class IndicatorTemplateRead(BaseModel):
    """An indicator template a region offers: a national default or the region's own."""

    code: str
    name_id: str
    name_en: str
    job_types: list[JobTypeName]
    aspect: Aspect
    unit_of_measure: str
    direction: Direction
    aggregation: Aggregation
    qualitative: bool
    minimum: Decimal | None
    maximum: Decimal | None
    region_id: str | None = Field(description="None for a national default.")


class IndicatorIn(Input):
    """An indicator (IKI) with its target and optional period split.

    With ``code`` naming an indicator template, the fields left out come from the template.
    """

    model_config = ConfigDict(extra="forbid")

    indicator_id: str | None = Field(
        default=None, description="Keep an existing indicator of this draft (its id survives revisions)."
    )
    name: str = Field(min_length=2, max_length=300)
    code: str | None = Field(default=None, max_length=64, description="Indicator template code.")
    aspect: Aspect = "quantity"
    direction: Direction = "higher_is_better"
    aggregation: Aggregation = "sum"
    unit_of_measure: str | None = Field(default=None, max_length=64)
    target: Decimal | None = Field(default=None, ge=0, allow_inf_nan=False, max_digits=18, decimal_places=4)
    qualitative_target: str | None = Field(default=None, max_length=1000)
    period_targets: dict[PeriodKey, Decimal] = Field(
        default_factory=dict, description="Targets of parts of the year, e.g. {'2026-Q1': 25}."
    )

    @model_validator(mode="after")
    def _target_present_and_keys_well_formed(self) -> IndicatorIn:
        if self.target is None and not self.qualitative_target:
            raise invalid(
                "either a numeric target or a qualitative_target is required",
                "target berupa angka atau qualitative_target wajib diisi",
            )
        for key, value in self.period_targets.items():
            parts = period_key_parts(key)
            if parts is not None and parts.letter is None:
                raise invalid(
                    f"period_targets key {key!r} is the whole year (that is the target); "
                    "split by parts of it, such as '2026-Q1', '2026-M01' or '2026-S1'",
                    f"kunci period_targets {key!r} adalah satu tahun penuh (itu targetnya); "
                    "bagi per bagian tahun, mis. '2026-Q1', '2026-M01' atau '2026-S1'",
                )
            if not value.is_finite() or value < 0:
                raise invalid(
                    f"period_targets[{key}] must be a non-negative number",
                    f"period_targets[{key}] harus berupa angka yang tidak negatif",
                )
        return self


class PlannedResultIn(Input):
    """A planned result (RHK) with its indicators."""

    model_config = ConfigDict(extra="forbid")

    result_id: str | None = Field(default=None, description="Keep an existing result of this draft.")
    kind: Literal["main", "additional"] = "main"
    text: str = Field(min_length=3, max_length=2000)
    supports_result_id: str | None = Field(
        default=None, description="A result of the rater's approved plan this one supports (intervensi)."
    )
    indicators: list[IndicatorIn] = Field(min_length=1, max_length=20)


def _has_main_result(results: list[PlannedResultIn]) -> list[PlannedResultIn]:
    if not any(result.kind == "main" for result in results):
        raise invalid(
            "a work plan needs at least one main (utama) result",
            "SKP memerlukan paling sedikit satu hasil kerja utama",
        )
    return results


class WorkPlanUpdate(Input):
    """The whole content of a draft work plan, replacing what it had."""

    model_config = ConfigDict(extra="forbid")

    results: list[PlannedResultIn] = Field(min_length=1, max_length=50)

    _main = field_validator("results")(_has_main_result)


class WorkPlanCreate(WorkPlanUpdate):
    """A new draft work plan (SKP) for the caller, for one year."""

    year: int = Field(ge=2020, le=2100)

    @model_validator(mode="after")
    def _split_within_plan_year(self) -> WorkPlanCreate:
        for r, result in enumerate(self.results):
            for i, indicator in enumerate(result.indicators):
                for key in indicator.period_targets:
                    if not key.startswith(f"{self.year}-"):
                        where = f"results.{r}.indicators.{i}.period_targets"
                        raise invalid(
                            f"{where}: {key!r} is outside the plan year {self.year}",
                            f"{where}: {key!r} di luar tahun rencana {self.year}",
                        )
        return self


class IndicatorRead(BaseModel):
    """An indicator as stored, with its id."""

    indicator_id: str
    name: str
    code: str | None = None
    aspect: Aspect
    direction: Direction
    aggregation: Aggregation
    unit_of_measure: str | None = None
    target: Decimal | None = None
    qualitative_target: str | None = None
    period_targets: dict[PeriodKey, Decimal] = Field(default_factory=dict)


class PlannedResultRead(BaseModel):
    """A planned result as stored, with ids."""

    result_id: str
    kind: Literal["main", "additional"]
    text: str
    supports_result_id: str | None
    supports_employee_id: str | None = None
    indicators: list[IndicatorRead]


class WorkPlanRead(BaseModel):
    """A work plan (SKP) version as stored."""

    plan_id: str
    region_id: str
    employee_id: str
    rater_id: str
    year: int
    version: int
    status: PlanStatusName
    results: list[PlannedResultRead]
    rejection_reason: str | None = None
    previous_plan_id: str | None = None
    superseded_by: str | None = None


class CascadeNodeRead(BaseModel):
    """An approved planned result with the subordinates' results that support it."""

    result_id: str
    plan_id: str
    employee_id: str
    kind: Literal["main", "additional"]
    text: str
    children: list[CascadeNodeRead]


class CascadeGapRead(BaseModel):
    """A supervisor's main result that no subordinate's approved plan supports."""

    employee_id: str
    result_id: str
    text: str
    subordinates_without_approved_plan: list[str]


class ResultRefRead(BaseModel):
    """A planned result by owner."""

    employee_id: str
    result_id: str


class CascadeRead(BaseModel):
    """The cascade (cascading) of a year's approved plans for a region, a unit or a rater's team."""

    year: int
    on: date
    unit_id: str | None
    roots: list[CascadeNodeRead]
    gaps: list[CascadeGapRead]
    unlinked: list[ResultRefRead]
    dangling: list[ResultRefRead]
    employees_without_approved_plan: list[str]
