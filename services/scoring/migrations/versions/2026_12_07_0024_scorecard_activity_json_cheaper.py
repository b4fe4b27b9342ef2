"""An activity's scorecard JSON is written by a cheaper expression, to the same bytes.

``contributions.scorecard_json`` (migration 0018) is computed by ``scorecard_activity_json`` at every
insert and update of a contributions row: a quarter of what an inserted row costs PostgreSQL
(97.7k instructions a row with the column, 73.1k without; bench/README.md, session 34). Three of its
parts did more than their answer needs: ``to_json`` of the id looked its type's category up in the
catalog at every call (``JSON_SCALAR`` categorizes once, when the expression is prepared, and writes
the same string); the device's offset was written by two ``to_char(..., 'FM00')`` calls (the three
Indonesian offsets, +07:00, +08:00 and +09:00, are now constants, any other is written as before);
and two booleans went through their text output and input (``CASE``, the same words, NULL still
making the whole NULL). The function costs 18.7k -> 17.0k instructions a row (callgrind on the
backend over 20,000 rows); its text is the same, byte for byte, for every row of a sample with ids
holding quotes, backslashes, control characters and emoji, times without a fraction and with one,
no time, and offsets 0, +07:00 ... +09:00, -03:30, +05:30, +05:45, -10:00, +14:00, +116:40, -116:40
and none (0 differ), so the rows stored before need no rewrite.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from pathlib import Path
from types import ModuleType

from alembic import op

from shared.migrations import load_migration

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

_ACTIVITY_JSON = """
CREATE OR REPLACE FUNCTION scorecard_activity_json(
    activity_id character varying,
    occurred_at timestamp with time zone,
    occurred_utc_offset smallint,
    quantity numeric,
    denominator numeric,
    status character varying,
    measure_corrected boolean,
    evidence_sha256 jsonb)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
AS $json$
BEGIN
RETURN '{"activity_id":' ||
    JSON_SCALAR(activity_id)::text || ',"occurred_at":' || CASE WHEN occurred_at IS NULL THEN 'null'
    ELSE '"'
    || replace(to_char((occurred_at AT TIME ZONE 'UTC') + make_interval(mins =>
    coalesce(occurred_utc_offset, 0)),
                       'YYYY-MM-DD"T"HH24:MI:SS.US'), '.000000', '')
    || CASE coalesce(occurred_utc_offset, 0) WHEN 0 THEN 'Z' WHEN 420 THEN '+07:00' WHEN 480 THEN '+08:00'
            WHEN 540 THEN '+09:00'
            ELSE CASE WHEN occurred_utc_offset < 0 THEN '-' ELSE '+' END ||
    to_char(abs(occurred_utc_offset) / 60, 'FM00')
                 || ':' || to_char(abs(occurred_utc_offset) % 60, 'FM00') END
    || '"' END || ',"quantity":' || coalesce('"' || quantity::text || '"', 'null') ||
    ',"denominator":' || coalesce('"' || denominator::text || '"', 'null') || ',"status":"' ||
    status || '","counted":'
    || CASE WHEN status <> 'REJECTED' THEN 'true' WHEN status IS NOT NULL THEN 'false' END
    || ',"corrected":'
    || CASE WHEN measure_corrected THEN 'true' WHEN NOT measure_corrected THEN 'false' END
    || ',"evidence_count":' || jsonb_array_length(evidence_sha256)::text
    || '}';
END
$json$
"""


def _migration_0018() -> ModuleType:
    return load_migration(Path(__file__).with_name("2026_12_05_0018_scorecard_activities_kept_as_json.py"))


def upgrade() -> None:
    op.execute(_ACTIVITY_JSON)


def downgrade() -> None:
    previous: str = _migration_0018()._ACTIVITY_JSON
    op.execute(previous.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
