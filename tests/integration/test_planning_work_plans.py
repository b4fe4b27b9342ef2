"""Work plans (SKP) through the domain aggregate on real infrastructure: links, edits, versions, events."""

from __future__ import annotations

import asyncio
import copy

import pytest
from sqlalchemy import func, select

from tests.conftest import auth, outbox_payloads
from tests.integration.work_plan_requests import (
    YEAR,
    approved_plan,
    organisation_with_chain,
    plan_body,
    submitted_plan,
)

pytestmark = pytest.mark.integration


async def test_a_result_may_support_only_a_result_of_the_raters_approved_plan(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)

    no_rater_plan = await client.post(
        "/v1/work-plans", json=plan_body(supports="x"), headers=org["as"]["section"]
    )
    assert no_rater_plan.status_code == 422
    assert no_rater_plan.json()["error"]["field"] == "results.0.supports_result_id"

    head_draft = (
        await client.post(
            "/v1/work-plans", json=plan_body("Layanan Dukcapil prima"), headers=org["as"]["head"]
        )
    ).json()
    head_result = head_draft["results"][0]["result_id"]
    unapproved = await client.post(
        "/v1/work-plans", json=plan_body(supports=head_result), headers=org["as"]["section"]
    )
    assert unapproved.status_code == 422
    assert unapproved.json()["error"]["code"] == "rater_plan_not_approved"
    assert unapproved.json()["error"]["field"] == "results.0.supports_result_id"

    await client.post(f"/v1/work-plans/{head_draft['plan_id']}/submit", headers=org["as"]["head"])
    approved = await client.post(
        f"/v1/work-plans/{head_draft['plan_id']}/approve", headers=org["as"]["sekda"]
    )
    assert approved.status_code == 200, approved.text
    linked = await client.post(
        "/v1/work-plans", json=plan_body(supports=head_result), headers=org["as"]["section"]
    )
    assert linked.status_code == 201, linked.text
    assert linked.json()["results"][0]["supports_result_id"] == head_result
    assert linked.json()["results"][0]["supports_employee_id"] == org["ids"]["head"]

    section_plan = linked.json()["plan_id"]
    await client.post(f"/v1/work-plans/{section_plan}/submit", headers=org["as"]["section"])
    await client.post(f"/v1/work-plans/{section_plan}/approve", headers=org["as"]["head"])
    # The head is not the staff member's rater: their result is foreign to the staff's plan.
    foreign = await client.post(
        "/v1/work-plans", json=plan_body(supports=head_result), headers=org["as"]["staff"]
    )
    assert foreign.status_code == 422
    assert (foreign.json()["error"]["code"], foreign.json()["error"]["field"]) == (
        "unknown_rater_result",
        "results.0.supports_result_id",
    )
    listed = await client.get(
        "/v1/work-plans", params={"employee_id": org["ids"]["staff"]}, headers=org["admin"]
    )
    assert listed.json() == []


async def test_only_the_employee_edits_their_draft_and_an_approved_plan_never_changes(
    start_service, make_token
):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    draft = (await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])).json()
    result = draft["results"][0]
    indicator_id = result["indicators"][0]["indicator_id"]
    edit = {
        "results": [
            {
                "result_id": result["result_id"],
                "text": "KTP-el diterbitkan paling lama 1 hari kerja",
                "indicators": [
                    {
                        "indicator_id": indicator_id,
                        "name": "KTP-el diterbitkan",
                        "unit_of_measure": "keping",
                        "target": 480,
                        "period_targets": {f"{YEAR}-Q{q}": 120 for q in range(1, 5)},
                    }
                ],
            },
            {
                "kind": "additional",
                "text": "Sosialisasi layanan daring",
                "indicators": [{"name": "Kegiatan sosialisasi", "unit_of_measure": "kegiatan", "target": 4}],
            },
        ]
    }

    by_rater = await client.put(f"/v1/work-plans/{draft['plan_id']}", json=edit, headers=org["as"]["section"])
    by_colleague = await client.put(
        f"/v1/work-plans/{draft['plan_id']}", json=edit, headers=org["as"]["clerk"]
    )
    assert (by_rater.status_code, by_rater.json()["error"]["code"]) == (403, "not_your_plan")
    assert by_colleague.status_code == 404

    edited = await client.put(f"/v1/work-plans/{draft['plan_id']}", json=edit, headers=org["as"]["staff"])
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["results"][0]["result_id"] == result["result_id"]
    assert body["results"][0]["indicators"][0]["indicator_id"] == indicator_id
    assert body["results"][0]["indicators"][0]["target"] == "480"
    assert [r["kind"] for r in body["results"]] == ["main", "additional"]

    await client.post(f"/v1/work-plans/{draft['plan_id']}/submit", headers=org["as"]["staff"])
    while_submitted = await client.put(
        f"/v1/work-plans/{draft['plan_id']}", json=edit, headers=org["as"]["staff"]
    )
    assert (while_submitted.status_code, while_submitted.json()["error"]["code"]) == (409, "not_a_draft")
    await client.post(f"/v1/work-plans/{draft['plan_id']}/approve", headers=org["as"]["section"])
    while_approved = await client.put(
        f"/v1/work-plans/{draft['plan_id']}", json=plan_body(), headers=org["as"]["staff"]
    )
    assert while_approved.status_code in (409, 422)
    second_plan = await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])
    assert (second_plan.status_code, second_plan.json()["error"]["field"]) == (409, "year")
    stored = (await client.get(f"/v1/work-plans/{draft['plan_id']}", headers=org["as"]["staff"])).json()
    assert stored["status"] == "approved"
    assert stored["results"] == body["results"]


async def test_revising_creates_a_new_version_whose_approval_supersedes_the_old(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    v1 = await approved_plan(client, org, "staff", "section", plan_body())

    revised = await client.post(f"/v1/work-plans/{v1['plan_id']}/revise", headers=org["as"]["staff"])
    assert revised.status_code == 201, revised.text
    v2 = revised.json()
    assert (v2["version"], v2["status"], v2["previous_plan_id"]) == (2, "draft", v1["plan_id"])
    assert v2["results"] == v1["results"]
    again = await client.post(f"/v1/work-plans/{v1['plan_id']}/revise", headers=org["as"]["staff"])
    assert (again.status_code, again.json()["error"]["code"]) == (409, "not_latest_version")

    content = copy.deepcopy(v2["results"])
    for result in content:
        del result["supports_employee_id"]  # read-only: it follows from the supported result
    content[0]["indicators"][0]["target"] = 440
    content[0]["indicators"][0]["period_targets"] = {
        f"{YEAR}-Q1": 100,
        f"{YEAR}-Q2": 100,
        f"{YEAR}-Q3": 120,
        f"{YEAR}-Q4": 120,
    }
    edited = await client.put(
        f"/v1/work-plans/{v2['plan_id']}", json={"results": content}, headers=org["as"]["staff"]
    )
    assert edited.status_code == 200, edited.text
    still_in_force = (await client.get(f"/v1/work-plans/{v1['plan_id']}", headers=org["as"]["staff"])).json()
    assert still_in_force["status"] == "approved"
    assert still_in_force["results"][0]["indicators"][0]["target"] == "400"

    await client.post(f"/v1/work-plans/{v2['plan_id']}/submit", headers=org["as"]["staff"])
    approved = await client.post(f"/v1/work-plans/{v2['plan_id']}/approve", headers=org["as"]["section"])
    assert approved.status_code == 200, approved.text
    old = (await client.get(f"/v1/work-plans/{v1['plan_id']}", headers=org["as"]["section"])).json()
    assert (old["status"], old["superseded_by"]) == ("superseded", v2["plan_id"])

    superseded = await outbox_payloads(planning, org["region"], "WorkPlanSuperseded")
    assert [(e["plan_id"], e["reason"], e["superseded_by_plan_id"]) for e in superseded] == [
        (v1["plan_id"], "revised", v2["plan_id"])
    ]
    published = await outbox_payloads(planning, org["region"], "WorkPlanApproved")
    assert [(e["plan_id"], e["version"], e["previous_plan_id"]) for e in published] == [
        (v1["plan_id"], 1, None),
        (v2["plan_id"], 2, v1["plan_id"]),
    ]
    latest = published[-1]
    indicator = latest["results"][0]["indicators"][0]
    # The indicator keeps its id across versions, so activity reported against it keeps counting.
    assert indicator["indicator_id"] == v1["results"][0]["indicators"][0]["indicator_id"]
    assert (indicator["target"], indicator["period_targets"][f"{YEAR}-Q4"]) == ("440", "120")
    assert (latest["rater_id"], latest["unit_id"], latest["job_type"]) == (
        org["ids"]["section"],
        org["unit"]["unit_id"],
        "id_card_registrar",
    )


async def test_a_rejected_plan_is_revised_and_hr_can_withdraw_the_plan_in_force(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    draft = (await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])).json()
    await client.post(f"/v1/work-plans/{draft['plan_id']}/submit", headers=org["as"]["staff"])

    by_colleague = await client.post(
        f"/v1/work-plans/{draft['plan_id']}/reject",
        json={"reason": "Target terlalu rendah"},
        headers=org["as"]["clerk"],
    )
    assert by_colleague.status_code == 404
    rejected = await client.post(
        f"/v1/work-plans/{draft['plan_id']}/reject",
        json={"reason": "Target terlalu rendah"},
        headers=org["as"]["section"],
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["rejection_reason"] == "Target terlalu rendah"
    v2 = (await client.post(f"/v1/work-plans/{draft['plan_id']}/revise", headers=org["as"]["staff"])).json()
    await client.post(f"/v1/work-plans/{v2['plan_id']}/submit", headers=org["as"]["staff"])
    await client.post(f"/v1/work-plans/{v2['plan_id']}/approve", headers=org["as"]["section"])
    # The rejected version was never in force, so nothing is superseded.
    assert await outbox_payloads(planning, org["region"], "WorkPlanSuperseded") == []

    by_rater = await client.post(
        f"/v1/work-plans/{v2['plan_id']}/withdraw",
        json={"reason": "Pindah tugas ke daerah lain"},
        headers=org["as"]["section"],
    )
    assert by_rater.status_code == 403
    withdrawn = await client.post(
        f"/v1/work-plans/{v2['plan_id']}/withdraw",
        json={"reason": "Pindah tugas ke daerah lain"},
        headers=org["admin"],
    )
    assert withdrawn.json()["status"] == "withdrawn"
    superseded = await outbox_payloads(planning, org["region"], "WorkPlanSuperseded")
    assert [(e["plan_id"], e["reason"]) for e in superseded] == [(v2["plan_id"], "withdrawn")]
    revise_withdrawn = await client.post(f"/v1/work-plans/{v2['plan_id']}/revise", headers=org["as"]["staff"])
    assert revise_withdrawn.status_code == 409


@pytest.mark.parametrize(
    ("indicator", "field", "code"),
    [
        ({"target": -5}, "results.0.indicators.0.target", "invalid_input"),
        ({"target": "banyak"}, "results.0.indicators.0.target", "invalid_input"),
        (
            {"period_targets": {f"{YEAR}-Q1": 200, f"{YEAR}-Q2": 200}},
            "results.0.indicators.0.period_targets",
            "split_keys",
        ),
        (
            {"period_targets": {f"{YEAR}-Q1": 100, f"{YEAR}-Q2": 100, f"{YEAR}-Q3": 100, f"{YEAR}-Q4": 90}},
            "results.0.indicators.0.period_targets",
            "split_sum",
        ),
        (
            {"aggregation": "ratio", "target": 150, "period_targets": {}},
            "results.0.indicators.0.target",
            "out_of_range",
        ),
        ({"code": "NO-SUCH-TEMPLATE"}, "results.0.indicators.0.code", "unknown_template"),
        ({"unit_of_measure": None}, "results.0.indicators.0.unit_of_measure", "missing_value"),
    ],
)
async def test_bad_plan_content_is_refused_naming_the_field_and_nothing_changes(
    start_service, make_token, indicator, field, code
):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    draft = (await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])).json()

    created = await client.post("/v1/work-plans", json=plan_body(**indicator), headers=org["as"]["clerk"])
    edited = await client.put(
        f"/v1/work-plans/{draft['plan_id']}",
        json={"results": plan_body(**indicator)["results"]},
        headers=org["as"]["staff"],
    )

    for response in (created, edited):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["field"], error["code"]) == (field, code), error
        assert error["message"]
        assert error["message_id"]
    assert (
        await client.get("/v1/work-plans", params={"employee_id": org["ids"]["clerk"]}, headers=org["admin"])
    ).json() == []
    unchanged = (await client.get(f"/v1/work-plans/{draft['plan_id']}", headers=org["as"]["staff"])).json()
    assert unchanged["results"] == draft["results"]


async def test_templates_fill_indicators_and_qualitative_targets_are_published(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    body = {
        "year": YEAR,
        "results": [
            {
                "text": "Pelayanan cepat di loket",
                "indicators": [
                    {"name": "Rata-rata waktu tunggu", "code": "FO-AVG-WAIT-MIN", "target": 15},
                    {
                        "name": "Kualitas berkas",
                        "code": "GEN-WORK-QUALITY",
                        "qualitative_target": "Berkas diterima tanpa revisi",
                    },
                ],
            }
        ],
    }

    plan = await approved_plan(client, org, "staff", "section", body)

    waiting, quality = plan["results"][0]["indicators"]
    assert (waiting["unit_of_measure"], waiting["direction"], waiting["aggregation"], waiting["aspect"]) == (
        "menit",
        "lower_is_better",
        "average",
        "time",
    )
    assert (quality["target"], quality["qualitative_target"]) == (None, "Berkas diterima tanpa revisi")
    event = (await outbox_payloads(planning, org["region"], "WorkPlanApproved"))[-1]
    published = event["results"][0]["indicators"]
    assert [i["qualitative"] for i in published] == [False, True]
    assert published[0]["code"] == "FO-AVG-WAIT-MIN"


async def test_auditors_read_plans_of_their_region_only(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    other = await organisation_with_chain(client, make_token)
    plan = (await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["staff"])).json()

    own_auditor = auth(make_token("auditor", region=org["region"]))
    other_auditor = auth(make_token("auditor", region=other["region"]))

    assert (await client.get(f"/v1/work-plans/{plan['plan_id']}", headers=own_auditor)).status_code == 200
    assert (await client.get(f"/v1/work-plans/{plan['plan_id']}", headers=other_auditor)).status_code == 404
    assert (await client.post("/v1/work-plans", json=plan_body(), headers=own_auditor)).status_code == 403
    mine = await client.get("/v1/work-plans", headers=org["as"]["section"])
    assert [p["plan_id"] for p in mine.json()] == [plan["plan_id"]]


async def test_a_decision_waits_for_one_in_flight_on_the_same_employees_plans(start_service, make_token):
    """The approval takes the employee-and-year decision lock before reading the plan: while another
    transaction holds it, the approval waits, then reads what that one wrote."""
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)
    plan_id = await submitted_plan(client, org, "staff", plan_body())
    key = f"work-plan-decision:{org['region']}:{org['ids']['staff']}:{YEAR}"

    async with planning.context.engine.connect() as other, other.begin():
        await other.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
        approval = asyncio.create_task(
            client.post(f"/v1/work-plans/{plan_id}/approve", headers=org["as"]["section"])
        )
        await asyncio.sleep(0.5)
        assert not approval.done(), "the approval must wait for the decision in flight"

    answer = await asyncio.wait_for(approval, timeout=10)
    assert answer.status_code == 200, answer.text


async def test_a_plan_without_a_rater_is_refused_until_hr_names_one(start_service, make_token):
    planning = await start_service("planning")
    client = planning.client
    org = await organisation_with_chain(client, make_token)

    refused = await client.post("/v1/work-plans", json=plan_body(), headers=org["as"]["sekda"])

    assert refused.status_code == 422, refused.text
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == ("no_rater", "rater_id")
    assert (await client.get("/v1/work-plans", headers=org["as"]["sekda"])).json() == []
