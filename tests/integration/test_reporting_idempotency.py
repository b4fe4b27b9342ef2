"""Client ids make retries safe, and only retries: an id sent again with other content is a 409."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.region_time import DEFAULT_TIMEZONE
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, new_id, outbox, seed_team, submit
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration


async def test_an_activity_id_sent_again_with_other_content_is_a_conflict_naming_what_differs(
    start_service, make_token
):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    # An hour ago (a fixed day of this year is in the future until it comes), sent in WIB.
    instant = moment_ago(DEFAULT_TIMEZONE, timedelta(hours=1)).replace(microsecond=0)
    body = activity(staff, occurred_at=instant.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).isoformat())
    first = await submit(reporting, staff, body)

    # The same content spelt otherwise (another offset for the same instant, 12.0 for 12) is a retry.
    same = await submit(reporting, staff, body | {"occurred_at": instant.isoformat(), "quantity": "12.0"})
    changed = await submit(reporting, staff, body | {"quantity": 99, "description": "Lain sama sekali"})

    assert first.status_code == 201, first.text
    assert same.status_code == 200, same.text
    assert changed.status_code == 409, changed.text
    error = changed.json()["error"]
    assert error["code"] == "activity_changed"
    assert error["field"] == "quantity"
    for text in (error["message"], error["message_id"]):
        assert "quantity" in text
        assert "description" in text
        assert "occurred_at" not in text
    assert [kind for kind, _ in await outbox(reporting, team.region)] == ["ActivityReported"]


async def test_a_batch_refuses_a_changed_resend_item_by_item_and_keeps_true_retries(
    start_service, make_token
):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    earlier, doubled = activity(staff), activity(staff)
    await submit(reporting, staff, earlier)
    items: list[Any] = [
        earlier,  # a true retry of what was sent before the phone went offline
        earlier | {"activity_id": earlier["activity_id"], "obstacles": "hujan"},
        doubled,
        doubled | {"quantity": 3},  # the same id in the same sync with another quantity
    ]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    outcomes = [
        (i["outcome"], i["error"] and i["error"]["code"], i["error"] and i["error"]["field"])
        for i in answer["items"]
    ]
    assert outcomes == [
        ("duplicate", None, None),
        ("rejected", "activity_changed", "obstacles"),
        ("accepted", None, None),
        ("rejected", "activity_changed", "quantity"),
    ]
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (1, 1, 2)


async def test_a_batch_retry_with_its_coordinates_spelt_otherwise_is_a_duplicate(start_service, make_token):
    """A batch item read from its JSON text holds its coordinates as their text: a retry compares
    them as decimals, with the stored activity's and with an earlier item's of the same sync."""
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    earlier = activity(staff, latitude=3.5, longitude=98.67)  # stored as 3.500000 and 98.670000
    doubled = activity(staff, latitude=-6.2, longitude=106.8)
    await submit(reporting, staff, earlier)
    items: list[Any] = [
        earlier | {"latitude": "3.50", "longitude": 98.67},
        doubled,
        doubled | {"latitude": "-6.20"},
        doubled | {"longitude": 106.9},  # other content: refused
    ]

    response = await reporting.client.post(
        "/v1/activities/batch", json={"items": items}, headers=auth(staff.token)
    )

    assert response.status_code == 200, response.text
    outcomes = [(i["outcome"], i["error"] and i["error"]["field"]) for i in response.json()["items"]]
    assert outcomes == [
        ("duplicate", None),
        ("accepted", None),
        ("duplicate", None),
        ("rejected", "longitude"),
    ]


async def test_a_visit_id_sent_again_with_other_content_is_a_conflict(start_service, make_token):
    reporting = await start_service("reporting")
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    visit = {
        "visit_id": new_id("visit"),
        "employee_ids": [team.members[0].employee_id],
        "location": "SDN 3 Gerunggang",
        "visited_at": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "findings": "Supervisi kelas berjalan.",
    }

    def log(body: dict[str, Any]) -> Any:
        return reporting.client.post("/v1/field-visits", json=body, headers=auth(team.rater.token))

    created = await log(visit)
    retry = await log(visit)
    changed = await log(visit | {"findings": "Temuan lain", "location": "SDN 4 Gerunggang"})

    assert (created.status_code, retry.status_code) == (201, 200)
    assert changed.status_code == 409, changed.text
    error = changed.json()["error"]
    assert (error["code"], error["field"]) == ("visit_changed", "location")
    assert "findings" in error["message"]
    assert "findings" in error["message_id"]
