"""What ``kinerja simulate`` puts on the wire: JSON bodies labelled as JSON, beside the sender's headers."""

from __future__ import annotations

import httpx
import orjson

from kinerja.simulate import Clients, Ledger, MixedLoad, Population, SimulatedEmployee, SimulatedUnit

EMPLOYEE = SimulatedEmployee(
    "r-e-1", "r", "medan", "front_office_clerk", "ind-1", {"authorization": "Bearer e"}, "u-1"
)


async def test_every_kind_of_json_request_sends_its_body_as_json_with_the_senders_headers() -> None:
    sent: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(422, json={"error": {"code": "refused"}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(refuse), base_url="http://simulated")
    unit = SimulatedUnit("r", "u-1", {}, ["T1"])
    load = MixedLoad(Clients(http, http, http, http), Population(["r"], [EMPLOYEE], [unit]), Ledger(), seed=7)
    citizen = {"X-Device-Token": "sim1"}
    body = {"activity_id": "a1", "note": "Supervisi"}
    for request in (
        ("activity", 0, (EMPLOYEE, body)),
        ("activity batch", 0, (EMPLOYEE, [body])),
        ("survey", 0, (unit, "T1", citizen)),
        ("complaint", 0, (unit, citizen)),
    ):
        await load.send(request, scheduled=0.0)

    assert [request.url.path for request in sent] == [
        "/v1/activities",
        "/v1/activities/batch",
        "/v1/public/regions/r/units/u-1/survey-responses",
        "/v1/public/regions/r/complaints",
    ]
    assert all(request.headers["content-type"] == "application/json" for request in sent)
    assert orjson.loads(sent[0].content) == body
    assert orjson.loads(sent[1].content) == {"items": [body]}
    assert orjson.loads(sent[3].content)["unit_id"] == "u-1"
    assert [request.headers.get("authorization") for request in sent[:2]] == ["Bearer e", "Bearer e"]
    assert [request.headers.get("x-device-token") for request in sent[2:]] == ["sim1", "sim1"]
    assert citizen == {"X-Device-Token": "sim1"}  # the sender's own headers are left as they were
