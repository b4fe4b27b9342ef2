"""The rater judges a qualitative indicator (penilaian atasan) on real PostgreSQL: the scorecard shows it
as JUDGED with the scale's achievement and the proposal follows; only the employee's rater may judge,
only qualitative indicators on the plan, only in open periods."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from kinerja.replay import replay
from services.scoring.adapters.tables import indicator_judgements, runtime_tables
from shared.contracts import Envelope
from shared.contracts.planning import (
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported
from shared.settings import ServiceSettings
from tests.conftest import auth, event_deadline, new_region_id, wait_until
from tests.integration.scoring_events import Q1, YEAR, Region, employee, reported, verified
from tests.region_clock import quarter_in, year_in

pytestmark = pytest.mark.integration

CLEAN = "ani-clean"


def plan_with_a_qualitative_target(region: str, employee_id: str, rater: str) -> WorkPlanApproved:
    """One main result: a measured indicator (100 documents a quarter) and a judged one."""
    return WorkPlanApproved(
        region_id=region,
        plan_id=f"{employee_id}-plan",
        employee_id=employee_id,
        rater_id=rater,
        unit_id="dukcapil",
        job_type="registrar",
        year=YEAR,
        version=1,
        results=[
            PlannedResultSnapshot(
                result_id=f"{employee_id}-r1",
                kind="main",
                text="Berkas kependudukan diproses dengan benar",
                indicators=[
                    IndicatorSnapshot(
                        indicator_id=f"{employee_id}-docs",
                        code="ktp-issued",
                        name="KTP-el diterbitkan",
                        aspect="quantity",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="dokumen",
                        target=Decimal(400),
                    ),
                    IndicatorSnapshot(
                        indicator_id=f"{employee_id}-clean",
                        code="no-revision",
                        name="Kualitas berkas",
                        aspect="quality",
                        direction="higher_is_better",
                        aggregation="sum",
                        unit_of_measure="berkas",
                        qualitative_target="Berkas diterima tanpa revisi",
                        qualitative=True,
                    ),
                ],
            )
        ],
    )


async def seeded(start_service: Any) -> tuple[Any, Region]:
    service = await start_service("scoring")
    region = Region(service)
    r = region.id
    await region.apply(
        RegionRegistered(region_id=r, name="Kota Uji"),
        UnitUpserted(
            region_id=r,
            unit_id="dukcapil",
            code="dukcapil",
            name="Dinas Dukcapil",
            kind="opd",
            organisation_predicate="baik",
        ),
        employee(r, "boss", None),
        employee(r, "ani", "boss"),
        employee(r, "budi", "boss"),
        plan_with_a_qualitative_target(r, "ani", "boss"),
        # The measured indicator meets its quarterly target of 100, fully verified.
        reported(r, "ani", "a1", "docs", 100),
        verified(r, "ani", "a1"),
    )
    return service, region


def judge(service: Any, headers: dict[str, str], body: dict[str, Any], **path: str) -> Any:
    where = {"employee": "ani", "period": Q1, "indicator": CLEAN} | path
    return service.client.put(
        f"/v1/employees/{where['employee']}/judgements/{where['period']}/{where['indicator']}",
        json=body,
        headers=headers,
    )


async def scorecard(service: Any, region: Region, make_token: Any) -> dict[str, Any]:
    response = await service.client.get(
        "/v1/employees/ani/scorecard",
        params={"period": Q1},
        headers=auth(make_token("employee", region=region.id, employee="ani")),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def indicator(card: dict[str, Any], indicator_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in card["indicators"] if item["indicator_id"] == indicator_id)
    return found


async def test_the_raters_judgement_scores_a_qualitative_indicator_and_the_proposal_follows(
    start_service, make_token
):
    service, region = await seeded(start_service)
    boss = auth(make_token("employee,rater", region=region.id, employee="boss"))

    before = await scorecard(service, region, make_token)
    assert indicator(before, CLEAN)["basis"] == "NO_DATA"
    assert indicator(before, CLEAN)["judgement"] is None
    # Unjudged, the qualitative indicator counts as nothing: (1.0 + 0) / 2.
    assert before["achievement"] == "0.5000"
    assert before["proposed_result_rating"] == "BELOW"

    met = await judge(service, boss, {"judgement": "MET"})
    assert met.status_code == 200, met.text
    assert met.json()["achievement"] == "1.0000"
    assert met.json()["employee_achievement"] == "1.0000"
    assert met.json()["proposed_result_rating"] == "MEETS"
    assert met.json()["rater_id"] == "boss"

    after = await scorecard(service, region, make_token)
    clean = indicator(after, CLEAN)
    assert (clean["basis"], clean["judgement"], clean["achievement"]) == ("JUDGED", "MET", "1.0000")
    assert clean["qualitative_target"] == "Berkas diterima tanpa revisi"
    assert after["achievement"] == "1.0000"
    assert after["proposed_result_rating"] == "MEETS"
    assert indicator(after, "ani-docs")["basis"] == "MEASURED"

    # Judging again replaces the judgement; departing from the target needs a note saying why.
    no_note = await judge(service, boss, {"judgement": "NOT_MET"})
    assert no_note.status_code == 422
    assert no_note.json()["error"]["field"] == "note"
    partly = await judge(service, boss, {"judgement": "PARTLY_MET", "note": "Dua berkas direvisi"})
    assert partly.status_code == 200, partly.text
    card = await scorecard(service, region, make_token)
    assert (indicator(card, CLEAN)["judgement"], indicator(card, CLEAN)["achievement"]) == (
        "PARTLY_MET",
        "0.5000",
    )
    assert card["achievement"] == "0.7500"
    assert await region.count(indicator_judgements) == 1
    audit_log = runtime_tables.audit_log
    assert await region.count(audit_log, audit_log.c.action == "indicator.judge") == 2
    # Each accepted judgement is published with it (the refused one without a note is not).
    published = await region.outbox("IndicatorJudged")
    assert [(event["judgement"], event["note"], event["indicator_achievement"]) for event in published] == [
        ("MET", None, "1.0000"),
        ("PARTLY_MET", "Dua berkas direvisi", "0.5000"),
    ]
    assert {(event["employee_id"], event["rater_id"], event["indicator_id"]) for event in published} == {
        ("ani", "boss", CLEAN)
    }
    assert published[-1]["achievement"] == "0.7500"


async def test_only_the_raters_judgement_of_a_qualitative_indicator_in_an_open_period_is_taken(
    start_service, make_token
):
    service, region = await seeded(start_service)
    r = region.id
    boss = auth(make_token("employee,rater", region=r, employee="boss"))
    met = {"judgement": "MET"}

    for roles, employee_id, expected, code in (
        ("employee", "ani", 403, None),  # not a rater at all
        ("employee", "budi", 403, None),  # a colleague
        ("employee,rater", "ani", 403, "own_rating"),  # nobody judges themselves
        ("rater", "another-rater", 403, "not_your_team"),
    ):
        refused = await judge(service, auth(make_token(roles, region=r, employee=employee_id)), met)
        assert refused.status_code == expected, (roles, employee_id, refused.text)
        if code:
            assert refused.json()["error"]["code"] == code

    numeric = await judge(service, boss, met, indicator="ani-docs")
    assert numeric.status_code == 422
    assert numeric.json()["error"]["field"] == "indicator_id"
    unknown_indicator = await judge(service, boss, met, indicator="not-on-the-plan")
    assert unknown_indicator.status_code == 404
    assert unknown_indicator.json()["error"]["field"] == "indicator_id"
    unknown_employee = await judge(service, boss, met, employee="nobody")
    assert unknown_employee.status_code == 404
    assert await region.count(indicator_judgements) == 0

    admin = auth(make_token("region_admin", region=r))
    closed = await service.client.post(
        f"/v1/periods/{Q1}/close", json={"acknowledge_warnings": True}, headers=admin
    )
    assert closed.status_code == 201, closed.text
    frozen = await judge(service, boss, met)
    assert frozen.status_code == 409
    assert frozen.json()["error"]["code"] == "period_closed"
    assert indicator(await scorecard(service, region, make_token), CLEAN)["basis"] == "NO_DATA"


async def test_replay_keeps_the_judgements_and_rebuilds_the_same_summaries(start_service, make_token):
    """Judgements come from the API, not a topic: ``kinerja replay scoring`` keeps them, so the
    rebuilt summaries (judged indicator, achievement, proposal) equal the live ones."""
    settings = ServiceSettings()
    region = new_region_id()
    period = quarter_in("Asia/Jakarta")  # a region registered without a zone: WIB
    approved = plan_with_a_qualitative_target(region, "ani", "boss").model_copy(
        update={"year": year_in("Asia/Jakarta")}
    )
    events = [
        RegionRegistered(region_id=region, name="Kota Ulang"),
        approved,
        ActivityReported(
            region_id=region,
            activity_id=uuid.uuid4().hex,
            employee_id="ani",
            plan_id=approved.plan_id,
            result_id="ani-r1",
            indicator_id="ani-docs",
            occurred_at=datetime.now(UTC),
            quantity=Decimal(30),
            description="Perekaman KTP-el",
        ),
    ]
    scoring = await start_service("scoring", consumer=True)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in events:
            envelope = Envelope.wrap(event, producer="test")
            value = orjson.dumps(envelope.model_dump(mode="json"))
            await producer.send(event.topic, value, key=event.partition_key().encode())
        await producer.flush()
    finally:
        await producer.stop()
    boss = auth(make_token("rater", region=region, employee="boss"))

    async def counted() -> bool:
        card = await scoring.client.get(
            "/v1/employees/ani/scorecard", params={"period": period}, headers=boss
        )
        return card.status_code == 200 and bool(card.json()["activity_count"] == 1)

    assert await wait_until(counted, timeout=event_deadline())
    judged = await judge(scoring, boss, {"judgement": "MET"}, period=period)
    assert judged.status_code == 200, judged.text

    report = await replay("scoring", region=region)
    assert report.equal, report.render()
    assert any(t.table == "employee_scores" and t.live_rows > 0 for t in report.tables)
