"""The citizens' satisfaction survey through the web app, against feedback on real PostgreSQL/Redis."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.web.i18n import ROMAN
from tests.conftest import auth
from tests.integration.web_support import declare_service_and_tickets, form_fields, web_stack
from tests.region_clock import quarter_in

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


SUMMARY_ROW = re.compile(
    r'<dt class="summary-list__key">(.*?)</dt>\s*<dd class="summary-list__value">(.*?)</dd>', re.DOTALL
)


def summary(page: str) -> dict[str, str]:
    """A check page's rows: each key with the value shown beside it (unescaped)."""
    return {html.unescape(key): html.unescape(value) for key, value in SUMMARY_ROW.findall(page)}


async def check_and_send(browser: httpx.AsyncClient, fields: dict[str, str]) -> httpx.Response:
    """The filled-in form, its "check your answers" page and that page's button: the sending's answer."""
    checking = await browser.post("/skm", data=fields)
    assert checking.status_code == 303, checking.text[:2000]
    assert checking.headers["location"].startswith("/skm/periksa?")
    check = await browser.get(checking.headers["location"])
    assert check.status_code == 200, check.text[:2000]
    return await browser.post("/skm/kirim", data=form_fields(check.text))


async def respondents(stack, region: str, unit_id: str) -> int:
    answer = await stack.services["feedback"].client.get(
        f"/v1/units/{unit_id}/satisfaction/services",
        params={"period": quarter_in()},  # the quarter the feedback service files answers in now
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

    # Check your answers first: each item with the answer in words, nothing sent yet.
    checking = await browser.post("/skm", data={**partial, **ANSWERS})
    assert checking.status_code == 303
    location = checking.headers["location"]
    assert location.startswith("/skm/periksa?")
    assert await respondents(web_stack, region, unit_id) == 0
    check = await browser.get(location)
    assert check.status_code == 200
    assert "Periksa jawaban Anda sebelum mengirim survei" in check.text
    shown = summary(check.text)
    assert shown["Layanan"] == "Perekaman KTP-el"
    assert shown["Persyaratan"] == "Sangat sesuai"  # 4
    assert shown["Prosedur"] == "Mudah"  # 3
    assert shown["Sarana dan prasarana"] == "Cukup"  # 2
    assert shown["Komentar Anda"] == "Antrean rapi sekali"
    assert shown["Umur"] == "Tidak ingin menjawab"
    assert len(shown) == 1 + 9 + 1 + 4
    # The check page is this browser's only: another one finds nothing.
    elsewhere = await web_stack.browser("198.51.100.7").get(location)
    assert "Antrean rapi sekali" not in elsewhere.text
    assert "Jawaban Anda tidak disimpan lagi" in elsewhere.text

    # Back to change one answer: the form as it was filled in, the same submission.
    change = re.search(r'href="(/skm\?[^"#]+)#procedure"', check.text)
    assert change is not None
    again_form = await browser.get(html.unescape(change.group(1)))
    assert again_form.status_code == 200
    assert 'name="procedure" type="radio" value="3" checked' in again_form.text
    assert 'name="facilities" type="radio" value="2" checked' in again_form.text
    assert "Antrean rapi sekali" in again_form.text
    assert form_fields(again_form.text)["submission_id"] == fields["submission_id"]
    assert form_fields(again_form.text)["ticket"] == fields["ticket"]
    changed = {**partial, **ANSWERS, **form_fields(again_form.text), "procedure": "4"}
    changed["comment"] = "Antrean rapi sekali.\nPetugas <b>ramah</b>."
    rechecked = await browser.post("/skm", data=changed)
    assert rechecked.headers["location"] == location  # the same draft
    check = await browser.get(location)
    shown = summary(check.text)
    assert shown["Prosedur"] == "Sangat mudah"
    assert shown["Komentar Anda"] == "Antrean rapi sekali.\nPetugas <b>ramah</b>."
    assert "Petugas &lt;b&gt;ramah&lt;/b&gt;." in check.text  # escaped, its line break kept
    assert await respondents(web_stack, region, unit_id) == 0

    send = form_fields(check.text)
    sent = await browser.post("/skm/kirim", data=send)
    assert sent.status_code == 303
    assert sent.headers["location"].startswith("/skm/terima-kasih?")
    thanks = await browser.get(sent.headers["location"])
    assert "Terima kasih" in thanks.text
    assert await respondents(web_stack, region, unit_id) == 1
    # The unit's index on the transparency page changed, with the changed answer: procedure 4 not 3,
    # (4+4+3+4+3+4+4+2+3)/9 x 25 = 86,11, grade B.
    transparency = await browser.get(f"/transparansi/{region}")
    assert "86,11" in transparency.text
    assert "Baik" in transparency.text
    # The year or another of the region's (quarterly) periods, named in the page's language.
    quarter, year = quarter_in(), quarter_in()[:4]
    assert f"Triwulan {ROMAN[int(quarter[-1])]} {year}" in transparency.text
    assert f'<option value="{year}">Tahun {year}</option>' in transparency.text
    whole_year = await browser.get(f"/transparansi/{region}?periode={year}")
    assert f'<h2 class="heading-m">Tahun {year}</h2>' in whole_year.text
    assert "86,11" in whole_year.text  # the year sums the region's periods in it
    earlier = await browser.get(f"/transparansi/{region}?periode={int(year) - 1}-Q4")
    assert "Belum ada jawaban" in earlier.text
    not_kept = await browser.get(f"/transparansi/{region}?periode={year}-M01")  # months: not this region's
    assert f"Triwulan {ROMAN[int(quarter[-1])]} {year}</h2>" in not_kept.text

    # Sent again (a double tap, a reload, the back button to the check page or the form): the same
    # thank-you page, one response.
    again = await browser.post("/skm/kirim", data=send)
    assert again.status_code == 303
    assert again.headers["location"] == sent.headers["location"]
    resent_form = await browser.post("/skm", data=changed)
    assert resent_form.headers["location"] == sent.headers["location"]
    revisited = await browser.get(location)
    assert revisited.headers["location"] == sent.headers["location"]
    assert await respondents(web_stack, region, unit_id) == 1

    # The same ticket on a fresh form is refused with a clear page.
    other = web_stack.browser("198.51.100.7")
    second = form_fields((await other.get(f"{link.path}?{link.query}")).text)
    reused = await check_and_send(other, {**second, "service": "ktp-el", **ANSWERS})
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
    checking = await browser.post(
        "/skm", data={**fields, **ANSWERS, "service": "ktp-el", "age_band": "30_39"}
    )
    check = await browser.get(checking.headers["location"])
    assert "Check your answers before sending your survey" in check.text
    shown = summary(check.text)
    assert shown["Service"] == "Perekaman KTP-el"
    assert shown["Requirements"] == "Fully matching"
    assert shown["Facilities"] == "Adequate"
    assert shown["Your comment"] == "None"
    assert shown["Your age"] == "30 to 39"
    assert shown["Sex"] == "Prefer not to say"
    assert "Send my answers" in check.text
    sent = await browser.post("/skm/kirim", data=form_fields(check.text))
    assert sent.status_code == 303
    assert await respondents(web_stack, region, unit_id) == 1


async def test_a_survey_is_sent_only_with_its_forms_token_and_an_expired_draft_sends_nothing(
    web_stack,
) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    fields = form_fields((await browser.get(f"/skm?region={region}&unit={unit_id}")).text)
    checking = await browser.post("/skm", data={**fields, **ANSWERS, "service": "ktp-el"})
    location = checking.headers["location"]
    send = form_fields((await browser.get(location)).text)

    forged = await browser.post("/skm/kirim", data={k: v for k, v in send.items() if k != "csrf_token"})
    assert forged.status_code == 403
    assert await respondents(web_stack, region, unit_id) == 0

    # An hour later the draft is gone: the page says so and links to a new survey; nothing is sent.
    await web_stack.web.drafts.delete(parse_qs(urlsplit(location).query)["draf"][0])
    for gone in (await browser.get(location), await browser.post("/skm/kirim", data=send)):
        assert gone.status_code == 200
        assert "Jawaban Anda tidak disimpan lagi" in gone.text
        assert f'href="/skm?region={region}&amp;unit={unit_id}"' in gone.text
        assert "Mulai lagi survei" in gone.text
    assert await respondents(web_stack, region, unit_id) == 0
    # The form filled in again from the start is sent as usual.
    sent = await check_and_send(browser, {**send, **ANSWERS, "service": "ktp-el"})
    assert sent.status_code == 303
    assert await respondents(web_stack, region, unit_id) == 1


async def test_too_many_answers_from_one_device_get_a_page_saying_when_to_try_again(web_stack) -> None:
    created = await web_stack.create_region()
    region, unit_id = created["region_id"], created["unit_ids"][0]
    await declare_service_and_tickets(web_stack, region, unit_id)
    browser = web_stack.browser()
    statuses = []
    for _ in range(11):  # 3 answers without a ticket a day per device (and 10 writes a minute)
        fields = form_fields((await browser.get(f"/skm?region={region}&unit={unit_id}")).text)
        statuses.append(
            (await check_and_send(browser, {**fields, **ANSWERS, "service": "ktp-el"})).status_code
        )
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, statuses
    last = await check_and_send(browser, {**fields, **ANSWERS, "service": "ktp-el"})
    assert last.status_code == 429
    assert "Mohon tunggu sebelum mencoba lagi" in last.text
    # The fourth answer without a ticket spends the device's daily budget: said in days, not minutes.
    assert statuses == [303, 303, 303, 429]
    assert "Anda dapat mencoba lagi dalam 1 hari." in last.text


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
