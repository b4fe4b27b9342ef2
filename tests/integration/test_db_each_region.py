"""``shared.db.in_each_region``: a batch's work done region by region under row-level security."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import REGION_SETTING, in_each_region, restrict_to_region
from tests.conftest import new_region_id

pytestmark = pytest.mark.integration


async def region_of(session: AsyncSession) -> str | None:
    return await session.scalar(select(func.current_setting(REGION_SETTING, True)))


async def test_each_region_is_worked_in_restricted_to_it_then_the_region_before(start_service: Any) -> None:
    service = await start_service("scoring")
    before, first, second = new_region_id(), new_region_id(), new_region_id()
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, before)
        seen = [
            (region_id, await region_of(session))
            async for region_id in in_each_region(session, [first, second])
        ]
        assert seen == [(first, first), (second, second)]
        assert await region_of(session) == before


async def test_a_region_set_before_is_worked_in_without_a_switch(start_service: Any) -> None:
    service = await start_service("scoring")
    region_id = new_region_id()
    async with service.context.session_factory() as session, session.begin():
        await restrict_to_region(session, region_id)
        seen = [(region, await region_of(session)) async for region in in_each_region(session, [region_id])]
        assert seen == [(region_id, region_id)]
        assert await region_of(session) == region_id
