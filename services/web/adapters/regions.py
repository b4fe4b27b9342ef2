"""Public facts about a region the pages need: its name, its time zone and its units' services.

They come from feedback's public region endpoint (feedback keeps the region and unit facts planning
publishes, zone included) and are kept in this process for a few minutes: they change rarely and
nearly every page needs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.web.adapters.services_api import ApiProblem, Service, ServiceApis


@dataclass(frozen=True)
class RatedService:
    """A service of a unit that citizens rate (jenis layanan)."""

    service_id: str
    name: str


@dataclass(frozen=True)
class PublicUnit:
    """A unit (OPD) and its rated services."""

    unit_id: str
    name: str
    services: tuple[RatedService, ...]

    def service(self, service_id: str | None) -> RatedService | None:
        """One of its services by id."""
        return next((s for s in self.services if s.service_id == service_id), None)


@dataclass(frozen=True)
class RegionProfile:
    """A region as the public pages show it."""

    region_id: str
    name: str
    timezone: str
    units: tuple[PublicUnit, ...]
    #: The region's periods besides the year (monthly, quarterly or semester): what its scorecards
    #: and satisfaction figures are kept for.
    period_kind: str = "quarterly"

    def unit(self, unit_id: str | None) -> PublicUnit | None:
        """One of its units by id."""
        return next((u for u in self.units if u.unit_id == unit_id), None)


@dataclass(frozen=True)
class RegionName:
    """A region in the list of regions."""

    region_id: str
    name: str
    timezone: str


class RegionDirectory:
    """Region profiles by id, asked from feedback and cached briefly."""

    def __init__(self, apis: ServiceApis, *, cache_seconds: float) -> None:
        self._apis = apis
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[RegionProfile, float]] = {}
        self._all: tuple[list[RegionName], float] | None = None

    async def all(self, *, fresh: bool = False) -> list[RegionName]:
        """Every region on the platform, by name (``fresh``: asked now, whatever was cached)."""
        if not fresh and self._all is not None and time.monotonic() - self._all[1] < self._cache_seconds:
            return self._all[0]
        document = await self._apis.get_json(Service.FEEDBACK, "/v1/public/regions")
        regions = [RegionName(r["region_id"], r["name"], r["timezone"]) for r in document]
        self._all = (regions, time.monotonic())
        return regions

    async def get(self, region_id: str) -> RegionProfile | None:
        """The region's profile, or None when no such region exists."""
        cached = self._cache.get(region_id)
        if cached is not None and time.monotonic() - cached[1] < self._cache_seconds:
            return cached[0]
        try:
            document = await self._apis.get_json(Service.FEEDBACK, f"/v1/public/regions/{region_id}")
        except ApiProblem as problem:
            if problem.status in (404, 422):
                return None
            raise
        profile = RegionProfile(
            region_id=document["region_id"],
            name=document["name"],
            timezone=document["timezone"],
            period_kind=document["period_kind"],
            units=tuple(
                PublicUnit(
                    unit_id=unit["unit_id"],
                    name=unit["name"],
                    services=tuple(
                        RatedService(service_id=s["service_id"], name=s["name"]) for s in unit["services"]
                    ),
                )
                for unit in document["units"]
            ),
        )
        self._cache[region_id] = (profile, time.monotonic())
        return profile

    def forget(self, region_id: str) -> None:
        """Drop a cached profile (e.g. after a service was declared)."""
        self._cache.pop(region_id, None)
