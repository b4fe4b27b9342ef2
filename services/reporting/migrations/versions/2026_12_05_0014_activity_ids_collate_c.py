"""The activities' ids compare byte by byte (``COLLATE "C"``): their indexes are rebuilt so.

Every batch item descends the primary key ``(region_id, activity_id)`` twice (the ``ON CONFLICT``
check, then the insert) and ``ix_activities_employee_time`` once, and each comparison of two ids on
the way went through the cluster's locale (``strcoll``): 21.5% of the intake's backends' CPU in a
batch of 500 (bench/README.md, session 21). Under "C" a comparison is a ``memcmp``.

Nothing but the order of ids changes: equality was already byte equality (the collations are
deterministic), and an id is ``^[A-Za-z0-9_-]{8,64}$`` (the API's pattern), ASCII, whose "C" order
is its code points'. The pages (newest first by ``occurred_at``, then ``activity_id``) order and
compare their keyset under the column's collation, so they stay consistent with each other; only
ties of ``occurred_at`` may come in another order than under a linguistic locale (none under
``C.UTF-8``, whose order of ASCII is the code points' as well).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The activities' id columns compared per item by the intake (by its key and its indexes).
ID_COLUMNS = ("activity_id", "employee_id")


def _collate(collation: str) -> None:
    # The type is unchanged, so the table is not rewritten; the indexes on these columns are rebuilt.
    op.execute(
        "ALTER TABLE activities "
        + ", ".join(f'ALTER COLUMN {column} TYPE varchar(64) COLLATE "{collation}"' for column in ID_COLUMNS)
    )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
