"""Browser tests: Debian's chromium driven by Playwright, axe-core in every page, screenshots kept.

Playwright's own browser download cannot work here, so the system ``chromium`` is launched through
``executable_path`` (installed with apt-get when missing and running as root, as ``make test``
installs what it needs). ``check_page`` runs axe-core (vendored, injected through the DevTools
protocol so the pages' CSP stays on) in both languages and keeps 360x800 and 1280x800 screenshots
under ``.kinerja/artifacts/browser/``; ``check_reached`` does so for a page reached by steps (a post).
``page_table.py`` names the test that checks each page, and ``test_every_page.py`` fails for one none does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).with_name("vendor") / "axe-4.14.1.min.js"
ARTIFACTS = ROOT / ".kinerja" / "artifacts" / "browser"
SIZES = ((360, 800), (1280, 800))  # the phone first: check_reached reaches the page at 360 px
BLOCKING_IMPACTS = {"serious", "critical"}


def chromium_executable() -> str | None:
    """The system chromium, installed with apt-get when missing (as root); None when it cannot be."""
    found = shutil.which("chromium")
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=environment, check=False).returncode != 0:
        subprocess.run(
            ["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], env=environment, check=True
        )
        subprocess.run(install, env=environment, check=True)
    return shutil.which("chromium")


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result = await page.evaluate(
        "async () => (await window.axe.run(document, {resultTypes: ['violations']}))"
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": [n["target"] for n in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation.get("impact") in BLOCKING_IMPACTS
    ]


async def screenshots(page: Page, stem: str) -> None:
    """What the screen shows first (e.g. 360x800), and the whole page."""
    await page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))
    await page.screenshot(path=str(ARTIFACTS / f"{stem}-full.png"), full_page=True)


async def set_language(page: Page, language: str) -> None:
    """The remembered language choice, for the whole site (as the switch sets it)."""
    host = urlsplit(page.url).hostname or "127.0.0.1"
    await page.context.add_cookies([{"name": "kinerja_lang", "value": language, "domain": host, "path": "/"}])


async def check_page(page: Page, name: str) -> None:
    """The page as it is, in both languages: no serious or critical axe violation, screenshots kept."""
    address = page.url

    async def reload() -> None:
        await page.goto(address)

    await check_reached(page, name, reload)


async def check_reached(page: Page, name: str, reach: Callable[[], Awaitable[object]]) -> None:
    """The page ``reach`` leads to (a load, or the steps of a post), once per language: no serious or
    critical axe violation at 360 and at 1280 px, nothing wider than a phone, screenshots kept."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for language in ("id", "en"):
        await set_language(page, language)
        await page.set_viewport_size({"width": 360, "height": 800})
        await reach()
        assert await page.get_attribute("html", "lang") == language, f"{name} is not in {language}"
        for width, height in SIZES:
            await page.set_viewport_size({"width": width, "height": height})
            violations = await axe_violations(page)
            assert not violations, f"{name} ({language}, {width}px): {violations}"
            # Nothing wider than the screen on a phone.
            if width == 360:
                overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{name} ({language}) is {overflow}px wider than a 360px screen"
            await screenshots(page, f"{name}-{language}-{width}")
    await set_language(page, "id")


async def check_current(page: Page, name: str) -> None:
    """The page in the state it is in now (e.g. after a post): no blocking violation, screenshots."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    language = await page.get_attribute("html", "lang")
    violations = await axe_violations(page)
    assert not violations, f"{name} ({language}): {violations}"
    for width, height in SIZES:
        await page.set_viewport_size({"width": width, "height": height})
        await screenshots(page, f"{name}-{language}-{width}")
