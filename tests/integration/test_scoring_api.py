"""Scoring API on real PostgreSQL: scorecards explained, who may see them, rating decisions, period close,
dated rules, dashboards and flags. Events are applied by calling the handlers (as the runner does)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from services.scoring.adapters.tables import late_events
from shared.contracts.feedback import ComplaintDeadlineBreached
from shared.contracts.reporting import ActivityCorrected, ActivityRejected
from tests.conftest import auth, new_region_id
from tests.integration.scoring_events import (
    IN_Q1,
    Q1,
    YEAR,
    employee,
    plan,
    rater_assessment,
    reported,
    seeded,
    verified,
)

pytestmark = pytest.mark.integration


async def test_scorecard_explains_every_number_down_to_the_activities(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(
        # The verification arrives before its report: kept, and applied when the report comes.
        verified(r, "ani", "a1"),
        reported(r, "ani", "a1", "docs", 60),
        reported(r, "ani", "a2", "docs", 50),
        ActivityRejected(
            region_id=r, activity_id="a2", employee_id="ani", verifier_id="boss", note="Tanpa bukti"
        ),
        reported(r, "ani", "a3", "docs", 30),
        ActivityRejected(
            region_id=r, activity_id="a3", employee_id="ani", verifier_id="boss", note="Angka salah"
        ),
        ActivityCorrected(
            region_id=r,
            activity_id="a3",
            employee_id="ani",
            occurred_at=IN_Q1,
            quantity=Decimal(40),
            description="Diperbaiki",
        ),
        reported(r, "ani", "w1", "wait", 20),
        reported(r, "ani", "w2", "wait", 10),
        verified(r, "ani", "w1"),
        rater_assessment(r, "ani", "boss", 3),
    )
    card = await service.client.get(
        "/v1/employees/ani/scorecard",
        params={"period": Q1},
        headers=auth(make_token("employee", region=r, employee="ani")),
    )
    assert card.status_code == 200, card.text
    body = card.json()
    docs, wait = body["indicators"]
    # 400 a year without a split is 100 a quarter; a2 is rejected, a3 counts with its corrected 40.
    assert docs["target"] == "100.0000"
    assert docs["realisation"] == "100.0000"
    assert docs["activity_count"] == 2
    assert docs["rejected_count"] == 1
    assert docs["verified_share"] == "0.6000"
    assert docs["achievement"] == "1.0000"
    assert {a["activity_id"]: (a["status"], a["counted"]) for a in docs["activities"]} == {
        "a1": ("VERIFIED", True),
        "a2": ("REJECTED", False),
        "a3": ("UNVERIFIED", True),
    }
    # Waiting time: lower is better, the average of 20 and 10 is 15 against a target of 15.
    assert wait["realisation"] == "15.0000"
    assert wait["achievement"] == "1.0000"
    assert body["achievement"] == "1.0000"
    assert body["proposed_result_rating"] == "MEETS"
    assert body["proposal_reasons"][0]["code"] == "ABOVE_ACHIEVEMENT"
    assert body["proposed_behaviour_rating"] == "MEETS"
    assert body["proposed_predicate"] == "BAIK"
    assert body["behaviour_assessment"]["assessor_id"] == "boss"
    assert body["last_event_id"]
    assert docs["last_event_id"]

    # Who may see it: the employee, their rater, HR and auditors; not a colleague, not another rater, not ops.
    for roles, employee_id, expected in (
        ("employee,rater", "boss", 200),
        ("region_admin", None, 200),
        ("auditor", None, 200),
        ("employee", "budi", 404),
        ("employee,rater", "someone-else", 404),
        ("ops", None, 403),
    ):
        response = await service.client.get(
            "/v1/employees/ani/scorecard",
            params={"period": Q1},
            headers=auth(make_token(roles, region=r, employee=employee_id)),
        )
        assert response.status_code == expected, (roles, employee_id, response.text)
    other_region = await service.client.get(
        "/v1/employees/ani/scorecard",
        params={"period": Q1},
        headers=auth(make_token("auditor", region=new_region_id())),
    )
    assert other_region.status_code == 404


async def test_rater_confirms_or_overrides_with_a_reason_and_auditors_see_the_overrides(
    start_service, make_token
):
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(
        reported(r, "ani", "a1", "docs", 100),
        verified(r, "ani", "a1"),
        rater_assessment(r, "ani", "boss", 3),
        reported(r, "budi", "b1", "docs", 100),
        verified(r, "budi", "b1"),
        rater_assessment(r, "budi", "boss", 3),
    )
    boss = auth(make_token("employee,rater", region=r, employee="boss"))

    not_theirs = await service.client.post(
        "/v1/employees/ani/ratings/2026-Q1",
        json={"result_rating": "MEETS", "behaviour_rating": "MEETS"},
        headers=auth(make_token("rater", region=r, employee="another-rater")),
    )
    assert not_theirs.status_code == 403
    assert not_theirs.json()["error"]["code"] == "not_your_team"

    no_reason = await service.client.post(
        "/v1/employees/ani/ratings/2026-Q1",
        json={"result_rating": "ABOVE", "behaviour_rating": "MEETS"},
        headers=boss,
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["field"] == "reason"

    overridden = await service.client.post(
        "/v1/employees/ani/ratings/2026-Q1",
        json={
            "result_rating": "ABOVE",
            "behaviour_rating": "ABOVE",
            "reason": "Menangani antrean tambahan saat banjir",
        },
        headers=boss,
    )
    assert overridden.status_code == 201, overridden.text
    assert overridden.json()["predicate"] == "SANGAT_BAIK"
    assert overridden.json()["overridden"] is True
    confirmed = await service.client.post(
        "/v1/employees/budi/ratings/2026-Q1",
        # Budi's waiting time has no data: (1.0 + 0) / 2 = 0.5 proposes Below, which the rater confirms.
        json={"result_rating": "BELOW", "behaviour_rating": "MEETS"},
        headers=boss,
    )
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["overridden"] is False

    published = await region.outbox("RatingConfirmed")
    assert {(p["employee_id"], p["overridden"], p["predicate"]) for p in published} == {
        ("ani", True, "SANGAT_BAIK"),
        ("budi", False, "BUTUH_PERBAIKAN"),
    }
    audit = await service.client.get(
        "/v1/overrides", params={"period": Q1}, headers=auth(make_token("auditor", region=r))
    )
    assert audit.status_code == 200
    assert audit.json()["decisions"] == 2
    assert audit.json()["overrides"] == 1
    assert audit.json()["by_rater"] == [
        {"rater_id": "boss", "decisions": 2, "overrides": 1, "override_rate": "0.5"}
    ]
    assert audit.json()["items"][0]["reason"] == "Menangani antrean tambahan saat banjir"
    scorecard = await service.client.get(
        "/v1/employees/ani/scorecard",
        params={"period": Q1},
        headers=auth(make_token("employee", region=r, employee="ani")),
    )
    assert scorecard.json()["predicate"] == "SANGAT_BAIK"
    assert scorecard.json()["decision"]["reason"] == "Menangani antrean tambahan saat banjir"


async def test_closed_period_is_frozen_and_later_events_are_kept_aside(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    await region.apply(
        reported(r, "ani", "a1", "docs", 100),
        reported(r, "ani", "w1", "wait", 15),
        rater_assessment(r, "ani", "boss", 3),
        reported(r, "budi", "b1", "docs", 100),
        reported(r, "budi", "bw1", "wait", 15),
        rater_assessment(r, "budi", "boss", 3),
    )
    admin = auth(make_token("region_admin", region=r))
    dashboard = await service.client.get("/v1/units/dukcapil/dashboard", params={"period": Q1}, headers=admin)
    assert dashboard.status_code == 200, dashboard.text
    # A unit rated Baik needs at least one Butuh Perbaikan or Kurang: everyone Baik breaks the pattern.
    assert dashboard.json()["predicates"][1] == {"predicate": "BAIK", "label_id": "Baik", "count": 2}
    assert dashboard.json()["distribution"]["compliant"] is False
    assert dashboard.json()["distribution"]["warnings"]

    warnings = await service.client.get(f"/v1/periods/{Q1}/warnings", headers=admin)
    # Each warning names its unit and says what is wrong in English and Indonesian.
    assert {w["unit_id"] for w in warnings.json()} == {"dukcapil"}
    assert all(w["message"] and w["message_id"] and w["message"] != w["message_id"] for w in warnings.json())
    refused = await service.client.post(f"/v1/periods/{Q1}/close", json={}, headers=admin)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "unacknowledged_warnings"
    assert warnings.json()[0]["message_id"] in refused.json()["error"]["message_id"]
    closed = await service.client.post(
        f"/v1/periods/{Q1}/close", json={"acknowledge_warnings": True}, headers=admin
    )
    assert closed.status_code == 201, closed.text
    assert closed.json()["warnings"] == warnings.json()

    def card() -> Any:
        return service.client.get(
            "/v1/employees/ani/scorecard",
            params={"period": Q1},
            headers=auth(make_token("auditor", region=r)),
        )

    before = (await card()).json()
    region.clock = datetime.now(UTC) + timedelta(seconds=5)  # what happens from now on is after the close
    late = await region.apply(
        reported(r, "ani", "a9", "docs", 500),
        verified(r, "ani", "a1"),
        ComplaintDeadlineBreached(
            region_id=r, complaint_id="c1", unit_id="dukcapil", stage="follow_up", due_at=IN_Q1
        ),
    )
    after = (await card()).json()
    assert after["period_closed"] is True
    assert after["indicators"] == before["indicators"]
    assert after["achievement"] == before["achievement"]
    assert await region.count(late_events) == len(late)
    listed = await service.client.get(f"/v1/periods/{Q1}/late-events", headers=admin)
    assert {item["event_type"] for item in listed.json()} == {
        "ActivityReported",
        "ActivityVerified",
        "ComplaintDeadlineBreached",
    }

    decision = await service.client.post(
        "/v1/employees/ani/ratings/2026-Q1",
        json={"result_rating": "MEETS", "behaviour_rating": "MEETS"},
        headers=auth(make_token("rater", region=r, employee="boss")),
    )
    assert decision.status_code == 409
    retroactive = await service.client.post(
        "/v1/rules",
        json={"effective_from": "2026-02-01", "rating": {"meets_min_achievement": "0.5"}},
        headers=admin,
    )
    assert retroactive.status_code == 409
    assert retroactive.json()["error"]["field"] == "effective_from"


async def test_a_rule_change_applies_from_its_date_and_re_scores_open_periods_only(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    in_q2 = datetime(YEAR, 5, 5, 3, tzinfo=UTC)
    await region.apply(
        reported(r, "ani", "a1", "docs", 50),
        verified(r, "ani", "a1"),
        reported(r, "ani", "w1", "wait", 15),
        verified(r, "ani", "w1"),
        reported(r, "ani", "a2", "docs", 50, occurred_at=in_q2),
        verified(r, "ani", "a2"),
        reported(r, "ani", "w2", "wait", 15, occurred_at=in_q2),
        verified(r, "ani", "w2"),
    )
    admin = auth(make_token("region_admin", region=r))

    async def proposal(period: str) -> str:
        response = await service.client.get(
            "/v1/employees/ani/scorecard", params={"period": period}, headers=admin
        )
        return str(response.json()["proposed_result_rating"])

    # Achievement (0.5 + 1.0) / 2 = 0.75: below the national 0.90 for Meets.
    assert await proposal(Q1) == "BELOW"
    assert await proposal(f"{YEAR}-Q2") == "BELOW"
    created = await service.client.post(
        "/v1/rules",
        json={"effective_from": "2026-04-01", "rating": {"meets_min_achievement": "0.7"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert await proposal(Q1) == "BELOW"  # scored by the rules in force on its first day
    assert await proposal(f"{YEAR}-Q2") == "MEETS"
    rules = await service.client.get("/v1/rules", headers=auth(make_token("auditor", region=r)))
    assert [item["effective_from"] for item in rules.json()] == ["2026-04-01"]


async def test_shared_evidence_and_system_problems_are_flagged_for_hr_and_auditors(start_service, make_token):
    service, region = await seeded(start_service)
    r = region.id
    digest = "ab" * 32
    await region.apply(
        employee(r, "citra", "boss"),
        plan(r, "citra", "boss"),
        reported(r, "ani", "a1", "docs", 10, evidence_sha256=[digest]),
        reported(r, "budi", "b1", "docs", 10, evidence_sha256=[digest.upper()]),
        reported(r, "citra", "c1", "docs", 10),
    )
    flags = await service.client.get("/v1/flags", headers=auth(make_token("auditor", region=r)))
    assert flags.status_code == 200
    shared = [f for f in flags.json() if f["kind"] == "shared_evidence"]
    assert sorted(f["details"]["employee_id"] for f in shared) == ["ani", "budi"]
    assert len(await region.outbox("FlagRaised")) == 2

    admin = auth(make_token("region_admin", region=r))
    analysed = await service.client.post(f"/v1/periods/{Q1}/analysis", headers=admin)
    assert analysed.status_code == 200, analysed.text
    # Every one of the three missed the documents target: a system problem of the unit, not three people's.
    problems = [f for f in analysed.json()["flags"] if f["kind"] == "system_problem"]
    assert {f["subject_id"] for f in problems} == {"dukcapil/ktp-issued", "dukcapil/waiting-minutes"}
    again = await service.client.post(f"/v1/periods/{Q1}/analysis", headers=admin)
    assert again.json()["flags_raised"] == 0
    diagnosis = await service.client.get("/v1/units/dukcapil/diagnosis", params={"period": Q1}, headers=admin)
    assert [p["code"] for p in diagnosis.json()["system_problems"]] == ["ktp-issued", "waiting-minutes"]
    assert all(not e["individual"] for e in diagnosis.json()["employees"])
    ops = await service.client.get("/v1/flags", headers=auth(make_token("ops", region=r)))
    assert ops.status_code == 403


async def test_a_nul_in_the_url_is_refused_naming_its_parameter(start_service, make_token):
    service, region = await seeded(start_service)
    admin = auth(make_token("region_admin", region=region.id))

    refusals = [
        (
            await service.client.get(f"/v1/employees/ani%00/scorecard?period={Q1}", headers=admin),
            "employee_id",
        ),
        (await service.client.get(f"/v1/units/dukcapil%00/dashboard?period={Q1}", headers=admin), "unit_id"),
        (await service.client.get(f"/v1/units/dukcapil%00/diagnosis?period={Q1}", headers=admin), "unit_id"),
    ]

    for response, field in refusals:
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["field"]) == (422, "invalid_input", field)
        assert error["message"] == f"{field}: text must not contain NUL characters"
        assert error["message_id"] == f"{field}: teks tidak boleh berisi karakter NUL"
