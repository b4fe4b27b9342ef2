"""A unit's satisfaction index (IKM) over all its services, in feedback and on scoring's unit dashboard."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from services.feedback.domain.periods import period_at
from services.feedback.service_layer.schemas import SurveyResponseCreate
from services.feedback.service_layer.surveys import submit_survey_response
from shared.contracts.planning import RegionRegistered, UnitUpserted
from tests.conftest import auth, new_region_id, outbox_payloads, wait_until, waits_on_advisory_lock
from tests.integration.test_feedback_surveys import citizen, scores, seed_region
from tests.integration.test_replay import publish

pytestmark = pytest.mark.integration

#: Two responses to the counter service, one to the online one, one about the unit in general.
RESPONSES: tuple[tuple[str | None, tuple[int, ...]], ...] = (
    ("counter", (4, 4, 3, 3, 4, 3, 4, 3, 2)),
    ("counter", (3, 3, 3, 4, 4, 3, 4, 3, 2)),
    ("online", (2, 2, 2, 2, 3, 2, 2, 2, 1)),
    (None, (4, 4, 4, 4, 4, 4, 4, 4, 4)),
)


def skm_index(responses: Sequence[tuple[int, ...]]) -> Decimal:
    """IKM by the SKM rule: the mean of the nine items' means (NRR), times 25, to two places."""
    item_means = [Fraction(sum(column), len(responses)) for column in zip(*responses, strict=True)]
    exact = sum(item_means, Fraction(0)) / 9 * 25
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(Decimal("0.01"))


async def test_the_units_index_covers_every_service_in_feedback_and_on_the_scoring_dashboard(
    start_service: Any, make_token: Any
) -> None:
    feedback = await start_service("feedback", relay=True)
    scoring = await start_service("scoring", consumer=True)
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    await publish(
        [
            RegionRegistered(region_id=region, name="Kota Uji", timezone="Asia/Jakarta"),
            UnitUpserted(
                region_id=region, unit_id=unit, code="dukcapil", name="Dinas dukcapil", kind="office"
            ),
        ]
    )
    admin = auth(make_token("region_admin", region=region))
    for declared_id in ("counter", "online"):
        declared = await feedback.client.post(
            f"/v1/units/{unit}/services", json={"service_id": declared_id, "name": declared_id}, headers=admin
        )
        assert declared.status_code == 201, declared.text
    for service_id, values in RESPONSES:
        body: dict[str, Any] = {"scores": scores(*values)}
        if service_id is not None:
            body["service_id"] = service_id
        async with citizen(feedback) as client:  # a citizen each: one may answer a unit thrice a day
            sent = await client.post(f"/v1/public/regions/{region}/units/{unit}/survey-responses", json=body)
        assert sent.status_code == 201, sent.text
    period = period_at(datetime.now(UTC), timezone="Asia/Jakarta").key
    everyone = [values for _, values in RESPONSES]

    whole = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction", params={"period": period}, headers=admin
    )
    assert whole.status_code == 200, whole.text
    assert whole.json()["respondents"] == len(RESPONSES)
    assert Decimal(whole.json()["index"]) == skm_index(everyone)
    breakdown = {entry["service_id"]: entry for entry in whole.json()["services"]}
    assert {key: entry["respondents"] for key, entry in breakdown.items()} == {
        "": 1,
        "counter": 2,
        "online": 1,
    }
    assert Decimal(breakdown["counter"]["index"]) == skm_index(everyone[:2])

    # The unit's SKM report counts the same responses as its index.
    report = await feedback.client.get(
        f"/v1/units/{unit}/satisfaction/report.csv", params={"period": period}, headers=admin
    )
    assert report.status_code == 200, report.text
    by_label = {row[0]: row[1:] for row in csv.reader(io.StringIO(report.content.decode("utf-8-sig"))) if row}
    assert by_label["Jumlah responden / Respondents"] == [str(len(RESPONSES))]
    assert by_label["IKM unit pelayanan / Satisfaction index (x 25)"] == [str(skm_index(everyone))]

    async def on_dashboard(key: str) -> dict[str, Any] | None:
        dashboard = await scoring.client.get(
            f"/v1/units/{unit}/dashboard", params={"period": key}, headers=admin
        )
        if dashboard.status_code != 200:
            return None
        found = {entry["service_id"]: entry for entry in dashboard.json()["satisfaction"]}
        unit_wide = found.get("")
        return found if unit_wide is not None and unit_wide["respondents"] == len(RESPONSES) else None

    # The period's and the year's (a year dashboard is the annual assessment's).
    for key in (period, period[:4]):
        shown = await wait_until(functools.partial(on_dashboard, key), timeout=60, interval=0.3)
        assert Decimal(shown[""]["satisfaction_index"]) == skm_index(everyone), key
        assert {name: entry["respondents"] for name, entry in shown.items()} == {
            "": 4,
            "counter": 2,
            "online": 1,
        }
    region_wide = await scoring.client.get("/v1/region/dashboard", params={"period": period}, headers=admin)
    assert region_wide.status_code == 200, region_wide.text
    [summary] = [entry for entry in region_wide.json()["units"] if entry["unit_id"] == unit]
    assert Decimal(summary["satisfaction_index"]) == skm_index(everyone)


async def test_responses_to_two_services_at_once_publish_a_unit_index_counting_both(
    start_service: Any, make_token: Any
) -> None:
    """The second response waits for the first (the unit's lock), so its unit-wide index counts both;
    without the lock each would publish a total missing the other."""
    feedback = await start_service("feedback")
    region = new_region_id()
    unit = (await seed_region(feedback, region))["dukcapil"]
    admin = auth(make_token("region_admin", region=region))
    for declared_id in ("counter", "online"):
        declared = await feedback.client.post(
            f"/v1/units/{unit}/services", json={"service_id": declared_id, "name": declared_id}, headers=admin
        )
        assert declared.status_code == 201, declared.text
    first_applied, release_first = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with feedback.context.unit_of_work(region_id=region) as uow:
            await submit_survey_response(
                uow=uow,
                region_id=region,
                unit_id=unit,
                response_in=SurveyResponseCreate.model_validate(
                    {"scores": scores(*RESPONSES[0][1]), "service_id": "counter"}
                ),
                now=datetime.now(UTC),
                ticket_valid_for=timedelta(days=30),
            )
            first_applied.set()
            await release_first.wait()
            await uow.commit()

    async def second() -> None:
        await first_applied.wait()
        async with citizen(feedback) as client:
            sent = await client.post(
                f"/v1/public/regions/{region}/units/{unit}/survey-responses",
                json={"scores": scores(*RESPONSES[2][1]), "service_id": "online"},
            )
            assert sent.status_code == 201, sent.text

    async def second_is_waiting() -> bool:
        return await waits_on_advisory_lock(feedback.context.session_factory)

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    try:
        await first_applied.wait()
        assert await wait_until(second_is_waiting, timeout=20)
    finally:
        release_first.set()
        await asyncio.gather(*tasks)
    changed = await outbox_payloads(feedback, region, "SatisfactionIndexChanged")
    period = period_at(datetime.now(UTC), timezone="Asia/Jakarta").key
    unit_wide = [
        event["respondents"] for event in changed if event["service_id"] is None and event["period"] == period
    ]
    assert unit_wide == [1, 2]
