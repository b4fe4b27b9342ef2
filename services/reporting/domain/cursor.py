"""Opaque cursors for keyset pagination: the sort key of the last row seen, never an offset."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson


class InvalidCursor(ValueError):
    """The cursor was not produced by this service (or was altered)."""


def encode_cursor(at: datetime, key: str) -> str:
    """A URL-safe cursor pointing just after the row (``at``, ``key``) in newest-first order."""
    raw = orjson.dumps([at.isoformat(), key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, key) a cursor points after; ``InvalidCursor`` if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, key = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(at)
    except (binascii.Error, orjson.JSONDecodeError, ValueError, TypeError) as exc:
        raise InvalidCursor(cursor) from exc
    if parsed.tzinfo is None or not isinstance(key, str):
        raise InvalidCursor(cursor)
    return parsed, key
