"""The SKM report of a unit, or of one of its services, for a period."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    survey_aggregates,
    survey_responses,
)
from services.feedback.domain.periods import SurveyPeriod, parse_period
from services.feedback.domain.report import RespondentRow, SkmReport, build_skm_report
from services.feedback.service_layer.periods import in_period
from services.feedback.service_layer.read_models import (
    region_clock,
    unit_name,
)
from services.feedback.service_layer.satisfaction import (
    NO_SERVICE,
    no_responses,
    summed,
)
from services.feedback.service_layer.surveys.unit_services import service_row


async def skm_report(
    *, session: AsyncSession, region_id: str, unit_id: str, period: str, service_id: str | None
) -> SkmReport:
    """The SKM report of one service of a unit, or of the whole unit (every response), for a period."""
    survey_period: SurveyPeriod = parse_period(period)
    name = await unit_name(session, region_id, unit_id)
    key = service_id or NO_SERVICE
    service_name = (await service_row(session, region_id, unit_id, key)).name if key else None
    # The unit's report (no service asked) counts every response it received, as its index does.
    of_service = [survey_responses.c.service_id == key] if key else []
    responses: Sequence[Any] = (
        await session.execute(
            select(survey_responses)
            .where(
                survey_responses.c.region_id == region_id,
                survey_responses.c.unit_id == unit_id,
                *of_service,
                in_period(survey_responses.c.period, period),
            )
            .order_by(survey_responses.c.submitted_at, survey_responses.c.response_id)
        )
    ).all()
    if not responses:
        raise no_responses()
    aggregate_rows = await session.execute(
        select(survey_aggregates).where(
            survey_aggregates.c.region_id == region_id,
            survey_aggregates.c.unit_id == unit_id,
            *([survey_aggregates.c.service_id == key] if key else []),
            in_period(survey_aggregates.c.period, period),
        )
    )
    service_users = summed(aggregate_rows.all())[1]
    clock = await region_clock(session, region_id)
    return build_skm_report(
        unit_name=name,
        service_name=service_name,
        period=survey_period,
        rows=[
            RespondentRow(
                submitted_at=clock.local(row.submitted_at),
                scores=tuple(row.scores),
                age_band=row.age_band,
                sex=row.sex,
                education=row.education,
                occupation=row.occupation,
                comment=row.comment,
                ticketed=row.ticket_code is not None,
            )
            for row in responses
        ],
        service_users=service_users,
    )
