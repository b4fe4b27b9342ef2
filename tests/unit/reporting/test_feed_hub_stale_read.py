"""A hub's read that went out before a team was followed again from an earlier entry hands over
nothing of that team: the next read, from the new subscriber's position, brings every entry."""

from __future__ import annotations

import asyncio

from services.reporting.adapters.feed_hub import ALL_SEEN, StreamHub, TeamSubscription

KEY = "team"


async def test_a_read_from_before_a_team_was_followed_again_skips_nothing_in_between() -> None:
    loop = asyncio.get_running_loop()
    hub = StreamHub(None, loop)  # type: ignore[arg-type]  # nothing here talks to Redis
    read_out = hub._reader = loop.create_task(asyncio.sleep(3600))  # a read is out (answered below)
    left = TeamSubscription(hub, None, KEY, (b"3-0", ALL_SEEN))  # type: ignore[arg-type]
    hub._read_from = {KEY.encode(): hub.register(left, KEY, b"3-0")}  # what the read asked for
    hub.unregister(left, KEY)  # the phone left while the read was out...
    resumed = TeamSubscription(hub, None, KEY, (b"1-0", ALL_SEEN))  # type: ignore[arg-type]
    assert hub.register(resumed, KEY, b"1-0") == b"1-0"  # ...and came back after entry 1-0

    hub._hand_over([(KEY.encode(), [(b"4-0", {b"m": b'{"n":4}'})])])

    assert resumed._arrived.empty()  # 2-0 and 3-0 come first, with 4-0, in the next read
    assert hub._cursors[KEY] == b"1-0"
    read_out.cancel()
