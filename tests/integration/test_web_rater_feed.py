"""The team's live feed: the page lists recent activity and decides it without JavaScript; its stream
relays reporting's feed as server-rendered HTML, resumes by id, and ends when the browser leaves or
the server stops; verify and reject reach reporting's API once."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import signal
from collections.abc import AsyncIterator

import httpx
import pytest

from services.web.adapters.services_api import Service
from services.web.metrics import FEED_RELAYS_ENDED
from tests.conftest import wait_until
from tests.integration.web_raters import Team, approved_plan, reported, signed_in, team_of
from tests.integration.web_support import WebStack, csrf_of, served_web, staff_web_stack

pytestmark = pytest.mark.integration
__all__ = ["staff_web_stack"]


async def activity_status(team: Team, activity_id: str) -> tuple[str, str | None]:
    answer = await team.stack.services["reporting"].client.get(
        f"/v1/activities/{activity_id}", headers=team.rater_headers
    )
    body = answer.json()
    return body["status"], body["review_note"]


async def test_the_feed_page_decides_each_activity_without_javascript(staff_web_stack) -> None:
    team = await team_of(staff_web_stack)
    first, second = team.members
    plan = await approved_plan(team, first)
    to_verify = await reported(team, first, plan, "Melayani 12 perekaman KTP-el di loket")
    to_reject = await reported(team, first, plan, "Mencetak 40 KTP-el hari ini")
    browser = await signed_in(staff_web_stack, team.region, team.rater)

    page = await browser.get("/penilai/umpan")
    assert page.status_code == 200
    assert f'id="activity-{to_verify["activity_id"]}"' in page.text
    assert "Mencetak 40 KTP-el hari ini" in page.text
    assert 'href="/penilai/umpan">Muat ulang daftar' in page.text  # without JavaScript: refresh
    token = await csrf_of(browser, "/penilai/umpan")

    verified = await browser.post(
        f"/penilai/kegiatan/{to_verify['activity_id']}/verifikasi",
        data={"csrf_token": token, "next": "/penilai/umpan"},
    )
    assert verified.status_code == 303
    assert verified.headers["location"] == f"/penilai/umpan?keputusan=kegiatan-diverifikasi&pegawai={first}"
    assert await activity_status(team, to_verify["activity_id"]) == ("verified", None)
    shown = await browser.get(verified.headers["location"])
    assert "Anda memverifikasi kegiatan Pegawai 1 0." in shown.text
    again = await browser.post(
        f"/penilai/kegiatan/{to_verify['activity_id']}/verifikasi",
        data={"csrf_token": token, "next": "/penilai/kotak-masuk"},
    )
    assert again.headers["location"] == "/penilai/kotak-masuk?keputusan=kegiatan-sudah"

    # A reason is required: its own page with the message, what was typed kept, nothing sent.
    empty = await browser.post(
        f"/penilai/kegiatan/{to_reject['activity_id']}/tolak",
        data={"csrf_token": token, "next": "/penilai/umpan", "reason": "  "},
    )
    assert empty.status_code == 422
    assert "Tuliskan alasan Anda menolak kegiatan" in empty.text
    assert 'href="#reason"' in empty.text
    browser.cookies.set("kinerja_lang", "en")
    short = await browser.post(
        f"/penilai/kegiatan/{to_reject['activity_id']}/tolak",
        data={"csrf_token": token, "next": "/penilai/umpan", "reason": "no"},
    )
    assert short.status_code == 422
    assert "The reason must be at least 3 characters" in short.text
    assert ">no</textarea>" in short.text
    browser.cookies.set("kinerja_lang", "id")
    assert await activity_status(team, to_reject["activity_id"]) == ("submitted", None)

    reason = "Jumlah tidak sesuai register harian; lampirkan foto register."
    rejected = await browser.post(
        f"/penilai/kegiatan/{to_reject['activity_id']}/tolak",
        data={"csrf_token": token, "next": "/penilai/umpan", "reason": reason},
    )
    assert rejected.headers["location"] == f"/penilai/umpan?keputusan=kegiatan-ditolak&pegawai={first}"
    assert await activity_status(team, to_reject["activity_id"]) == ("rejected", reason)
    decided = await browser.get("/penilai/umpan")
    assert reason in decided.text
    assert f'action="/penilai/kegiatan/{to_reject["activity_id"]}/tolak"' not in decided.text
    # Someone else's rater cannot decide: reporting refuses, nothing changes.
    outsider = await signed_in(staff_web_stack, team.region, second, role="rater")
    other_token = await csrf_of(outsider, "/saya")
    refused = await outsider.post(
        f"/penilai/kegiatan/{to_verify['activity_id']}/verifikasi", data={"csrf_token": other_token}
    )
    assert refused.status_code in (400, 404)


class FeedReader:
    """An EventSource as a test reads it: each message's fields, over real HTTP."""

    def __init__(self, lines: AsyncIterator[str]) -> None:
        self.lines = lines

    async def next_message(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        async for line in self.lines:
            if line == "":
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                fields.setdefault("comment", line)
                continue
            name, _, value = line.partition(": ")
            fields[name] = fields[name] + "\n" + value if name in fields else value
        raise EOFError

    async def rest(self) -> None:
        """Read until the stream ends (``EOFError``)."""
        while True:
            await self.next_message()

    async def next_event(self) -> dict[str, str]:
        while "event" not in (message := await asyncio.wait_for(self.next_message(), timeout=30)):
            pass
        return message


def cookies_of(browser: httpx.AsyncClient) -> str:
    return "; ".join(f"{name}={browser.cookies[name]}" for name in ("kinerja_session", "kinerja_visitor"))


async def test_the_live_feed_relays_activity_as_html_and_resumes_after_its_last_id(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await approved_plan(team, member)
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    token = await csrf_of(browser, "/saya")
    headers = {"Cookie": cookies_of(browser), "Accept": "text/event-stream"}

    async with served_web(staff_web_stack) as (address, _), httpx.AsyncClient(base_url=address) as http:
        async with http.stream("GET", "/penilai/umpan/langsung", headers=headers, timeout=30) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            feed = FeedReader(stream.aiter_lines())
            opened = await feed.next_message()
            assert "id" in opened  # the position, so a reconnect before any event resumes here

            activity = await reported(team, member, plan, "Melayani 9 perekaman KTP-el keliling")
            arrived = await feed.next_event()
            assert arrived["event"] == "activity"
            assert f'<li class="item" id="activity-{activity["activity_id"]}">' in arrived["data"]
            assert "Melayani 9 perekaman KTP-el keliling" in arrived["data"]
            assert "Pegawai 1 0" in arrived["data"]  # the name, not the id
            assert f'value="{token}"' in arrived["data"]  # its forms post as this browser's
            assert "WIT" in arrived["data"]  # the time in the region's zone
            first_id = arrived["id"]

            verified = await browser.post(
                f"/penilai/kegiatan/{activity['activity_id']}/verifikasi", data={"csrf_token": token}
            )
            assert verified.status_code == 303
            decided = await feed.next_event()
            assert f'id="activity-{activity["activity_id"]}"' in decided["data"]
            assert "Diverifikasi" in decided["data"]
            assert "/verifikasi" not in decided["data"]

        # The browser reconnects with the last id it got: what came after is sent again, once.
        resumed_headers = headers | {"Last-Event-ID": first_id}
        async with http.stream(
            "GET", "/penilai/umpan/langsung", headers=resumed_headers, timeout=30
        ) as stream:
            resumed = await FeedReader(stream.aiter_lines()).next_event()
            assert resumed["id"] == decided["id"]
            assert "Diverifikasi" in resumed["data"]

        # Left twice: no relay stays open.
        async def none_open() -> bool:
            return bool(staff_web_stack.web.feeds.open_count == 0)

        await wait_until(none_open, timeout=10)

        # A mangled id is not the browser's fault: the feed opens from now on.
        async with http.stream(
            "GET", "/penilai/umpan/langsung", headers=headers | {"Last-Event-ID": "nonsense"}, timeout=30
        ) as stream:
            assert stream.status_code == 200
            assert "id" in await FeedReader(stream.aiter_lines()).next_message()


async def test_the_live_feed_sends_what_came_between_the_page_and_its_stream(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await approved_plan(team, member)
    await reported(team, member, plan, "Dilaporkan sebelum halaman dibuka")
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    page = await browser.get("/penilai/umpan")
    assert "Dilaporkan sebelum halaman dibuka" in page.text
    live = re.search(r'data-live-feed="([^"]+)"', page.text)
    assert live is not None
    # Reported after the page's list was read, before its script connects the stream.
    between = await reported(team, member, plan, "Dilaporkan sebelum umpan tersambung")
    headers = {"Cookie": cookies_of(browser), "Accept": "text/event-stream"}

    async with (
        served_web(staff_web_stack) as (address, _),
        httpx.AsyncClient(base_url=address) as http,
        http.stream("GET", html.unescape(live.group(1)), headers=headers, timeout=30) as stream,
    ):
        feed = FeedReader(stream.aiter_lines())

        async def next_new_event() -> dict[str, str]:
            arrived = await feed.next_event()
            while "sebelum halaman dibuka" in arrived["data"]:  # listed already; shown again, harmless
                arrived = await feed.next_event()
            return arrived

        # Keep-alives come every 15 s, so the wait is bounded as a whole.
        arrived = await asyncio.wait_for(next_new_event(), timeout=30)
        assert f'id="activity-{between["activity_id"]}"' in arrived["data"]
        # Once: what comes next is what was reported next.
        following = await reported(team, member, plan, "Dilaporkan setelah umpan tersambung")
        arrived = await asyncio.wait_for(next_new_event(), timeout=30)
        assert f'id="activity-{following["activity_id"]}"' in arrived["data"]


@contextlib.asynccontextmanager
async def requests_to_reporting(stack: WebStack) -> AsyncIterator[list[str]]:
    """The path of every request the web process sends reporting meanwhile, its streams' included."""
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.url.path)

    apis = stack.web.apis
    clients = [apis._clients[Service.REPORTING], apis._stream_clients[Service.REPORTING]]
    for client in clients:
        client.event_hooks["request"].append(record)
    try:
        yield sent
    finally:
        for client in clients:
            client.event_hooks["request"].remove(record)


async def test_rendering_the_feed_page_opens_no_stream_of_reporting(staff_web_stack) -> None:
    """The stream's position comes with the list: one call per render, no feed connection."""
    team = await team_of(staff_web_stack, extra_members=0)
    [member] = team.members
    plan = await approved_plan(team, member)
    await reported(team, member, plan, "Dilaporkan sebelum halaman dibuka")
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    async with requests_to_reporting(staff_web_stack) as sent:
        pages = [await browser.get("/penilai/umpan") for _ in range(3)]
    assert [page.status_code for page in pages] == [200, 200, 200]
    assert sent == ["/v1/activities"] * 3
    assert all("umpan/langsung?sejak=" in page.text for page in pages)


async def test_the_relay_ends_when_the_server_stops_and_without_a_session(staff_web_stack) -> None:
    team = await team_of(staff_web_stack, extra_members=0)
    browser = await signed_in(staff_web_stack, team.region, team.rater)
    headers = {"Cookie": cookies_of(browser), "Accept": "text/event-stream"}
    stopped_before = FEED_RELAYS_ENDED.labels("server_stopping")._value.get()

    async with served_web(staff_web_stack) as (address, server), httpx.AsyncClient(base_url=address) as http:
        anonymous = await http.get("/penilai/umpan/langsung")
        assert anonymous.status_code == 303  # no session: no stream, the sign-in page

        async with http.stream("GET", "/penilai/umpan/langsung", headers=headers, timeout=30) as stream:
            feed = FeedReader(stream.aiter_lines())
            await feed.next_message()
            assert staff_web_stack.web.feeds.open_count == 1
            started = asyncio.get_running_loop().time()
            server.handle_exit(signal.SIGTERM, None)
            with pytest.raises(EOFError):
                await asyncio.wait_for(feed.rest(), timeout=10)
            assert asyncio.get_running_loop().time() - started < 5
        assert staff_web_stack.web.feeds.open_count == 0
        assert FEED_RELAYS_ENDED.labels("server_stopping")._value.get() == stopped_before + 1
        assert server.should_exit
