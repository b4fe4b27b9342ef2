"""The contributions' primary key leads by the activity's id: ``(activity_id, region_id)``.

Every activity event descends the key (the batch's locked read, then the insert of a new activity
with its uniqueness check, or the update of a stored one), and under ``(region_id, activity_id)``
each comparison on the way compared the region first (equal but for a step or two: a region's
entries are together), then found the id behind it (a column after one of variable width is
located afresh each time: ``nocache_index_getattr``) and compared that. The id first settles a
comparison by itself. An inserted contributions row costs PostgreSQL 97.7k -> 86.6k instructions
(callgrind on the backend, the replay's insert statement, 200,000 rows stored; bench/README.md,
session 34); reporting's activities took the same order in its migration 0023.

Its uses keep their plans: every look-up names both columns (the batch's locked read, ``ON
CONFLICT (region_id, activity_id)``, which infers the key by its columns whatever their order),
and nothing reads the key for a region's rows alone or in its order.

Built ``CONCURRENTLY`` beside the old key under a building name (reads and writes go on), then,
in one short transaction, the old key dropped and the new index made the key under its name
(``ACCESS EXCLUSIVE`` for an instant: a catalog change, no rebuild). A build that failed half-way
leaves an invalid index under the building name: running the migration again drops it first.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from shared.migrations import rekey_concurrently

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rekey_concurrently("contributions", "pk_contributions", "activity_id, region_id")


def downgrade() -> None:
    rekey_concurrently("contributions", "pk_contributions", "region_id, activity_id")
