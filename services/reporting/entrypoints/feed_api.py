"""The rater's live team feed (Server-Sent Events)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Header
from fastapi.responses import StreamingResponse

from services.reporting.adapters.live_feed import FeedUnavailable, InvalidEventId
from services.reporting.entrypoints.dependencies import live_feed, reporting_settings
from services.reporting.entrypoints.routing import AsRater, reporting_router
from services.reporting.service_layer.access import employee_of
from shared.auth import Principal
from shared.refusals import Refusal, RefusalKind
from shared.route_work import Context

router = reporting_router()


@router.get(
    "/feed",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "Server-Sent Events."}},
)
async def team_feed(
    context: Context,
    principal: Principal = AsRater,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            max_length=64,
            description="A reconnecting browser's last id, or a list's feed_position: resumes after it.",
        ),
    ] = None,
) -> StreamingResponse:
    """Your team's activity as it arrives (Server-Sent Events). A reconnecting client resumes after
    its last event (the last 1,000 are kept); older gaps are in the history."""
    rater_id = employee_of(principal)
    heartbeat = reporting_settings(context).feed_heartbeat_seconds
    try:
        subscription = await live_feed(context).subscribe(principal.region, rater_id, last_event_id)
    except InvalidEventId:
        raise Refusal(
            "invalid_last_event_id",
            "Last-Event-ID is not an id this feed sent; reconnect without it.",
            field="Last-Event-ID",
        ) from None
    except FeedUnavailable:
        raise Refusal(
            "feed_unavailable",
            "The live feed cannot be read right now; connect again shortly.",
            kind=RefusalKind.UNAVAILABLE,
        ) from None

    async def events() -> AsyncIterator[bytes]:
        try:
            # The starting position as an id (a field without data: no event, but the browser
            # keeps it): a client that loses the stream before its first event resumes from here.
            yield b"retry: 3000\nid: " + subscription.position_id.encode() + b"\n: connected\n\n"
            async for message in subscription.messages(heartbeat_seconds=heartbeat):
                if message is None:
                    # A comment line keeps proxies from closing an idle stream and reveals a gone client.
                    yield b": keep-alive\n\n"
                else:
                    event_id, body = message
                    yield b"id: " + event_id.encode() + b"\nevent: activity\ndata: " + body + b"\n\n"
        finally:
            await subscription.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
