"""A rater in a real browser against the platform as processes: (a) the feed page open, a team
member's activity reported through reporting's API appears without a reload, one verified and one
rejected with a reason, and reporting's API shows both, then feedback given on the planned result;
(b) a proposed rating overridden with a reason, the predicate shown; (c) every other rater page (the
plan to review and in force, rejecting on its own page, judging, the behaviour assessment). Each
page accessible in both languages at 360 and 1280 px, and with its errors shown."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.browser.conftest import sign_in_as_rater, web_url
from tests.browser.support import check_current, check_page
from tests.conftest import auth, wait_until
from tests.region_clock import quarter_in, year_in

pytestmark = pytest.mark.e2e

ZONE = "Asia/Jayapura"
PAPUA = ZoneInfo(ZONE)


def service_url(platform: Any, service: str, path: str) -> str:
    return f"http://127.0.0.1:{platform.ports[service]}{path}"


async def a_team_with_a_plan(
    platform: Any,
    region: dict[str, Any],
    make_token: Any,
    *,
    approved: bool = True,
    qualitative: bool = False,
) -> dict[str, Any]:
    """A head of the region's office rating Rina Sari, whose plan is submitted to him (and approved
    unless ``approved`` is False); ``qualitative`` adds an indicator the rater judges."""
    region_id, unit_id = region["region_id"], region["unit_id"]
    head, member = f"{region_id}-kepala-{uuid.uuid4().hex[:4]}", f"{region_id}-rina-{uuid.uuid4().hex[:4]}"
    admin = auth(make_token("region_admin", region=region_id))
    staff = auth(make_token("employee", region=region_id, employee=member))
    rater = auth(make_token("employee,rater", region=region_id, employee=head))
    async with httpx.AsyncClient(timeout=15) as http:
        for employee_id, name, supervisor, number in (
            (head, "Yakob Kepala", None, 1),
            (member, "Rina Sari", head, 2),
        ):
            hired = await http.post(
                service_url(platform, "planning", "/v1/employees"),
                json={
                    "employee_id": employee_id,
                    "nip": f"19880101201503{number}{1 + uuid.uuid4().int % 999:03d}",  # sequence 001-999
                    "name": name,
                    "unit_id": unit_id,
                    "position": "Kepala Dinas" if supervisor is None else "Petugas Loket",
                    "job_type": "head" if supervisor is None else "front_office_clerk",
                    "supervisor_id": supervisor,
                    "effective_from": "2026-01-01",
                },
                headers=admin,
            )
            assert hired.status_code == 201, hired.text
        year = year_in(ZONE)
        indicators: list[dict[str, Any]] = [
            {"name": "KTP-el diterbitkan", "unit_of_measure": "dokumen", "target": 400}
        ]
        if qualitative:
            target = "Berkas diterima tanpa revisi"  # judged by the rater
            indicators.append({"name": "Kualitas berkas", "aspect": "quality", "qualitative_target": target})
        body = {
            "year": year,
            "results": [
                {
                    "text": "Dokumen kependudukan diterbitkan",
                    "indicators": indicators,
                }
            ],
        }
        plan = (
            await http.post(service_url(platform, "planning", "/v1/work-plans"), json=body, headers=staff)
        ).json()
        plan_id = plan["plan_id"]
        submitted = await http.post(
            service_url(platform, "planning", f"/v1/work-plans/{plan_id}/submit"), headers=staff
        )
        assert submitted.status_code == 200, submitted.text
        if approved:
            decided = await http.post(
                service_url(platform, "planning", f"/v1/work-plans/{plan_id}/approve"), headers=rater
            )
            assert decided.status_code == 200, decided.text
    indicators = [i["indicator_id"] for i in submitted.json()["results"][0]["indicators"]]
    return {
        "head": head,
        "member": member,
        "staff": staff,
        "rater": rater,
        "plan_id": plan_id,
        "indicator_id": indicators[0],
        "judged_indicator_id": indicators[1] if qualitative else None,
    }


async def report(
    platform: Any, team: dict[str, Any], description: str, *, quantity: Any = 12, zone: tzinfo = PAPUA
) -> str:
    """Rina reports an activity through reporting's API (retried until reporting knows her plan),
    its time sent with ``zone``'s offset."""
    activity_id = uuid.uuid4().hex
    body = {
        "activity_id": activity_id,
        "indicator_id": team["indicator_id"],
        "occurred_at": datetime.now(zone).isoformat(),
        "quantity": quantity,
        "description": description,
    }
    async with httpx.AsyncClient(timeout=15) as http:

        async def accepted() -> bool:
            answer = await http.post(
                service_url(platform, "reporting", "/v1/activities"), json=body, headers=team["staff"]
            )
            return answer.status_code in (200, 201)

        await wait_until(accepted, timeout=60, interval=0.5)
    return activity_id


async def test_a_rater_decides_activity_arriving_on_the_open_feed(platform, region, browser, make_token):
    team = await a_team_with_a_plan(platform, region, make_token)
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in_as_rater(page, platform, region["region_id"], team["head"])
    await check_page(page, "rater-inbox-empty")

    await page.goto(web_url(platform, "/penilai/umpan"))
    await page.locator("#feed-status").filter(has_text="muncul di sini").wait_for()  # live
    # A quantity with decimals and a time sent at +00:00: the notice and the API wrote them apart
    # ("1.5" and "+00:00" against "1.5000" and "Z") until session 36.
    first = await report(platform, team, "Melayani 12 perekaman KTP-el di loket", quantity=1.5, zone=UTC)
    second = await report(platform, team, "Mencetak 40 KTP-el hari ini")
    # Both appear without a reload, newest first.
    await page.locator(f"#activity-{second}").wait_for(timeout=30_000)
    await page.locator(f"#activity-{first}").wait_for(timeout=30_000)
    assert await page.locator("#feed-items > li").first.get_attribute("id") == f"activity-{second}"
    # As the live feed rendered them (before axe's checks leave style attributes on the page).
    items = [page.locator(f"#activity-{activity_id}") for activity_id in (first, second)]
    live = [await item.evaluate("item => item.outerHTML") for item in items]
    assert "1,5 dokumen" in live[0]
    await check_current(page, "rater-feed-live")
    # The page reloaded from reporting's list shows each as the live feed did.
    await page.goto(web_url(platform, "/penilai/umpan"))
    assert [await item.evaluate("item => item.outerHTML") for item in items] == live

    await page.locator(f"#activity-{first} button", has_text="Verifikasi").click()
    await page.wait_for_url("**/penilai/umpan?keputusan=kegiatan-diverifikasi*")
    assert "Anda memverifikasi kegiatan Rina Sari." in await page.inner_text(".notice")

    item = page.locator(f"#activity-{second}")
    await item.locator("summary").click()
    await item.locator("textarea[name=reason]").fill("Lampirkan foto register harian.")
    await item.locator("button", has_text="Tolak kegiatan ini").click()
    await page.wait_for_url("**/penilai/umpan?keputusan=kegiatan-ditolak*")
    await check_current(page, "rater-feed-decided")

    async with httpx.AsyncClient(timeout=15) as http:
        decided = {}
        for activity_id in (first, second):
            answer = await http.get(
                service_url(platform, "reporting", f"/v1/activities/{activity_id}"), headers=team["rater"]
            )
            decided[activity_id] = (answer.json()["status"], answer.json()["review_note"])
    assert decided == {first: ("verified", None), second: ("rejected", "Lampirkan foto register harian.")}

    await page.goto(web_url(platform, "/penilai/kotak-masuk"))
    await check_page(page, "rater-inbox")
    await page.goto(web_url(platform, "/penilai/umpan"))
    await check_page(page, "rater-feed")

    # Continuous feedback on the planned result, from the team list through the plan in force.
    await page.goto(web_url(platform, "/penilai/kotak-masuk"))
    await page.click("a:has-text('SKP dan umpan balik')")
    await page.click("a:has-text('Beri umpan balik atas hasil kerja ini')")
    await page.wait_for_url("**/penilai/pegawai/*/hasil/*")
    await check_page(page, "rater-feedback")
    await page.check(f"input[name=activity_ids][value='{first}']")
    await page.click("main form button[type=submit]")  # nothing written: the message, the choice kept
    await page.locator(".error-summary").wait_for()
    assert await page.is_checked(f"input[name=activity_ids][value='{first}']")
    await check_current(page, "rater-feedback-empty")
    await page.fill("#text", "Perekaman di loket rapi; pertahankan.")
    await page.click("main form button[type=submit]")
    await page.wait_for_url("**terkirim=1")
    assert "Perekaman di loket rapi; pertahankan." in await page.inner_text("main")
    await check_current(page, "rater-feedback-given")
    await context.close()


async def test_a_rater_overrides_a_proposed_rating_and_sees_the_predicate(
    platform, region, browser, make_token
):
    team = await a_team_with_a_plan(platform, region, make_token)
    period = quarter_in(ZONE)
    scorecard = service_url(platform, "scoring", f"/v1/employees/{team['member']}/scorecard?period={period}")
    async with httpx.AsyncClient(timeout=15) as http:

        async def proposed() -> bool:
            return (await http.get(scorecard, headers=team["rater"])).status_code == 200

        await wait_until(proposed, timeout=60, interval=0.5)  # scoring knows the plan
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in_as_rater(page, platform, region["region_id"], team["head"])
    await page.click("a:has-text('Rating dan predikat')")
    await page.wait_for_url(f"**/penilai/pegawai/{team['member']}/rating")
    await check_page(page, "rater-rating")

    await page.check("#result_rating")  # Di Atas Ekspektasi (the proposal is Di Bawah)
    await page.check("input[name=behaviour_rating][value=MEETS]")
    await page.click("main button[type=submit]")
    await page.locator(".error-summary").wait_for()  # an override needs a reason: scoring says so
    await check_current(page, "rater-rating-reason-missing")
    assert await page.is_checked("#result_rating")
    await page.fill("#reason", "Melayani perekaman keliling di distrik terpencil di luar target.")
    await page.click("main button[type=submit]")
    await page.wait_for_url("**keputusan=tersimpan")
    assert "Predikat: Baik" in await page.inner_text(".panel")
    await check_current(page, "rater-rating-decided")
    async with httpx.AsyncClient(timeout=15) as http:
        decision = (await http.get(scorecard, headers=team["rater"])).json()["decision"]
    assert (decision["predicate"], decision["overridden"]) == ("BAIK", True)
    await context.close()


async def test_every_other_rater_page_is_accessible_in_both_languages(platform, region, browser, make_token):
    """The rater's pages the journeys above pass by, each checked as it first shows and with its
    errors: the plan waiting for approval and the plan in force, rejecting an activity on its own
    page, judging a qualitative indicator and the BerAKHLAK assessment."""
    team = await a_team_with_a_plan(platform, region, make_token, approved=False, qualitative=True)
    member = team["member"]
    context = await browser.new_context()
    page = await context.new_page()
    await sign_in_as_rater(page, platform, region["region_id"], team["head"])

    await page.goto(web_url(platform, f"/penilai/skp/{team['plan_id']}"))
    await check_page(page, "rater-plan-submitted")
    await page.reload()  # check_page leaves the page in English, the language back to Indonesian
    await page.click("button:has-text('Kembalikan SKP')")  # no reason: the message at the field
    await page.locator(".error-summary").wait_for()
    await check_current(page, "rater-plan-reason-missing")
    await page.click("button:has-text('Setujui SKP')")
    await page.wait_for_url("**keputusan=skp-disetujui*")
    await page.goto(web_url(platform, f"/penilai/skp/{team['plan_id']}"))
    await check_page(page, "rater-plan-in-force")

    activity_id = await report(platform, team, "Melayani 7 perekaman KTP-el di loket")
    await page.goto(web_url(platform, f"/penilai/kegiatan/{activity_id}/tolak"))
    await check_page(page, "rater-reject-activity")
    await page.reload()
    await page.click("main form button[type=submit]")
    await page.locator(".error-summary").wait_for()
    await check_current(page, "rater-reject-activity-reason-missing")

    judged = f"/penilai/pegawai/{member}/indikator/{team['judged_indicator_id']}"

    async def scoring_knows_the_plan() -> bool:
        shown = await page.goto(web_url(platform, judged))
        return shown is not None and shown.status == 200

    await wait_until(scoring_knows_the_plan, timeout=60, interval=0.5)
    await check_page(page, "rater-judgement")
    await page.reload()
    await page.click("main form button[type=submit]")
    await page.locator(".error-summary").wait_for()
    await check_current(page, "rater-judgement-missing")

    await page.goto(web_url(platform, f"/penilai/pegawai/{member}/perilaku"))
    await check_page(page, "rater-behaviour")
    await page.reload()
    await page.click("main form button[type=submit]")
    await page.locator(".error-summary").wait_for()
    await check_current(page, "rater-behaviour-scores-missing")
    await context.close()
