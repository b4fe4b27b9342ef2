"""What only the HTTP API answers: an analysis run's summary (the use cases' own models are in
service_layer/schemas.py and service_layer/analysis_schemas.py)."""

from __future__ import annotations

from pydantic import BaseModel

from services.scoring.service_layer.analysis_schemas import FlagRead
from shared.contracts.periods import PeriodKey


class AnalysisRead(BaseModel):
    """What a period analysis found and how many new flags it raised."""

    period: PeriodKey
    flags_raised: int
    flags: list[FlagRead]
