"""Reporting an activity from the employee app: the form without JavaScript, the offline queue's
sync endpoint (idempotent by the client's id, reasons in the person's language), the photo upload,
and the installable app's manifest and service worker."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import auth
from tests.integration.web_employees import approved_plan, reporting_knows, signed_in
from tests.integration.web_support import csrf_of, form_fields, staff_web_stack

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]

# The smallest valid JPEG (1 × 1 pixel): reporting checks the bytes are what the type says.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
)


async def _employee_with_plan(stack) -> tuple[str, str, str]:
    region = (await stack.create_region())["region_id"]
    employee, head = f"{region}-0-1", f"{region}-0-kepala"
    plan = await approved_plan(stack, region, employee, head)
    indicator = plan["results"][0]["indicators"][0]["indicator_id"]
    await reporting_knows(stack, region, employee, indicator)
    return region, employee, indicator


async def _activities(stack, region: str, employee: str) -> list[dict[str, Any]]:
    answer = await stack.services["reporting"].client.get(
        f"/v1/employees/{employee}/activities",
        headers=auth(stack.make_token("employee", region=region, employee=employee)),
    )
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def test_without_javascript_a_report_is_sent_once_with_its_photo(staff_web_stack) -> None:
    stack = staff_web_stack
    region, employee, indicator = await _employee_with_plan(stack)
    browser = await signed_in(stack, region, employee)
    page = await browser.get("/saya/kegiatan")
    assert page.status_code == 200
    assert 'accept="image/*" capture' in page.text
    assert "KTP-el diterbitkan (dokumen)" in page.text
    fields = form_fields(page.text)
    # Time-ordered (UUIDv7): the activities' indexes take it at their end (a random id costs a page).
    assert uuid.UUID(fields["activity_id"]).version == 7
    typed = {
        "csrf_token": fields["csrf_token"],
        "activity_id": fields["activity_id"],
        "occurred_at": fields["occurred_at"],
        "indicator": indicator,
        "quantity": "12",
        "note": "Menerbitkan KTP-el di loket",
    }
    sent = await browser.post("/saya/kegiatan", data=typed, files={"photo": ("foto.jpg", JPEG, "image/jpeg")})
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/saya/kegiatan?terkirim={fields['activity_id']}"
    # The browser resends the same form (back and submit again): still one activity.
    again = await browser.post("/saya/kegiatan", data=typed)
    assert again.status_code == 303
    [activity] = await _activities(stack, region, employee)
    assert activity["activity_id"] == fields["activity_id"]
    assert float(activity["quantity"]) == 12
    detail = await stack.services["reporting"].client.get(
        f"/v1/activities/{activity['activity_id']}",
        headers=auth(stack.make_token("employee", region=region, employee=employee)),
    )
    assert len(detail.json()["evidence"]) == 1
    shown = await browser.get(sent.headers["location"])
    assert "Laporan Anda terkirim" in shown.text
    assert "Menunggu verifikasi" in shown.text


@pytest.mark.parametrize(
    ("language", "expected"), [("id", "Tuliskan apa yang Anda kerjakan"), ("en", "Describe what you did")]
)
async def test_bad_input_names_each_field_in_the_persons_language_and_keeps_what_was_typed(
    staff_web_stack, language, expected
) -> None:
    stack = staff_web_stack
    region, employee, _ = await _employee_with_plan(stack)
    browser = await signed_in(stack, region, employee)
    await browser.get(f"/bahasa/{language}?next=/")
    fields = form_fields((await browser.get("/saya/kegiatan")).text)
    refused = await browser.post(
        "/saya/kegiatan",
        data={
            "csrf_token": fields["csrf_token"],
            "activity_id": fields["activity_id"],
            "indicator": "not-in-my-plan",
            "quantity": "banyak",
            "note": "x",
            "latitude": "123",
        },
    )
    assert refused.status_code == 422
    assert expected in refused.text
    for field in ("indicator", "quantity", "note", "latitude"):
        assert f'href="#{field}"' in refused.text
    assert 'value="banyak"' in refused.text
    assert f'value="{fields["activity_id"]}"' in refused.text  # a corrected resend keeps its id
    assert await _activities(stack, region, employee) == []


async def test_the_queue_syncs_each_item_once_and_names_refusals_in_the_persons_language(
    staff_web_stack,
) -> None:
    stack = staff_web_stack
    region, employee, indicator = await _employee_with_plan(stack)
    browser = await signed_in(stack, region, employee)
    await browser.get("/bahasa/en?next=/")
    token = await csrf_of(browser, "/saya/kegiatan")
    now = datetime.now(UTC).isoformat()
    good = {
        "activity_id": str(uuid.uuid4()),
        "indicator_id": indicator,
        "occurred_at": now,
        "quantity": "3",
        "description": "Tiga KTP-el",
    }
    negative = good | {"activity_id": str(uuid.uuid4()), "quantity": "-2"}
    elsewhere = good | {"activity_id": str(uuid.uuid4()), "indicator_id": "not-in-my-plan"}
    body = {"items": [good, negative, elsewhere]}

    forged = await browser.post("/saya/kegiatan/sinkron", json=body, headers={"X-CSRF-Token": "nope"})
    assert forged.status_code == 403
    assert await _activities(stack, region, employee) == []

    answer = await browser.post("/saya/kegiatan/sinkron", json=body, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200, answer.text
    outcomes = {item["activity_id"]: item for item in answer.json()["items"]}
    assert outcomes[good["activity_id"]]["outcome"] == "accepted"
    assert outcomes[negative["activity_id"]]["outcome"] == "rejected"
    assert outcomes[negative["activity_id"]]["message"] == outcomes[negative["activity_id"]]["message_en"]
    assert outcomes[negative["activity_id"]]["message_id"] != outcomes[negative["activity_id"]]["message_en"]
    assert outcomes[elsewhere["activity_id"]]["outcome"] == "rejected"

    # A resend after a lost answer: a duplicate, never a second activity.
    resent = await browser.post(
        "/saya/kegiatan/sinkron", json={"items": [good]}, headers={"X-CSRF-Token": token}
    )
    assert resent.json()["items"][0]["outcome"] == "duplicate"
    assert [a["activity_id"] for a in await _activities(stack, region, employee)] == [good["activity_id"]]

    photo = await browser.post(
        f"/saya/kegiatan/{good['activity_id']}/bukti",
        data={"csrf_token": token},
        files={"photo": (f"{good['activity_id']}.jpg", JPEG, "image/jpeg")},
    )
    assert photo.status_code == 200, photo.text
    not_a_photo = await browser.post(
        f"/saya/kegiatan/{good['activity_id']}/bukti",
        data={"csrf_token": token},
        files={"photo": ("x.jpg", b"not a picture", "image/jpeg")},
    )
    assert not_a_photo.status_code == 415  # reporting: the bytes are not a JPEG
    assert not_a_photo.json()["error"]["message"]

    unreadable = await browser.post("/saya/kegiatan/sinkron", content=b"{", headers={"X-CSRF-Token": token})
    assert unreadable.status_code == 400


async def test_the_app_is_installable_and_its_worker_is_served_for_the_employee_pages(
    staff_web_stack,
) -> None:
    browser = staff_web_stack.browser()
    manifest = await browser.get("/saya/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    document = manifest.json()
    assert document["name"] == "Kinerja ASN"
    assert document["scope"] == "/saya/"
    assert document["start_url"] == "/saya/kegiatan"
    assert {icon["sizes"] for icon in document["icons"]} >= {"192x192", "512x512"}
    for icon in document["icons"]:
        assert (await browser.get(icon["src"])).status_code == 200

    worker = await browser.get("/saya/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == "/saya/"
    assert worker.headers["cache-control"] == "no-cache"
    assert "unsafe-inline" not in worker.headers["content-security-policy"]
    version = re.search(r'const CACHE = "kinerja-asn-([0-9a-f]{12})"', worker.text)
    assert version
    # Every file the worker keeps for offline use is served.
    precache = re.search(r"const PRECACHE = (\[.*?\]);", worker.text)
    assert precache
    for url in json.loads(precache.group(1)):
        assert (await browser.get(url)).status_code == 200


async def test_text_responses_travel_compressed(staff_web_stack) -> None:
    browser = staff_web_stack.browser()
    page = await browser.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    script = await browser.get("/saya/sw.js", headers={"Accept-Encoding": "gzip"})
    assert script.headers["content-encoding"] == "gzip"


async def test_the_activity_pages_need_a_signed_in_employee(staff_web_stack) -> None:
    browser = staff_web_stack.browser()
    assert (await browser.get("/saya/kegiatan")).headers["location"] == "/masuk?next=%2Fsaya%2Fkegiatan"
    refused = await browser.post("/saya/kegiatan/sinkron", json={"items": []})
    assert refused.status_code in (303, 403)
