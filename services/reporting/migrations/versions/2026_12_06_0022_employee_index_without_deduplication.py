"""The activities' employee index no longer deduplicates its entries.

A batch inserts an employee's 500 activities into the few leaves of the employee's range of
``ix_activities_employee_time``. When a leaf is full, a B-tree that deduplicates first scans the
whole leaf for equal keys to merge before it splits it, and scans it again each time the merge
made room for a few more. An employee's keys repeat only when two of their activities share the
moment to the microsecond. Without the scans, a batch's write costs PostgreSQL 2% fewer
instructions with keys all different and 5% fewer with the bench's (a phone's queue at whole
minutes before one moment: 38% of its keys repeat; there the index takes a third more pages)
(bench/README.md, session 32). The region's time index keeps merging: many employees of a region
may report the same moment, and its scans cost less than 1%.

Entries merged before stay readable as they are. The storage parameter alone changes: the index
is locked against ``VACUUM`` and other changes of its own for an instant (``SHARE UPDATE
EXCLUSIVE``), never against reads or writes of the table; no rebuild. An index rebuilt later must
keep ``WITH (deduplicate_items = off)``.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_activities_employee_time SET (deduplicate_items = off)")


def downgrade() -> None:
    op.execute("ALTER INDEX ix_activities_employee_time RESET (deduplicate_items)")
