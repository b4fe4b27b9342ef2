"""Stored facts that the refreshes and the reads share: assignments holding today, the rater's assessment."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from services.scoring.adapters.tables import behaviour_assessments, employees, region_settings
from shared.read_models import holding_on_day, one_holding_on_day, region_today


async def latest_rater_assessment(
    session: AsyncSession, region_id: str, employee_id: str, key: str
) -> Row[Any] | None:
    """The rater's latest behaviour assessment of an employee for a period."""
    return (
        await session.execute(
            select(behaviour_assessments)
            .where(
                behaviour_assessments.c.region_id == region_id,
                behaviour_assessments.c.employee_id == employee_id,
                behaviour_assessments.c.period == key,
                behaviour_assessments.c.assessor_role == "rater",
            )
            .order_by(
                behaviour_assessments.c.submitted_at.desc(),
                behaviour_assessments.c.assessment_id.collate("C").desc(),
            )
            .limit(1)
        )
    ).first()


_Row = TypeVar("_Row", bound=Any)


def _region_today() -> ColumnElement[date]:
    return region_today(region_settings, employees.c.region_id)


def employees_today() -> Subquery:
    """Each employee's assignment holding today in the region's zone (the team read model's rule)."""
    return holding_on_day(employees, ("region_id", "employee_id"), _region_today())


def employee_assignment(query: Select[_Row]) -> Select[_Row]:
    """A query of one employee's rows narrowed to the assignment holding today."""
    return one_holding_on_day(query, employees, _region_today())
