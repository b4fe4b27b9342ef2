"""Loads a region's indicator templates over the national defaults."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters.tables import indicator_templates
from services.planning.domain.indicators import (
    NATIONAL_TEMPLATES,
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    TemplateLibrary,
    ValueRange,
)
from services.planning.domain.organisation import JobType


def template_from_row(row: Any) -> IndicatorTemplate:
    """The domain template of a stored regional template."""
    value_range = (
        None if row.minimum is None and row.maximum is None else ValueRange(row.minimum, row.maximum)
    )
    return IndicatorTemplate(
        code=row.code,
        name_id=row.name_id,
        name_en=row.name_en,
        job_types=frozenset(JobType(job) for job in row.job_types),
        aspect=Aspect(row.aspect),
        unit=row.unit_of_measure,
        direction=Direction(row.direction),
        aggregation=Aggregation(row.aggregation),
        qualitative=row.qualitative,
        value_range=value_range,
        region_id=row.region_id,
    )


async def load_template_library(session: AsyncSession, region_id: str) -> TemplateLibrary:
    """The national defaults with this region's own templates added."""
    library = TemplateLibrary(NATIONAL_TEMPLATES)
    rows = (
        await session.execute(
            select(indicator_templates)
            .where(indicator_templates.c.region_id == region_id)
            .order_by(indicator_templates.c.created_at)
        )
    ).all()
    for row in rows:
        library.add_region_template(template_from_row(row), replace_national=row.replaces_national)
    return library
