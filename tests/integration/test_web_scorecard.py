"""My scorecard page: progress per indicator down to the activities, the proposal's reasons in the
person's language, feedback received and behaviour assessments, from scoring's and feedback's APIs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.web.i18n import ROMAN
from tests.conftest import auth, wait_until
from tests.integration.web_employees import approved_plan, reporting_knows, signed_in
from tests.integration.web_support import staff_web_stack
from tests.region_clock import quarter_in

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]


async def test_the_scorecard_explains_progress_down_to_the_activities(staff_web_stack) -> None:
    stack = staff_web_stack
    region = (await stack.create_region())["region_id"]
    employee, head = f"{region}-0-1", f"{region}-0-kepala"
    plan = await approved_plan(stack, region, employee, head)
    result = plan["results"][0]
    indicator = result["indicators"][0]["indicator_id"]
    await reporting_knows(stack, region, employee, indicator)
    staff = auth(stack.make_token("employee", region=region, employee=employee))
    rater = auth(stack.make_token("employee,rater", region=region, employee=head))
    activity = {
        "activity_id": str(uuid.uuid4()),
        "indicator_id": indicator,
        "occurred_at": datetime.now(ZoneInfo("Asia/Jayapura")).isoformat(),
        "quantity": "87.5",  # 87.5 of the quarter's 100: a share with a decimal, 87,5% in Indonesian
        "description": "Menerbitkan KTP-el",
    }
    sent = await stack.services["reporting"].client.post("/v1/activities", json=activity, headers=staff)
    assert sent.status_code == 201, sent.text
    period = quarter_in()

    async def scored() -> dict[str, Any] | None:
        answer = await stack.services["scoring"].client.get(
            f"/v1/employees/{employee}/scorecard", params={"period": period}, headers=staff
        )
        card: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
        return card if card.get("activity_count") == 1 else None

    await wait_until(scored, timeout=60, interval=0.5)

    async def feedback_given() -> bool:
        answer = await stack.services["feedback"].client.post(
            f"/v1/employees/{employee}/continuous-feedback",
            json={"result_id": result["result_id"], "text": "Antrean pagi sudah lebih cepat, pertahankan."},
            headers=rater,
        )
        return bool(answer.status_code == 201)

    await wait_until(feedback_given, timeout=60, interval=0.5)  # once feedback knows the plan

    browser = await signed_in(stack, region, employee)
    page = await browser.get("/saya/capaian")
    assert page.status_code == 200
    assert f"Capaian kinerja saya Triwulan {ROMAN[int(period[-1])]} {period[:4]}" in page.text
    assert "KTP-el diterbitkan" in page.text
    assert "1 dilaporkan, 0 terverifikasi, 0 ditolak" in page.text
    assert "Menunggu verifikasi" in page.text  # the activity behind the numbers
    assert "Antrean pagi sudah lebih cepat, pertahankan." in page.text
    assert "Usulan rating hasil kerja" in page.text
    assert "WIT" in page.text  # times in the region's zone
    # The proposal's reasons worded here from scoring's codes, the shares in the person's locale.
    assert "Capaian 87,5%; Sesuai Ekspektasi memerlukan paling sedikit 90%" in page.text
    assert "0.88" not in page.text

    await browser.get("/bahasa/en?next=/")
    english = await browser.get(f"/saya/capaian?periode={period}")
    assert "1 reported, 0 verified, 0 rejected" in english.text
    assert "Proposed results rating" in english.text
    assert "Achievement 87.5%; Meets expectations needs at least 90%" in english.text

    # The rater overrides the proposal with a reason of two lines: the employee reads it as typed.
    reason = "Melayani perekaman keliling di distrik terpencil.\nTidak tercatat di target."
    decided = await stack.services["scoring"].client.post(
        f"/v1/employees/{employee}/ratings/{period}",
        json={"result_rating": "ABOVE", "behaviour_rating": "MEETS", "reason": reason},
        headers=rater,
    )
    assert decided.status_code in (200, 201), decided.text
    overridden = await browser.get(f"/saya/capaian?periode={period}")
    assert f'<span class="typed-text">{reason}</span>' in overridden.text


async def test_a_mangled_period_shows_the_current_one_and_an_empty_period_says_so(staff_web_stack) -> None:
    stack = staff_web_stack
    region = (await stack.create_region())["region_id"]
    browser = await signed_in(stack, region, f"{region}-0-1")
    mangled = await browser.get("/saya/capaian?periode=<script>")
    assert mangled.status_code == 200
    assert quarter_in() in mangled.text
    assert "<script>" not in mangled.text
    empty = await browser.get("/saya/capaian")
    assert "Belum ada capaian kinerja untuk periode ini" in empty.text
    assert "Belum ada umpan balik pada periode ini." in empty.text
    # Any of the region's (quarterly) periods or a whole year, chosen with a form that needs no script.
    year = quarter_in()[:4]
    assert f'<option value="{year}">Tahun {year}</option>' in empty.text
    assert f'<option value="{int(year) - 1}-Q3">Triwulan III {int(year) - 1}</option>' in empty.text
    whole_year = await browser.get(f"/saya/capaian?periode={year}")
    assert f"Capaian kinerja saya Tahun {year}" in whole_year.text
    not_kept = await browser.get(f"/saya/capaian?periode={year}-S1")  # semesters: not this region's
    assert f"Capaian kinerja saya Triwulan {ROMAN[int(quarter_in()[-1])]} {year}" in not_kept.text


async def test_the_scorecard_needs_a_signed_in_employee(staff_web_stack) -> None:
    answer = await staff_web_stack.browser().get("/saya/capaian")
    assert answer.headers["location"] == "/masuk?next=%2Fsaya%2Fcapaian"
