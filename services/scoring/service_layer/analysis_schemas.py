"""What scoring's analyses answer: flags, diagnoses, raters' objectivity, rewards."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from shared.contracts.periods import PeriodKey


class FlagRead(BaseModel):
    """A flag raised by scoring (anomaly, system problem, rater objectivity)."""

    flag_id: str
    kind: str
    subject_id: str
    period: PeriodKey
    details: dict[str, Any]
    raised_at: datetime


class ShortfallRead(BaseModel):
    """A missed indicator and whose problem it is."""

    code: str
    aspect: str
    achievement: Decimal
    scope: str


class RecommendationRead(BaseModel):
    """A training recommended for an employee."""

    code: str
    kind: str
    title_id: str
    title_en: str
    because_indicators: list[str]
    because_values: list[str]


class EmployeeDiagnosisRead(BaseModel):
    """An employee's own shortfalls, weak values and the development that fits."""

    employee_id: str
    individual: list[ShortfallRead]
    systemic: list[ShortfallRead]
    weak_values: list[str]
    recommendations: list[RecommendationRead]


class SystemProblemRead(BaseModel):
    """An indicator most of a unit missed: a system problem, not individual ones."""

    code: str
    holders: int
    missed: int


class UnitDiagnosisRead(BaseModel):
    """Diagnosis of a unit and period."""

    unit_id: str
    period: PeriodKey
    system_problems: list[SystemProblemRead]
    employees: list[EmployeeDiagnosisRead]


class RaterObjectivityRead(BaseModel):
    """How one rater's decisions compare with the data-driven proposals."""

    rater_id: str
    team_size: int
    leniency_index: Decimal
    override_rate: Decimal
    assessed: bool
    flags: list[str]


class RewardWinnerRead(BaseModel):
    """A top performer."""

    employee_id: str
    predicate: str
    achievement: Decimal | None


class RewardGroupRead(BaseModel):
    """The top performers of one unit and job type."""

    unit_id: str
    job_type: str
    winners: list[RewardWinnerRead]
