"""Every page of the web app, in both languages, free of serious and critical axe-core violations at
360 and 1280 px, with screenshots kept (issue #14).

``page_table.py`` names the test that checks each route and whole-page template, or why it is not
a page; the sweep below visits the rest with real data, in one browser context signed in once as
an employee and fresh contexts for citizens: pages reached by a post (the ticket used, the form
expired, too many answers), refusals (403), failures (a service down) and the pages no journey
passes by. A route or template that is neither checked, swept nor excluded fails the first test.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Response

from kinerja.platform import ServiceProcesses
from services.web.adapters.submissions import SubmissionGuard
from shared.redis_client import connect_redis
from shared.settings import ServiceSettings
from tests.browser.conftest import sign_in_as_employee, web_url
from tests.browser.page_table import (
    CHECKED_ROUTES,
    CHECKED_TEMPLATES,
    EXCLUDED_ROUTES,
    calls_check_page,
    page_routes,
    page_templates,
)
from tests.browser.support import check_reached
from tests.browser.test_citizen_journeys import answer_everything
from tests.conftest import auth
from tests.region_clock import year_in

pytestmark = pytest.mark.e2e

ZONE = "Asia/Jayapura"  # the region fixture's


@dataclass(frozen=True)
class Swept:
    """A page the sweep shows: its name (screenshots), the route it answers (None when reached by a
    post or as a refusal of another route), the template it renders and the status it answers."""

    name: str
    route: str | None
    template: str
    status: int


SWEPT = (
    Swept("account", "/saya", "account.html", 200),
    Swept("work-plan-new", "/saya/skp/baru", "employees/work_plan_form.html", 200),
    Swept("work-plan-edit", "/saya/skp/{plan_id}/ubah", "employees/work_plan_form.html", 200),
    Swept("not-allowed", None, "errors/not_allowed.html", 403),
    Swept("form-expired", None, "errors/form_expired.html", 403),
    Swept("sign-in-failed", "/masuk/selesai", "sign_in/failed.html", 400),
    Swept("signed-out", "/keluar/selesai", "sign_in/signed_out.html", 200),
    Swept("complaint-draft-expired", None, "citizens/draft_expired.html", 200),
    Swept("survey-ticket-problem", None, "citizens/ticket_problem.html", 422),
    Swept("survey-ticket-used", None, "citizens/ticket_used.html", 409),
    Swept("survey-sending", None, "citizens/sending.html", 409),
    Swept("survey-too-many", None, "errors/too_many.html", 429),
    Swept("complaint-reopened-twice", None, "errors/problem.html", 400),
    Swept("service-unavailable", None, "errors/unavailable.html", 503),
)
SHOWN = {swept.name: swept for swept in SWEPT}


def test_every_page_of_the_route_table_is_checked() -> None:
    """Each GET route and whole-page template: checked by a journey, swept here, or excluded."""
    routes, templates = page_routes(), page_templates()
    swept_routes = {swept.route for swept in SWEPT if swept.route}
    unchecked = routes - swept_routes - CHECKED_ROUTES.keys() - EXCLUDED_ROUTES.keys()
    assert not unchecked, f"pages no browser test checks (sweep or list them): {unchecked}"
    listed = swept_routes | CHECKED_ROUTES.keys() | EXCLUDED_ROUTES.keys()
    assert listed <= routes, f"listed routes the app no longer has: {listed - routes}"
    assert not EXCLUDED_ROUTES.keys() & (swept_routes | CHECKED_ROUTES.keys()), "excluded yet checked"

    swept_templates = {swept.template for swept in SWEPT}
    unchecked_templates = templates - swept_templates - CHECKED_TEMPLATES.keys()
    assert not unchecked_templates, f"pages no browser test checks: {unchecked_templates}"
    listed_templates = swept_templates | CHECKED_TEMPLATES.keys()
    assert listed_templates <= templates, f"listed templates that are gone: {listed_templates - templates}"

    references = set(CHECKED_ROUTES.values()) | set(CHECKED_TEMPLATES.values())
    missing = sorted(reference for reference in references if not calls_check_page(reference))
    assert not missing, f"named as checking pages, yet no such test calling check_page: {missing}"


@dataclass
class Sweep:
    """The browser, the platform and what the sweep made: an employee with a draft plan."""

    browser: Browser
    platform: ServiceProcesses
    region: dict[str, Any]
    employee_id: str
    plan_id: str
    year: int
    desk: dict[str, str]  # the region's complaint desk (a region administrator's token)

    @property
    def feedback(self) -> str:
        return f"http://127.0.0.1:{self.platform.ports['feedback']}"

    def url(self, path: str, **query: str) -> str:
        return web_url(self.platform, path + ("?" + urlencode(query) if query else ""))

    def survey_url(self, **query: str) -> str:
        """The unit's public survey link for its one service (a ticket's QR code adds the ticket)."""
        unit = {"region": self.region["region_id"], "unit": self.region["unit_id"], "service": "ktp-el"}
        return self.url("/skm", **unit, **query)

    async def citizen(self) -> Page:
        """A new browser of its own: its own device, counted apart by feedback's rate limits."""
        context = await self.browser.new_context()
        return await context.new_page()


async def show(page: Page, name: str, reach: Callable[[], Awaitable[Response | None]]) -> None:
    """``check_reached`` of the page ``reach`` leads to, each time answered with the status ``SWEPT``
    names for it (the page meant, not another one)."""
    expected = SHOWN[name].status

    async def reached() -> None:
        response = await reach()
        assert response is not None, f"{name}: no page was loaded"
        assert response.status == expected, f"{name}: {response.status} {response.url}"

    await check_reached(page, name, reached)


async def submitted(page: Page, selector: str) -> Response | None:
    """Press a form's button; the page it leads to."""
    async with page.expect_navigation() as navigation:
        await page.click(selector)
    return await navigation.value


async def an_employee_with_a_draft(
    platform: ServiceProcesses, region: dict[str, Any], make_token: Any
) -> tuple[str, str]:
    """A clerk under a head, with a draft plan for this year (not yet submitted)."""
    region_id, unit_id = region["region_id"], region["unit_id"]
    planning = f"http://127.0.0.1:{platform.ports['planning']}"
    admin = auth(make_token("region_admin", region=region_id))
    head, staff = f"{region_id}-kepala", f"{region_id}-petugas"
    year = year_in(ZONE)
    async with httpx.AsyncClient(timeout=15) as http:
        for employee_id, nip, supervisor in (
            (head, "197501011998031001", None),
            (staff, "199201012018032001", head),
        ):
            hired = await http.post(
                f"{planning}/v1/employees",
                json={
                    "employee_id": employee_id,
                    "nip": nip,
                    "name": "Petrus Kepala" if supervisor is None else "Maria Petugas",
                    "unit_id": unit_id,
                    "position": "Kepala Dinas" if supervisor is None else "Petugas Loket",
                    "job_type": "head" if supervisor is None else "front_office_clerk",
                    "supervisor_id": supervisor,
                    "effective_from": f"{year}-01-01",
                },
                headers=admin,
            )
            assert hired.status_code == 201, hired.text
        draft = await http.post(
            f"{planning}/v1/work-plans",
            json={
                "year": year,
                "results": [
                    {
                        "text": "Pelayanan KTP-el tanpa antrean panjang",
                        "indicators": [
                            {"name": "Warga dilayani", "unit_of_measure": "orang", "target": 1200}
                        ],
                    }
                ],
            },
            headers=auth(make_token("employee", region=region_id, employee=staff)),
        )
        assert draft.status_code == 201, draft.text
    return staff, draft.json()["plan_id"]


async def employee_pages(sweep: Sweep, context: BrowserContext) -> None:
    """Signed in once as the clerk: the account, the plan forms, a 403; then signed out."""
    page = await context.new_page()
    await sign_in_as_employee(page, sweep.platform, sweep.region["region_id"], sweep.employee_id, "/saya")
    await show(page, "account", lambda: page.goto(sweep.url("/saya")))
    next_year = sweep.url("/saya/skp/baru", tahun=str(sweep.year + 1))  # this year has the draft
    await show(page, "work-plan-new", lambda: page.goto(next_year))
    await show(page, "work-plan-edit", lambda: page.goto(sweep.url(f"/saya/skp/{sweep.plan_id}/ubah")))

    # A clerk is no rater: the inbox of raters refuses.
    await show(page, "not-allowed", lambda: page.goto(sweep.url("/penilai/kotak-masuk")))

    await page.goto(sweep.url("/saya"))
    signed_out = await submitted(page, "form[action='/keluar'] button[type=submit]")
    assert signed_out is not None
    assert signed_out.url == sweep.url("/keluar/selesai")
    await show(page, "signed-out", lambda: page.goto(sweep.url("/keluar/selesai")))
    await show(page, "sign-in-failed", lambda: page.goto(sweep.url("/masuk/selesai")))


async def citizen_pages(sweep: Sweep) -> None:
    """What a citizen meets off the happy path: each in a browser of its own."""
    page = await sweep.citizen()

    async def form_kept_too_long() -> Response | None:
        await page.goto(sweep.survey_url())
        await answer_everything(page)
        # The form's token no longer matches this browser, as after its cookies were cleared meanwhile.
        await page.eval_on_selector("input[name=csrf_token]", "field => { field.value = 'expired'; }")
        return await submitted(page, "main form button[type=submit]")

    await show(page, "form-expired", form_kept_too_long)
    unknown_draft = sweep.url("/pengaduan/periksa", region=sweep.region["region_id"], draf="a" * 32)
    await show(page, "complaint-draft-expired", lambda: page.goto(unknown_draft))

    async def checked(address: str) -> None:
        """The survey answered, on its check-your-answers page."""
        await page.goto(address)
        await answer_everything(page)
        await page.click("main form button[type=submit]")
        await page.wait_for_url("**/skm/periksa?**")

    async def answered(address: str) -> Response | None:
        await checked(address)
        return await submitted(page, "main form button[type=submit]")

    async def mistyped_ticket() -> Response | None:
        shown = await answered(sweep.survey_url(ticket="HHHHH-HHHHH"))  # its check character is wrong
        await page.locator("main a.button[href^='/skm?']").wait_for()  # the way on without the ticket
        return shown

    await show(page, "survey-ticket-problem", mistyped_ticket)
    ticket = sweep.region["tickets"][1]["qr_payload"]
    first = await answered(ticket)
    assert first is not None
    assert first.url.startswith(sweep.url("/skm/terima-kasih")), "the ticket's first use"
    await show(page, "survey-ticket-used", lambda: answered(ticket))

    redis = connect_redis(ServiceSettings())  # the platform's, where the web keeps submissions
    guard = SubmissionGuard(redis)

    async def pressed_again_while_sending() -> Response | None:
        await checked(sweep.survey_url())
        # The first press is still on its way to feedback: it claimed the form's id.
        assert await guard.claim(await page.input_value("input[name=submission_id]")) is None
        return await submitted(page, "main form button[type=submit]")

    await show(page, "survey-sending", pressed_again_while_sending)
    await redis.aclose()
    await page.context.close()

    page = await sweep.citizen()
    # A unit's public link takes three answers a day from one device; the fourth is too many.
    for _ in range(3):
        sent = await answered(sweep.survey_url())
        assert sent is not None
        assert sent.status == 200, "an answer within the day's budget"
    await show(page, "survey-too-many", lambda: answered(sweep.survey_url()))
    await page.context.close()

    page = await sweep.citizen()

    async def reopened_from_a_stale_page() -> Response | None:
        """The tracking page of a closed complaint, kept open while the complaint was reopened
        elsewhere (another tab, another phone): its reopen button is refused by feedback."""
        code = await a_closed_complaint(sweep)
        await page.goto(sweep.url("/pengaduan/lacak", region=sweep.region["region_id"], kode=code))
        async with httpx.AsyncClient(timeout=15) as http:
            elsewhere = await http.post(
                f"{sweep.feedback}/v1/public/regions/{sweep.region['region_id']}/complaints/{code}/reopen",
                json={"reason": "Antrean kembali macet"},
            )
            assert elsewhere.status_code == 200, elsewhere.text
        await page.fill("#reason", "Loket masih tutup lebih awal")
        return await submitted(page, "form[action='/pengaduan/lacak/buka-kembali'] button[type=submit]")

    await show(page, "complaint-reopened-twice", reopened_from_a_stale_page)
    await page.context.close()


async def a_closed_complaint(sweep: Sweep) -> str:
    """A complaint filed, verified, sent to the office, answered and closed by the desk: its code."""
    region_id, unit_id = sweep.region["region_id"], sweep.region["unit_id"]
    async with httpx.AsyncClient(base_url=sweep.feedback, timeout=15) as http:
        filed = await http.post(
            f"/v1/public/regions/{region_id}/complaints",
            json={"unit_id": unit_id, "description": "Loket KTP-el tutup sebelum jam layanan berakhir."},
        )
        assert filed.status_code == 201, filed.text
        code = filed.json()["tracking_code"]
        listed = (await http.get("/v1/complaints", headers=sweep.desk)).json()
        [complaint_id] = [c["complaint_id"] for c in listed if c["tracking_code"] == code]
        for move in (
            {"status": "verified"},
            {"status": "dispatched", "unit_id": unit_id},
            {"status": "answered", "reason": "Jam layanan loket diperpanjang"},
            {"status": "closed"},
        ):
            moves = f"/v1/complaints/{complaint_id}/transitions"
            moved = await http.post(moves, json=move, headers=sweep.desk)
            assert moved.status_code == 200, moved.text
    return str(code)


async def test_the_pages_no_journey_passes_by_are_accessible(
    platform: ServiceProcesses, region: dict[str, Any], browser: Browser, make_token: Any
) -> None:
    employee_id, plan_id = await an_employee_with_a_draft(platform, region, make_token)
    year = year_in(ZONE)
    desk = auth(make_token("region_admin", region=region["region_id"]))
    sweep = Sweep(browser, platform, region, employee_id, plan_id, year, desk)
    context = await browser.new_context()
    await employee_pages(sweep, context)
    await context.close()
    await citizen_pages(sweep)

    # Last, as it stops feedback: a page whose service does not answer (after the API timeout).
    page = await sweep.citizen()
    platform.stop("feedback")
    try:
        await show(
            page,
            "service-unavailable",
            lambda: page.goto(sweep.url(f"/transparansi/{region['region_id']}")),
        )
    finally:
        platform.start("feedback")
        platform.wait_healthy(timeout=90)
        await page.context.close()
