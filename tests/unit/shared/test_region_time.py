"""Answers show the platform's times in the region's zone and a device's times as it sent them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared.region_time import DeviceTime, as_sent, in_zone, shown_in, utc_offset_minutes

WIT = ZoneInfo("Asia/Jayapura")
WIB = timezone(timedelta(hours=7))
DECIDED = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # 1 April 08:30 in Wanggar
SENT = datetime(2026, 3, 31, 20, 0, tzinfo=WIB)


class Visit(BaseModel):
    visited_at: DeviceTime
    logged_at: datetime | None = None


class Activity(BaseModel):
    occurred_at: DeviceTime | None
    decided_at: datetime
    visits: list[Visit] = []
    note: str = "-"


def test_the_platforms_times_move_to_the_zone_and_a_devices_stay_as_sent() -> None:
    answer = Activity(
        occurred_at=SENT, decided_at=DECIDED, visits=[Visit(visited_at=SENT, logged_at=DECIDED)]
    )

    shown = shown_in(answer, WIT)

    assert shown.decided_at.isoformat() == "2026-04-01T08:30:00+09:00"
    assert shown.visits[0].logged_at is not None
    assert shown.visits[0].logged_at.isoformat() == "2026-04-01T08:30:00+09:00"
    assert shown.occurred_at is not None
    assert shown.occurred_at.isoformat() == "2026-03-31T20:00:00+07:00"
    assert shown.visits[0].visited_at.isoformat() == "2026-03-31T20:00:00+07:00"
    assert shown == answer  # the same instants, only shown otherwise
    assert answer.decided_at.tzinfo is UTC  # the original is left as it was


def test_a_list_of_answers_and_missing_times_are_shown_alike() -> None:
    answers = [Activity(occurred_at=None, decided_at=DECIDED), Visit(visited_at=SENT)]

    shown = shown_in(answers, WIT)

    assert [item.model_dump(mode="json") for item in shown] == [
        {"occurred_at": None, "decided_at": "2026-04-01T08:30:00+09:00", "visits": [], "note": "-"},
        {"visited_at": "2026-03-31T20:00:00+07:00", "logged_at": None},
    ]


def test_an_answer_without_times_is_returned_as_it_is() -> None:
    answer = Visit(visited_at=SENT)

    assert shown_in(answer, WIT) is answer


def test_a_devices_offset_is_kept_in_minutes_and_put_back() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    sent = datetime(2026, 5, 1, 9, 0, tzinfo=india)
    stored = sent.astimezone(UTC)  # what timestamptz gives back

    assert utc_offset_minutes(sent) == 330
    assert as_sent(stored, 330).isoformat() == "2026-05-01T09:00:00+05:30"
    assert as_sent(stored, None) is stored  # rows kept before offsets were stored read in UTC
    assert in_zone(stored, WIT).isoformat() == "2026-05-01T12:30:00+09:00"
    assert in_zone(None, WIT) is None


class RankingEntry(BaseModel):
    rank: int
    employee_id: str
    achievement: Decimal | None
    kind: Literal["a", "b"] = "a"


class Board(BaseModel):
    decided_at: datetime
    ranking: list[RankingEntry]
    counts: dict[str, int] = {}


class Untouchable(list[RankingEntry]):
    """A list that fails when walked: what a field that cannot hold a time must never be."""

    def __iter__(self) -> Iterator[RankingEntry]:
        raise AssertionError("a field that cannot hold a time was walked")


def test_fields_that_cannot_hold_a_time_are_never_walked() -> None:
    ranking = Untouchable([RankingEntry(rank=1, employee_id="e1", achievement=Decimal("98.5"))])
    board = Board.model_construct(decided_at=DECIDED, ranking=ranking, counts={"A": 1})

    shown = shown_in(board, WIT)

    assert shown.decided_at.isoformat() == "2026-04-01T08:30:00+09:00"
    assert shown.ranking is ranking


class Node(BaseModel):
    name: str
    children: list[Node] = []
    logged_at: datetime | None = None


class Holder(BaseModel):
    anything: Any = None
    day: date | None = None
    by_name: dict[str, Node] = {}
    either: Annotated[RankingEntry | Node | None, "note"] = None


def test_times_anywhere_a_type_allows_one_are_still_shown() -> None:
    deep = Node(name="root", children=[Node(name="leaf", children=[Node(name="deeper", logged_at=DECIDED)])])
    holder = Holder.model_construct(anything=DECIDED, day=DECIDED, by_name={"n": deep}, either=deep)

    shown = shown_in(holder, WIT)

    wanggar = "2026-04-01T08:30:00+09:00"
    assert shown.anything.isoformat() == wanggar
    assert shown.day is not None
    assert shown.day.isoformat() == wanggar
    assert shown.by_name["n"].children[0].children[0].logged_at.isoformat() == wanggar  # type: ignore[union-attr]
    assert isinstance(shown.either, Node)
    assert shown.either.children[0].children[0].logged_at.isoformat() == wanggar  # type: ignore[union-attr]
