"""Responses without a ticket stay possible (a unit's public link) but are accountable: limited per
device and per address for each unit and day, and reported apart from ticketed ones, the index
counting only ticketed responses where tickets are in use."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import auth, new_region_id
from tests.integration.test_feedback_surveys import citizen, scores, seed_region

pytestmark = pytest.mark.integration

BEST = scores(4, 4, 4, 4, 4, 4, 4, 4, 4)
WORST = scores(1, 1, 1, 1, 1, 1, 1, 1, 1)


async def test_ticketless_responses_are_limited_per_device_and_per_address_each_day(
    start_service, monkeypatch
):
    monkeypatch.setenv("KINERJA_PUBLIC_TICKETLESS_PER_ADDRESS_PER_DAY", "3")
    monkeypatch.setenv("KINERJA_PUBLIC_TICKETLESS_PER_DEVICE_PER_DAY", "2")
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region, units=("dukcapil", "dinkes"))
    url = f"/v1/public/regions/{region}/units/{units['dukcapil']}/survey-responses"

    # One address, a new device id (or none) each time: the address's daily budget still holds.
    async with citizen(feedback) as client:
        statuses = [
            (
                await client.post(url, json={"scores": BEST}, headers={"X-Device-Token": f"fresh-{n}"})
            ).status_code
            for n in range(3)
        ]
        refused = await client.post(url, json={"scores": BEST})
        other_unit = await client.post(
            f"/v1/public/regions/{region}/units/{units['dinkes']}/survey-responses", json={"scores": BEST}
        )
    assert statuses == [201, 201, 201]
    assert refused.status_code == 429
    assert 86_000 < int(refused.headers["Retry-After"]) <= 86_400
    # A daily budget's wait said in days, not "86400 seconds"; Retry-After stays in seconds.
    assert refused.json()["error"]["message"] == "Too many requests; try again in 1 day."
    assert refused.json()["error"]["message_id"] == "Terlalu banyak permintaan; coba lagi dalam 1 hari."
    assert other_unit.status_code == 201  # the budget is per unit

    # One device from ever new addresses: the device's daily budget holds; the cookie it was given
    # on its first response identifies it when it sends no header.
    async with citizen(feedback) as first:
        answered = await first.post(url, json={"scores": BEST})
    assert answered.status_code == 201
    device_cookie = answered.cookies.get("kinerja_device")
    assert device_cookie
    statuses = []
    for _ in range(2):
        async with citizen(feedback) as elsewhere:
            elsewhere.cookies.set("kinerja_device", device_cookie)
            statuses.append((await elsewhere.post(url, json={"scores": BEST})).status_code)
    assert statuses == [201, 429]


async def test_the_index_counts_ticketed_responses_where_tickets_are_in_use_and_the_report_shows_both(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region, units=("dukcapil", "dinkes"))
    admin = auth(make_token("region_admin", region=region))
    ticketed_unit, open_unit = units["dukcapil"], units["dinkes"]
    await feedback.client.post(
        f"/v1/units/{ticketed_unit}/services",
        json={"service_id": "ktp", "name": "Loket KTP-el"},
        headers=admin,
    )
    issued = await feedback.client.post(
        f"/v1/units/{ticketed_unit}/service-tickets", json={"service_id": "ktp", "count": 2}, headers=admin
    )
    assert issued.status_code == 201, issued.text

    def url(unit: str) -> str:
        return f"/v1/public/regions/{region}/units/{unit}/survey-responses"

    async with citizen(feedback) as client:
        for ticket in issued.json()["tickets"]:
            assert (
                await client.post(url(ticketed_unit), json={"scores": BEST, "ticket": ticket["code"]})
            ).status_code == 201
        for _ in range(3):  # stuffing through the public link
            assert (
                await client.post(url(ticketed_unit), json={"scores": WORST, "service_id": "ktp"})
            ).status_code == 201
            answered = await client.post(url(open_unit), json={"scores": WORST})
            assert answered.status_code == 201
    period = answered.json()["period"]

    async def read(unit: str, path: str, **params: Any) -> Any:
        response = await feedback.client.get(
            f"/v1/units/{unit}/satisfaction{path}", params={"period": period, **params}, headers=admin
        )
        assert response.status_code == 200, response.text
        return response

    for index in (
        (await read(ticketed_unit, "")).json(),
        (await read(ticketed_unit, "", service_id="ktp")).json(),
    ):
        assert (index["ticketed_respondents"], index["unticketed_respondents"]) == (2, 3)
        assert index["counted"] == "ticketed"
        assert index["respondents"] == 2
        assert index["index"] == "100.00"
    untouched = (await read(open_unit, "")).json()
    assert (untouched["ticketed_respondents"], untouched["unticketed_respondents"]) == (0, 3)
    assert (untouched["counted"], untouched["respondents"], untouched["index"]) == ("all", 3, "25.00")

    rows = list(
        csv.reader(io.StringIO((await read(ticketed_unit, "/report.csv")).content.decode("utf-8-sig")))
    )
    by_label = {row[0]: row[1:] for row in rows if row}
    assert by_label["Responden bertiket / Ticketed respondents"] == ["2"]
    assert by_label["Responden tanpa tiket / Unticketed respondents"] == ["3"]
    assert by_label["IKM unit pelayanan / Satisfaction index (x 25)"] == ["100.00"]
    page = (await read(ticketed_unit, "/report.html")).text
    assert "Responden tanpa tiket" in page
    assert "unticketed respondents" in page.lower()
