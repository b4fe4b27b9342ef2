"""A complaint's photo: attached once by its tracking code while submitted, seen by its staff."""

from __future__ import annotations

import pytest

from tests.conftest import auth, new_region_id
from tests.integration.test_feedback_surveys import citizen, seed_region

pytestmark = pytest.mark.integration

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000


async def test_one_photo_per_complaint_recognised_by_content_and_shown_to_its_staff(
    start_service, make_token
) -> None:
    feedback = await start_service("feedback")
    region = new_region_id()
    units = await seed_region(feedback, region)
    admin = auth(make_token("region_admin", region=region))
    async with citizen(feedback) as anyone:
        filed = await anyone.post(
            f"/v1/public/regions/{region}/complaints",
            json={"unit_id": units["dukcapil"], "description": "Ruang tunggu bocor saat hujan."},
        )
        code = filed.json()["tracking_code"]
        photo = f"/v1/public/regions/{region}/complaints/{code}/photo"
        not_an_image = await anyone.put(
            photo, content=b"%PDF-1.7 not a photo", headers={"Content-Type": "image/jpeg"}
        )
        attached = await anyone.put(photo, content=JPEG, headers={"Content-Type": "image/jpeg"})
        twice = await anyone.put(photo, content=JPEG, headers={"Content-Type": "image/jpeg"})
        unknown = await anyone.put(
            f"/v1/public/regions/{region}/complaints/AAAAA-BBBBB/photo",
            content=JPEG,
            headers={"Content-Type": "image/jpeg"},
        )
        tracked = await anyone.get(f"/v1/public/regions/{region}/complaints/{code}")
    assert not_an_image.status_code == 422
    assert not_an_image.json()["error"]["code"] == "photo_type"
    assert attached.status_code == 204
    assert twice.status_code == 409
    assert unknown.status_code == 404
    assert tracked.json()["has_photo"] is True

    (listed,) = (await feedback.client.get("/v1/complaints", headers=admin)).json()
    shown = await feedback.client.get(f"/v1/complaints/{listed['complaint_id']}/photo", headers=admin)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.content == JPEG

    # Once checked, no photo is added any more.
    async with citizen(feedback) as anyone:
        second = await anyone.post(
            f"/v1/public/regions/{region}/complaints",
            json={"unit_id": units["dukcapil"], "description": "Nomor antrean dilewati petugas."},
        )
    (newest,) = [
        c
        for c in (await feedback.client.get("/v1/complaints", headers=admin)).json()
        if c["complaint_id"] != listed["complaint_id"]
    ]
    moved = await feedback.client.post(
        f"/v1/complaints/{newest['complaint_id']}/transitions", json={"status": "verified"}, headers=admin
    )
    assert moved.status_code == 200
    async with citizen(feedback) as anyone:
        late = await anyone.put(
            f"/v1/public/regions/{region}/complaints/{second.json()['tracking_code']}/photo",
            content=JPEG,
            headers={"Content-Type": "image/jpeg"},
        )
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "photo_too_late"
