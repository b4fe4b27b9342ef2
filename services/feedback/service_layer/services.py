"""Use cases of the feedback service."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import survey_aggregates, survey_responses, units
from services.feedback.domain.errors import DomainError
from services.feedback.domain.sampling import assess_sample
from services.feedback.domain.satisfaction import ServiceItem, SurveyAggregate, SurveyResponse
from services.feedback.entrypoints.schemas import (
    ItemScore,
    SatisfactionIndexRead,
    SurveyResponseCreate,
    SurveyResponseRead,
)
from services.feedback.metrics import SURVEY_RESPONSES
from shared.contracts import Envelope
from shared.contracts.feedback import SatisfactionIndexChanged, SurveyResponseAccepted
from shared.contracts.planning import UnitUpserted
from shared.errors import NotFound, Unprocessable
from shared.unit_of_work import UnitOfWork

NO_SERVICE = ""


def quarter_of(moment: datetime) -> str:
    """The survey period of a moment (quarterly: the regulation's common cadence)."""
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def _as_api_error(error: DomainError) -> Unprocessable:
    return Unprocessable(error.code, error.message_en, error.message_id, field=error.field)


async def submit_survey_response(
    *, uow: UnitOfWork, region_id: str, unit_id: str, response_in: SurveyResponseCreate
) -> SurveyResponseRead:
    """Accept a citizen's response and update the unit's live index in the same transaction."""
    known = await uow.session.scalar(
        select(units.c.unit_id).where(units.c.unit_id == unit_id, units.c.region_id == region_id)
    )
    if known is None:
        raise NotFound(
            "unknown_unit", "No such service unit.", "Unit layanan tidak ditemukan.", field="unit_id"
        )
    missing = [item.value for item in ServiceItem if item not in response_in.scores]
    if missing:
        raise Unprocessable(
            "missing_items",
            f"Every item must be scored; missing: {', '.join(missing)}.",
            f"Semua unsur harus dinilai; belum dinilai: {', '.join(missing)}.",
            field="scores",
        )
    try:
        response = SurveyResponse.from_mapping(response_in.scores)
    except DomainError as error:
        raise _as_api_error(error) from error
    period = quarter_of(datetime.now(UTC))
    service_id = response_in.service_id or NO_SERVICE
    response_id = uuid.uuid4().hex
    scores = list(response.scores)
    await uow.session.execute(
        insert(survey_responses).values(
            response_id=response_id,
            region_id=region_id,
            unit_id=unit_id,
            service_id=service_id,
            period=period,
            scores=scores,
            comment=response_in.comment,
        )
    )
    key = (
        survey_aggregates.c.unit_id == unit_id,
        survey_aggregates.c.service_id == service_id,
        survey_aggregates.c.period == period,
    )
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
    current = (await uow.session.execute(select(survey_aggregates).where(*key).with_for_update())).one()
    aggregate = SurveyAggregate(score_sums=tuple(current.score_sums), respondents=current.respondents).add(
        response
    )
    await uow.session.execute(
        update(survey_aggregates)
        .where(*key)
        .values(respondents=aggregate.respondents, score_sums=list(aggregate.score_sums))
    )
    index = aggregate.index()
    adequacy = assess_sample(aggregate.respondents, current.service_users) if current.service_users else None
    uow.emit(
        SurveyResponseAccepted(
            region_id=region_id,
            response_id=response_id,
            unit_id=unit_id,
            service_id=service_id or None,
            period=period,
            scores=scores,
        )
    )
    uow.emit(
        SatisfactionIndexChanged(
            region_id=region_id,
            unit_id=unit_id,
            service_id=service_id or None,
            period=period,
            respondents=aggregate.respondents,
            item_means=[
                Decimal(r.nrr.numerator) / Decimal(r.nrr.denominator) for r in aggregate.item_results()
            ],
            index=index.rounded,
            grade=index.grade.value,
            sample_adequate=adequacy.is_adequate if adequacy else None,
        )
    )
    SURVEY_RESPONSES.inc()
    return SurveyResponseRead(response_id=response_id, unit_id=unit_id, period=period)


async def satisfaction_index(
    *, session: AsyncSession, region_id: str, unit_id: str, period: str, service_id: str | None
) -> SatisfactionIndexRead:
    """The live index of a unit, service and period."""
    row = (
        await session.execute(
            select(survey_aggregates).where(
                survey_aggregates.c.unit_id == unit_id,
                survey_aggregates.c.region_id == region_id,
                survey_aggregates.c.period == period,
                survey_aggregates.c.service_id == (service_id or NO_SERVICE),
            )
        )
    ).first()
    if row is None:
        raise NotFound("no_responses", "No survey responses for this unit and period yet.")
    aggregate = SurveyAggregate(score_sums=tuple(row.score_sums), respondents=row.respondents)
    index = aggregate.index()
    adequacy = assess_sample(row.respondents, row.service_users) if row.service_users else None
    return SatisfactionIndexRead(
        unit_id=unit_id,
        service_id=row.service_id,
        period=period,
        respondents=row.respondents,
        items=[
            ItemScore(
                item=r.item,
                label_id=r.item.label_id,
                mean=(Decimal(r.nrr.numerator) / Decimal(r.nrr.denominator)).quantize(Decimal("0.01")),
            )
            for r in aggregate.item_results()
        ],
        index=index.rounded,
        grade=index.grade.value,
        grade_label_id=index.grade.label_id,
        required_sample=adequacy.required if adequacy else None,
        sample_adequate=adequacy.is_adequate if adequacy else None,
        improvement_priorities=[r.item for r in aggregate.improvement_priorities()],
    )


async def on_unit_upserted(session: AsyncSession, event: UnitUpserted, _: Envelope) -> None:
    """Remember units so citizens can rate them."""
    statement = insert(units).values(unit_id=event.unit_id, region_id=event.region_id, name=event.name)
    await session.execute(
        statement.on_conflict_do_update(index_elements=["unit_id"], set_={"name": statement.excluded.name})
    )
