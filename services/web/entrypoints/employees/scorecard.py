"""My scorecard (capaian kinerja): progress per indicator and period down to the activities, the
proposed rating and its reasons, feedback received and behaviour assessments (peers only pooled)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.web.access import PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web
from services.web.entrypoints.employees.common import Employee, region_of, timezone_of
from services.web.periods import DEFAULT_KIND, chosen_period, current_period, period_choices

router = APIRouter(include_in_schema=False, route_class=PageRoute)


async def _or_none(call: Any) -> Any:
    """A read that may find nothing yet (no plan approved, no assessment): None instead of a 404 page."""
    try:
        return await call
    except ApiProblem as problem:
        if problem.status in (404, 409):
            return None
        raise


@router.get("/saya/capaian")
async def my_scorecard(
    request: Request, web: Web, periode: str | None = None, person: WebSession = Employee
) -> HTMLResponse:
    """The period's scorecard: the region's current period in its zone unless another is chosen (a
    year, or one of the region's periods: what scoring keeps scorecards for)."""
    region = await region_of(web, person)
    timezone = timezone_of(region)
    kind = region.period_kind if region else DEFAULT_KIND
    period = chosen_period(periode, kind, timezone)
    me, token = person.employee_id, person.access_token
    # Three independent reads: asked together, the page waits for the slowest, not their sum.
    card, feedback, behaviour = await asyncio.gather(
        _or_none(
            web.apis.get_json(
                Service.SCORING, f"/v1/employees/{me}/scorecard", params={"period": period}, token=token
            )
        ),
        _or_none(
            web.apis.get_json(
                Service.FEEDBACK,
                f"/v1/employees/{me}/continuous-feedback",
                params={"period": period},
                token=token,
            )
        ),
        _or_none(
            web.apis.get_json(
                Service.FEEDBACK, f"/v1/employees/{me}/behaviour", params={"period": period}, token=token
            )
        ),
    )
    return web.pages.render(
        request,
        "employees/scorecard.html",
        {
            "period": period,
            "periods": period_choices(kind, period, current_period(kind, timezone)),
            "card": card,
            "feedback": feedback or [],
            "behaviour": behaviour,
        },
        timezone=timezone,
    )
