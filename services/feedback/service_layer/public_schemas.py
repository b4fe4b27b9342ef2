"""Response models of feedback's public (no account) directory and figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from shared.contracts.periods import PeriodKey


class RegionNameRead(BaseModel):
    """A region in the public list."""

    region_id: str
    name: str
    timezone: str = Field(description="IANA zone, e.g. Asia/Jayapura (WIT).")


class PublicServiceRead(BaseModel):
    """A service of a unit that citizens rate (jenis layanan)."""

    service_id: str
    name: str


class PublicUnitRead(BaseModel):
    """A unit (OPD) with its rated services."""

    unit_id: str
    name: str
    services: list[PublicServiceRead]


class PublicRegionRead(BaseModel):
    """A region as citizens see it: name, time zone, units and their services."""

    region_id: str
    name: str
    timezone: str = Field(description="IANA zone, e.g. Asia/Jayapura (WIT).")
    period_kind: str = Field(
        description="The region's periods besides the year: monthly, quarterly or semester."
    )
    units: list[PublicUnitRead]


class PublicComplaintFigures(BaseModel):
    """Complaints about a unit filed in the period, and those closed without a missed deadline."""

    filed: int
    closed_within_deadline: int


class PublicUnitFigures(BaseModel):
    """A unit's public figures for one period (index None: no responses yet)."""

    unit_id: str
    name: str
    respondents: int
    index: Decimal | None = Field(description="IKM, 25-100, over every response to the unit.")
    grade: str | None
    grade_label_id: str | None
    sample_adequate: bool | None = Field(description="None until the unit reports its service users.")
    complaints: PublicComplaintFigures


class PublicFiguresRead(BaseModel):
    """A region's transparency figures for a period."""

    region_id: str
    name: str
    timezone: str
    period: PeriodKey
    first_day: date
    last_day: date
    units: list[PublicUnitFigures]
