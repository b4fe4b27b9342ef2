"""An evidence file's activity id compares as the activity's does (``COLLATE "C"``, as 0014 made it).

The reads find an activity's evidence by ``activity_evidence.activity_id = activities.activity_id``
(its count, its hashes, whether a file is attached). Since 0014 that comparison is made under "C",
the activities' collation, and an index of another collation cannot serve it: the primary key
``(region_id, activity_id, sha256)`` would have been searched by the region alone, every evidence
row of the region read for each activity. Rebuilt under "C", it serves the comparison again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _collate(collation: str) -> None:
    # The type is unchanged, so the table is not rewritten; its primary key is rebuilt.
    op.execute(
        f'ALTER TABLE activity_evidence ALTER COLUMN activity_id TYPE varchar(64) COLLATE "{collation}"'
    )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
