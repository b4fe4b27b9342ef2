"""The intake's audit entries travel as one array of a composite type, as its items do (0009).

A group of single submissions carries an audit entry each: as eight arrays, the driver checked each
entry's eight values against ``collections.abc``'s ABCs; as one record, once (bench/README.md,
session 13).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TYPE intake_audit_entry AS (
            region_id varchar,
            actor varchar,
            action varchar,
            subject varchar,
            detail text,
            client_address varchar,
            correlation_id varchar,
            witnesses text
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TYPE intake_audit_entry")
