"""A feed notice shows reporting's own times in the region's zone, as the API does; a device's time stays."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.reporting.adapters.live_feed import FeedNotice


def test_reportings_times_move_to_the_zone_and_the_devices_time_stays_as_sent():
    notice = FeedNotice(
        "r-1",
        "head-1",
        "activity.verified",
        {
            "occurred_at": "2026-03-02T09:30:00+07:00",
            "submitted_at": datetime(2026, 3, 2, 2, 31, tzinfo=UTC),
            "reviewed_at": "2026-03-02T03:00:00Z",
        },
    )

    shown = notice.shown_in(ZoneInfo("Asia/Jayapura")).payload

    assert shown["occurred_at"] == "2026-03-02T09:30:00+07:00"
    assert shown["submitted_at"].isoformat() == "2026-03-02T11:31:00+09:00"
    assert shown["reviewed_at"].isoformat() == "2026-03-02T12:00:00+09:00"
    assert notice.payload["reviewed_at"] == "2026-03-02T03:00:00Z"


def test_notices_sharing_a_time_are_shown_as_each_would_be_alone():
    submitted = datetime(2026, 3, 2, 2, 31, tzinfo=UTC)
    notices = [
        FeedNotice("r-1", "head-1", "activity.submitted", {"submitted_at": submitted, "reviewed_at": None}),
        FeedNotice(
            "r-1",
            "head-1",
            "activity.verified",
            {"submitted_at": submitted, "reviewed_at": submitted},
        ),
        FeedNotice("r-1", "head-2", "activity.submitted", {"submitted_at": "2026-03-02T03:00:00Z"}),
    ]
    zone = ZoneInfo("Asia/Jayapura")
    converted: dict[datetime, datetime] = {}

    shown = [notice.shown_in(zone, converted) for notice in notices]

    assert [notice.payload for notice in shown] == [notice.shown_in(zone).payload for notice in notices]
    assert shown[1].payload["reviewed_at"].isoformat() == "2026-03-02T11:31:00+09:00"
    assert len(converted) == 2  # one conversion per distinct time
