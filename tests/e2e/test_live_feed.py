"""The rater's live feed over real HTTP from a reporting process, for longer than every timeout.

Timeouts on a feed's path, all at their real defaults here: the Redis client's read timeout (5 s),
the hub's blocking read (5 s), the keep-alive (15 s), uvicorn's keep-alive of idle connections
(5 s). A feed outlives them all, delivers what was published while Redis dropped its read, ends
promptly and cleanly when the server stops, and a client that saw no event yet resumes from the id
the stream sent when it opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import redis.asyncio as aioredis

from kinerja import infra
from kinerja.platform import ServiceProcesses
from shared.serving import DRAIN_SECONDS
from tests.conftest import auth, new_region_id, settings_endpoints, wait_until
from tests.integration.test_reporting_support import Team, activity, seed_team

pytestmark = pytest.mark.e2e

#: Longer than every timeout on the path, and than 15 s of silence (the keep-alive) after 5.3 s.
OPEN_FOR_SECONDS = 23.0


class Reporting:
    """One reporting process over HTTP, stopped and started by the tests."""

    def __init__(self, data_dir: Path) -> None:
        endpoints = settings_endpoints()
        self.redis_url = endpoints.redis_url
        self.log_path = data_dir / "logs" / "reporting.log"
        self.processes = ServiceProcesses(endpoints, data_dir, ports={"reporting": infra.free_port()})

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.processes.ports['reporting']}{path}"

    def start(self) -> None:
        # The API alone, as production scales it: the feed is the API's.
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            self.processes.processes["reporting"] = subprocess.Popen(
                [sys.executable, "-m", "kinerja.cli", "serve", "reporting", "--components", "api"],
                env=self.processes.environment("reporting"),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.processes.wait_healthy(timeout=90)

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log_file:
            log_file.seek(offset)
            return log_file.read().decode(errors="replace")


@pytest.fixture(scope="module")
def reporting(infrastructure: Any, data_dir: Path) -> Iterator[Reporting]:
    process = Reporting(data_dir)
    try:
        process.start()  # inside: a process that never got ready is stopped too
        yield process
    finally:
        process.processes.stop_all()


@dataclass
class Feed:
    """An open SSE stream read in the background: every line with the second it arrived."""

    opened_at: float = field(default_factory=time.monotonic)
    lines: list[tuple[float, str]] = field(default_factory=list)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None

    def age(self) -> float:
        return time.monotonic() - self.opened_at

    def events(self) -> list[tuple[str, dict[str, Any]]]:
        """The activity events so far, each with its SSE id."""
        found, event_id = [], ""
        for _, line in self.lines:
            if line.startswith("id: "):
                event_id = line[len("id: ") :]
            elif line.startswith("data: "):
                found.append((event_id, orjson.loads(line[len("data: ") :])))
        return found

    def last_id(self) -> str | None:
        """What a browser sends as Last-Event-ID when it reconnects: the last ``id:`` field it read."""
        ids = [line[len("id: ") :] for _, line in self.lines if line.startswith("id: ")]
        return ids[-1] if ids else None

    def activity_ids(self) -> list[str]:
        return [event["activity"]["activity_id"] for _, event in self.events()]


@contextlib.asynccontextmanager
async def open_feed(
    http: httpx.AsyncClient, url: str, token: str, last_event_id: str | None = None
) -> AsyncIterator[Feed]:
    """Open the feed and read it in the background until the block ends (or the server ends it)."""
    headers = auth(token) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    feed = Feed()
    opened: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def read() -> None:
        try:
            async with http.stream("GET", url, headers=headers) as stream:
                opened.set_result(stream.status_code)
                async for line in stream.aiter_lines():
                    feed.lines.append((feed.age(), line))
        except Exception as exc:  # what ended the stream, when it was not a clean end
            feed.error = exc
            if not opened.done():
                opened.set_exception(exc)
        finally:
            feed.ended.set()

    reader = asyncio.create_task(read())
    try:
        assert await asyncio.wait_for(opened, timeout=10) == 200

        async def connected() -> bool:
            return any(line == ": connected" for _, line in feed.lines)

        await wait_until(connected, timeout=10, interval=0.02)
        yield feed
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def post_activity(http: httpx.AsyncClient, reporting: Reporting, team: Team) -> str:
    """A team member reports an activity over HTTP; returns its id."""
    staff = team.members[0]
    body = activity(staff)
    response = await http.post(reporting.url("/v1/activities"), json=body, headers=auth(staff.token))
    assert response.status_code == 201, response.text
    return str(body["activity_id"])


async def arrived(feed: Feed, wanted: list[str], timeout: float = 10) -> None:
    """Wait until exactly ``wanted`` arrived on the feed, in that order."""

    async def all_there() -> bool:
        return feed.activity_ids() == wanted

    try:
        await wait_until(all_there, timeout=timeout, interval=0.05)
    except AssertionError:
        raise AssertionError(
            f"wanted {wanted}, the feed has {feed.activity_ids()} ({feed.error!r})"
        ) from None


async def until_age(feed: Feed, seconds: float) -> None:
    await asyncio.sleep(max(0.0, seconds - feed.age()))


def metric(text: str, name: str) -> float:
    """The sum of a metric's samples in a /metrics page."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") or line.startswith(name + " ")
    )


def assert_no_errors(log: str) -> None:
    assert '"level":"ERROR"' not in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]


async def test_a_feed_stays_open_past_every_timeout_and_sends_keep_alives(
    reporting: Reporting, start_service: Any, make_token: Any
) -> None:
    seeding = await start_service("reporting")
    team = await seed_team(seeding, make_token, new_region_id(), size=1)
    log_offset = reporting.log_size()
    async with (
        httpx.AsyncClient(timeout=30) as http,
        open_feed(http, reporting.url("/v1/feed"), team.rater.token) as feed,
    ):
        posted: list[str] = []
        # Activities on either side of the 5 s read timeouts, then silence until the keep-alive.
        for at in (0.5, 4.8, 5.3):
            await until_age(feed, at)
            posted.append(await post_activity(http, reporting, team))
            await arrived(feed, posted)

        async def keep_alive() -> float | None:
            return next((second for second, line in feed.lines if line == ": keep-alive"), None)

        first_keep_alive = await wait_until(keep_alive, timeout=20)
        posted.append(await post_activity(http, reporting, team))
        await arrived(feed, posted)
        await until_age(feed, OPEN_FOR_SECONDS)
        assert not feed.ended.is_set(), f"the stream ended: {feed.error!r}"
    assert first_keep_alive >= 5.3 + 15
    assert_no_errors(reporting.log_since(log_offset))


async def test_what_is_published_while_redis_drops_the_feeds_read_arrives_and_is_counted(
    reporting: Reporting, start_service: Any, make_token: Any
) -> None:
    seeding = await start_service("reporting")
    team = await seed_team(seeding, make_token, new_region_id(), size=1)
    admin = aioredis.Redis.from_url(reporting.redis_url)

    async def blocked_reads() -> list[str]:
        return [client["id"] for client in await admin.client_list() if client.get("cmd") == "xread"]

    async with (
        httpx.AsyncClient(timeout=30) as http,
        open_feed(http, reporting.url("/v1/feed"), team.rater.token) as feed,
    ):
        failures_before = metric((await http.get(reporting.url("/metrics"))).text, FEED_READ_FAILURES)
        posted = [await post_activity(http, reporting, team)]
        await arrived(feed, posted)
        for _ in range(3):
            # Redis closes the connection of the blocked read (the hub's, however many feeds).
            for client_id in await wait_until(blocked_reads, timeout=10, interval=0.02):
                await admin.client_kill_filter(_id=client_id)
            posted.append(await post_activity(http, reporting, team))
            await arrived(feed, posted)
        assert not feed.ended.is_set(), f"the stream ended: {feed.error!r}"
        failures = metric((await http.get(reporting.url("/metrics"))).text, FEED_READ_FAILURES)
    await admin.aclose()
    assert failures - failures_before >= 3


async def test_a_stopping_server_ends_its_feeds_and_a_client_without_events_resumes_from_its_id(
    reporting: Reporting, start_service: Any, make_token: Any
) -> None:
    seeding = await start_service("reporting")
    region = new_region_id()
    busy_team = await seed_team(seeding, make_token, region, size=1)
    quiet_team = await seed_team(seeding, make_token, region, size=1)  # no event before the stop
    log_offset = reporting.log_size()
    async with httpx.AsyncClient(timeout=30) as http:
        async with (
            open_feed(http, reporting.url("/v1/feed"), busy_team.rater.token) as busy,
            open_feed(http, reporting.url("/v1/feed"), quiet_team.rater.token) as quiet,
        ):
            seen = await post_activity(http, reporting, busy_team)
            await arrived(busy, [seen])
            started = time.monotonic()
            await asyncio.to_thread(reporting.processes.stop, "reporting")
            stopped_in = time.monotonic() - started
            await asyncio.wait_for(asyncio.gather(quiet.ended.wait(), busy.ended.wait()), timeout=5)
        # Published while no server held the feeds (through another instance of the service).
        missed = {}
        for name, team in (("busy", busy_team), ("quiet", quiet_team)):
            body = activity(team.members[0])
            response = await seeding.client.post(
                "/v1/activities", json=body, headers=auth(team.members[0].token)
            )
            assert response.status_code == 201, response.text
            missed[name] = body["activity_id"]
        await asyncio.to_thread(reporting.start)
        async with (
            open_feed(http, reporting.url("/v1/feed"), busy_team.rater.token, busy.last_id()) as busy_again,
            open_feed(
                http, reporting.url("/v1/feed"), quiet_team.rater.token, quiet.last_id()
            ) as quiet_again,
        ):
            await arrived(busy_again, [missed["busy"]])
            await arrived(quiet_again, [missed["quiet"]])
    # Feeds held open would keep it for the whole stop budget (12 s); it waits only for the drain,
    # in which clients give up their idle connections (shared.serving).
    assert stopped_in < DRAIN_SECONDS + 2, f"the server took {stopped_in:.1f} s to stop with two feeds open"
    assert (busy.error, quiet.error) == (None, None)  # ended cleanly, not cut mid-stream
    assert_no_errors(reporting.log_since(log_offset))


FEED_READ_FAILURES = "kinerja_reporting_feed_read_failures_total"
