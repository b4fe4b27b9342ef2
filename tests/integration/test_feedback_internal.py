"""Feedback inside the organisation on real PostgreSQL: continuous feedback and BerAKHLAK assessments."""

from __future__ import annotations

import pytest

from tests.conftest import auth, new_region_id, outbox_payloads
from tests.integration.test_feedback_surveys import activity, apply, approved_plan, seed_region

pytestmark = pytest.mark.integration

VALUES = ("service_oriented", "accountable", "competent", "harmonious", "loyal", "adaptive", "collaborative")


def berakhlak(*scores: int) -> dict[str, int]:
    """Scores for the seven values in BerAKHLAK order."""
    return dict(zip(VALUES, scores, strict=True))


async def seed_team(feedback, region: str) -> dict[str, str]:
    """A unit with a head (rater), a staff member, three colleagues, and another unit's employee.

    Employee ids are unique across the platform, so each is prefixed with the test's region.
    """
    people = {
        name: f"{region}-{name}" for name in ("head", "staff", "peer-1", "peer-2", "peer-3", "outsider")
    }
    units = await seed_region(
        feedback,
        region,
        units=("dukcapil", "dinkes"),
        employees=(
            (people["head"], "dukcapil", None),
            (people["staff"], "dukcapil", people["head"]),
            (people["peer-1"], "dukcapil", people["head"]),
            (people["peer-2"], "dukcapil", people["head"]),
            (people["peer-3"], "dukcapil", people["head"]),
            (people["outsider"], "dinkes", None),
        ),
    )
    await apply(
        feedback,
        region,
        approved_plan(region, people["staff"], people["head"], units["dukcapil"], f"{region}-rhk-1"),
        activity(region, people["staff"], f"{region}-rhk-1", f"{region}-act-1"),
    )
    return people


async def test_a_rater_gives_feedback_on_a_planned_result_and_only_the_right_people_read_it(
    start_service, make_token
):
    feedback = await start_service("feedback")
    region = new_region_id()
    people = await seed_team(feedback, region)
    head = auth(make_token("employee,rater", region=region, employee=people["head"]))
    url = f"/v1/employees/{people['staff']}/continuous-feedback"
    body = {
        "result_id": f"{region}-rhk-1",
        "activity_ids": [f"{region}-act-1"],
        "text": "Capaian bagus; perhatikan antrean sore hari.",
    }

    given = await feedback.client.post(url, json=body, headers=head)
    not_in_plan = await feedback.client.post(url, json={**body, "result_id": "elsewhere"}, headers=head)
    no_evidence = await feedback.client.post(url, json={**body, "activity_ids": ["made-up"]}, headers=head)
    other_team = await feedback.client.post(
        f"/v1/employees/{people['outsider']}/continuous-feedback", json=body, headers=head
    )

    assert given.status_code == 201, given.text
    assert given.json()["result_text"] == "KTP-el diterbitkan tepat waktu"
    assert not_in_plan.status_code == 422
    assert not_in_plan.json()["error"]["field"] == "result_id"
    assert no_evidence.status_code == 422
    assert no_evidence.json()["error"]["field"] == "activity_ids"
    # Evidence arrives by events: a rater told so can try again rather than doubt the activity.
    assert "may not have arrived yet" in no_evidence.json()["error"]["message"]
    assert "mungkin belum diterima" in no_evidence.json()["error"]["message_id"]
    assert other_team.status_code == 403
    events = await outbox_payloads(feedback, region, "ContinuousFeedbackGiven")
    assert [(e["employee_id"], e["rater_id"], e["activity_ids"]) for e in events] == [
        (people["staff"], people["head"], [f"{region}-act-1"])
    ]

    own = await feedback.client.get(
        url, headers=auth(make_token("employee", region=region, employee=people["staff"]))
    )
    colleague = await feedback.client.get(
        url, headers=auth(make_token("employee", region=region, employee=people["peer-1"]))
    )
    auditor = await feedback.client.get(url, headers=auth(make_token("auditor", region=region)))
    foreign = await feedback.client.get(url, headers=auth(make_token("auditor", region=new_region_id())))
    assert [entry["text"] for entry in own.json()] == [body["text"]]
    assert colleague.status_code == 404
    assert auditor.status_code == 200
    assert foreign.status_code == 404


async def test_peer_assessments_are_shown_only_pooled_and_only_from_three_peers(start_service, make_token):
    feedback = await start_service("feedback")
    region = new_region_id()
    people = await seed_team(feedback, region)
    url = f"/v1/employees/{people['staff']}/behaviour-assessments"
    period = {"period": "2026-Q2"}

    def as_employee(employee: str, roles: str = "employee") -> dict[str, str]:
        return auth(make_token(roles, region=region, employee=people[employee]))

    rater = await feedback.client.post(
        url,
        json={**period, "scores": berakhlak(4, 4, 4, 4, 5, 4, 4)},
        headers=as_employee("head", "employee,rater"),
    )
    own = await feedback.client.post(
        url, json={**period, "scores": berakhlak(3, 3, 3, 3, 3, 3, 3)}, headers=as_employee("staff")
    )
    twice = await feedback.client.post(
        url, json={**period, "scores": berakhlak(3, 3, 3, 3, 3, 3, 3)}, headers=as_employee("staff")
    )
    outsider = await feedback.client.post(
        url, json={**period, "scores": berakhlak(1, 1, 1, 1, 1, 1, 1)}, headers=as_employee("outsider")
    )
    out_of_scale = await feedback.client.post(
        url, json={**period, "scores": berakhlak(6, 3, 3, 3, 3, 3, 3)}, headers=as_employee("peer-1")
    )
    assert rater.status_code == 201, rater.text
    assert rater.json()["assessor_role"] == "rater"
    assert own.json()["assessor_role"] == "self"
    assert twice.status_code == 409
    assert outsider.status_code == 403
    assert out_of_scale.status_code == 422
    assert out_of_scale.json()["error"]["field"] == "scores.service_oriented"

    summary_url = f"/v1/employees/{people['staff']}/behaviour"
    for peer, score in (("peer-1", 2), ("peer-2", 3)):
        response = await feedback.client.post(
            url, json={**period, "scores": berakhlak(score, 3, 3, 3, 3, 3, 3)}, headers=as_employee(peer)
        )
        assert response.json()["assessor_role"] == "peer"
    two_peers = (await feedback.client.get(summary_url, params=period, headers=as_employee("staff"))).json()
    assert two_peers["peers"] is None
    assert two_peers["peer_minimum"] == 3
    assert two_peers["rater"]["scores"]["loyal"] == "5.00"
    assert two_peers["proposed_rating"] == "above_expectation"

    await feedback.client.post(
        url, json={**period, "scores": berakhlak(4, 3, 3, 3, 3, 3, 3)}, headers=as_employee("peer-3")
    )
    three_peers = (await feedback.client.get(summary_url, params=period, headers=as_employee("staff"))).json()
    assert three_peers["peers"]["scores"]["service_oriented"] == "3.00"
    assert three_peers["peers"]["assessors"] == 3
    assert people["peer-1"] not in str(three_peers)
    colleague = await feedback.client.get(summary_url, params=period, headers=as_employee("peer-1"))
    assert colleague.status_code == 404

    events = await outbox_payloads(feedback, region, "BehaviourAssessmentSubmitted")
    assert sorted(e["assessor_role"] for e in events) == ["peer", "peer", "peer", "rater", "self"]
    assert all(e["assessor_id"] == "peer" for e in events if e["assessor_role"] == "peer")
