"""The visits' supervisor index keys the visit id too: ``(region_id, supervisor_id, visited_at,
visit_id)``, a rater's page's whole order.

A rater's page reads the visits they logged by this index (reporting's 0020). Keyed to the time
only, the page could not stop after a page's rows: unanalyzed, the planner took every visit of the
rater by bitmap and sorted them (a rater with 2,031 visits: 1,383 buffers, 25 ms a page); keyed in
the page's order, it walks the index backwards from the newest, 13 buffers, 0.13 ms.

Rebuilt without blocking reads or writes (``rebuild_index_concurrently``; deploy/README.md).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from shared.migrations import rebuild_index_concurrently

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_INDEX = "ix_field_visits_supervisor"


def upgrade() -> None:
    rebuild_index_concurrently("field_visits", _INDEX, "region_id, supervisor_id, visited_at, visit_id")


def downgrade() -> None:
    rebuild_index_concurrently("field_visits", _INDEX, "region_id, supervisor_id, visited_at")
