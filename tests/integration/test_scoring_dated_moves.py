"""Scoring's team read model follows the one rule for planning's dated facts (shared/read_models.py):
a move dated later changes who rates whom only from its date, in the region's zone, and a late or
repeated event never overwrites a newer one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shared.contracts.planning import RegionRegistered, UnitUpserted
from tests.conftest import auth
from tests.integration.scoring_scenarios import wrap
from tests.integration.test_scoring_api import Q1, Region, employee, plan, reported
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
    today = datetime.now(WANGGAR).date()
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
