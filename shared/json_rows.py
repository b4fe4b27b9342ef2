"""A batch of rows as one JSON parameter: ``INSERT ... SELECT ... FROM jsonb_array_elements(:rows)``.

The one way the services store many rows at once. The statement text is the same for any number of
rows (compiled and prepared once), one round trip however many; an executemany sends a message per
row, and a multi-row ``VALUES`` is compiled anew for each size. The rows travel as one JSON text
that orjson writes in C, and PostgreSQL reads them back as typed columns: one array per column
(``unnest``), used before, had the driver encode and check every element on its own, a tenth of
scoring's consumer CPU for its contributions (twenty-one columns a row).

Each row goes as an array of its values, read by position from one ``jsonb``: no key is written,
and PostgreSQL parses the text once with no keys to sort. Rows as objects through
``json_to_recordset``, used before, were checked as ``json`` and parsed again into a hash table of
each object's fields: a contributions row cost its backend ~22 µs instead of ~18 (session 25);
narrow rows (the inbox's four columns) cost the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import JSON, Select, String, Table, bindparam, cast, column, func, literal_column, select
from sqlalchemy.dialects.postgresql import JSONB, Insert, insert
from sqlalchemy.types import NullType


def _carried(table: Table, name: str) -> Any:
    """The type a column's values are read as from the JSON."""
    kind = table.c[name].type
    # Unbounded text: the insert's own assignment to a varchar(n) column then fails a longer
    # value ("value too long"), as a row-by-row insert does, where reading it as varchar(n)
    # could cut it short.
    if isinstance(kind, String) and kind.length is not None:
        return String()
    return JSONB() if isinstance(kind, JSON) else kind


def insert_from_json_rows(table: Table, columns: Sequence[str], shared: Sequence[str] = ()) -> Insert:
    """``INSERT INTO table (columns) SELECT (value ->> 0)::type, ... FROM jsonb_array_elements(:rows)``.

    Executed with ``{"rows": json_rows(rows, columns)}``: each row a JSON array of its values in the
    order of ``columns``, read by position. Add ``on_conflict_...`` and ``returning`` to the result
    as for any insert. A ``shared`` column takes one value for every row, its parameter of the same
    name (see ``_column_values``).
    """
    return insert(table).from_select(list(columns), select_from_json_rows(table, columns, shared))


def select_from_json_rows(table: Table, columns: Sequence[str], shared: Sequence[str] = ()) -> Select[Any]:
    """``SELECT (value ->> 0)::type, ... FROM jsonb_array_elements(:rows)``: the rows of
    ``json_rows(rows, columns)`` as ``table``'s columns, for a statement that inserts them with more
    (``insert_from_json_rows`` inserts them alone)."""
    return select(*_column_values(table, columns, shared).values())


def _column_values(table: Table, columns: Sequence[str], shared: Sequence[str]) -> dict[str, Any]:
    """Each column's value in a row of ``json_array_rows("rows", "batch")``, by position; a
    ``shared`` column's is the statement's parameter of its name, of the column's type: one value a
    statement (a batch's stamp) read once, not parsed again in every row (the row's place is left
    for it, unread: ``None``)."""
    rows = json_array_rows("rows", "batch")
    return {
        name: bindparam(name, type_=table.c[name].type)
        if name in shared
        else value_at(rows, position, _carried(table, name))
        for position, name in enumerate(columns)
    }


def json_array_rows(parameter: str, name: str) -> Any:
    """``jsonb_array_elements(CAST(:parameter AS JSONB)) AS name(value)``: the elements of one JSON
    text parameter as rows, each an array of one row's values, read by position (``value_at``)."""
    # Untyped, the parameter is the server's jsonb itself, its text bound unchanged (no bind
    # processor). Bound as varchar (``$1::VARCHAR``) and cast, it was received, copied out as text
    # and parsed: ~0.3 µs of the backend's CPU an activity more (a 500-item batch's rows read
    # 2.6 -> 2.3 µs an item, replayed; session 27).
    return (
        func.jsonb_array_elements(cast(bindparam(parameter, type_=NullType()), JSONB()))
        .table_valued(column("value", JSONB()))
        .render_derived(name=name)
    )


def value_at(rows: Any, position: int, kind: Any) -> Any:
    """The value at ``position`` of each row of ``json_array_rows``, read as ``kind``."""
    at: Any = literal_column(str(position))
    if isinstance(kind, JSONB):
        # JSON's null stored as SQL's NULL, not as a JSON document ``null``.
        return func.nullif(rows.c.value.op("->")(at), literal_column("'null'::jsonb"))
    return cast(rows.c.value.op("->>")(at), kind)


def upsert(statement: Insert, columns: Sequence[str], key: Sequence[str]) -> Insert:
    """An ``insert_from_json_rows`` statement that updates a row whose ``key`` exists (every other column)."""
    return statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: statement.excluded[name] for name in columns if name not in key},
    )


@cache
def upsert_from_json_rows(table: Table, columns: tuple[str, ...], key: tuple[str, ...]) -> Insert:
    """``insert_from_json_rows`` that updates a row whose ``key`` exists (every other column), built
    once per table and column set."""
    return upsert(insert_from_json_rows(table, columns), columns, key)


def json_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """The ``rows`` parameter of an ``insert_from_json_rows`` statement: each row's values, in the
    order of ``columns`` (a row lacking one is a KeyError, not a NULL)."""
    values = itemgetter(*columns) if len(columns) > 1 else lambda row: (row[columns[0]],)
    return json_row_values([values(row) for row in rows])


def json_row_values(rows: Sequence[Sequence[Any]]) -> str:
    """The ``rows`` parameter of rows already held as their values in the columns' order (tuples a
    caller built so, e.g. scoring's contributions rows): as ``json_rows`` writes it."""
    # orjson writes str, numbers, booleans, None, lists and aware datetimes (with their offset) by
    # itself; a decimal goes as its exact text (``Decimal.__str__``), which PostgreSQL reads as
    # numeric, and any other type fails (TypeError: the method refuses what is not a decimal). The
    # method itself, not a Python function testing the type: 558 instructions less a decimal,
    # a quarter of a progress row's JSON (callgrind, session 24).
    return orjson.dumps(rows, default=Decimal.__str__).decode()
