"""The activities' region index keys a region's rows by time alone, not by time and id.

``ix_activities_region_time`` serves the pages of a region's readers (HR, auditors) and of raters,
newest first by ``(occurred_at, activity_id)``. Every inserted activity descends it, and its third
key column, the client's id (32 bytes and more), made its entries twice as wide: twice the pages,
page splits and WAL. Keyed by ``(region_id, occurred_at)`` it is half the size (246 -> 116 MB at
3 M activities) and an intake's group costs PostgreSQL less (bench/README.md, session 23). The
pages keep their plans: the index gives the rows by time, an incremental sort orders the rare ties
by id, and a cursor's ``(occurred_at, activity_id) <`` is searched as ``occurred_at <=``.

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from shared.migrations import rebuild_index_concurrently

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_INDEX = "ix_activities_region_time"


def upgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "region_id, occurred_at")


def downgrade() -> None:
    rebuild_index_concurrently("activities", _INDEX, "region_id, occurred_at, activity_id")
