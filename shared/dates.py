"""Calendar dates callers may send: inside one sane window, the same for every API of the platform.

A date far outside the years the platform serves is a typing slip (9999-12-31, 0001-01-01) that
would otherwise be stored and then decide what is "current" for years. The window runs from
``earliest_date`` (2000-01-01 by default) to ``latest_date_years_ahead`` years after today (10 by
default), both settings (``KINERJA_EARLIEST_DATE``, ``KINERJA_LATEST_DATE_YEARS_AHEAD``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, WithJsonSchema
from pydantic_core import TzInfo

from shared.i18n import refusal_message
from shared.refusals import Refusal
from shared.region_time import device_zone, utc_offset_minutes
from shared.validation import invalid


@dataclass(frozen=True, slots=True)
class DateWindow:
    """The dates the platform accepts."""

    earliest: date = date(2000, 1, 1)
    years_ahead: int = 10

    def latest(self, today: date) -> date:
        """The last accepted date, counted from today."""
        return date(today.year + self.years_ahead, 12, 31)

    def refusal(self, value: date, today: date) -> Refusal | None:
        """Why a date is outside the window; None when it is inside."""
        latest = self.latest(today)
        if self.earliest <= value <= latest:
            return None
        return Refusal(
            "outside_date_window",
            "%(value)s is outside %(earliest)s .. %(latest)s",
            params={
                "value": value.isoformat(),
                "earliest": self.earliest.isoformat(),
                "latest": latest.isoformat(),
            },
        )

    def refusal_today(self, value: date) -> Refusal | None:
        """Why a date is outside the window counted from today (the UTC day); None inside it."""
        return self.refusal(value, datetime.now(UTC).date())


_window = DateWindow()


def configure_date_window(window: DateWindow) -> None:
    """Set the process's window from its settings (at start-up, before serving requests)."""
    global _window
    _window = window


def date_window() -> DateWindow:
    """The process's window."""
    return _window


#: The process's window, the span of the UTC year it was worked out in (``time.time()`` from its
#: first moment to the next year's) and the last date it accepts in that year.
_latest_of_year: tuple[DateWindow, float, float, date] | None = None
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def _latest_in_year(window: DateWindow, now: float) -> tuple[DateWindow, float, float, date]:
    """The window's last date in the UTC year of ``now`` (``time.time()``), kept with that year's
    span: the last date moves only when the year does, so a value asks the clock alone, not today's
    date and its bound (a batch of 500 activities did, ~1 µs a value: bench/README.md, session 20)."""
    global _latest_of_year
    first = date(date.fromordinal(_EPOCH_ORDINAL + int(now // 86_400)).year, 1, 1)
    next_first = first.replace(year=first.year + 1)
    _latest_of_year = (window, _seconds(first), _seconds(next_first), window.latest(first))
    return _latest_of_year


def _seconds(day: date) -> float:
    """``time.time()`` at the day's first moment (UTC)."""
    return (day.toordinal() - _EPOCH_ORDINAL) * 86_400.0


def _latest_now(window: DateWindow) -> tuple[DateWindow, float, float, date]:
    """``_latest_in_year``'s of the clock's UTC year, worked out again only when the year or the
    window moved."""
    known = _latest_of_year
    now = time.time()
    if known is None or known[0] is not window or not known[1] <= now < known[2]:
        known = _latest_in_year(window, now)
    return known


def years_inside_window() -> tuple[int, int]:
    """The first and last years whose every day is inside the window now: a time of those years (its
    day as sent) is inside it without a date made and compared (a batch reads the clock once for
    its items, not once an item; ``services.reporting.entrypoints.schemas``). Exact for the last
    year (the window ends on 31 December); the first is the earliest date's if that is 1 January."""
    window = _window
    earliest = window.earliest
    first = earliest.year if (earliest.month, earliest.day) == (1, 1) else earliest.year + 1
    return first, _latest_now(window)[3].year


def _check(value: date) -> date:
    window = _window
    if window.earliest <= value <= _latest_now(window)[3]:
        return value
    refusal = window.refusal_today(value)
    if refusal is not None:
        raise invalid(refusal_message(refusal, "en"), refusal_message(refusal, "id"))
    return value


#: pydantic's zone of a time it parsed (a ``TzInfo`` each time, equal by offset), by its hash -> the
#: standard library's zone of that offset (``_standard_zone``; one an offset, at most 2,879 of whole
#: minutes). By the ``TzInfo``'s hash, which pydantic works out from the offset alone and which tells
#: apart every offset it reads (``_zone_hashes_tell_offsets``): the offset itself, a ``timedelta``
#: made by a call and hashed through a tuple of its fields, cost ~780 instructions a time more
#: (callgrind, session 37); two ``TzInfo`` compare through Python calls (~1,200 more).
_ZONES: dict[int, tzinfo] = {}
_combine = datetime.combine


def _zone_hashes_tell_offsets() -> None:
    """Raise unless ``TzInfo``'s hash is one for equal offsets and another for every other offset
    pydantic reads (whole minutes, under a day either way): ``_ZONES`` finds a zone by it. Two
    ``TzInfo`` of each offset alive at once: a hash of the object (its address) would differ."""
    offsets = range(-1439 * 60, 1440 * 60, 60)
    zones, again = [TzInfo(seconds) for seconds in offsets], [TzInfo(seconds) for seconds in offsets]
    hashes = [hash(zone) for zone in zones]
    if len(set(hashes)) != len(hashes) or hashes != [hash(zone) for zone in again]:
        raise RuntimeError("pydantic's TzInfo hash no longer tells offsets apart: key _ZONES by the offset")


_zone_hashes_tell_offsets()


def standard_zones() -> Mapping[int, tzinfo]:
    """The standard library's zone of each offset ``in_standard_zone`` met, by the hash of pydantic's
    zone of a time (``hash(time.tzinfo)``, a ``TzInfo``'s: every time read from JSON has one): a
    loop over many times looks each one's up itself, ``in_standard_zone`` called for an offset not
    in it. The module's own dict, typed read-only (mypy refuses a write; a copy or a proxy would cost
    the loop a call): only ``in_standard_zone`` adds to it, an offset it checked."""
    return _ZONES


def _check_instant(value: datetime) -> datetime:
    """The time inside the window, in the standard library's zone of its offset when pydantic made
    its own: each later use of a ``TzInfo`` asks it for the offset from Python (a comparison,
    ``utcoffset``, JSON, the driver's encoding), and a time compared with another in the very same
    zone (the rules' moment as sent, ``device_zone``) skips the offsets altogether. The same
    instant and offset: every answer, message and stored value shows it alike."""
    _check(value.date())
    return in_standard_zone(value)


def in_standard_zone(value: datetime) -> datetime:
    """The time in the standard library's zone of its offset when pydantic made its own
    (``_check_instant``'s, without the window: a batch checks it for its items at once)."""
    zone = value.tzinfo
    if type(zone) is TzInfo:
        standard = _ZONES.get(hash(zone))
        if standard is None:  # an offset not seen yet: kept only once it is one a zone has
            _check_offset(zone.utcoffset(None))
            standard = _ZONES[hash(zone)] = _standard_zone(value, zone)
        return _combine(value, value.time(), standard)
    _check_offset(value.utcoffset())
    return value


#: The UTC offsets of the world's time zones, from Baker Island's to Kiribati's Line Islands'.
_OFFSETS = (timedelta(hours=-12), timedelta(hours=14))


def _check_offset(offset: timedelta | None) -> None:
    """Refuse an offset no zone has. pydantic reads any up to 23:59, PostgreSQL none beyond 15:59
    (the intake sends the time as text): a phone's +23:59 failed the whole batch it came in with
    422 unstorable_value, naming no field nor item."""
    if offset is not None and not _OFFSETS[0] <= offset <= _OFFSETS[1]:
        shown = _offset_text(offset)
        raise invalid(
            f"the UTC offset {shown} is outside -12:00 .. +14:00 (no time zone has it)",
            f"offset UTC {shown} di luar -12:00 .. +14:00 (tidak ada zona waktu dengan offset itu)",
        )


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    hours, rest = divmod(abs(minutes), 60)
    return f"{'-' if minutes < 0 else '+'}{hours:02d}:{rest:02d}"


def _standard_zone(value: datetime, parsed: TzInfo) -> tzinfo:
    """``device_zone``'s of the time's offset; pydantic's own for an offset with seconds (pydantic
    reads offsets in whole minutes: none yet)."""
    zone = device_zone(utc_offset_minutes(value))
    return zone if zone.utcoffset(None) == value.utcoffset() else parsed


_WINDOW = (
    "inside the platform's window: from KINERJA_EARLIEST_DATE (2000-01-01 by default) to the end of "
    "the year KINERJA_LATEST_DATE_YEARS_AHEAD (10 by default) years from now."
)

#: A date a caller sends (body, query or path): refused with 422 outside the window.
BoundedDate = Annotated[
    date,
    AfterValidator(_check),
    WithJsonSchema(
        {"type": "string", "format": "date", "description": f"A date {_WINDOW}", "x-date-window": True}
    ),
]

#: A time a caller sends, with its UTC offset (one a time zone has), on a day inside the same window.
BoundedInstant = Annotated[
    AwareDatetime,
    AfterValidator(_check_instant),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": f"A time with its UTC offset (-12:00 to +14:00), on a day {_WINDOW}",
            "x-date-window": True,
        }
    ),
]
