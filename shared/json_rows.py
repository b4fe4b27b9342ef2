"""A batch of rows as one JSON parameter: ``INSERT ... SELECT ... FROM json_to_recordset(:rows)``.

The one way the services store many rows at once. The statement text is the same for any number of
rows (compiled and prepared once), one round trip however many; an executemany sends a message per
row, and a multi-row ``VALUES`` is compiled anew for each size. The rows travel as one JSON text
that orjson writes in C, and PostgreSQL reads them back as typed columns: one array per column
(``unnest``), used before, had the driver encode and check every element on its own, a tenth of
scoring's consumer CPU for its contributions (twenty-one columns a row).

The parameter is read as ``json``, not ``jsonb``: PostgreSQL then takes each row's fields from the
text as it parses it, where ``jsonb`` first builds a binary copy of every row and sorts its keys
(``qsort_arg`` was 7.6% of the backends' samples in a rebuild). A contributions row cost its
backend 19 µs instead of 23 (batches of 10,000, the same rows stored; bench/README.md, session 19).

Wide rows may go as arrays of their values instead (``insert_from_json_arrays``, ``json_arrays``):
no key is written, and PostgreSQL parses the text once, as ``jsonb``, with no keys to sort.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, String, Table, bindparam, cast, column, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, Insert, insert


def insert_from_json_rows(table: Table, columns: Sequence[str]) -> Insert:
    """``INSERT INTO table (columns) SELECT * FROM json_to_recordset(:rows) AS batch(column type, ...)``.

    Executed with ``{"rows": json_rows(rows)}``, each row a mapping of every column to its value.
    Add ``on_conflict_...`` and ``returning`` to the result as for any insert.
    """

    rows = (
        func.json_to_recordset(cast(bindparam("rows", type_=String()), JSON()))
        .table_valued(*(column(name, _carried(table, name)) for name in columns))
        .render_derived(name="batch", with_types=True)
    )
    return insert(table).from_select(list(columns), select(*(rows.c[name] for name in columns)))


def _carried(table: Table, name: str) -> Any:
    """The type a column's values are read as from the JSON."""
    kind = table.c[name].type
    # Unbounded text: the insert's own assignment to a varchar(n) column then fails a longer
    # value ("value too long"), as a row-by-row insert does, where reading it as varchar(n)
    # could cut it short.
    if isinstance(kind, String) and kind.length is not None:
        return String()
    return JSONB() if isinstance(kind, JSON) else kind


def insert_from_json_arrays(table: Table, columns: Sequence[str]) -> Insert:
    """``insert_from_json_rows`` for wide rows, each sent as a JSON array of its values in the
    order of ``columns`` (``json_arrays``), read from ``jsonb`` by position.

    PostgreSQL checks a ``json`` text once to take it in and parses it again for
    ``json_to_recordset``, which builds a hash table of every object's fields; a ``jsonb`` of
    arrays is parsed once, keeps no keys to sort, and gives each value by its position.
    """
    rows = (
        func.jsonb_array_elements(cast(bindparam("rows", type_=String()), JSONB()))
        .table_valued(column("value", JSONB()))
        .render_derived(name="batch")
    )
    values: list[Any] = []
    for position, name in enumerate(columns):
        kind = _carried(table, name)
        at: Any = literal_column(str(position))
        if isinstance(kind, JSONB):
            # JSON's null as SQL's NULL, as ``json_to_recordset`` reads it.
            values.append(func.nullif(rows.c.value.op("->")(at), literal_column("'null'::jsonb")))
        else:
            values.append(cast(rows.c.value.op("->>")(at), kind))
    return insert(table).from_select(list(columns), select(*values))


def upsert(statement: Insert, columns: Sequence[str], key: Sequence[str]) -> Insert:
    """An ``insert_from_json_*`` statement that updates a row whose ``key`` exists (every other column)."""
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in columns if name not in key},
    )


@cache
def upsert_from_json_rows(table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> Insert:
    """``insert_from_json_rows`` that updates a row whose ``key`` exists (every other column), built
    once per table and column set."""
    return upsert(insert_from_json_rows(table, columns), columns, key)


def json_rows(rows: Iterable[dict[str, Any]]) -> str:
    """The ``rows`` parameter of an ``insert_from_json_rows`` statement."""
    # orjson writes str, numbers, booleans, None, lists and aware datetimes (with their offset) by
    # itself; a decimal goes as its exact text (``Decimal.__str__``), which PostgreSQL reads as
    # numeric, and any other type fails (TypeError: the method refuses what is not a decimal). The
    # method itself, not a Python function testing the type: 558 instructions less a decimal,
    # a quarter of a progress row's JSON (callgrind, session 24).
    return orjson.dumps(list(rows), default=Decimal.__str__).decode()


def json_arrays(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """The ``rows`` parameter of an ``insert_from_json_arrays`` statement: each row's values, in
    the order of ``columns``, written as ``json_rows`` writes them."""
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    return orjson.dumps([values(row) for row in rows], default=Decimal.__str__).decode()
