"""The year is a period in feedback too: its satisfaction index and report sum the region's periods in it."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import auth, new_region_id
from tests.integration.test_feedback_surveys import citizen, scores, seed_region

pytestmark = pytest.mark.integration


async def test_a_year_key_reads_the_index_and_report_of_the_whole_year(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    async with citizen(feedback) as client:
        for values in ((4, 4, 3, 3, 4, 3, 4, 3, 2), (3, 3, 3, 4, 4, 3, 4, 3, 2)):
            response = await client.post(
                f"/v1/public/regions/{region}/units/{unit}/survey-responses", json={"scores": scores(*values)}
            )
            assert response.status_code == 201, response.text
    quarter = response.json()["period"]
    year = quarter[:4]
    auditor = auth(make_token("auditor", region=region))

    by_quarter = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction", params={"period": quarter}, headers=auditor
    )
    by_year = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction", params={"period": year}, headers=auditor
    )
    every_service = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction/services", params={"period": year}, headers=auditor
    )
    report = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction/report.csv", params={"period": year}, headers=auditor
    )
    last_year = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction", params={"period": str(int(year) - 1)}, headers=auditor
    )

    assert by_year.status_code == 200, by_year.text

    # The year holds only this quarter's responses: the same figures, named by the year.
    def figures(answer: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in answer.items() if key not in ("period", "services")}

    assert figures(by_year.json()) == figures(by_quarter.json())
    assert by_year.json()["period"] == year
    assert {service["period"] for service in by_year.json()["services"]} <= {year}
    assert [index["period"] for index in every_service.json()] == [year]
    assert report.status_code == 200, report.text
    rows = {row[0]: row[1:] for row in csv.reader(io.StringIO(report.content.decode("utf-8-sig"))) if row}
    assert rows["Jumlah responden / Respondents"] == ["2"]
    assert last_year.status_code == 404
    for_the_year = await feedback.client.put(
        f"/v1/units/{unit}/service-users",
        json={"period": year, "service_users": 100},
        headers=auth(make_token("region_admin", region=region)),
    )
    assert for_the_year.status_code == 422, for_the_year.text
    assert for_the_year.json()["error"]["code"] == "period_is_year"
