"""The activities' primary key leads by the id: ``(activity_id, region_id)``, not the other way.

Every accepted activity descends the key, and under ``(region_id, activity_id)`` each comparison on
the way compared the region first (equal but for a step or two: a region's entries are together),
then found the id behind it (a column after one of variable width is located afresh each time:
``nocache_index_getattr``) and compared that. The id first settles a comparison by itself: the
region is read only between two equal ids, that is never for two activities. A batch's write costs
PostgreSQL 7% fewer instructions (bench/README.md, session 33).

Its uses keep their plans: every look-up names both columns (``ON CONFLICT``, the intake's probe
and resends' look-up by id, one activity's reads and updates), and the intake's ``ORDER BY
activity_id`` is this key's order too. A look-up by id alone (the chaos checks) now descends it.

Built ``CONCURRENTLY`` beside the old key under a building name (reads and writes go on), then,
in one short transaction, the old key dropped and the new index made the key under its name
(``ACCESS EXCLUSIVE`` for an instant: a catalog change, no rebuild). A build that failed half-way
leaves an invalid index under the building name: running the migration again drops it first.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from shared.migrations import rekey_concurrently

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    rekey_concurrently("activities", "pk_activities", "activity_id, region_id")


def downgrade() -> None:
    rekey_concurrently("activities", "pk_activities", "region_id, activity_id")
