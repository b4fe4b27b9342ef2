"""A group of batches is inserted plainly, without ``ON CONFLICT`` (one descent of the primary key a
row, not two), in a savepoint ``BEGIN`` set for it. The same statement first looks up each
employee's first and last id and inserts nothing when one is stored: a resent queue is then written
skipping stored ids, with no error in the server's log. A stored id the look-up missed, or one a
group committed while this one waited for it, refuses the insert: rolled back to the savepoint, the
group is written skipping stored ids. A group of single submissions (resent one by one) skips stored
ids at once, without a savepoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from services.reporting.adapters.intake_statements import ACTIVITIES_AMONG
from services.reporting.adapters.tables import activities
from services.reporting.entrypoints.dependencies import submission_writer
from services.reporting.service_layer.intake_claims import Claim, ClaimResult
from services.reporting.service_layer.schemas import ActivityCreate
from shared.auth import Principal, Role
from shared.db import restrict_to_region
from tests.conftest import new_region_id
from tests.integration.test_reporting_support import Member, activity, outbox, seed_team, statements_sent

pytestmark = pytest.mark.integration


def _claim(region: str, member: Member, items: list[ActivityCreate], *, batch: bool = True) -> Claim:
    principal = Principal(member.employee_id, region, frozenset({Role.EMPLOYEE}), member.employee_id)
    fields = [(index, item.__dict__) for index, item in enumerate(items)]
    return Claim(principal, member.employee_id, fields, "10.0.0.7", batch=batch)


async def test_a_new_group_is_inserted_plainly_and_a_resend_again_skipping_stored_ids(
    start_service: Any, make_token: Any
) -> None:
    reporting = await start_service("reporting")
    context = reporting.context
    team = await seed_team(reporting, make_token, new_region_id())
    member = team.members[0]
    stored, other, fresh, single, before, after = (
        ActivityCreate.model_validate(activity(member)) for _ in range(6)
    )
    write = submission_writer(context)

    # The statements are prepared (and their types read) once per connection.
    await write(team.region, [_claim(team.region, member, [ActivityCreate.model_validate(activity(member))])])
    async with statements_sent(context.engine) as statements:
        first = await write(team.region, [_claim(team.region, member, [stored, other])])
        await asyncio.sleep(0)  # the loggers are called soon after each query
        plain = list(statements)
        statements.clear()
        again = await write(team.region, [_claim(team.region, member, [stored, fresh])])
        await asyncio.sleep(0)
        resent = list(statements)
        statements.clear()
        # A stored id between new ones: missed by the probe (each employee's first and last id),
        # refused by the key.
        between = await write(team.region, [_claim(team.region, member, [before, other, after])])
        await asyncio.sleep(0)
        refused = list(statements)
        statements.clear()
        singles = [_claim(team.region, member, [item], batch=False) for item in (single, fresh)]
        one_by_one = await write(team.region, singles)

    assert [outcome.outcome for outcome in first[0].outcomes] == ["accepted", "accepted"]
    assert [outcome.outcome for outcome in again[0].outcomes] == ["duplicate", "accepted"]
    assert [outcome.outcome for outcome in between[0].outcomes] == ["accepted", "duplicate", "accepted"]
    assert [result.outcomes[0].outcome for result in one_by_one] == ["accepted", "duplicate"]
    # The new group: BEGIN (with the savepoint), the indicators, the plain insert, COMMIT.
    assert len(plain) == 4, plain
    assert plain[0].endswith("SAVEPOINT before_insert")
    assert "INSERT INTO activities" in plain[2]
    assert "ON CONFLICT" not in plain[2]
    # The resend: its stored id found by the plain statement's probe (nothing inserted, nothing
    # refused: no rollback, no error logged), written skipping stored ids, the stored one read for
    # its answer.
    assert resent[:3] == plain[:3]
    assert "ON CONFLICT (region_id, activity_id) DO NOTHING" in resent[3]
    assert resent[4] == ACTIVITIES_AMONG
    assert resent[5:] == ["COMMIT"]
    # A stored id the probe missed: refused by the key, rolled back to the savepoint, written
    # skipping stored ids.
    assert refused[2] == plain[2]
    assert refused[3] == "ROLLBACK TO SAVEPOINT before_insert"
    assert "ON CONFLICT (region_id, activity_id) DO NOTHING" in refused[4]
    assert refused[-1] == "COMMIT"
    # Single submissions: no savepoint, stored ids skipped at once, nothing rolled back.
    assert "SAVEPOINT" not in statements[0]
    assert "ON CONFLICT (region_id, activity_id) DO NOTHING" in statements[2]
    assert not any(statement.startswith("ROLLBACK") for statement in statements)
    # Each activity's event once, nothing of the rolled-back attempt.
    events = await outbox(reporting, team.region)
    written = [payload["activity_id"] for _, payload in events][1:]
    assert written == [item.activity_id for item in (stored, other, fresh, before, after, single)]


@pytest.mark.parametrize("holder_commits", [True, False])
async def test_an_id_a_concurrent_group_holds_is_answered_after_that_group_ends(
    start_service: Any, make_token: Any, holder_commits: bool
) -> None:
    """The plain insert waits for the transaction holding the same key, as ``ON CONFLICT`` did:
    committed, the id is someone else's (taken) and nothing of it is written twice; rolled back,
    the id is this group's."""
    reporting = await start_service("reporting")
    context = reporting.context
    team = await seed_team(reporting, make_token, new_region_id())
    member, colleague = team.members
    contested, fresh = (ActivityCreate.model_validate(activity(member)) for _ in range(2))
    write = submission_writer(context)
    # The region's zone read and the statements prepared before the holder takes the key.
    await write(team.region, [_claim(team.region, member, [ActivityCreate.model_validate(activity(member))])])

    async with context.session_factory() as holder:
        transaction = await holder.begin()
        await restrict_to_region(holder, team.region)
        await holder.execute(
            insert(activities).values(
                region_id=team.region,
                activity_id=contested.activity_id,
                employee_id=colleague.employee_id,
                plan_id="plan-elsewhere",
                result_id="result-elsewhere",
                indicator_id=colleague.indicators["count"],
                occurred_at=datetime.now(UTC),
                description="held by a concurrent group",
                status="submitted",
            )
        )
        claims = [_claim(team.region, member, [contested, fresh])]
        writing: asyncio.Future[list[ClaimResult]] = asyncio.ensure_future(write(team.region, claims))
        async with context.engine.connect() as watcher:
            # Until the group waits for the holder's key (on a crowded machine it may not get there
            # in time: the answers below are the same either way).
            for _ in range(600):
                waiting = await watcher.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event = 'transactionid' AND usename = current_user"
                    )
                )
                if waiting:
                    break
                await asyncio.sleep(0.05)
        assert not writing.done()
        await (transaction.commit() if holder_commits else transaction.rollback())
    results = await writing

    outcomes = [outcome.outcome for outcome in results[0].outcomes]
    assert outcomes == (["taken", "accepted"] if holder_commits else ["accepted", "accepted"])
    async with context.session_factory() as session, session.begin():
        await restrict_to_region(session, team.region)
        stored = await session.scalar(
            select(func.count()).where(
                activities.c.region_id == team.region,
                activities.c.activity_id.in_([contested.activity_id, fresh.activity_id]),
            )
        )
    assert stored == 2
    written = [payload["activity_id"] for _, payload in await outbox(reporting, team.region)][1:]
    expected = [fresh] if holder_commits else [contested, fresh]
    assert written == [item.activity_id for item in expected]
