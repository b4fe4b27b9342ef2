"""The rater's live feed: Server-Sent Events served by a real HTTP server, fed through Redis streams."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import pytest
import uvicorn

from services.reporting.adapters.live_feed import FEED_EVENT_ID
from services.reporting.entrypoints.dependencies import live_feed
from shared.region_time import DEFAULT_TIMEZONE
from shared.runtime import build_app
from tests.conftest import auth, new_region_id, wait_until
from tests.integration.test_reporting_support import activity, seed_team, submit
from tests.region_clock import moment_ago

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(start_service) -> AsyncIterator[tuple[object, str]]:
    """Reporting in-process for submissions, and the same app behind uvicorn for streaming."""
    reporting = await start_service("reporting")
    port = free_port()
    app = build_app(reporting.definition, reporting.context)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return bool(server.started)

    await wait_until(started, timeout=10, interval=0.05)
    yield reporting, f"http://127.0.0.1:{port}"
    server.should_exit = True
    await asyncio.wait_for(task, timeout=10)


async def next_activity_events(lines: AsyncIterator[str], count: int) -> list[dict[str, Any]]:
    """Read SSE lines until ``count`` activity events arrived."""
    events = []
    async for line in lines:
        if line.startswith("data: "):
            events.append(orjson.loads(line[len("data: ") :]))
            if len(events) == count:
                return events
    raise AssertionError("the stream ended early")


async def test_a_rater_receives_their_teams_activity_as_it_is_committed(served, make_token):
    reporting, base_url = served
    team = await seed_team(reporting, make_token, new_region_id())
    other_team = await seed_team(reporting, make_token, team.region, size=1)
    staff, colleague = team.members
    outsider = other_team.members[0]

    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", "/v1/feed", headers=auth(team.rater.token)) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 3000"  # subscribed: what follows is not missed

        await submit(reporting, outsider, activity(outsider))  # another team: not on this feed
        single = (await submit(reporting, staff, activity(staff))).json()
        batch = [activity(colleague), activity(colleague, "ratio")]
        await reporting.client.post(
            "/v1/activities/batch", json={"items": batch}, headers=auth(colleague.token)
        )

        events = await asyncio.wait_for(next_activity_events(lines, 3), timeout=10)

    assert [e["kind"] for e in events] == ["activity.submitted"] * 3
    assert [e["activity"]["activity_id"] for e in events] == [
        single["activity_id"],
        batch[0]["activity_id"],
        batch[1]["activity_id"],
    ]
    assert events[0]["activity"]["employee_id"] == staff.employee_id


async def next_notices_as_sent(lines: AsyncIterator[str], count: int) -> list[bytes]:
    """The activities of the next ``count`` notices of new activities, as the JSON text sent."""
    start = b'{"kind":"activity.submitted","activity":'
    activities = []
    async for line in lines:
        if line.startswith("data: "):
            message = line[len("data: ") :].encode()
            assert message.startswith(start)
            activities.append(message[len(start) : -1])
            if len(activities) == count:
                return activities
    raise AssertionError("the stream ended early")


async def test_a_notice_shows_the_activity_as_the_api_answers_and_reads_it(served, make_token):
    """Byte for byte: a supervisor's live feed and the page reloaded from the API show an activity
    alike. Until session 36 a notice wrote a quantity as sent (``"1.5"``, the API ``"1.5000"``) and
    a time sent at +00:00 as ``+00:00`` (the API ``Z``). Coordinates sent with six places: with
    fewer, the notice and the answer show them as sent, the reading with six (not yet the same)."""
    reporting, base_url = served
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    sent_at = moment_ago(DEFAULT_TIMEZONE, timedelta(minutes=1))
    utc, jakarta = (
        sent_at.astimezone(UTC).isoformat(),
        sent_at.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).isoformat(),
    )
    assert (utc[-6:], jakarta[-6:]) == ("+00:00", "+07:00")
    singles = [
        activity(staff, quantity="1.5", latitude="-6.200000", longitude=106.812345, occurred_at=utc),
        activity(staff, quantity=1.5, occurred_at=jakarta),
    ]
    batch = [
        activity(colleague, quantity=1.5, latitude=-6.123456, occurred_at=utc),
        activity(colleague, "ratio", quantity="2.25", denominator=10, occurred_at=jakarta),
    ]
    rater = auth(team.rater.token)

    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", "/v1/feed", headers=rater) as stream,
    ):
        lines = stream.aiter_lines()
        assert await anext(lines) == "retry: 3000"
        answers = [(await submit(reporting, staff, body)).content for body in singles]
        await reporting.client.post(
            "/v1/activities/batch", json={"items": batch}, headers=auth(colleague.token)
        )
        notices = await asyncio.wait_for(next_notices_as_sent(lines, 4), timeout=10)

    assert answers == notices[:2]
    page = (await reporting.client.get("/v1/activities", params={"limit": 30}, headers=rater)).content
    for body, notice in zip(singles + batch, notices, strict=True):
        read = await reporting.client.get(f"/v1/activities/{body['activity_id']}", headers=rater)
        assert read.content == notice[:-1] + b',"evidence":[]}'
        assert notice in page
    assert b'"quantity":"1.5000"' in notices[0]
    assert b'"latitude":"-6.200000"' in notices[0]
    assert notices[0].count(b'Z"') == 1  # the device's time; reporting's own in the region's zone


async def test_only_raters_open_a_feed(served, make_token):
    _, base_url = served
    region = new_region_id()
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        employee = await http.get(
            "/v1/feed", headers=auth(make_token("employee", region=region, employee="e-1"))
        )
        anonymous = await http.get("/v1/feed")
    assert employee.status_code == 403
    assert anonymous.status_code == 401


async def next_events_with_ids(lines: AsyncIterator[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    """Read SSE lines until ``count`` activity events arrived, each with its id."""
    events: list[tuple[str, dict[str, Any]]] = []
    event_id = ""
    async for line in lines:
        if line.startswith("id: "):
            event_id = line[len("id: ") :]
        elif line.startswith("data: "):
            events.append((event_id, orjson.loads(line[len("data: ") :])))
            if len(events) == count:
                return events
    raise AssertionError("the stream ended early")


async def test_a_reconnecting_rater_resumes_after_the_last_event_seen(served, make_token):
    reporting, base_url = served
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    headers = auth(team.rater.token)

    async with httpx.AsyncClient(base_url=base_url, timeout=10) as http:
        async with http.stream("GET", "/v1/feed", headers=headers) as stream:
            lines = stream.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            seen = (await submit(reporting, staff, activity(staff))).json()
            batch = [activity(colleague), activity(colleague)]
            await reporting.client.post(
                "/v1/activities/batch", json={"items": batch}, headers=auth(colleague.token)
            )
            first = await asyncio.wait_for(next_events_with_ids(lines, 2), timeout=10)
        # The signal dropped after the batch's first item; two more arrived meanwhile.
        missed = (await submit(reporting, staff, activity(staff))).json()
        async with http.stream(
            "GET", "/v1/feed", headers=headers | {"Last-Event-ID": first[1][0]}
        ) as resumed:
            lines = resumed.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            caught_up = await asyncio.wait_for(next_events_with_ids(lines, 2), timeout=10)
        bad = await http.get("/v1/feed", headers=headers | {"Last-Event-ID": "yesterday"})

    assert [event["activity"]["activity_id"] for _, event in first] == [
        seen["activity_id"],
        batch[0]["activity_id"],
    ]
    assert [event["activity"]["activity_id"] for _, event in caught_up] == [
        batch[1]["activity_id"],
        missed["activity_id"],
    ]
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "invalid_last_event_id")


async def blocked_reads(reporting: Any) -> int:
    """Redis connections blocked in XREAD (each open feed used to hold one)."""
    clients = await reporting.context.redis.client_list()
    return sum(1 for client in clients if client.get("cmd") == "xread" and "b" in client.get("flags", ""))


async def test_every_open_feed_of_a_process_shares_one_redis_read(served, make_token):
    reporting, base_url = served
    region = new_region_id()
    teams = [await seed_team(reporting, make_token, region, size=1) for _ in range(3)]
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=10))
        feeds: list[tuple[int, AsyncIterator[str]]] = []
        for index, team in enumerate(teams):
            for _ in range(3):  # a rater with the feed open on three devices
                stream = await stack.enter_async_context(
                    http.stream("GET", "/v1/feed", headers=auth(team.rater.token))
                )
                lines = stream.aiter_lines()
                assert await anext(lines) == "retry: 3000"
                feeds.append((index, lines))
        assert await wait_until(lambda: blocked_reads(reporting), timeout=10)
        assert await blocked_reads(reporting) == 1
        submitted = [(await submit(reporting, t.members[0], activity(t.members[0]))).json() for t in teams]
        for index, lines in feeds:
            [event] = await asyncio.wait_for(next_activity_events(lines, 1), timeout=10)
            assert event["activity"]["activity_id"] == submitted[index]["activity_id"]

        async def one_read_again() -> bool:
            return await blocked_reads(reporting) == 1

        assert await wait_until(one_read_again, timeout=10)


async def test_a_feed_resumed_while_the_team_is_followed_misses_nothing_in_between(served, make_token):
    """The hub already reads past the resumed position: the new subscriber reads the gap itself."""
    reporting, base_url = served
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    headers = auth(team.rater.token)
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", "/v1/feed", headers=headers) as watching,
    ):
        watched = watching.aiter_lines()
        assert await anext(watched) == "retry: 3000"
        batch = [activity(colleague), activity(colleague)]
        await reporting.client.post(
            "/v1/activities/batch", json={"items": batch}, headers=auth(colleague.token)
        )
        single = (await submit(reporting, staff, activity(staff))).json()
        seen = await asyncio.wait_for(next_events_with_ids(watched, 3), timeout=10)
        async with http.stream("GET", "/v1/feed", headers=headers | {"Last-Event-ID": seen[0][0]}) as resumed:
            lines = resumed.aiter_lines()
            assert await anext(lines) == "retry: 3000"
            later = (await submit(reporting, staff, activity(staff))).json()
            caught_up = await asyncio.wait_for(next_events_with_ids(lines, 3), timeout=10)
            [also_watched] = await asyncio.wait_for(next_events_with_ids(watched, 1), timeout=10)
    assert [event["activity"]["activity_id"] for _, event in caught_up] == [
        batch[1]["activity_id"],
        single["activity_id"],
        later["activity_id"],
    ]
    assert [event_id for event_id, _ in caught_up] == [seen[1][0], seen[2][0], also_watched[0]]


async def test_a_raters_list_carries_the_feed_position_its_stream_resumes_from(served, make_token):
    """The list's answer says where the feed stood before the list was read: an activity accepted
    right after the list arrives on the stream resumed there, once; what the list holds does not."""
    reporting, base_url = served
    team = await seed_team(reporting, make_token, new_region_id())
    staff, colleague = team.members
    headers = auth(team.rater.token)
    listed = (await submit(reporting, staff, activity(staff))).json()
    await live_feed(reporting.context).flush()  # its notice is in the team's stream
    page = (await reporting.client.get("/v1/activities", params={"limit": 30}, headers=headers)).json()
    after_the_list = (await submit(reporting, colleague, activity(colleague))).json()
    position = page["feed_position"]
    assert [item["activity_id"] for item in page["items"]] == [listed["activity_id"]]
    assert re.fullmatch(FEED_EVENT_ID, position)

    async with (
        httpx.AsyncClient(base_url=base_url, timeout=10) as http,
        http.stream("GET", "/v1/feed", headers=headers | {"Last-Event-ID": position}) as resumed,
    ):
        lines = resumed.aiter_lines()
        assert await anext(lines) == "retry: 3000"
        assert await anext(lines) == f"id: {position}"  # starts where the list ended
        later = (await submit(reporting, staff, activity(staff))).json()  # marks the end of the gap
        arrived = await asyncio.wait_for(next_events_with_ids(lines, 2), timeout=10)
    assert [event["activity"]["activity_id"] for _, event in arrived] == [
        after_the_list["activity_id"],
        later["activity_id"],
    ]

    # Only a rater's first page carries it: an employee has no feed, a later page needs none.
    mine = await reporting.client.get("/v1/activities", headers=auth(staff.token))
    second = await reporting.client.get("/v1/activities", params={"limit": 1}, headers=headers)
    later_page = await reporting.client.get(
        "/v1/activities", params={"limit": 1, "cursor": second.json()["next_cursor"]}, headers=headers
    )
    assert mine.json()["feed_position"] is None
    assert second.json()["feed_position"] is not None
    assert later_page.json()["feed_position"] is None
