"""Feedback's public directory: a region's name, zone, units and rated services, and nothing personal."""

from __future__ import annotations

import pytest

from services.feedback.domain.satisfaction import ServiceItem
from tests.conftest import auth, new_region_id
from tests.integration.test_feedback_surveys import citizen, seed_region

pytestmark = pytest.mark.integration


async def test_the_directory_shows_units_and_services_but_no_people(start_service, make_token) -> None:
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(
        feedback, region, timezone="Asia/Jayapura", employees=(("officer-1", "dukcapil", None),)
    )
    declared = await feedback.client.post(
        f"/v1/units/{units['dukcapil']}/services",
        json={"service_id": "ktp-el", "name": "Perekaman KTP-el"},
        headers=auth(make_token("region_admin", region=region)),
    )
    assert declared.status_code == 201

    async with citizen(feedback) as anyone:
        profile = await anyone.get(f"/v1/public/regions/{region}")
        listing = await anyone.get("/v1/public/regions")
        unknown = await anyone.get(f"/v1/public/regions/{new_region_id()}")
    assert profile.status_code == 200
    assert profile.json() == {
        "region_id": region,
        "name": "Kota Uji",
        "timezone": "Asia/Jayapura",
        "period_kind": "quarterly",
        "units": [
            {
                "unit_id": units["dukcapil"],
                "name": "Dinas dukcapil",
                "services": [{"service_id": "ktp-el", "name": "Perekaman KTP-el"}],
            }
        ],
    }
    assert "officer-1" not in profile.text
    assert "Pegawai" not in profile.text
    assert {"region_id": region, "name": "Kota Uji", "timezone": "Asia/Jayapura"} in listing.json()
    assert unknown.status_code == 404


async def test_the_figures_count_responses_and_complaints_per_unit_without_personal_data(
    start_service, make_token
) -> None:
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region, timezone="Asia/Jayapura", units=("dukcapil", "dpu"))
    answers = dict.fromkeys((item.value for item in ServiceItem), 4)
    async with citizen(feedback) as anyone:
        before = (await anyone.get(f"/v1/public/regions/{region}/figures")).json()
        sent = await anyone.post(
            f"/v1/public/regions/{region}/units/{units['dukcapil']}/survey-responses",
            json={"scores": answers, "comment": "Petugas Budi sangat membantu"},
        )
        assert sent.status_code == 201, sent.text
        filed = await anyone.post(
            f"/v1/public/regions/{region}/complaints",
            json={
                "unit_id": units["dpu"],
                "description": "Loket tutup sebelum jam layanan berakhir.",
                "contact": {"name": "Maria Kogoya", "phone": "+62 811 000 111"},
            },
        )
        assert filed.status_code == 201, filed.text
        after = await anyone.get(f"/v1/public/regions/{region}/figures")
    assert after.status_code == 200
    figures = {unit["name"]: unit for unit in after.json()["units"]}
    assert {unit["name"]: unit["respondents"] for unit in before["units"]} == {
        "Dinas dukcapil": 0,
        "Dinas dpu": 0,
    }
    assert figures["Dinas dukcapil"]["respondents"] == 1
    assert figures["Dinas dukcapil"]["index"] == "100.00"
    assert figures["Dinas dukcapil"]["grade"] == "A"
    assert figures["Dinas dpu"]["index"] is None
    assert figures["Dinas dpu"]["complaints"] == {"filed": 1, "closed_within_deadline": 0}
    assert after.json()["timezone"] == "Asia/Jayapura"
    for private in ("Budi", "Maria", "811", "Loket tutup"):
        assert private not in after.text


async def test_tracking_tells_the_running_deadline_in_working_days(start_service) -> None:
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region, timezone="Asia/Jayapura")
    async with citizen(feedback) as anyone:
        filed = await anyone.post(
            f"/v1/public/regions/{region}/complaints",
            json={"unit_id": units["dukcapil"], "description": "Antrean tidak dilayani sesuai nomor."},
        )
        tracked = await anyone.get(f"/v1/public/regions/{region}/complaints/{filed.json()['tracking_code']}")
    assert tracked.status_code == 200
    assert tracked.json()["deadline_kind"] == "verification"
    assert tracked.json()["working_days_left"] == 3  # the region's verification deadline, none passed yet


async def test_a_nul_in_the_url_is_refused_naming_its_parameter(start_service, make_token) -> None:
    feedback = await start_service("feedback")
    region = new_region_id()
    admin = auth(make_token("region_admin", region=region))

    async with citizen(feedback) as anyone:
        profile = await anyone.get(f"/v1/public/regions/{region}%00")
        figures = await anyone.get(f"/v1/public/regions/{region}/figures?period=2026-Q1%00")
    services = await feedback.client.get("/v1/units/dukcapil%00/services", headers=admin)

    for response, field in ((profile, "region_id"), (figures, "period"), (services, "unit_id")):
        error = response.json()["error"]
        assert (response.status_code, error["code"], error["field"]) == (422, "invalid_input", field)
        assert error["message"] == f"{field}: text must not contain NUL characters"
        assert error["message_id"] == f"{field}: teks tidak boleh berisi karakter NUL"
