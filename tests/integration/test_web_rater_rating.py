"""Confirming or overriding a proposed rating: scoring's refusal of an override without a reason
shown at the field in the chosen language with the choices kept; the predicate shown is scoring's."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import wait_until
from tests.integration.web_raters import ZONE, approved_plan, signed_in, team_of
from tests.integration.web_support import csrf_of, staff_web_stack
from tests.region_clock import quarter_in

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]


async def test_a_rater_overrides_a_proposal_with_a_reason_and_sees_the_predicate(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    await approved_plan(team, member)
    scoring = staff_web_stack.services["scoring"].client
    period = quarter_in(ZONE)

    async def scorecard() -> dict[str, Any] | None:
        answer = await scoring.get(
            f"/v1/employees/{member}/scorecard", params={"period": period}, headers=team.rater_headers
        )
        return answer.json() if answer.status_code == 200 else None

    card = await wait_until(scorecard, timeout=30)
    assert card["proposed_result_rating"] == "BELOW"  # nothing reported yet
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    inbox = await browser.get("/penilai/kotak-masuk")
    assert f'href="/penilai/pegawai/{member}/rating"' in inbox.text

    page = await browser.get(f"/penilai/pegawai/{member}/rating")
    assert page.status_code == 200
    assert f"Periode {period}" in page.text
    assert "Di Bawah Ekspektasi" in page.text
    token = await csrf_of(browser, f"/penilai/pegawai/{member}/rating")
    address = f"/penilai/pegawai/{member}/rating"

    # Nothing chosen: each field's message, nothing sent.
    empty = await browser.post(address, data={"csrf_token": token, "period": period})
    assert empty.status_code == 422
    assert 'href="#result_rating"' in empty.text
    assert 'href="#behaviour_rating"' in empty.text
    # Another rating than proposed without a reason: scoring refuses, its message at the reason.
    override = {"csrf_token": token, "period": period, "result_rating": "ABOVE", "behaviour_rating": "MEETS"}
    refused = await browser.post(address, data=override)
    assert refused.status_code == 422, refused.text[:2000]
    assert 'href="#reason"' in refused.text
    assert "alasan minimal 20 karakter" in refused.text
    assert 'value="ABOVE" checked' in refused.text  # the choices kept
    assert (await scorecard() or {})["decision"] is None

    reason = "Melayani perekaman keliling di distrik terpencil yang tidak tercatat di target."
    decided = await browser.post(address, data=override | {"reason": reason})
    assert decided.status_code == 303
    assert decided.headers["location"] == f"{address}?periode={period}&keputusan=tersimpan"
    shown = await browser.get(decided.headers["location"])
    assert "Predikat: Baik</h2>" in shown.text  # scoring's answer: above x meets
    decision = (await scorecard() or {})["decision"]
    assert (decision["predicate"], decision["overridden"], decision["reason"]) == ("BAIK", True, reason)
    browser.cookies.set("kinerja_lang", "en")
    english = await browser.get(decided.headers["location"])
    assert "Predicate: Good</h2>" in english.text
