"""A region's public figures per unit and period: satisfaction (IKM) and complaint handling.

What a transparency page shows anyone: each unit's index, grade and respondents, and how many
complaints about it were filed in the period and how many of those were closed without missing a
deadline. Counts and indices only: no response, comment, complaint text or person.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import complaint_breaches, complaints
from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.domain.periods import parse_period, period_at
from services.feedback.service_layer.public_directory import region_profile
from services.feedback.service_layer.public_schemas import (
    PublicComplaintFigures,
    PublicFiguresRead,
    PublicUnitFigures,
)
from services.feedback.service_layer.read_models import region_clock
from services.feedback.service_layer.satisfaction import index_read, summed, unit_rows


async def region_figures(
    session: AsyncSession, region_id: str, period: str | None, now: datetime
) -> PublicFiguresRead:
    """Every unit's figures for a period (the region's current one when none is asked)."""
    profile = await region_profile(session, region_id)
    clock = await region_clock(session, region_id)
    chosen = (
        parse_period(period) if period else period_at(now, timezone=clock.timezone, kind=clock.period_kind)
    )
    zone = ZoneInfo(clock.timezone)
    starts = datetime.combine(chosen.first_day, time.min, zone).astimezone(UTC)
    ends = datetime.combine(chosen.last_day + timedelta(days=1), time.min, zone).astimezone(UTC)

    breached = exists().where(complaint_breaches.c.complaint_id == complaints.c.complaint_id)
    complaint_rows = await session.execute(
        select(
            complaints.c.unit_id,
            func.count().label("filed"),
            func.count()
            .filter(and_(complaints.c.status == ComplaintStatus.CLOSED.value, ~breached))
            .label("closed_in_time"),
        )
        .where(
            complaints.c.region_id == region_id, complaints.c.filed_at >= starts, complaints.c.filed_at < ends
        )
        .group_by(complaints.c.unit_id)
    )
    complaint_counts = {row.unit_id: (row.filed, row.closed_in_time) for row in complaint_rows}

    figures = []
    for unit in profile.units:
        counted, service_users = summed(await unit_rows(session, region_id, unit.unit_id, chosen.key))
        # The responses the index counts (the ticketed ones when there are any, as the staff's index).
        respondents = counted.aggregate.respondents
        index = index_read(unit.unit_id, "", chosen.key, counted, service_users) if respondents else None
        filed, closed_in_time = complaint_counts.get(unit.unit_id, (0, 0))
        figures.append(
            PublicUnitFigures(
                unit_id=unit.unit_id,
                name=unit.name,
                respondents=respondents,
                index=index.index if index else None,
                grade=index.grade if index else None,
                grade_label_id=index.grade_label_id if index else None,
                sample_adequate=index.sample_adequate if index else None,
                complaints=PublicComplaintFigures(filed=filed, closed_within_deadline=closed_in_time),
            )
        )
    return PublicFiguresRead(
        region_id=region_id,
        name=profile.name,
        timezone=profile.timezone,
        period=chosen.key,
        first_day=chosen.first_day,
        last_day=chosen.last_day,
        units=figures,
    )
