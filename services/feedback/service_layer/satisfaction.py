"""The satisfaction index (IKM) of a unit or of one of its services: read live, published when it changes.

A unit's index is computed over every response it received (each of its services, and those about
the unit in general) by the SKM rule: each item's mean (NRR) over all those responses, then their
mean times 25. It is not a mean of its services' indices, which would weigh a service answered
twice like one answered two hundred times. Every response changes four indices: its service's and
its unit's, of its period and of that period's year; each is published (``SatisfactionIndexChanged``,
``service_id`` None for the unit as a whole), so scoring's dashboards need no sums of their own.

Responses without a ticket (a unit's public link) cannot be traced to a service given, so wherever
any response of an index's scope and period redeemed a ticket, the index counts the ticketed ones
only; the others are still counted and shown (``unticketed_respondents``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import survey_aggregates
from services.feedback.domain.periods import parse_period
from services.feedback.domain.sampling import SampleAdequacy, assess_sample
from services.feedback.domain.satisfaction import SurveyAggregate
from services.feedback.service_layer.periods import in_period
from services.feedback.service_layer.read_models import unit_name
from services.feedback.service_layer.schemas import ItemScore, SatisfactionIndexRead
from shared.contracts.feedback import SatisfactionIndexChanged
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

#: Service key of responses about the unit as a whole (no particular service).
NO_SERVICE = ""


def _mean(numerator: int, denominator: int) -> Decimal:
    return Decimal(numerator) / Decimal(denominator)


async def lock_unit(uow: UnitOfWork, region_id: str, unit_id: str) -> None:
    """Serialise changes to one unit's responses: the unit's index sums every service's rows, and
    two responses to two services, each unaware of the other, would both publish a total missing one."""
    key = f"feedback.skm/{region_id}/{unit_id}"
    await uow.session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


@dataclass(frozen=True)
class Counted:
    """The responses an index counts (the ticketed ones if any, else all), and how many of each kind."""

    aggregate: SurveyAggregate
    ticketed: int
    unticketed: int

    @property
    def basis(self) -> str:
        """Which responses the index counts: ``ticketed`` or ``all``."""
        return "ticketed" if self.ticketed else "all"


def summed(rows: Sequence[Any]) -> tuple[Counted, int | None]:
    """The responses of several aggregate rows, and their service users if every one with responses
    reported them (a year's sample is adequate only against the year's whole population)."""
    every, with_ticket = SurveyAggregate(), SurveyAggregate()
    for row in rows:
        every = every.merge(SurveyAggregate(score_sums=tuple(row.score_sums), respondents=row.respondents))
        with_ticket = with_ticket.merge(
            SurveyAggregate(score_sums=tuple(row.ticketed_score_sums), respondents=row.ticketed_respondents)
        )
    reported = [row.service_users for row in rows if row.respondents > 0]
    service_users = sum(reported) if reported and None not in reported else None
    counted = Counted(
        aggregate=with_ticket if with_ticket.respondents else every,
        ticketed=with_ticket.respondents,
        unticketed=every.respondents - with_ticket.respondents,
    )
    return counted, service_users


async def unit_rows(session: AsyncSession, region_id: str, unit_id: str, period: str) -> list[Any]:
    """The unit's aggregate rows of a period (of its periods, for a year), every service's."""
    return list(
        (
            await session.execute(
                select(survey_aggregates)
                .where(
                    survey_aggregates.c.region_id == region_id,
                    survey_aggregates.c.unit_id == unit_id,
                    in_period(survey_aggregates.c.period, period),
                )
                .order_by(survey_aggregates.c.service_id, survey_aggregates.c.period)
            )
        ).all()
    )


async def publish_index_changes(
    uow: UnitOfWork, *, region_id: str, unit_id: str, service_id: str, period: str
) -> None:
    """Publish the indices a change to one service's aggregate of a period moved (see the module)."""
    changed = [period] if parse_period(period).is_year else [period, period[:4]]
    for key in changed:
        rows = await unit_rows(uow.session, region_id, unit_id, key)
        scopes: list[tuple[str | None, list[Any]]] = [(None, rows)]
        if service_id != NO_SERVICE:
            scopes.append((service_id, [row for row in rows if row.service_id == service_id]))
        for scope, scope_rows in scopes:
            counted, service_users = summed(scope_rows)
            if counted.aggregate.respondents:
                uow.emit(_index_changed(region_id, unit_id, scope, key, counted.aggregate, service_users))


def _index_changed(
    region_id: str,
    unit_id: str,
    service_id: str | None,
    period: str,
    aggregate: SurveyAggregate,
    service_users: int | None,
) -> SatisfactionIndexChanged:
    index = aggregate.index()
    adequacy = assess_sample(aggregate.respondents, service_users) if service_users else None
    return SatisfactionIndexChanged(
        region_id=region_id,
        unit_id=unit_id,
        service_id=service_id,
        period=period,
        respondents=aggregate.respondents,
        item_means=[_mean(r.nrr.numerator, r.nrr.denominator) for r in aggregate.item_results()],
        index=index.rounded,
        grade=index.grade.value,
        sample_adequate=adequacy.is_adequate if adequacy else None,
        required_sample=adequacy.required if adequacy else None,
        service_users=service_users,
    )


def index_read(
    unit_id: str,
    service_id: str,
    period: str,
    counted: Counted,
    service_users: int | None,
    services: list[SatisfactionIndexRead] | None = None,
) -> SatisfactionIndexRead:
    """The index as the API shows it, with its items, grade and sample adequacy."""
    aggregate = counted.aggregate
    index = aggregate.index()
    adequacy: SampleAdequacy | None = (
        assess_sample(aggregate.respondents, service_users) if service_users else None
    )
    return SatisfactionIndexRead(
        unit_id=unit_id,
        service_id=service_id,
        period=period,
        respondents=aggregate.respondents,
        ticketed_respondents=counted.ticketed,
        unticketed_respondents=counted.unticketed,
        counted=counted.basis,
        items=[
            ItemScore(
                item=r.item,
                label_id=r.item.label_id,
                mean=_mean(r.nrr.numerator, r.nrr.denominator).quantize(Decimal("0.01")),
            )
            for r in aggregate.item_results()
        ],
        index=index.rounded,
        grade=index.grade.value,
        grade_label_id=index.grade.label_id,
        required_sample=adequacy.required if adequacy else None,
        sample_adequate=adequacy.is_adequate if adequacy else None,
        improvement_priorities=[r.item for r in aggregate.improvement_priorities()],
        service_users=service_users,
        sample_shortfall=adequacy.shortfall if adequacy else None,
        services=services or [],
    )


def no_responses() -> Refusal:
    """404: nobody answered the survey for this unit (or service) and period yet."""
    return Refusal(
        "no_responses", "No survey responses for this unit and period yet.", kind=RefusalKind.NOT_FOUND
    )


def _per_service(unit_id: str, period: str, rows: list[Any]) -> list[SatisfactionIndexRead]:
    by_service: dict[str, list[Any]] = {}
    for row in rows:
        if row.respondents > 0:
            by_service.setdefault(row.service_id, []).append(row)
    return [
        index_read(unit_id, service, period, *summed(service_rows))
        for service, service_rows in sorted(by_service.items())
    ]


async def satisfaction_index(
    *, session: AsyncSession, region_id: str, unit_id: str, period: str, service_id: str | None
) -> SatisfactionIndexRead:
    """The live index of one service of a unit, or of the whole unit (every response) with each service's."""
    await unit_name(session, region_id, unit_id)
    rows = await unit_rows(session, region_id, unit_id, period)
    if service_id:
        counted, service_users = summed([row for row in rows if row.service_id == service_id])
        if counted.aggregate.respondents == 0:
            raise no_responses()
        return index_read(unit_id, service_id, period, counted, service_users)
    counted, service_users = summed(rows)
    if counted.aggregate.respondents == 0:
        raise no_responses()
    return index_read(
        unit_id, NO_SERVICE, period, counted, service_users, _per_service(unit_id, period, rows)
    )


async def satisfaction_indices(
    *, session: AsyncSession, region_id: str, unit_id: str, period: str
) -> list[SatisfactionIndexRead]:
    """The live index of every service of a unit in a period ("": responses about no particular service)."""
    await unit_name(session, region_id, unit_id)
    return _per_service(unit_id, period, await unit_rows(session, region_id, unit_id, period))
