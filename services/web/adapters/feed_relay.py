"""Relays a rater's live feed from reporting to their browser, as a same-origin Server-Sent Events stream.

EventSource cannot send a bearer token: the web process opens reporting's ``GET /v1/feed`` with the
rater's token (and the browser's ``Last-Event-ID``, so a reconnect resumes where it stopped) and
sends each notice on under reporting's id, its data the item's server-rendered HTML. One reader
task per relay turns upstream events into messages and queues them; a browser that falls
``queue_size`` messages behind has its stream ended (it reconnects with the last id it got, and
reporting resumes from the history it keeps), so a relay never holds more than its queue. A relay
ends when the browser leaves (Starlette cancels the response), when reporting ends the stream, or
when the process stops (``stop_all``, before uvicorn waits for open responses); each end is counted
by reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from services.web.metrics import FEED_RELAY_EVENTS, FEED_RELAYS, FEED_RELAYS_ENDED

log = logging.getLogger(__name__)

#: The browser waits this long before reconnecting when reporting could not be reached.
UNAVAILABLE_RETRY_MS = 10_000


@dataclass
class SseEvent:
    """One message of an SSE stream: a comment (keep-alive) has none of the fields."""

    event_id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    retry: str | None = None
    comment: bool = False


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    """The messages of an SSE stream read line by line (the WHATWG event stream format)."""
    current = SseEvent()
    async for line in lines:
        if line == "":
            if current.event_id is not None or current.data or current.retry is not None or current.comment:
                yield current
            current = SseEvent()
            continue
        if line.startswith(":"):
            current.comment = True
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "id":
            current.event_id = value
        elif name == "event":
            current.event = value
        elif name == "data":
            current.data.append(value)
        elif name == "retry":
            current.retry = value


def sse_message(
    *,
    event_id: str | None = None,
    event: str | None = None,
    data: str | None = None,
    retry: str | None = None,
) -> bytes:
    """An SSE message; multi-line data (HTML) becomes one ``data:`` line per line."""
    lines = []
    if retry is not None:
        lines.append(f"retry: {retry}")
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if event is not None:
        lines.append(f"event: {event}")
    if data is not None:
        lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()


KEEP_ALIVE = b": keep-alive\n\n"

#: Turns an upstream event's data (reporting's notice, JSON) into the data sent on (HTML).
Render = Callable[[str], Awaitable[str]]


@dataclass(eq=False)
class _Relay:
    """One browser's relay: its bounded queue (plus room for the end marker) and why it ended."""

    queue_size: int
    queue: asyncio.Queue[bytes | None] = field(init=False)
    reason: str | None = None

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size + 1)

    def offer(self, message: bytes) -> bool:
        """Queue a message; False (and the relay ends) when the browser is a whole queue behind."""
        if self.reason is not None:
            return False
        if self.queue.qsize() >= self.queue_size:
            self.end("fell_behind")
            return False
        self.queue.put_nowait(message)
        return True

    def end(self, reason: str) -> None:
        """End the stream now: what is queued is dropped (the browser resumes from its last id)."""
        if self.reason is not None:
            return
        self.reason = reason
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)


class FeedRelays:
    """Every open relay of the process, so stopping the process ends them all."""

    def __init__(self, *, queue_size: int) -> None:
        self.queue_size = queue_size
        self._open: set[_Relay] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def open_count(self) -> int:
        """Relays open now."""
        return len(self._open)

    def stop_all(self) -> None:
        """End every open relay (safe from a signal handler: runs on the relays' event loop)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._end_all, "server_stopping")

    def _end_all(self, reason: str) -> None:
        for relay in list(self._open):
            relay.end(reason)

    async def relay(
        self, upstream: httpx.Response, render: Render, *, event_name: str = "activity"
    ) -> AsyncIterator[bytes]:
        """The browser's stream: reporting's events of ``event_name`` rendered, its ids and keep-alives."""
        self._loop = asyncio.get_running_loop()
        relay = _Relay(self.queue_size)
        self._open.add(relay)
        FEED_RELAYS.inc()
        reader = asyncio.create_task(self._read(upstream, render, relay, event_name))
        try:
            while (message := await relay.queue.get()) is not None:
                yield message
                FEED_RELAY_EVENTS.inc()
        finally:
            # Cancelled without an end reason: Starlette saw the browser leave.
            reason = relay.reason or "client_left"
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            await upstream.aclose()
            self._open.discard(relay)
            FEED_RELAYS.dec()
            FEED_RELAYS_ENDED.labels(reason).inc()

    @staticmethod
    async def _read(upstream: httpx.Response, render: Render, relay: _Relay, event_name: str) -> None:
        try:
            async for event in sse_events(upstream.aiter_lines()):
                if event.event == event_name and event.data:
                    html = await render("\n".join(event.data))
                    message = sse_message(event_id=event.event_id, event=event_name, data=html)
                elif event.event_id is not None or event.retry is not None:
                    # A position without an event (the stream's first message): the browser keeps it.
                    message = sse_message(event_id=event.event_id, retry=event.retry)
                else:
                    message = KEEP_ALIVE
                if not relay.offer(message):
                    return
            relay.end("upstream_ended")
        except httpx.HTTPError as exc:
            log.info("live feed upstream ended", extra={"fields": {"error": repr(exc)[:200]}})
            relay.end("upstream_ended")
        except Exception:
            log.exception("live feed relay failed")
            relay.end("upstream_ended")


def unavailable_stream() -> AsyncIterator[bytes]:
    """What a browser gets when reporting cannot open the feed: come back in a while (EventSource
    gives up for good on an error status, so this is a 200 that only sets the retry)."""

    async def once() -> AsyncIterator[bytes]:
        FEED_RELAYS_ENDED.labels("upstream_unavailable").inc()
        yield sse_message(retry=str(UNAVAILABLE_RETRY_MS))

    return once()
