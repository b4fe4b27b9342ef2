"""The activities' employee index keys ``(employee_id, occurred_at, region_id)``: the region last.

A batch inserts one employee's activities, and every comparison of its descents below the inner
pages meets that employee's entries: under ``(employee_id, region_id, occurred_at)`` each one
located the region behind the employee's id (a column after one of variable width is found afresh
each time: ``nocache_index_getattr``) and compared it, equal (an employee's rows are all of its
region), before the time. With the time second, the region is read only between two of the
employee's entries of one moment. A batch's write costs PostgreSQL 4%
fewer instructions (bench/README.md, session 33).

The region stays in the key for what 0019 put it there: every page's statement names region and
employee, and the index's condition holds both, so on a table not yet analyzed the planner does not
AND the region's time index with it (test_reporting_pages_plan). Its order by time is the pages'.
Still without deduplication (0022).

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from shared.migrations import rebuild_index_concurrently

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_INDEX = "ix_activities_employee_time"
_STORAGE = "deduplicate_items = off"


def upgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "employee_id, occurred_at, region_id", _STORAGE)


def downgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "employee_id, region_id, occurred_at", _STORAGE)
