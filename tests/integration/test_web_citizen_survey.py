"""The citizens' satisfaction survey through the web app, against feedback on real PostgreSQL/Redis."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from services.web.i18n import ROMAN
from tests.conftest import auth
from tests.integration.web_support import declare_service_and_tickets, form_fields, web_stack

pytestmark = pytest.mark.integration
__all__ = ["web_stack"]

ANSWERS = {
    "requirements": "4",
    "procedure": "3",
    "completion_time": "3",
    "cost": "4",
    "product_specification": "3",
    "staff_competence": "4",
    "staff_behaviour": "4",
    "facilities": "2",
    "complaint_handling": "3",
}


def _quarter() -> str:
    """This quarter in the test regions' zone (WIT)."""
    today = datetime.now(ZoneInfo("Asia/Jayapura"))
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


async def respondents(stack, region: str, unit_id: str) -> int:
    answer = await stack.services["feedback"].client.get(
        f"/v1/units/{unit_id}/satisfaction/services",
        params={"period": "2026-Q4"},
        headers=auth(stack.make_token("region_admin", region=region)),
    )
    assert answer.status_code == 200, answer.text
    return sum(index["respondents"] for index in answer.json() if index["service_id"] == "ktp-el")


async def test_a_tickets_qr_link_leads_to_the_form_which_counts_once_and_refuses_the_ticket_again(
    web_stack,
) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    (ticket,) = await declare_service_and_tickets(web_stack, region, unit_id)
    link = urlsplit(ticket["qr_payload"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "http://127.0.0.1:8000/skm"

    browser = web_stack.browser()
    transparency = await browser.get(f"/transparansi/{region}")
    assert transparency.status_code == 200
    assert "Belum ada jawaban" in transparency.text

    form_page = await browser.get(f"{link.path}?{link.query}")
    assert form_page.status_code == 200
    assert "Dinas Uji 0" in form_page.text
    assert "Perekaman KTP-el" in form_page.text
    assert form_page.text.count('class="radios__input"') == 9 * 4  # the service is fixed by the ticket
    fields = form_fields(form_page.text)
    assert fields["ticket"]
    assert fields["submission_id"]

    # Bad input: field-level errors in the page's language, what was typed kept, nothing sent.
    partial = {**fields, "service": "ktp-el", "requirements": "4", "comment": "Antrean rapi sekali"}
    refused = await browser.post("/skm", data=partial)
    assert refused.status_code == 422
    assert 'href="#procedure"' in refused.text
    assert "Pilih jawaban tentang prosedur" in refused.text
    assert "Antrean rapi sekali" in refused.text
    assert 'value="4" checked' in refused.text
    assert await respondents(web_stack, region, unit_id) == 0

    sent = await browser.post("/skm", data={**partial, **ANSWERS})
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/skm/terima-kasih?")
    thanks = await browser.get(sent.headers["location"])
    assert "Terima kasih" in thanks.text
    assert await respondents(web_stack, region, unit_id) == 1
    # The unit's index on the transparency page changed: (4+3+3+4+3+4+4+2+3)/9 x 25 = 83,33, grade B.
    transparency = await browser.get(f"/transparansi/{region}")
    assert "83,33" in transparency.text
    assert "Baik" in transparency.text
    # The year or another of the region's (quarterly) periods, named in the page's language.
    quarter, year = _quarter(), _quarter()[:4]
    assert f"Triwulan {ROMAN[int(quarter[-1])]} {year}" in transparency.text
    assert f'<option value="{year}">Tahun {year}</option>' in transparency.text
    whole_year = await browser.get(f"/transparansi/{region}?periode={year}")
    assert f'<h2 class="heading-m">Tahun {year}</h2>' in whole_year.text
    assert "83,33" in whole_year.text  # the year sums the region's periods in it
    earlier = await browser.get(f"/transparansi/{region}?periode={int(year) - 1}-Q4")
    assert "Belum ada jawaban" in earlier.text
    not_kept = await browser.get(f"/transparansi/{region}?periode={year}-M01")  # months: not this region's
    assert f"Triwulan {ROMAN[int(quarter[-1])]} {year}</h2>" in not_kept.text

    # The same form sent again (a double tap, the back button) lands on the same page, once.
    again = await browser.post("/skm", data={**partial, **ANSWERS})
    assert again.status_code == 303
    assert again.headers["location"] == sent.headers["location"]
    assert await respondents(web_stack, region, unit_id) == 1

    # The same ticket on a fresh form is refused with a clear page.
    other = web_stack.browser("198.51.100.7")
    second = form_fields((await other.get(f"{link.path}?{link.query}")).text)
    reused = await other.post("/skm", data={**second, "service": "ktp-el", **ANSWERS})
    assert reused.status_code == 409
    assert "Tiket ini sudah digunakan" in reused.text
    assert await respondents(web_stack, region, unit_id) == 1


async def test_a_units_public_link_asks_for_the_service_and_english_is_available(web_stack) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    await browser.get("/bahasa/en?next=%2F")
    page = await browser.get(f"/skm?region={region}&unit={unit_id}")
    assert '<html lang="en">' in page.text
    assert "Which service did you use?" in page.text
    fields = form_fields(page.text)
    missing_service = await browser.post("/skm", data={**fields, **ANSWERS})
    assert missing_service.status_code == 422
    assert "Choose the service you used" in missing_service.text
    sent = await browser.post("/skm", data={**fields, **ANSWERS, "service": "ktp-el", "age_band": "30_39"})
    assert sent.status_code == 303
    assert await respondents(web_stack, region, unit_id) == 1


async def test_too_many_answers_from_one_device_get_a_page_saying_when_to_try_again(web_stack) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    statuses = []
    for _ in range(11):  # feedback admits 10 writes a minute per device
        fields = form_fields((await browser.get(f"/skm?region={region}&unit={unit_id}")).text)
        statuses.append(
            (await browser.post("/skm", data={**fields, **ANSWERS, "service": "ktp-el"})).status_code
        )
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, statuses
    last = await browser.post("/skm", data={**fields, **ANSWERS, "service": "ktp-el"})
    assert last.status_code == 429
    assert "Mohon tunggu sebelum mencoba lagi" in last.text
    assert "menit" in last.text


async def test_a_units_printable_poster_carries_its_survey_link_as_a_qr_code(web_stack) -> None:
    from services.web.entrypoints.citizens.poster import qr_svg

    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    page = await browser.get(f"/poster/{region}/{unit_id}?layanan=ktp-el")
    assert page.status_code == 200
    link = f"http://127.0.0.1:8000/skm?region={region}&amp;unit={unit_id}&amp;service=ktp-el"
    assert link in page.text
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    svg = await browser.get(f"/poster/{region}/{unit_id}/qr.svg?layanan=ktp-el")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text == qr_svg(link.replace("&amp;", "&"), "QR")
    # The link it holds opens the survey of that unit and service.
    survey = await browser.get(link.replace("&amp;", "&").removeprefix("http://127.0.0.1:8000"))
    assert survey.status_code == 200
    assert "Perekaman KTP-el" in survey.text
    assert (await browser.get(f"/poster/{region}/{unit_id}?layanan=nothing")).status_code == 404
