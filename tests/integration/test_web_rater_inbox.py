"""The rater's inbox: what waits (plans, activities) with counts; a plan approved or sent back with a
reason from its page, field errors in the chosen language, nothing sent twice."""

from __future__ import annotations

import re

import pytest

from tests.integration.web_raters import approved_plan, reported, signed_in, submitted_plan, team_of
from tests.integration.web_support import csrf_of, staff_web_stack

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]


def counts(page: str) -> list[str]:
    return re.findall(r'<span class="counts__number">([^<]+)</span>', page)


async def test_the_inbox_counts_what_waits_and_decides_plans(staff_web_stack) -> None:
    team = await team_of(staff_web_stack)
    first, second = team.members
    in_force = await approved_plan(team, first)
    await reported(team, first, in_force, "Melayani 12 perekaman KTP-el di loket")
    to_reject = await submitted_plan(team, second)
    browser = await signed_in(staff_web_stack, team.region, team.rater)

    assert (await browser.get("/penilai")).headers["location"] == "/penilai/kotak-masuk"
    inbox = await browser.get("/penilai/kotak-masuk")
    assert inbox.status_code == 200
    assert counts(inbox.text) == ["1", "1"]
    assert "Rina Sari" in inbox.text  # the plan waiting, by the member's name
    assert "Melayani 12 perekaman KTP-el di loket" in inbox.text
    assert "KTP-el diterbitkan: <strong>12 dokumen</strong>" in inbox.text

    plan_page = await browser.get(f"/penilai/skp/{to_reject['plan_id']}")
    assert plan_page.status_code == 200
    assert "Dokumen kependudukan diterbitkan" in plan_page.text
    assert "400 dokumen" in plan_page.text
    token = await csrf_of(browser, f"/penilai/skp/{to_reject['plan_id']}")

    # No reason: the field's own message in Indonesian, linked from the summary, nothing sent.
    empty = await browser.post(f"/penilai/skp/{to_reject['plan_id']}/tolak", data={"csrf_token": token})
    assert empty.status_code == 422
    assert 'href="#reason"' in empty.text
    assert "Tuliskan alasan SKP dikembalikan" in empty.text
    # Too short, in English: the message in English, what was typed kept.
    browser.cookies.set("kinerja_lang", "en")
    short = await browser.post(
        f"/penilai/skp/{to_reject['plan_id']}/tolak", data={"csrf_token": token, "reason": "Cek"}
    )
    assert short.status_code == 422
    assert "The reason must be at least 5 characters" in short.text
    assert ">Cek</textarea>" in short.text
    browser.cookies.set("kinerja_lang", "id")
    planning = staff_web_stack.services["planning"].client
    still = await planning.get(f"/v1/work-plans/{to_reject['plan_id']}", headers=team.rater_headers)
    assert still.json()["status"] == "submitted"

    reason = "Target KTP-el terlalu rendah untuk loket ini; naikkan menjadi 500."
    rejected = await browser.post(
        f"/penilai/skp/{to_reject['plan_id']}/tolak", data={"csrf_token": token, "reason": reason}
    )
    assert rejected.status_code == 303
    assert rejected.headers["location"] == f"/penilai/kotak-masuk?keputusan=skp-dikembalikan&pegawai={second}"
    plan = (await planning.get(f"/v1/work-plans/{to_reject['plan_id']}", headers=team.rater_headers)).json()
    assert (plan["status"], plan["rejection_reason"]) == ("rejected", reason)
    after = await browser.get(rejected.headers["location"])
    assert "Anda mengembalikan SKP Rina Sari beserta alasan Anda." in after.text
    assert counts(after.text) == ["0", "1"]

    # Sending the same decision again finds it taken: said plainly, nothing sent twice.
    again = await browser.post(
        f"/penilai/skp/{to_reject['plan_id']}/tolak", data={"csrf_token": token, "reason": reason}
    )
    assert again.headers["location"] == f"/penilai/kotak-masuk?keputusan=skp-sudah&pegawai={second}"
    assert "sudah diputuskan" in (await browser.get(again.headers["location"])).text


async def test_a_plan_is_approved_once_from_its_page(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await submitted_plan(team, member)
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    token = await csrf_of(browser, f"/penilai/skp/{plan['plan_id']}")

    approved = await browser.post(f"/penilai/skp/{plan['plan_id']}/setujui", data={"csrf_token": token})
    assert approved.headers["location"] == f"/penilai/kotak-masuk?keputusan=skp-disetujui&pegawai={member}"
    planning = staff_web_stack.services["planning"].client
    stored = await planning.get(f"/v1/work-plans/{plan['plan_id']}", headers=team.rater_headers)
    assert stored.json()["status"] == "approved"
    twice = await browser.post(f"/penilai/skp/{plan['plan_id']}/setujui", data={"csrf_token": token})
    assert twice.headers["location"].startswith("/penilai/kotak-masuk?keputusan=skp-sudah")
    # Without the form's token nothing is decided.
    forged = await browser.post(
        f"/penilai/skp/{plan['plan_id']}/tolak", data={"reason": "Bukan dari formulir"}
    )
    assert forged.status_code == 403


async def test_the_inbox_is_for_raters_only(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    anonymous = await staff_web_stack.browser().get("/penilai/kotak-masuk")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/masuk?next=%2Fpenilai%2Fkotak-masuk"
    employee = await signed_in(staff_web_stack, team.region, team.members[0], role="employee")
    assert (await employee.get("/penilai/kotak-masuk")).status_code == 403
    rater = await signed_in(staff_web_stack, team.region, team.rater)
    assert (await rater.get("/penilai/skp/no-such-plan")).status_code == 404
