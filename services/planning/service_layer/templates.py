"""Use cases of the indicator template library: national defaults per job type and regions' own."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.planning.adapters import repository
from services.planning.adapters.tables import indicator_templates
from services.planning.domain.indicators import (
    Aggregation,
    Aspect,
    Direction,
    IndicatorTemplate,
    ValueRange,
)
from services.planning.domain.organisation import JobType
from services.planning.service_layer.errors import in_api_terms
from services.planning.service_layer.organisation import require_region
from services.planning.service_layer.schemas import IndicatorTemplateCreate, IndicatorTemplateRead
from shared.refusals import Refusal
from shared.unit_of_work import UnitOfWork


def template_read(template: IndicatorTemplate) -> IndicatorTemplateRead:
    """The API view of a template."""
    value_range = template.value_range
    return IndicatorTemplateRead(
        code=template.code,
        name_id=template.name_id,
        name_en=template.name_en,
        job_types=sorted(job.value for job in template.job_types),
        aspect=template.aspect.value,
        unit_of_measure=template.unit,
        direction=template.direction.value,
        aggregation=template.aggregation.value,
        qualitative=template.qualitative,
        minimum=None if value_range is None else value_range.minimum,
        maximum=None if value_range is None else value_range.maximum,
        region_id=template.region_id,
    )


def _job_type(text: str, field: str) -> JobType:
    try:
        return JobType.parse(text, field)
    except Refusal as error:
        raise in_api_terms(error) from None


async def list_templates(
    *, session: AsyncSession, region_id: str, job_type: str | None
) -> list[IndicatorTemplateRead]:
    """Templates a region offers, by code; only those for one job type when asked."""
    library = await repository.load_template_library(session, region_id)
    if job_type is None:
        found = library.for_region(region_id)
    else:
        found = library.for_job_type(region_id, _job_type(job_type, "job_type"))
    return [template_read(template) for template in found]


async def create_template(
    *, uow: UnitOfWork, region_id: str, template_in: IndicatorTemplateCreate
) -> IndicatorTemplateRead:
    """Add a region's own template; replacing a national default must be asked for explicitly."""
    await require_region(uow.session, region_id)
    job_types = frozenset(
        _job_type(text, f"job_types.{index}") for index, text in enumerate(template_in.job_types)
    )
    library = await repository.load_template_library(uow.session, region_id)
    try:
        value_range = (
            None
            if template_in.minimum is None and template_in.maximum is None
            else ValueRange(template_in.minimum, template_in.maximum)
        )
        template = IndicatorTemplate(
            code=template_in.code,
            name_id=template_in.name_id,
            name_en=template_in.name_en,
            job_types=job_types,
            aspect=Aspect(template_in.aspect),
            unit=template_in.unit_of_measure,
            direction=Direction(template_in.direction),
            aggregation=Aggregation(template_in.aggregation),
            qualitative=template_in.qualitative,
            value_range=value_range,
            region_id=region_id,
        )
        library.add_region_template(template, replace_national=template_in.replaces_national)
    except Refusal as error:
        raise in_api_terms(error, renames={"unit": "unit_of_measure", "value_range": "minimum"}) from None
    await uow.session.execute(
        insert(indicator_templates).values(
            region_id=region_id,
            code=template.code,
            name_id=template.name_id,
            name_en=template.name_en,
            job_types=sorted(job.value for job in job_types),
            aspect=template.aspect.value,
            unit_of_measure=template.unit,
            direction=template.direction.value,
            aggregation=template.aggregation.value,
            qualitative=template.qualitative,
            minimum=template_in.minimum,
            maximum=template_in.maximum,
            replaces_national=template_in.replaces_national,
        )
    )
    return template_read(template)
