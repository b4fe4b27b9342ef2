"""Feedback's public directory: a region's name, zone, units and rated services, and nothing personal."""

from __future__ import annotations

import pytest

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
