"""Judging a qualitative indicator: scoring's demand for a note shown at the field in the chosen
language, the choice kept; the judgement reaches scoring once and the rating page lists it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import wait_until
from tests.integration.web_raters import ZONE, approved_plan, indicator_of, signed_in, team_of
from tests.integration.web_support import csrf_of, staff_web_stack
from tests.region_clock import quarter_in

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]


async def test_a_rater_judges_a_qualitative_indicator(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await approved_plan(team, member, qualitative=True)
    judged = indicator_of(plan, 1)
    scoring = staff_web_stack.services["scoring"].client
    period = quarter_in(ZONE)

    async def indicator() -> dict[str, Any] | None:
        answer = await scoring.get(
            f"/v1/employees/{member}/scorecard", params={"period": period}, headers=team.rater_headers
        )
        if answer.status_code != 200:
            return None
        return next((i for i in answer.json()["indicators"] if i["indicator_id"] == judged), None)

    assert (await wait_until(indicator, timeout=30))["judgement"] is None
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    rating = await browser.get(f"/penilai/pegawai/{member}/rating")
    address = f"/penilai/pegawai/{member}/indikator/{judged}"
    assert f'href="{address}?periode={period}"' in rating.text
    page = await browser.get(address)
    assert "Berkas diterima tanpa revisi" in page.text
    token = await csrf_of(browser, address)

    nothing = await browser.post(address, data={"csrf_token": token, "period": period})
    assert nothing.status_code == 422
    assert "Pilih seberapa jauh target terpenuhi" in nothing.text
    # Not met without a note: scoring asks for one, shown at the note, the choice kept.
    unexplained = await browser.post(
        address, data={"csrf_token": token, "period": period, "judgement": "NOT_MET"}
    )
    assert unexplained.status_code == 422, unexplained.text[:1500]
    assert 'href="#note"' in unexplained.text
    assert 'value="NOT_MET" checked' in unexplained.text
    assert (await indicator() or {})["judgement"] is None

    saved = await browser.post(
        address,
        data={
            "csrf_token": token,
            "period": period,
            "judgement": "NOT_MET",
            "note": "Tiga berkas perlu revisi.",
        },
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/penilai/pegawai/{member}/rating?periode={period}"
    assert (await indicator() or {})["judgement"] == "NOT_MET"
    assert "Tidak memenuhi target" in (await browser.get(saved.headers["location"])).text
