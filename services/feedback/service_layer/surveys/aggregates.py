"""A unit's running survey sums per service and period, and the service users it reports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from services.feedback.adapters.tables import (
    survey_aggregates,
)
from services.feedback.domain.periods import parse_period
from services.feedback.domain.satisfaction import ServiceItem, SurveyAggregate, SurveyResponse
from services.feedback.service_layer.read_models import (
    find_employee,
    unit_name,
)
from services.feedback.service_layer.satisfaction import (
    NO_SERVICE,
    index_read,
    lock_unit,
    publish_index_changes,
    summed,
)
from services.feedback.service_layer.schemas import ServiceUsersRead, ServiceUsersReport
from services.feedback.service_layer.surveys.unit_services import service_row
from shared.auth import Principal, Role
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _aggregate_key(region_id: str, unit_id: str, service_id: str, period: str) -> tuple[Any, ...]:
    return (
        survey_aggregates.c.region_id == region_id,
        survey_aggregates.c.unit_id == unit_id,
        survey_aggregates.c.service_id == service_id,
        survey_aggregates.c.period == period,
    )


async def _locked_aggregate_row(
    uow: UnitOfWork, *, region_id: str, unit_id: str, service_id: str, period: str
) -> Any:
    await uow.session.execute(
        insert(survey_aggregates)
        .values(
            unit_id=unit_id,
            service_id=service_id,
            period=period,
            region_id=region_id,
            respondents=0,
            score_sums=[0] * len(ServiceItem),
        )
        .on_conflict_do_nothing(index_elements=["unit_id", "service_id", "period"])
    )
    # The row lock serialises concurrent responses to one unit, so no response is lost from the sums.
    return (
        await uow.session.execute(
            select(survey_aggregates)
            .where(*_aggregate_key(region_id, unit_id, service_id, period))
            .with_for_update()
        )
    ).one()


async def add_to_aggregate(
    uow: UnitOfWork,
    *,
    region_id: str,
    unit_id: str,
    service_id: str,
    period: str,
    response: SurveyResponse,
    ticketed: bool,
) -> None:
    """Add a response to the unit's sums for its service and period (every, and ticketed)."""
    await lock_unit(uow, region_id, unit_id)
    current = await _locked_aggregate_row(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=period
    )
    every = SurveyAggregate(score_sums=tuple(current.score_sums), respondents=current.respondents).add(
        response
    )
    values: dict[str, Any] = {"respondents": every.respondents, "score_sums": list(every.score_sums)}
    if ticketed:
        with_ticket = SurveyAggregate(
            score_sums=tuple(current.ticketed_score_sums), respondents=current.ticketed_respondents
        ).add(response)
        values |= {
            "ticketed_respondents": with_ticket.respondents,
            "ticketed_score_sums": list(with_ticket.score_sums),
        }
    await uow.session.execute(
        update(survey_aggregates)
        .where(*_aggregate_key(region_id, unit_id, service_id, period))
        .values(**values)
    )


async def report_service_users(
    *, uow: UnitOfWork, principal: Principal, unit_id: str, report: ServiceUsersReport
) -> ServiceUsersRead:
    """Record how many citizens the unit served in a period; the sample adequacy follows from it."""
    region_id = principal.region
    if parse_period(report.period).is_year:
        raise Refusal(
            "period_is_year",
            "Service users are reported per period of the region (e.g. 2026-Q3); the year's are their sum.",
            field="period",
        )
    await unit_name(uow.session, region_id, unit_id)
    if not principal.has(Role.REGION_ADMIN):
        reporter = (
            await find_employee(uow.session, region_id, principal.employee_id)
            if principal.employee_id
            else None
        )
        if reporter is None or reporter.unit_id != unit_id:
            raise Refusal(
                "not_your_unit",
                "Only the unit's own staff or the region's administrators may report its service users.",
                field="unit_id",
                kind=RefusalKind.FORBIDDEN,
            )
    service_id = report.service_id or NO_SERVICE
    if service_id:
        await service_row(uow.session, region_id, unit_id, service_id)
    await lock_unit(uow, region_id, unit_id)
    current = await _locked_aggregate_row(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=report.period
    )
    await uow.session.execute(
        update(survey_aggregates)
        .where(*_aggregate_key(region_id, unit_id, service_id, report.period))
        .values(service_users=report.service_users)
    )
    recorded = ServiceUsersRead(
        unit_id=unit_id,
        service_id=service_id or None,
        period=report.period,
        service_users=report.service_users,
        index=None,
    )
    if current.respondents == 0:
        return recorded
    counted, _ = summed([current])
    await publish_index_changes(
        uow, region_id=region_id, unit_id=unit_id, service_id=service_id, period=report.period
    )
    return recorded.model_copy(
        update={"index": index_read(unit_id, service_id, report.period, counted, report.service_users)}
    )
