"""The live feed relay's pure parts: reading and writing SSE, and a browser that stops reading never
costs more than the relay's queue (its stream ends; it resumes from its last id)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx

from services.web.adapters.feed_relay import FeedRelays, SseEvent, sse_events, sse_message
from services.web.metrics import FEED_RELAYS_ENDED


async def lines_of(text: str) -> AsyncIterator[str]:
    for line in text.split("\n"):
        yield line


async def test_sse_messages_read_as_written() -> None:
    stream = (
        "retry: 3000\nid: 1-0/999999\n: connected\n\n"
        ": keep-alive\n\n"
        'id: 5-0/0\nevent: activity\ndata: {"kind": "activity.submitted"}\n\n'
    )
    events = [event async for event in sse_events(lines_of(stream))]
    assert events == [
        SseEvent(event_id="1-0/999999", retry="3000", comment=True),
        SseEvent(comment=True),
        SseEvent(event_id="5-0/0", event="activity", data=['{"kind": "activity.submitted"}']),
    ]
    html = '<li id="activity-a1">\n  <p>Ani</p>\n</li>'
    written = sse_message(event_id="5-0/0", event="activity", data=html).decode()
    assert written == (
        'id: 5-0/0\nevent: activity\ndata: <li id="activity-a1">\ndata:   <p>Ani</p>\ndata: </li>\n\n'
    )
    [read] = [event async for event in sse_events(lines_of(written))]
    assert "\n".join(read.data) == html


class EndlessFeed(httpx.AsyncByteStream):
    """Reporting with a busy team: an event whenever asked, forever."""

    def __init__(self) -> None:
        self.sent = 0
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            self.sent += 1
            yield f"id: {self.sent}-0/0\nevent: activity\ndata: {{}}\n\n".encode()
            await asyncio.sleep(0)

    async def aclose(self) -> None:
        self.closed = True


async def test_a_browser_that_stops_reading_ends_its_stream_at_the_queue_bound() -> None:
    relays = FeedRelays(queue_size=8)
    upstream_stream = EndlessFeed()
    upstream = httpx.Response(200, stream=upstream_stream)
    before = FEED_RELAYS_ENDED.labels("fell_behind")._value.get()

    async def render(data: str) -> str:
        return "<li>item</li>"

    stream = relays.relay(upstream, render)
    first = await anext(stream)  # the browser reads one message, then reads nothing more
    assert first.startswith(b"id: 1-0/0\nevent: activity\ndata: <li>item</li>")
    await asyncio.sleep(0.2)
    rest = [message async for message in stream]
    # The relay read about a queue's worth, then stopped reading and ended the stream.
    assert rest == []
    assert upstream_stream.sent <= 8 + 3
    assert upstream_stream.closed
    assert relays.open_count == 0
    assert FEED_RELAYS_ENDED.labels("fell_behind")._value.get() == before + 1
