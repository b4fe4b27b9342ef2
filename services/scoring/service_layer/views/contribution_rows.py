"""A contributions row as a batch holds it: a plain tuple of the table's columns, in the table's order.

The batch builds an activity's row once a change (``stored_row``); the rows it touches, its deltas
and the statement's JSON read that tuple by position, and a stored row read back (``SELECT`` of
the table) is one as it is. A dict of the twenty-one names was built for every change, then read
name by name again for the JSON (callgrind of ``apply_changes``, session 27: 84,866 -> 71,547
instructions an event).
"""

from __future__ import annotations

from typing import Any

from services.scoring.adapters.tables import contributions

#: The contributions table's columns, in its order: a row's values are in this order.
CONTRIBUTION_COLUMNS: tuple[str, ...] = tuple(column.name for column in contributions.c)

#: One activity's contributions row: its values in the order of ``CONTRIBUTION_COLUMNS``.
ContributionRow = tuple[Any, ...]

#: The positions of the columns in a row, named as the columns (tests/unit/scoring/
#: test_stored_row_periods.py holds each name to its column's).
(
    ACTIVITY_ID,
    REGION_ID,
    EMPLOYEE_ID,
    INDICATOR_ID,
    RESULT_ID,
    PERIOD,
    YEAR,
    OCCURRED_AT,
    OCCURRED_UTC_OFFSET,
    QUANTITY,
    DENOMINATOR,
    REPORTED,
    STATUS,
    MEASURE_STAMP_AT,
    MEASURE_STAMP_ID,
    MEASURE_CORRECTED,
    STATUS_STAMP_AT,
    STATUS_STAMP_ID,
    EVIDENCE_SHA256,
    LAST_EVENT_ID,
    UPDATED_AT,
) = range(len(CONTRIBUTION_COLUMNS))
