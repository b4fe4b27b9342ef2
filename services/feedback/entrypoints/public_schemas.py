"""Response models of feedback's public (no account) directory and figures."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
    units: list[PublicUnitRead]
