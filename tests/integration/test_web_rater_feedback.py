"""Continuous feedback on a planned result: reached from the team list through the plan in force,
messages at the field in the chosen language with what was typed kept, feedback's own refusal
(evidence not of this result) shown at its field, given once however often the form is sent, and
read by the employee on their scorecard."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import wait_until
from tests.integration.web_raters import approved_plan, reported, signed_in, team_of
from tests.integration.web_support import form_fields, staff_web_stack

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]

TEXT = "Berkas rapi; mohon percepat layanan sore hari."


async def test_a_rater_gives_feedback_on_a_planned_result_once(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await approved_plan(team, member)
    result_id = plan["results"][0]["result_id"]
    activity = await reported(team, member, plan, "Melayani 12 pemohon KTP-el")
    browser = await signed_in(staff_web_stack, team.region, team.rater)

    inbox = await browser.get("/penilai/kotak-masuk")
    assert f'href="/penilai/skp/{plan["plan_id"]}"' in inbox.text
    plan_page = await browser.get(f"/penilai/skp/{plan['plan_id']}")
    address = f"/penilai/pegawai/{member}/hasil/{result_id}"
    assert f'href="{address}"' in plan_page.text
    page = await browser.get(address)
    assert page.status_code == 200
    assert "Dokumen kependudukan diterbitkan" in page.text
    assert f'value="{activity["activity_id"]}"' in page.text  # offered as evidence
    assert (await browser.get(f"/penilai/pegawai/{member}/hasil/{'f' * 32}")).status_code == 404

    await browser.get("/bahasa/en?next=%2F")
    hidden = form_fields(page.text)
    empty = await browser.post(address, data=hidden | {"text": " ", "activity_ids": activity["activity_id"]})
    assert empty.status_code == 422
    assert 'href="#text"' in empty.text
    assert "Enter your feedback on this result" in empty.text
    assert f'value="{activity["activity_id"]}" checked' in empty.text

    filled = hidden | {"text": TEXT, "activity_ids": activity["activity_id"]}

    async def given() -> httpx.Response | None:
        # Refused (422, nothing kept) until feedback has heard of the approved plan and the activity.
        answer = await browser.post(address, data=filled)
        return answer if answer.status_code == 303 else None

    sent = await wait_until(given, timeout=30, interval=0.5)
    assert sent.headers["location"] == f"{address}?terkirim=1"
    # Sent again (a second tap, the back button): the first sending's page, nothing given twice.
    again = await browser.post(address, data=filled)
    assert again.status_code == 303
    assert again.headers["location"] == sent.headers["location"]
    feedback = staff_web_stack.services["feedback"].client
    entries: list[dict[str, Any]] = (
        await feedback.get(f"/v1/employees/{member}/continuous-feedback", headers=team.rater_headers)
    ).json()
    assert [(e["text"], e["result_id"], e["activity_ids"]) for e in entries] == [
        (TEXT, result_id, [activity["activity_id"]])
    ]
    shown = await browser.get(sent.headers["location"])
    assert "Your feedback is sent" in shown.text
    assert TEXT in shown.text

    # Feedback refuses evidence that is not this result's: its message, at the field, text kept.
    stranger = form_fields(shown.text) | {"text": "Kedua", "activity_ids": "a" * 32}
    refused = await browser.post(address, data=stranger)
    assert refused.status_code == 422
    assert 'href="#activity_ids"' in refused.text
    assert "not reported evidence of this result" in refused.text
    assert ">Kedua</textarea>" in refused.text

    employee = await signed_in(staff_web_stack, team.region, member, role="employee")
    scorecard = await employee.get("/saya/capaian")
    assert TEXT in scorecard.text
    assert "Dokumen kependudukan diterbitkan" in scorecard.text
