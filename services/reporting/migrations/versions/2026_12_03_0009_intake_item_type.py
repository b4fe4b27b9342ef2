"""The intake's items travel as one array of a composite type instead of fourteen arrays.

asyncpg checks every element of an array parameter against ``collections.abc``'s ABCs (two or
three ``isinstance`` calls through Python for a text or a null): ~22 calls an activity across the
fourteen arrays of the intake's insert, against four for one record (bench/README.md, session 13).
The numbers are text, as before: the driver's binary encoding of a ``Decimal`` cost more than the
database's parsing of its text.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
            longitude text,
            event_after_id bytea
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TYPE intake_item")
