"""Working-day clock: weekends, holidays, timezones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.feedback.domain.calendar import WIB, WIT, WITA, WorkingCalendar
from shared.refusals import Refusal

JAKARTA = ZoneInfo(WIB)
PLAIN = WorkingCalendar()


def wib(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA)


def end_of(day: date, zone: str = WIB) -> datetime:
    return datetime.combine(day, time.max, tzinfo=ZoneInfo(zone))


def test_weekends_and_holidays_are_not_working_days() -> None:
    calendar = WorkingCalendar(holidays=frozenset({date(2025, 1, 1)}))

    assert calendar.is_working_day(date(2025, 1, 2))  # Thursday
    assert not calendar.is_working_day(date(2025, 1, 1))  # New Year, a Wednesday
    assert not calendar.is_working_day(date(2025, 1, 4))  # Saturday
    assert not calendar.is_working_day(date(2025, 1, 5))  # Sunday


def test_deadline_is_end_of_nth_working_day_after_the_start_day() -> None:
    # Monday 6 Jan 15:00 + 3 working days: Tue 1, Wed 2, Thu 3.
    assert PLAIN.add_working_days(wib(2025, 1, 6, 15), 3) == end_of(date(2025, 1, 9))


def test_deadline_skips_the_weekend() -> None:
    # Thursday 9 Jan + 3: Fri 1, Mon 2, Tue 3.
    assert PLAIN.add_working_days(wib(2025, 1, 9), 3) == end_of(date(2025, 1, 14))


def test_submission_on_a_weekend_starts_counting_on_the_next_working_day() -> None:
    saturday, sunday, friday = wib(2025, 1, 11), wib(2025, 1, 12), wib(2025, 1, 10)

    assert PLAIN.add_working_days(saturday, 1) == end_of(date(2025, 1, 13))
    assert PLAIN.add_working_days(sunday, 1) == end_of(date(2025, 1, 13))
    assert PLAIN.add_working_days(friday, 1) == end_of(date(2025, 1, 13))


def test_submission_on_a_holiday_starts_counting_on_the_next_working_day() -> None:
    calendar = WorkingCalendar(holidays=frozenset({date(2025, 1, 1)}))

    assert calendar.add_working_days(wib(2025, 1, 1), 1) == end_of(date(2025, 1, 2))


def test_long_weekend_of_holidays_and_collective_leave_is_skipped() -> None:
    # Isra Mi'raj Mon 27 Jan, collective leave Tue 28, Chinese New Year Wed 29 (2025):
    # Friday 24 Jan + 3 working days -> Thu 30 (1), Fri 31 (2), Mon 3 Feb (3).
    calendar = WorkingCalendar(holidays=frozenset({date(2025, 1, 27), date(2025, 1, 28), date(2025, 1, 29)}))

    assert calendar.add_working_days(wib(2025, 1, 24, 16), 3) == end_of(date(2025, 2, 3))
    assert calendar.working_days_between(wib(2025, 1, 24), wib(2025, 2, 3)) == 3


def test_eid_break_of_eleven_days_is_skipped() -> None:
    # A region's Lebaran 2025: Fri 28 Mar to Mon 7 Apr off (holidays, collective leave, weekends).
    lebaran = frozenset(date(2025, 3, 28) + timedelta(days=offset) for offset in range(11))
    calendar = WorkingCalendar(holidays=lebaran)

    assert calendar.add_working_days(wib(2025, 3, 27), 3) == end_of(date(2025, 4, 10))


def test_zero_working_days_is_the_end_of_the_start_day() -> None:
    assert PLAIN.add_working_days(wib(2025, 1, 6, 8), 0) == end_of(date(2025, 1, 6))


def test_the_local_day_is_taken_in_the_regions_timezone() -> None:
    # 16:30 UTC Monday is 23:30 Monday in Jakarta (WIB) but 00:30 Tuesday in Makassar (WITA).
    instant = datetime(2025, 1, 6, 16, 30, tzinfo=UTC)

    assert PLAIN.add_working_days(instant, 1) == end_of(date(2025, 1, 7))
    assert WorkingCalendar(timezone=WITA).add_working_days(instant, 1) == end_of(date(2025, 1, 8), WITA)
    assert WorkingCalendar(timezone=WIT).local_date(instant) == date(2025, 1, 7)


def test_a_region_may_configure_its_weekend() -> None:
    six_day_week = WorkingCalendar(weekend_days=frozenset({6}))

    assert six_day_week.is_working_day(date(2025, 1, 11))  # Saturday
    assert six_day_week.add_working_days(wib(2025, 1, 10), 1) == end_of(date(2025, 1, 11))


def test_working_days_between_counts_days_after_start_up_to_and_including_end() -> None:
    assert PLAIN.working_days_between(wib(2025, 1, 6), wib(2025, 1, 6, 23)) == 0
    assert PLAIN.working_days_between(wib(2025, 1, 6), wib(2025, 1, 13)) == 5
    assert PLAIN.working_days_between(wib(2025, 1, 13), wib(2025, 1, 6)) == -5


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(Refusal) as raised:
        PLAIN.add_working_days(datetime(2025, 1, 6, 10), 1)

    assert raised.value.code == "feedback.naive_datetime"


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(Refusal):
        PLAIN.add_working_days(wib(2025, 1, 6), -1)


@pytest.mark.parametrize(
    "settings",
    [
        {"timezone": "Asia/Atlantis"},
        {"weekend_days": frozenset(range(7))},
        {"weekend_days": frozenset({7})},
    ],
)
def test_invalid_calendar_configuration_is_refused(settings: dict[str, object]) -> None:
    with pytest.raises(Refusal):
        WorkingCalendar(**settings)  # type: ignore[arg-type]


@given(
    start=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(JAKARTA)
    ),
    working_days=st.integers(min_value=0, max_value=80),
    holidays=st.frozensets(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30)), max_size=40),
)
def test_working_days_between_start_and_deadline_is_the_number_added(
    start: datetime, working_days: int, holidays: frozenset[date]
) -> None:
    calendar = WorkingCalendar(holidays=holidays)

    deadline = calendar.add_working_days(start, working_days)

    assert calendar.working_days_between(start, deadline) == working_days
    assert working_days == 0 or calendar.is_working_day(deadline.date())
