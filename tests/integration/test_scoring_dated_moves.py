"""Scoring's team read model follows the one rule for planning's dated facts (shared/read_models.py):
a move dated later changes who rates whom only from its date, in the region's zone, and a late or
repeated event never overwrites a newer one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from services.scoring.adapters.tables import assignments_applied, employees
from services.scoring.service_layer.dated_moves import apply_due_moves
from shared.contracts.planning import RegionRegistered, UnitUpserted
from shared.db import REGION_SETTING
from shared.region_time import region_now
from tests.conftest import auth
from tests.integration.scoring_events import Q1, Region, employee, plan, reported
from tests.integration.scoring_scenarios import wrap
from tests.integration.test_scoring_views import deliver

pytestmark = pytest.mark.integration

WANGGAR = ZoneInfo("Asia/Jayapura")


async def test_a_move_dated_later_changes_the_rater_only_from_its_date(start_service, make_token):
    service = await start_service("scoring")
    region = Region(service)
    r = region.id
    await region.apply(
        RegionRegistered(region_id=r, name="Kabupaten Wanggar", timezone=WANGGAR.key),
        UnitUpserted(region_id=r, unit_id="dukcapil", code="dukcapil", name="Dinas Dukcapil", kind="opd"),
        employee(r, "boss", None),
        employee(r, "later", None),
        employee(r, "now", None),
        employee(r, "ani", "boss"),
        plan(r, "ani", "boss"),
        reported(r, "ani", "a1", "docs", 10),
    )
    today = region_now(WANGGAR.key).date()
    stamped = datetime.now(UTC)
    next_month = employee(r, "ani", "later").model_copy(update={"effective_from": today + timedelta(days=30)})
    stale_first = employee(r, "ani", "later")  # the first assignment's date, an older event
    sessions = service.context.session_factory
    await deliver(sessions, [wrap(next_month, stamped)])
    await deliver(sessions, [wrap(next_month, stamped)])
    await deliver(sessions, [wrap(stale_first, stamped - timedelta(days=400))])

    def card(rater: str):
        token = make_token("employee,rater", region=r, employee=rater)
        return service.client.get("/v1/employees/ani/scorecard", params={"period": Q1}, headers=auth(token))

    by_later, by_boss = await card("later"), await card("boss")

    assert by_later.status_code == 404, by_later.text  # not their team: hidden
    assert by_boss.status_code == 200, by_boss.text
    assert by_boss.json()["rater_id"] == "boss"

    # A move effective today (in Wanggar) holds at once.
    moved_today = employee(r, "ani", "now").model_copy(update={"effective_from": today})
    await deliver(sessions, [wrap(moved_today, stamped + timedelta(seconds=1))])
    now_by_boss, now_by_new = await card("boss"), await card("now")

    assert now_by_boss.status_code == 404, now_by_boss.text
    assert now_by_new.status_code == 200, now_by_new.text
    assert now_by_new.json()["rater_id"] == "now"


async def a_day_passes(service: Any, region_id: str) -> None:
    """Today moves one day on, for the region's dated facts: every date and stamp scoring keeps of the
    region's assignments (and the day its moves were last applied) moves one day back, which to every
    comparison with today is the same (the database's clock cannot be moved). No event happens."""
    async with service.context.session_factory() as session, session.begin():
        await session.execute(select(func.set_config(REGION_SETTING, region_id, True)))
        await session.execute(
            update(employees)
            .where(employees.c.region_id == region_id)
            .values(
                effective_from=employees.c.effective_from - 1,
                stamp_at=employees.c.stamp_at - timedelta(days=1),
            )
        )
        await session.execute(
            update(assignments_applied)
            .where(assignments_applied.c.region_id == region_id)
            .values(applied_through=assignments_applied.c.applied_through - 1)
        )


async def test_a_move_reaches_the_summaries_on_its_date_without_another_event(start_service, make_token):
    service = await start_service("scoring")
    region = Region(service)
    r = region.id
    await region.apply(
        RegionRegistered(region_id=r, name="Kabupaten Wanggar", timezone=WANGGAR.key),
        UnitUpserted(region_id=r, unit_id="dukcapil", code="dukcapil", name="Dinas Dukcapil", kind="opd"),
        UnitUpserted(region_id=r, unit_id="disdik", code="disdik", name="Dinas Pendidikan", kind="opd"),
        employee(r, "boss", None),
        employee(r, "later", None).model_copy(update={"unit_id": "disdik"}),  # the new unit's head
        employee(r, "ani", "boss"),
        plan(r, "ani", "boss"),
        reported(r, "ani", "a1", "docs", 10),
    )
    tomorrow = region_now(WANGGAR.key).date() + timedelta(days=1)
    move = employee(r, "ani", "later").model_copy(update={"effective_from": tomorrow, "unit_id": "disdik"})
    await deliver(service.context.session_factory, [wrap(move, datetime.now(UTC))])
    admin = auth(make_token("region_admin", region=r))

    async def unit(unit_id: str) -> Any:
        answer = await service.client.get(
            f"/v1/units/{unit_id}/dashboard", params={"period": Q1}, headers=admin
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def team_of(rater: str) -> list[str]:
        token = auth(make_token("employee,rater", region=r, employee=rater))
        answer = await service.client.get("/v1/units/disdik/dashboard", params={"period": Q1}, headers=token)
        return (
            [entry["employee_id"] for entry in answer.json()["ranking"]] if answer.status_code == 200 else []
        )

    # Tomorrow's move does not hold yet: today's pass (as at the region's midnight) leaves it.
    assert (await apply_due_moves(service.context)).moved.get(r, 0) == 0
    assert (await unit("dukcapil"))["employees"] == 1
    assert (await unit("disdik"))["employees"] == 0

    await a_day_passes(service, r)
    # The next midnight's pass, in two instances at once: the move is applied once, by one of them
    # (or by the service's own background pass, should the region's midnight fall now).
    passes = await asyncio.gather(apply_due_moves(service.context), apply_due_moves(service.context))
    assert sum(done.moved.get(r, 0) for done in passes) <= 1
    assert (await apply_due_moves(service.context)).moved.get(r, 0) == 0  # the day is done

    # The move's date has come: ani is counted in her new unit, by her new rater, with no other event.
    assert (await unit("disdik"))["employees"] == 1
    assert (await unit("dukcapil"))["employees"] == 0
    assert await team_of("later") == ["ani"]
    card = await service.client.get("/v1/employees/ani/scorecard", params={"period": Q1}, headers=admin)
    assert (card.json()["unit_id"], card.json()["rater_id"]) == ("disdik", "later")
