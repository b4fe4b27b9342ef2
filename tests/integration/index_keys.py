"""An index's key as the catalog holds it, for the tests that hold a migration's indexes to their shape."""

from __future__ import annotations

from sqlalchemy import TextClause, text

_INDEX_KEYS = text(
    "SELECT c.relname, array_agg(a.attname || coalesce(' ' || o.opcname, '') ORDER BY k.n) FROM pg_index i "
    "JOIN pg_class c ON c.oid = i.indexrelid "
    "CROSS JOIN LATERAL unnest(i.indkey::int2[], i.indclass::oid[]) WITH ORDINALITY AS k(attnum, class, n) "
    "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum "
    "LEFT JOIN pg_opclass o ON o.oid = k.class AND NOT o.opcdefault "
    "WHERE i.indrelid = CAST(CAST(:table AS text) AS regclass) GROUP BY c.relname"
)


def index_keys(table: str) -> TextClause:
    """A query of each index of ``table`` (schema-qualified): rows of its name and its key, the key's
    columns in order, each followed by its operator class where that is not its type's default
    (``["employee_id text_pattern_ops", "occurred_at"]``)."""
    return _INDEX_KEYS.bindparams(table=table)
