"""The services a unit declares for the survey (layanan): each with its own questionnaire kind."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import (
    unit_services,
)
from services.feedback.domain.survey import SurveyKind
from services.feedback.service_layer.read_models import (
    unit_name,
)
from services.feedback.service_layer.schemas import UnitServiceCreate, UnitServiceRead
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _unit_service_read(row: Any) -> UnitServiceRead:
    kind = SurveyKind(row.survey_kind)
    return UnitServiceRead(
        unit_id=row.unit_id,
        service_id=row.service_id,
        name=row.name,
        survey_kind=kind,
        survey_kind_label_id=kind.label_id,
    )


async def service_row(session: AsyncSession, region_id: str, unit_id: str, service_id: str) -> Any:
    """The unit's declared service, or a 404 naming the service_id field."""
    row = (
        await session.execute(
            select(unit_services).where(
                unit_services.c.region_id == region_id,
                unit_services.c.unit_id == unit_id,
                unit_services.c.service_id == service_id,
            )
        )
    ).first()
    if row is None:
        raise Refusal(
            "unknown_service",
            "The unit has no service '%(service_id)s'.",
            field="service_id",
            kind=RefusalKind.NOT_FOUND,
            params={"service_id": service_id},
        )
    return row


async def declare_unit_service(
    *, uow: UnitOfWork, region_id: str, unit_id: str, service_in: UnitServiceCreate
) -> UnitServiceRead:
    """Add (or rename) a service of a unit that citizens can rate."""
    await unit_name(uow.session, region_id, unit_id)
    values = {"name": service_in.name, "survey_kind": service_in.survey_kind.value}
    statement = insert(unit_services).values(
        region_id=region_id, unit_id=unit_id, service_id=service_in.service_id, **values
    )
    row = (
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["unit_id", "service_id"],
                set_=values,
                where=unit_services.c.region_id == region_id,
            ).returning(*unit_services.c)
        )
    ).first()
    if row is None:
        raise Refusal("unknown_unit", "No such service unit.", field="unit_id", kind=RefusalKind.NOT_FOUND)
    return _unit_service_read(row)


async def list_unit_services(*, session: AsyncSession, region_id: str, unit_id: str) -> list[UnitServiceRead]:
    """The rated services of a unit."""
    await unit_name(session, region_id, unit_id)
    rows = await session.execute(
        select(unit_services)
        .where(unit_services.c.region_id == region_id, unit_services.c.unit_id == unit_id)
        .order_by(unit_services.c.service_id)
    )
    return [_unit_service_read(row) for row in rows]
