"""Citizens in a real browser against the platform as processes: the survey from a ticket's QR code,
the transparency page, and every citizen page accessible in both languages at 360 and 1280 px."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import expect

from services.feedback.domain.satisfaction import ServiceItem
from tests.browser.conftest import web_url
from tests.browser.support import ARTIFACTS, check_current, check_page
from tests.conftest import auth

pytestmark = pytest.mark.e2e

#: A real 1x1 PNG (the page may re-encode a photo before sending; feedback checks the bytes).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)

ITEMS = tuple(item.value for item in ServiceItem)


async def answer_everything(page, value: str = "4") -> None:
    for item in ITEMS:
        await page.check(f"input[name='{item}'][value='{value}']")


async def test_a_citizen_answers_from_a_tickets_qr_code_and_the_offices_ikm_changes(
    platform, region, browser
):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(web_url(platform, f"/transparansi/{region['region_id']}"))
    assert "Belum ada jawaban" in await page.inner_text("table")
    await check_page(page, "transparency-before")

    ticket = region["tickets"][0]
    link = urlsplit(ticket["qr_payload"])
    assert link.netloc == f"127.0.0.1:{platform.ports['web']}"
    await page.goto(ticket["qr_payload"])
    assert "Perekaman KTP-el" in await page.inner_text("main")
    await check_page(page, "survey-form")

    # Sent with nothing chosen: the error summary, each field's message, nothing sent.
    await page.click("button[type=submit]")
    summary = page.locator(".error-summary")
    await summary.wait_for()
    assert await page.locator(".error-summary__list li").count() == 9
    await check_current(page, "survey-errors")

    await answer_everything(page)
    await page.fill("#comment", "Pelayanan cepat dan ramah.\nTerima kasih.")
    await page.click("button[type=submit]")
    # Check your answers (each item's answer in words, the comment's line break kept), change one.
    await page.wait_for_url("**/skm/periksa?**")
    main = await page.inner_text("main")
    assert "Sangat mudah" in main
    assert "Pelayanan cepat dan ramah.\nTerima kasih." in main
    await check_page(page, "survey-check")
    await page.click("a[href$='#procedure']")
    await page.wait_for_url("**/skm?**")
    assert await page.is_checked("input[name='procedure'][value='4']")
    assert await page.input_value("#comment") == "Pelayanan cepat dan ramah.\nTerima kasih."
    await page.check("input[name='procedure'][value='3']")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/skm/periksa?**")
    assert "Mudah" in await page.inner_text("main")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/skm/terima-kasih?**")
    assert "Terima kasih" in await page.inner_text("h1")
    await check_page(page, "survey-thanks")

    await page.goto(web_url(platform, f"/transparansi/{region['region_id']}"))
    row = await page.inner_text("tbody tr")
    assert "97,22" in row  # (4 x 8 + 3) / 9 x 25
    assert "A" in row
    await check_current(page, "transparency-after")

    # The same ticket again: a clear page, nothing counted twice.
    await page.goto(ticket["qr_payload"])
    await answer_everything(page, "1")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/skm/periksa?**")
    await page.click("main form button[type=submit]")
    await page.wait_for_load_state()
    assert "sudah digunakan" in await page.inner_text("h1")
    await check_current(page, "survey-ticket-used")
    await page.goto(web_url(platform, f"/transparansi/{region['region_id']}"))
    assert "97,22" in await page.inner_text("tbody tr")
    await context.close()


async def test_every_citizen_page_is_accessible_in_both_languages(platform, region, browser):
    context = await browser.new_context()
    page = await context.new_page()
    pages = {
        "home": "/",
        "survey-choose-region": "/skm",
        "survey-choose-unit": f"/skm?region={region['region_id']}",
        "survey-unit-link": f"/skm?region={region['region_id']}&unit={region['unit_id']}",
        "sign-in": "/masuk",
        "sign-in-demo": "/masuk/demo",
        "not-found": "/tidak-ada",
    }
    for name, path in pages.items():
        await page.goto(web_url(platform, path))
        await check_page(page, name)
    await context.close()


async def test_a_citizen_files_a_complaint_and_tracks_it_by_its_code(platform, region, browser, make_token):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(web_url(platform, f"/pengaduan?region={region['region_id']}"))
    await check_page(page, "complaint-form")
    assert await page.locator("#service optgroup").count() == 1  # every office's services
    await page.select_option("#unit", region["unit_id"])
    # htmx narrows the services to the chosen office's.
    await expect(page.locator("#service optgroup")).to_have_count(0)
    await page.select_option("#service", "ktp-el")
    await page.fill("#description", "Loket perekaman KTP-el tutup sebelum jam layanan berakhir.")
    await page.check("input[name='reply'][value='anonymous']")
    await page.set_input_files(
        "#photo", files=[{"name": "loket.png", "mimeType": "image/png", "buffer": PNG}]
    )
    await page.click("button[type=submit]")
    # Check your answers, go back to change one: the form as typed, the photo still attached.
    await page.wait_for_url("**/pengaduan/periksa?**")
    await check_page(page, "complaint-check")
    assert "loket.png" in await page.inner_text("main")
    await page.click("a[href$='#description']")
    await page.wait_for_url("**/pengaduan?**")
    assert await page.input_value("#service") == "ktp-el"
    assert "loket.png" in await page.inner_text("main")
    await page.fill("#description", "Loket perekaman KTP-el tutup pukul 11.00.\nJam layanan sampai 15.00.")
    await page.click("button[type=submit]")
    await page.wait_for_url("**/pengaduan/periksa?**")
    assert "pukul 11.00.\nJam layanan sampai 15.00." in await page.inner_text("main")  # its lines kept
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**/pengaduan/terkirim?**")
    assert "Foto Anda telah dilampirkan" in await page.inner_text("main")
    code = (await page.inner_text(".panel__code")).strip()
    assert len(code.replace("-", "")) == 10
    await check_page(page, "complaint-sent")

    # A new visit later: the citizen types the code on the tracking page.
    later = await browser.new_context()
    tracking = await later.new_page()
    await tracking.goto(web_url(platform, "/pengaduan/lacak"))
    await check_page(tracking, "complaint-track-form")
    await tracking.select_option("#region", region["region_id"])
    await tracking.fill("#kode", code)
    await tracking.click("button[type=submit]")
    await tracking.wait_for_load_state()
    main = await tracking.inner_text("main")
    assert code in main
    assert "Diterima" in main
    assert "WIT" in main
    assert "Terlampir" in main  # the photo
    await check_page(tracking, "complaint-tracked")

    # The desk's answer, written on two lines, shows on two lines.
    feedback = f"http://127.0.0.1:{platform.ports['feedback']}"
    admin = auth(make_token("region_admin", region=region["region_id"]))
    async with httpx.AsyncClient(timeout=15) as http:
        (filed,) = (await http.get(f"{feedback}/v1/complaints", headers=admin)).json()
        for body in (
            {"status": "verified"},
            {"status": "dispatched", "unit_id": region["unit_id"]},
            {"status": "followed_up"},
            {"status": "answered", "reason": "Jam layanan diperpanjang.\nSilakan datang kembali."},
        ):
            moved = await http.post(
                f"{feedback}/v1/complaints/{filed['complaint_id']}/transitions", json=body, headers=admin
            )
            assert moved.status_code == 200, moved.text
    await tracking.reload()
    assert "Jam layanan diperpanjang.\nSilakan datang kembali." in await tracking.inner_text("main")
    await later.close()
    await context.close()


async def test_the_counters_qr_poster_is_accessible_and_prints(platform, region, browser):
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(web_url(platform, f"/poster/{region['region_id']}/{region['unit_id']}?layanan=ktp-el"))
    assert await page.locator("svg.qr").count() == 1
    await check_page(page, "poster")
    await page.emulate_media(media="print")
    assert not await page.locator("header").is_visible()
    await page.pdf(path=str(ARTIFACTS / "poster.pdf"), format="A4")
    await context.close()
