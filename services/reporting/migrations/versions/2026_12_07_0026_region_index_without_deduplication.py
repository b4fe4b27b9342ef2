"""The activities' region index no longer deduplicates its entries.

A batch inserts its activities across the region's last hours of ``ix_activities_region_time``.
When a leaf is full, a B-tree that deduplicates first scans the whole leaf for equal keys to merge
before it splits it, and scans it again each time the merge made room for a few more (0022 turned
it off on the employee index for the same reason). A batch's write costs PostgreSQL 2.9% fewer
instructions with the bench's times (a phone's queue at whole minutes before one moment) and 1.3%
with times all different, which no merge shrinks (the same pages; session 37); 1.1% with times at
whole minutes. The space is the price where times repeat: the index takes 38% more pages with the
bench's times and 125% more (2.3 times) where a region's activities share their minutes, ~4 a
minute (bench/README.md, session 34).

Entries merged before stay readable as they are. The storage parameter alone changes: the index
is locked against ``VACUUM`` and other changes of its own for an instant (``SHARE UPDATE
EXCLUSIVE``), never against reads or writes of the table; no rebuild. An index rebuilt later must
keep ``WITH (deduplicate_items = off)``.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_activities_region_time SET (deduplicate_items = off)")


def downgrade() -> None:
    op.execute("ALTER INDEX ix_activities_region_time RESET (deduplicate_items)")
