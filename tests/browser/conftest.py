"""Fixtures of the browser tests: the platform as processes (the four services and the web app on
free ports, real infrastructure), a region with a rated service and tickets, and chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from kinerja import infra
from kinerja.platform import ServiceProcesses
from kinerja.services import PROCESS_NAMES
from tests.browser.support import chromium_executable
from tests.conftest import auth, new_region_id, settings_endpoints, wait_until


@pytest.fixture(scope="package")
def platform(infrastructure, data_dir) -> Iterator[ServiceProcesses]:
    """The four services and the web process as `make up` runs them, on free ports: one platform
    for every browser test (each module makes a region of its own), since starting it took the
    suite seconds a module."""
    endpoints = settings_endpoints()
    processes = ServiceProcesses(
        endpoints, data_dir, ports={name: infra.free_port() for name in PROCESS_NAMES}
    )
    processes.start_all()
    try:
        processes.wait_healthy(timeout=90)
        yield processes
    finally:
        processes.stop_all()


def web_url(platform: ServiceProcesses, path: str = "/") -> str:
    """An address of the web app."""
    return f"http://127.0.0.1:{platform.ports['web']}{path}"


async def sign_in_as_rater(page: Page, platform: ServiceProcesses, region_id: str, head: str) -> None:
    """The development sign-in page, the head of the office chosen as rater; lands on the inbox."""
    await page.goto(web_url(platform, "/masuk/demo?next=%2Fpenilai%2Fkotak-masuk"))
    choice = f"input[name=user][value='{region_id}|rater|{head}']"
    await page.eval_on_selector(choice, "radio => { radio.closest('details').open = true; }")
    await page.check(choice)
    await page.click("main button[type=submit]")
    await page.wait_for_url("**/penilai/kotak-masuk")


async def sign_in_as_employee(
    page: Page, platform: ServiceProcesses, region_id: str, employee_id: str, next_path: str
) -> None:
    """Through the development sign-in page, as the employee; lands on ``next_path``."""
    await page.goto(web_url(platform, f"/masuk/demo?next={next_path}"))
    choice = f"{region_id}|employee|{employee_id}"
    await page.evaluate(
        "(choice) => { const radio = document.querySelector(`input[value='${choice}']`);"
        " radio.checked = true; radio.form.submit(); }",
        choice,
    )
    await page.wait_for_url(web_url(platform, next_path))


@pytest.fixture(scope="module")
async def region(platform, make_token) -> dict[str, Any]:
    """A region in Papua (WIT) with one office, its rated service and three tickets."""
    region_id = new_region_id()
    planning = f"http://127.0.0.1:{platform.ports['planning']}"
    feedback = f"http://127.0.0.1:{platform.ports['feedback']}"
    admin = auth(make_token("region_admin", region=region_id))
    async with httpx.AsyncClient(timeout=15) as http:
        created = await http.post(
            f"{planning}/v1/regions",
            json={"region_id": region_id, "name": "Distrik Wanggar Uji", "timezone": "Asia/Jayapura"},
            headers=auth(make_token("platform_admin")),
        )
        created.raise_for_status()
        unit = await http.post(
            f"{planning}/v1/units", json={"code": "dukcapil", "name": "Dinas Kependudukan"}, headers=admin
        )
        unit.raise_for_status()
        unit_id = unit.json()["unit_id"]

        async def declared() -> bool:
            answer = await http.post(
                f"{feedback}/v1/units/{unit_id}/services",
                json={"service_id": "ktp-el", "name": "Perekaman KTP-el"},
                headers=admin,
            )
            return answer.status_code in (201, 409)

        await wait_until(declared, timeout=60, interval=0.5)  # once feedback knows the unit
        issued = await http.post(
            f"{feedback}/v1/units/{unit_id}/service-tickets",
            json={"service_id": "ktp-el", "count": 3},
            headers=admin,
        )
        issued.raise_for_status()
    return {"region_id": region_id, "unit_id": unit_id, "tickets": issued.json()["tickets"]}


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium, headless, driven by Playwright (each test opens contexts of its own)."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip("chromium is not installed and cannot be (apt-get install chromium as root)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        await launched.close()
