"""The dated moves pass wakes just after the earliest next local midnight of the regions it knows."""

from datetime import UTC, datetime

from services.scoring.service_layer.dated_moves import next_midnight


def test_the_next_midnight_is_the_nearest_regions_in_utc() -> None:
    now = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 23:30 in Wanggar (WIT), 21:30 in Jakarta (WIB)
    assert next_midnight(now, {"Asia/Jakarta", "Asia/Jayapura"}) == datetime(2026, 12, 2, 15, tzinfo=UTC)
    assert next_midnight(now, {"Asia/Jakarta"}) == datetime(2026, 12, 2, 17, tzinfo=UTC)


def test_just_past_midnight_the_next_is_a_day_later() -> None:
    now = datetime(2026, 12, 2, 15, 0, 1, tzinfo=UTC)  # 00:00:01 in Wanggar
    assert next_midnight(now, {"Asia/Jayapura"}) == datetime(2026, 12, 3, 15, tzinfo=UTC)


def test_without_regions_there_is_no_midnight_to_wait_for() -> None:
    assert next_midnight(datetime(2026, 12, 2, tzinfo=UTC), set()) is None
