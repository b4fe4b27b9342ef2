"""Evidence (bukti dukung) on real PostgreSQL and the local store: type by content, size, dedup, access."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from services.reporting.entrypoints.dependencies import evidence_store
from tests.conftest import auth, new_region_id
from tests.integration.test_reporting_support import activity, outbox, seed_team, submit

pytestmark = pytest.mark.integration

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4
SCAN = b"%PDF-1.7\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 20
DISGUISED = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 600


@pytest.fixture
async def reporting(start_service, monkeypatch, tmp_path):
    monkeypatch.setenv("KINERJA_EVIDENCE_MAX_BYTES", "4096")
    monkeypatch.setenv("KINERJA_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return await start_service("reporting")


def upload(
    service: Any,
    activity_id: str,
    token: str,
    content: bytes,
    content_type: str = "image/jpeg",
    name: str = "foto.jpg",
) -> Any:
    return service.client.post(
        f"/v1/activities/{activity_id}/evidence",
        files={"file": (name, content, content_type)},
        headers=auth(token),
    )


async def test_a_file_is_stored_once_by_its_hash_and_read_back_by_those_allowed(reporting, make_token):
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    mine = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    theirs = (await submit(reporting, colleague, activity(colleague))).json()["activity_id"]
    digest = hashlib.sha256(PHOTO).hexdigest()

    first = await upload(reporting, mine, staff.token, PHOTO)
    stored = evidence_store(reporting.context).path_of(digest)  # type: ignore[attr-defined]
    written = stored.stat()
    again = await upload(reporting, mine, staff.token, PHOTO)
    elsewhere = await upload(reporting, theirs, colleague.token, PHOTO, "application/octet-stream")

    assert first.status_code == 201, first.text
    assert first.json()["sha256"] == digest
    assert first.json()["content_type"] == "image/jpeg"
    assert first.json()["size_bytes"] == len(PHOTO)
    assert again.status_code == 200
    assert elsewhere.status_code == 201
    assert stored.read_bytes() == PHOTO
    assert (stored.stat().st_ino, stored.stat().st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    assert len(list(stored.parent.iterdir())) == 1

    detail = (await reporting.client.get(f"/v1/activities/{mine}", headers=auth(staff.token))).json()
    assert [e["sha256"] for e in detail["evidence"]] == [digest]
    path = f"/v1/activities/{mine}/evidence/{digest}"
    for token in (staff.token, team.rater.token, make_token("auditor", region=team.region)):
        download = await reporting.client.get(path, headers=auth(token))
        assert download.status_code == 200
        assert download.content == PHOTO
        assert download.headers["content-type"] == "image/jpeg"
        assert download.headers["x-content-type-options"] == "nosniff"
    assert (await reporting.client.get(path, headers=auth(colleague.token))).status_code == 404
    other_region = make_token("region_admin", region=new_region_id())
    assert (await reporting.client.get(path, headers=auth(other_region))).status_code == 404


async def test_disallowed_mislabelled_and_oversized_files_are_refused(reporting, make_token):
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff = team.members[0]
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]

    disguised = await upload(reporting, activity_id, staff.token, DISGUISED, "image/jpeg", "foto.jpg")
    mislabelled = await upload(reporting, activity_id, staff.token, SCAN, "image/png", "scan.png")
    oversized = await upload(reporting, activity_id, staff.token, PHOTO * 5)
    by_rater = await upload(reporting, activity_id, team.rater.token, PHOTO)

    assert disguised.status_code == 415
    assert (disguised.json()["error"]["code"], disguised.json()["error"]["field"]) == (
        "unsupported_file_type",
        "file",
    )
    assert mislabelled.status_code == 415
    assert mislabelled.json()["error"]["code"] == "content_type_mismatch"
    assert oversized.status_code == 413
    assert "4096" in oversized.json()["error"]["message"]
    assert by_rater.status_code == 403
    assert by_rater.json()["error"]["code"] == "not_the_owner"
    detail = (await reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(staff.token))).json()
    assert detail["evidence"] == []


async def test_the_evidence_hash_travels_in_the_review_events_and_is_frozen_once_verified(
    reporting, make_token
):
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    photo = (await upload(reporting, activity_id, staff.token, PHOTO)).json()["sha256"]
    scan = (await upload(reporting, activity_id, staff.token, SCAN, "application/pdf", "scan.pdf")).json()[
        "sha256"
    ]

    await reporting.client.post(
        f"/v1/activities/{activity_id}/reject",
        json={"note": "Lampirkan daftar hadir"},
        headers=auth(rater.token),
    )
    await reporting.client.post(
        f"/v1/activities/{activity_id}/correction",
        json={"occurred_at": activity(staff)["occurred_at"], "quantity": 8, "description": "Diperbaiki"},
        headers=auth(staff.token),
    )
    await reporting.client.post(f"/v1/activities/{activity_id}/verify", headers=auth(rater.token))
    late = await upload(reporting, activity_id, staff.token, PHOTO[:-1] + b"\x01")

    assert late.status_code == 409
    assert late.json()["error"]["code"] == "activity_verified"
    reviewed = {kind: p for kind, p in await outbox(reporting, team.region) if kind != "ActivityReported"}
    for kind in ("ActivityRejected", "ActivityCorrected", "ActivityVerified"):
        assert reviewed[kind]["evidence_sha256"] == [photo, scan], kind


async def test_a_nul_in_a_files_name_or_a_listings_parameters_is_refused_naming_it(reporting, make_token):
    team = await seed_team(reporting, make_token, new_region_id(), size=1)
    staff, rater = team.members[0], team.rater
    activity_id = (await submit(reporting, staff, activity(staff))).json()["activity_id"]
    indicator_id = staff.indicators["count"]

    refusals = [
        (
            # By hand: httpx would send the NUL of a file's name as %00.
            await reporting.client.post(
                f"/v1/activities/{activity_id}/evidence",
                content=b'--b0\r\nContent-Disposition: form-data; name="file"; filename="foto\x00.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n" + PHOTO + b"\r\n--b0--\r\n",
                headers=auth(staff.token) | {"Content-Type": "multipart/form-data; boundary=b0"},
            ),
            "file.filename",
        ),
        (
            await reporting.client.get(
                f"/v1/activities?employee_id={staff.employee_id}%00", headers=auth(rater.token)
            ),
            "employee_id",
        ),
        (
            await reporting.client.get(
                f"/v1/activities?indicator_id={indicator_id}%00", headers=auth(staff.token)
            ),
            "indicator_id",
        ),
        (
            await reporting.client.get(
                f"/v1/employees/{staff.employee_id}%00/activities", headers=auth(rater.token)
            ),
            "employee_id",
        ),
        (
            await reporting.client.get("/v1/field-visits?employee_id=e%00x", headers=auth(rater.token)),
            "employee_id",
        ),
    ]

    for response, field in refusals:
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid_input", field), response.text
        assert error["message"] == f"{field}: text must not contain NUL characters"
        assert error["message_id"] == f"{field}: teks tidak boleh berisi karakter NUL"
    detail = (await reporting.client.get(f"/v1/activities/{activity_id}", headers=auth(staff.token))).json()
    assert detail["evidence"] == []
