"""A device's own time: the instant it sent, shown again with the UTC offset it was sent with.

The database keeps instants (``timestamptz``) and forgets the offset, so the offset is stored
beside them, in minutes east of UTC; rows stored before it was kept have none and read in UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def utc_offset_minutes(sent: datetime) -> int:
    """The offset an aware datetime was sent with, in minutes east of UTC."""
    offset = sent.utcoffset()
    if offset is None:
        raise ValueError("a device's time carries its UTC offset")
    return int(offset.total_seconds() // 60)


def as_sent(instant: datetime, offset_minutes: int | None) -> datetime:
    """The stored instant with the offset the device sent (unchanged when none was kept)."""
    if offset_minutes is None:
        return instant
    return instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
