"""A unit rollup keeps its ranking as the unit dashboard answers it, written when it is recomputed.

The dashboard wrote the answer's ranking (400 entries, ~40 KiB, in the benchmark) from the
rollup's JSONB on every read: 0.6-0.8 ms of its backend's 1.0-1.3 ms (session 13). The rollup's
recomputation now writes it once (``ranking_json``: ``RankingEntry``'s fields in order, compact);
the JSONB ranking stays, with each entry's rater, for a rater's own team. Rows already stored get
theirs from their JSONB here, as the dashboard wrote it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: The answer's ranking written from the stored entries, as the dashboard's statement wrote it.
_FROM_ENTRIES = """
UPDATE unit_rollups r SET ranking_json = (
    SELECT '[' || coalesce(string_agg('{' || '"rank":' || (e -> 'rank')::text
               || ',"employee_id":' || (e -> 'employee_id')::text
               || ',"job_type":' || (e -> 'job_type')::text
               || ',"predicate":' || (e -> 'predicate')::text
               || ',"achievement":' || (e -> 'achievement')::text
               || '}', ',' ORDER BY n), '') || ']'
    FROM jsonb_array_elements(r.ranking) WITH ORDINALITY AS x(e, n))
"""


def upgrade() -> None:
    op.add_column("unit_rollups", sa.Column("ranking_json", sa.Text(), nullable=True))
    op.execute(_FROM_ENTRIES)
    op.alter_column("unit_rollups", "ranking_json", nullable=False)


def downgrade() -> None:
    op.drop_column("unit_rollups", "ranking_json")
