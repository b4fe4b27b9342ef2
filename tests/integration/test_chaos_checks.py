"""The fault campaign's database checks find what is missing: they are not vacuous.

An activity reporting holds but scoring never saw is lost to scoring; one never stored is lost to
both; a verification answered 2xx that left the activity submitted is lost too.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from kinerja.chaos.checks import Verdict, check_databases
from kinerja.simulate import Ledger
from shared.settings import ServiceSettings
from tests.conftest import new_region_id
from tests.integration.test_reporting_support import activity, new_id, seed_team, submit

pytestmark = pytest.mark.integration


async def test_what_reporting_or_scoring_lacks_of_the_ledger_is_counted_lost(
    start_service: Any, make_token: Any
) -> None:
    for schema_only in ("planning", "scoring", "feedback"):  # the checks read every service's tables
        await start_service(schema_only)
    reporting = await start_service("reporting")
    region = new_region_id()
    team = await seed_team(reporting, make_token, region, size=1)
    member = team.members[0]
    body = activity(member)
    assert (await submit(reporting, member, body)).status_code == 201

    ledger = Ledger()
    ledger.activity(body["activity_id"], region, member.employee_id, body["quantity"])
    never_stored = new_id()
    ledger.activity(never_stored, region, member.employee_id, 3)
    ledger.verifications[body["activity_id"]] = region  # answered 2xx, yet still submitted
    verdict = Verdict()
    engine = create_async_engine(ServiceSettings().migration_database_url)
    try:
        async with engine.connect() as connection:
            await check_databases(connection, ledger, verdict)
    finally:
        await engine.dispose()

    assert verdict.lost == 4, verdict.violations  # reporting 1, scoring 2, the verification 1
    assert verdict.counted_twice == 0
    found = "\n".join(verdict.violations)
    assert f"reporting.activities: 1 missing, e.g. {never_stored}" in found
    assert "scoring.contributions: 2 missing" in found
    assert f"reporting verifications: 1 missing, e.g. {body['activity_id']}" in found
