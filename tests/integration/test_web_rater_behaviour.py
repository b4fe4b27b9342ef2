"""The BerAKHLAK assessment form: a message per unscored value in the chosen language with the scores
kept; the assessment reaches feedback once and the rating page shows the behaviour proposal."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until
from tests.integration.web_raters import ZONE, approved_plan, signed_in, team_of
from tests.integration.web_support import csrf_of, staff_web_stack
from tests.region_clock import quarter_in

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]

VALUES = ("service_oriented", "accountable", "competent", "harmonious", "loyal", "adaptive", "collaborative")


async def test_a_rater_assesses_behaviour_on_the_seven_values(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    await approved_plan(team, member)
    period = quarter_in(ZONE)
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    address = f"/penilai/pegawai/{member}/perilaku"
    page = await browser.get(address)
    assert page.status_code == 200
    assert "Berorientasi Pelayanan" in page.text
    token = await csrf_of(browser, address)

    partly = {"csrf_token": token, "period": period, "service_oriented": "4", "accountable": "3"}
    missing = await browser.post(address, data=partly)
    assert missing.status_code == 422
    assert missing.text.count('class="error-message"') == 5
    assert 'href="#competent"' in missing.text
    assert 'name="service_oriented" type="radio" value="4" checked' in missing.text

    scores = dict.fromkeys(VALUES, "4")
    saved = await browser.post(address, data={"csrf_token": token, "period": period} | scores)
    assert saved.status_code == 303, saved.text[:1500]
    assert saved.headers["location"] == f"/penilai/pegawai/{member}/rating?periode={period}"
    # Sent again (a second tap): the first assessment stands, nothing is recorded twice.
    twice = await browser.post(address, data={"csrf_token": token, "period": period} | scores)
    assert twice.headers["location"] == saved.headers["location"]
    feedback = staff_web_stack.services["feedback"].client
    summary = await feedback.get(
        f"/v1/employees/{member}/behaviour", params={"period": period}, headers=team.rater_headers
    )
    assert summary.json()["rater"]["assessors"] == 1

    async def proposed_on_the_page() -> bool:
        rating = await browser.get(saved.headers["location"])
        return "Belum ada penilaian BerAKHLAK" not in rating.text

    await wait_until(proposed_on_the_page, timeout=30)  # scoring hears of it from feedback
