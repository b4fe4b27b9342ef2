"""Evidence claims keep their primary key alone: its index by ``(region_id, sha256)`` is dropped.

The key ``(region_id, sha256, activity_id)`` begins with the dropped index's two columns, so it
serves every look-up that index did (a batch's claims on its files: ``region_id = ... AND sha256 =
ANY (...)``), in the same order. Each claim stored wrote an entry into both, at a random leaf of
each (a file's digest is random): an inserted claim costs PostgreSQL 51.0k -> 30.5k instructions
(callgrind on the backend, 50,000 claims stored; bench/README.md, session 34).

Dropped ``CONCURRENTLY`` (reads and writes go on); the downgrade builds it again the same way.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_INDEX = "ix_evidence_claims_region_id_sha256"


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {_INDEX}")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {_INDEX} ON evidence_claims (region_id, sha256)")
