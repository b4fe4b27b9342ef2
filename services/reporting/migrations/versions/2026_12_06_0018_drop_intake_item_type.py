"""The intake's items travel as one JSON parameter: the ``intake_item`` type goes.

asyncpg checked and encoded every element and field of the ``intake_item[]`` parameter in Python:
~27,000 instructions of a batch item's ~157,000 (bench/README.md, session 25). The intake now sends
a group's items as one JSON text read through ``shared.json_rows``, and no statement names the type.
The downgrade re-creates it as 0013 left it, without ``event``.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TYPE intake_item")


def downgrade() -> None:
    op.execute(
        """
        CREATE TYPE intake_item AS (
            activity_id varchar,
            employee_id varchar,
            plan_id varchar,
            result_id varchar,
            indicator_id varchar,
            occurred_at timestamptz,
            occurred_utc_offset int2,
            quantity text,
            denominator text,
            description text,
            obstacles text,
            latitude text,
            longitude text
        )
        """
    )
