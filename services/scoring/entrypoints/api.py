"""HTTP API of the scoring service (read side of the materialized views)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.scoring.entrypoints.schemas import ScorecardRead, UnitDashboardRead
from services.scoring.service_layer import queries
from shared.auth import CurrentPrincipal, Role, require_roles
from shared.runtime import Context

router = APIRouter(prefix="/v1", tags=["scoring"])

Period = Annotated[
    str, Query(pattern=r"^\d{4}(-(Q[1-4]|M(0[1-9]|1[0-2])|S[12]))?$", description="e.g. 2026-Q3")
]


@router.get("/employees/{employee_id}/scorecard", response_model=ScorecardRead)
async def get_scorecard(
    employee_id: str, period: Period, context: Context, principal: CurrentPrincipal
) -> ScorecardRead:
    """An employee's live scorecard for a period (their own, their team's, or for HR and auditors)."""
    session = await context.read_session(principal.region)
    async with session:
        return await queries.scorecard(
            session=session, principal=principal, employee_id=employee_id, period=period
        )


@router.get(
    "/units/{unit_id}/dashboard",
    response_model=UnitDashboardRead,
    dependencies=[require_roles(Role.REGION_ADMIN, Role.AUDITOR, Role.RATER)],
)
async def get_unit_dashboard(
    unit_id: str, period: Period, context: Context, principal: CurrentPrincipal
) -> UnitDashboardRead:
    """A unit's dashboard for a period."""
    session = await context.read_session(principal.region)
    async with session:
        return await queries.unit_dashboard(
            session=session, principal=principal, unit_id=unit_id, period=period
        )
