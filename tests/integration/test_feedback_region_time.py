"""Times feedback computes are shown in the region's own zone, the same way wherever they are read."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import auth, new_region_id, outbox_payloads
from tests.integration.test_feedback_complaints import COMPLAINT
from tests.integration.test_feedback_surveys import citizen, seed_region

pytestmark = pytest.mark.integration

WIT = "+09:00"  # Asia/Jayapura


def times(value: Any) -> list[str]:
    """Every timestamp string in an answer."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if (key.endswith(("_at", "_until", "_since")) or key == "at") and isinstance(item, str):
                found.append(item)
            found.extend(times(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(times(item))
    return found


async def test_a_complaints_times_are_in_the_regions_zone_when_filed_tracked_and_handled(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region, timezone="Asia/Jayapura"))["dukcapil"]
    admin = auth(make_token("region_admin", region=region))
    async with citizen(feedback) as client:
        filed = await client.post(
            f"/v1/public/regions/{region}/complaints", json={**COMPLAINT, "unit_id": unit}
        )
        code = filed.json()["tracking_code"]
        tracked = await client.get(f"/v1/public/regions/{region}/complaints/{code}")
    complaint_id = (await outbox_payloads(feedback, region, "ComplaintFiled"))[0]["complaint_id"]
    moved = await feedback.client.post(
        f"/v1/complaints/{complaint_id}/transitions", json={"status": "verified"}, headers=admin
    )
    detail = await feedback.client.get(f"/v1/complaints/{complaint_id}", headers=admin)
    listed = await feedback.client.get("/v1/complaints", headers=admin)
    tickets = await feedback.client.post(
        f"/v1/units/{unit}/service-tickets", json={"count": 1}, headers=admin
    )

    assert filed.status_code == 201, filed.text
    assert tracked.status_code == 200, tracked.text
    assert tickets.status_code == 201, tickets.text
    answers = [filed.json(), tracked.json(), moved.json(), detail.json(), listed.json(), tickets.json()]
    for answer in answers:
        found = times(answer)
        assert found, answer
        assert all(time.endswith(WIT) for time in found), found
    assert tracked.json()["due_at"] == filed.json()["due_at"]
