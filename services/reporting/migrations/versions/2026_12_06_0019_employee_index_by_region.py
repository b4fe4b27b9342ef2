"""The activities' employee index keys the region too: ``(employee_id, region_id, occurred_at)``.

An employee's list, a rater's team feed, inbox and one member's list read each employee's rows by
time, and every statement names the region (the tables are shared by regions under row-level
security). Keyed by ``(employee_id, occurred_at)`` the index matched the employee only: on a table
not yet analyzed (one the stream has just filled) the planner costed the region's time index as
selective and ANDed the two bitmaps, reading all of the region's entries for each employee. A
team's page at 400,000 activities in 4 regions read 3,268 buffers (52-122 ms; 1.5 s at 3 M); keyed
by both, 184 (0.9-1.2 ms). It replaces the old index rather than joining it: nothing reads
activities by employee across regions, and every insert pays for each index. The employee leads:
its comparisons settle most steps of an insert's descent, and the inner pages keep it alone, so
the index's upkeep costs less than with the region first (3.6 against 4.0 µs a row, 2.9 before).

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from shared.migrations import rebuild_index_concurrently

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_INDEX = "ix_activities_employee_time"


def upgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "employee_id, region_id, occurred_at")


def downgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "employee_id, occurred_at")
