"""Evidence attached after an activity reaches scoring through the broker: counted, claimed, flagged."""

from __future__ import annotations

from typing import Any

import pytest

from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id, wait_until
from tests.integration.test_replay import publish
from tests.integration.test_reporting_evidence import PHOTO, upload
from tests.integration.test_reporting_support import (
    Member,
    activity,
    apply,
    approved_plan,
    employee_upserted,
    new_id,
    submit,
)
from tests.region_clock import quarter_in

pytestmark = pytest.mark.integration


async def test_evidence_attached_after_the_activity_is_counted_and_a_file_claimed_twice_flagged(
    start_service: Any, make_token: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("KINERJA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    reporting = await start_service("reporting", relay=True)
    scoring = await start_service("scoring", consumer=True)
    region = new_region_id()
    rater_id = new_id("head")
    rater = Member(rater_id, make_token("employee,rater", region=region, employee=rater_id))
    organisation: list[Any] = [employee_upserted(region, rater_id, None)]
    members = []
    for _ in range(2):
        employee_id = new_id("staff")
        plan, ids = approved_plan(region, employee_id, rater_id)
        organisation += [employee_upserted(region, employee_id, rater_id), plan]
        members.append(Member(employee_id, make_token("employee", region=region, employee=employee_id), ids))
    # Reporting's read models directly, scoring's through planning's topics.
    await apply(reporting, region, *organisation)
    await publish(organisation)
    staff, colleague = members

    mine = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    attached = await upload(reporting, mine, staff.token, PHOTO)
    assert attached.status_code == 201, attached.text
    verified = await reporting.client.post(f"/v1/activities/{mine}/verify", headers=auth(rater.token))
    assert verified.status_code == 200, verified.text
    theirs = (await submit(reporting, colleague, activity(colleague))).json()["activity_id"]
    assert (await upload(reporting, theirs, colleague.token, PHOTO)).status_code == 201

    quarter = quarter_in(DEFAULT_TIMEZONE)  # scoring reads a region it was not told of in WIB

    async def counted() -> dict[str, Any] | None:
        card = await scoring.client.get(
            f"/v1/employees/{staff.employee_id}/scorecard",
            params={"period": quarter},
            headers=auth(rater.token),
        )
        if card.status_code != 200:
            return None
        found = [a for i in card.json()["indicators"] for a in i["activities"] if a["activity_id"] == mine]
        return found[0] if found and found[0]["status"] == "VERIFIED" else None

    seen = await wait_until(counted, timeout=60, interval=0.3)
    assert seen["evidence_count"] == 1

    async def flagged() -> list[str]:
        flags = await scoring.client.get("/v1/flags", headers=auth(make_token("auditor", region=region)))
        assert flags.status_code == 200, flags.text
        return sorted(f["details"]["employee_id"] for f in flags.json() if f["kind"] == "shared_evidence")

    assert await wait_until(flagged, timeout=60, interval=0.3) == sorted(
        [staff.employee_id, colleague.employee_id]
    )
