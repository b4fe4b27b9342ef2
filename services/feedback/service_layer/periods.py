"""Selecting rows by period: what is stored under the region's periods, read also by the year."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from services.feedback.domain.periods import parse_period


def in_period(column: ColumnElement[str], period: str) -> ColumnElement[bool]:
    """Rows of a period; a year's are those of the region's periods in it (what is counted by those)."""
    if parse_period(period).is_year:
        return column.like(f"{period}-%")
    return column == period
