"""What feedback's route modules share: validated path and query parameters, and the clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Path, Query

from services.feedback.service_layer.schemas import ID_PATTERN
from shared.contracts.periods import PeriodKey

RegionId = Annotated[str, Path(pattern=ID_PATTERN)]
UnitId = Annotated[str, Path(pattern=ID_PATTERN)]
EntityId = Annotated[str, Path(pattern=ID_PATTERN)]
IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]
TrackingCode = Annotated[str, Path(pattern=r"^[A-Za-z0-9 -]{10,16}$", description="e.g. 7KQ3M-XR8T2")]
PeriodQuery = Annotated[PeriodKey, Query()]


def utc_now() -> datetime:
    """The current instant, as every route stamps what it records."""
    return datetime.now(UTC)
