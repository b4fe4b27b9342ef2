"""A group's activities take their indicator's employee, plan and result from the statement's heads
(one an indicator), not from each item's JSON row (reporting's intake_statements)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.reporting.adapters.tables import activities, plan_indicators
from services.reporting.entrypoints.dependencies import submission_writer
from services.reporting.service_layer.intake_claims import Claim
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from tests.conftest import new_region_id
from tests.integration.test_reporting_intake_statements import _generic_plan
from tests.integration.test_reporting_support import Member, activity, seed_team

pytestmark = pytest.mark.integration

KINDS = ("count", "ratio", "qualitative")


def _claim(region: str, member: Member, bodies: list[dict[str, Any]]) -> Claim:
    principal = Principal(member.employee_id, region, frozenset({Role.EMPLOYEE}), member.employee_id)
    items = [(index, ActivityCreate.model_validate(body).__dict__) for index, body in enumerate(bodies)]
    return Claim(principal, member.employee_id, items, "10.0.0.7", correlation_id="corr")


async def test_each_activity_is_stored_with_its_own_indicators_employee_plan_and_result(
    start_service, make_token
):
    """Three employees' plans in one group, each item of one of their three indicators: each row gets
    its own indicator's, inserted plainly (new items) and skipping stored ids (a resend with more)."""
    reporting = await start_service("reporting")
    context = reporting.context
    team = await seed_team(reporting, make_token, new_region_id(), size=3)
    first = {member.employee_id: [activity(member, kind) for kind in KINDS * 2] for member in team.members}
    write = submission_writer(context)
    plain = await write(team.region, [_claim(team.region, m, first[m.employee_id]) for m in team.members])
    # Resent with one more item each, of another indicator than the last: written skipping stored ids.
    resent = [
        _claim(team.region, m, [*first[m.employee_id], activity(m, "ratio")]) for m in reversed(team.members)
    ]
    skipping = await write(team.region, resent)

    outcomes = [outcome.outcome for result in plain + skipping for outcome in result.outcomes]
    assert outcomes == ["accepted"] * 18 + (["duplicate"] * 6 + ["accepted"]) * 3
    async with context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        indicators = {
            row.indicator_id: (row.employee_id, row.plan_id, row.result_id)
            for row in await session.execute(select(plan_indicators))
        }
        stored = (
            await session.execute(
                select(
                    activities.c.indicator_id,
                    activities.c.employee_id,
                    activities.c.plan_id,
                    activities.c.result_id,
                )
            )
        ).all()
    assert len(stored) == 21
    assert len({plan for _, plan, _ in indicators.values()}) == 3  # one plan an employee
    for row in stored:
        assert (row.employee_id, row.plan_id, row.result_id) == indicators[row.indicator_id], row


@pytest.mark.parametrize("skip_stored", [False, True])
async def test_the_items_find_their_heads_by_one_hash(start_service, skip_stored):
    """The heads (a few rows) are hashed once and each item looks its own up by its indicator's id:
    the items are not read again for each head, nor the heads for each item."""
    plan = await _generic_plan(await start_service("reporting"), skip_stored=skip_stored)
    heads = [n for n, line in enumerate(plan) if "Function Scan on head" in line]
    assert len(heads) == 1, "\n".join(plan)
    assert plan[heads[0] - 1].strip().startswith("->  Hash  ("), "\n".join(plan)
    # Under the join of the items (each looking its head up) and the heads' hash.
    join = max(n for n in range(heads[0]) if "Hash Left Join" in plan[n])
    assert "Function Scan on jsonb_array_elements" in plan[heads[0] - 2], "\n".join(plan)
    assert "head.indicator_id" in plan[join + 1], "\n".join(plan)
