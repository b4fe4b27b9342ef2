"""My scorecard (capaian kinerja): progress per indicator and period down to the activities, the
proposed rating and its reasons, feedback received and behaviour assessments (peers only pooled)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.web.access import PageRoute
from services.web.adapters.services_api import ApiProblem, Service
from services.web.adapters.sessions import WebSession
from services.web.context import Web
from services.web.entrypoints.employees.common import Employee, region_of

router = APIRouter(include_in_schema=False, route_class=PageRoute)

PERIOD = re.compile(r"^(20\d\d)-(Q[1-4]|S[12]|M(0[1-9]|1[0-2]))$|^(20\d\d)$")


def _current_quarter(timezone: str | None) -> str:
    today = datetime.now(ZoneInfo(timezone) if timezone else None)
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


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
    """The period's scorecard (the current quarter in the region's zone unless another is chosen)."""
    region = await region_of(web, person)
    timezone = region.timezone if region else None
    period = periode if periode and PERIOD.match(periode) else _current_quarter(timezone)
    me, token = person.employee_id, person.access_token
    card = await _or_none(
        web.apis.get_json(
            Service.SCORING, f"/v1/employees/{me}/scorecard", params={"period": period}, token=token
        )
    )
    feedback = await _or_none(
        web.apis.get_json(
            Service.FEEDBACK,
            f"/v1/employees/{me}/continuous-feedback",
            params={"period": period},
            token=token,
        )
    )
    behaviour = await _or_none(
        web.apis.get_json(
            Service.FEEDBACK, f"/v1/employees/{me}/behaviour", params={"period": period}, token=token
        )
    )
    year = period[:4]
    return web.pages.render(
        request,
        "employees/scorecard.html",
        {
            "period": period,
            "periods": [f"{year}-Q{quarter}" for quarter in range(1, 5)] + [year],
            "card": card,
            "feedback": feedback or [],
            "behaviour": behaviour,
        },
        timezone=timezone,
    )
