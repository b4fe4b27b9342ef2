"""Keyset pagination of reporting's histories: newest first, one page at a time, behind a cursor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.domain.cursor import InvalidCursor, decode_cursor, encode_cursor
from shared.refusals import Refusal


async def newest_first(
    session: AsyncSession,
    query: Select[Any],
    *,
    at: ColumnElement[datetime],
    key: ColumnElement[str],
    cursor: str | None,
    limit: int,
) -> tuple[Sequence[Row[Any]], str | None]:
    """One page of the query's rows by (``at``, ``key``) descending, from just after the cursor,
    and the cursor of the next page (None on the last one).

    A cursor this service did not produce is a 422 ``invalid_cursor``.
    """
    if cursor is not None:
        try:
            after = decode_cursor(cursor)
        except InvalidCursor as exc:
            raise Refusal("invalid_cursor", "The cursor is not valid.", field="cursor") from exc
        query = query.where(tuple_(at, key) < after)
    # One row more than a page tells whether another page follows.
    rows = (await session.execute(query.order_by(at.desc(), key.desc()).limit(limit + 1))).all()
    page = rows[:limit]
    if len(rows) <= limit:
        return page, None
    last = page[-1]._mapping
    return page, encode_cursor(last[at], last[key])
