"""A read in one region, on the driver's connection: the hot read routes' lean session.

A ``RegionSession`` (an ORM session restricted by ``shared.db.restrict_each_transaction``) costs a
read four round trips (BEGIN, the region's ``set_config``, the statement, ROLLBACK) and about
0.2 ms of CPU in SQLAlchemy's session, connection and result layers before its first row. A
``RegionReader`` runs the same SQLAlchemy statements (compiled once, by SQLAlchemy, for this
dialect) on the pooled connection's asyncpg connection itself:

- before its first statement the transaction begins read-only and restricted to the region in
  one round trip (``BEGIN READ ONLY; SET LOCAL app.region_id = '<region>'``: a command PostgreSQL
  neither plans nor executes as a query, unlike ``SELECT set_config(...)``), so the setting is
  transaction-local and in place before any statement reads; a region id that is not a plain
  identifier is never written into SQL: it is set in a round trip of its own, as a parameter;
- a ``RegionCall`` (a call of a database function that sets the region it is given, then reads,
  in one statement) needs no transaction of the reader's: out of one it runs alone, in one round
  trip instead of three, given the reader's region whatever its caller passed;
- it ends with ROLLBACK; a connection that cannot be seen to have left its transaction (the
  rollback failed or was cancelled), whose statement did not end (cancelled), or that the database
  dropped is invalidated, never handed to the next request; a dropped one answers 503
  ``database_reconnecting``, as SQLAlchemy's paths do;
- rows are named tuples with the statement's column names, as SQLAlchemy's rows are read.

Only what the reads need: ``execute(statement, parameters)`` with ``one``/``first``/``all``/
``scalar`` on the result, and ``scalar``. A statement with parameters expanded at execution
(``in_`` over a Python list) is refused: write it with ``= ANY(:array)``.
"""

from __future__ import annotations

import re
import weakref
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from shared.db import CONNECTION_LOST, REGION_SETTING
from shared.refusals import database_reconnecting

#: Region ids written into the opening statement as they are; any other is sent as a parameter.
PLAIN_REGION_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

BEGIN_READ_ONLY = "BEGIN READ ONLY"
SET_REGION_PARAMETER = f"SELECT set_config('{REGION_SETTING}', $1, true)"


def opening(region_id: str) -> str | None:
    """The one statement that begins a read-only transaction restricted to ``region_id``, or None
    when the id is not plain enough to be written into SQL (then it goes as a parameter)."""
    if not PLAIN_REGION_ID.fullmatch(region_id):
        return None
    return f"{BEGIN_READ_ONLY}; SET LOCAL {REGION_SETTING} = '{region_id}'"


@dataclass(frozen=True, slots=True)
class RegionCall:
    """A statement that restricts itself to the region it is given as ``:region_id`` before it
    reads: the call of a database function that sets the region (``set_config(..., true)``, for
    its own statement's transaction), then returns its query's rows, as row-level security lets
    the caller's role see them (the function runs as its caller: never ``SECURITY DEFINER``)."""

    statement: ClauseElement


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled for asyncpg: its SQL, parameters in order, and how its rows are built."""

    compiled: SQLCompiler
    sql: str
    names: tuple[str, ...]
    bind: tuple[Callable[[Any], Any] | None, ...]
    row: Any  # the named tuple class of its rows (None: no rows)
    #: SQLAlchemy's result processors for the columns' types as the database sends them (None:
    #: none; asyncpg's own values are SQLAlchemy's for every type the reads use so far).
    results: tuple[Callable[[Any], Any] | None, ...] | None


class ReadRows:
    """The rows a statement returned, read the way the queries read SQLAlchemy's results."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def all(self) -> list[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise LookupError(f"one row expected, {len(self._rows)} found")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def __iter__(self) -> Any:
        return iter(self._rows)


def _row_class(names: list[str], *, rename: bool = False) -> Any:
    """Rows read by column name, as SQLAlchemy's rows are."""
    return namedtuple("Row", names, rename=rename)


def _processed(record: Any, results: tuple[Callable[[Any], Any] | None, ...]) -> list[Any]:
    pairs = zip(record, results, strict=True)
    return [value if process is None else process(value) for value, process in pairs]


class RegionReader:
    """Statements executed in the read's region (see the module's documentation)."""

    def __init__(self, driver: Any, dialect: Dialect, compiled: dict[Any, _Prepared], region_id: str) -> None:
        self._driver = driver
        self._dialect = dialect
        self._compiled = compiled
        self._region_id = region_id
        self._begun = False
        #: False while a statement is under way, and after one that did not end (cancelled): the
        #: connection may still be busy with it, so it is never pooled.
        self.settled = True

    async def _answered(self, sent: Awaitable[Any]) -> Any:
        """What the database answered to a command (``settled`` only once it has)."""
        self.settled = False
        try:
            answer = await sent
        except asyncpg.PostgresError:
            self.settled = True  # the database answered: the connection is as its state says
            raise
        self.settled = True
        return answer

    async def _begin(self) -> None:
        """Begin the read-only transaction restricted to the region (see ``opening``)."""
        self._begun = True
        begin = opening(self._region_id)
        if begin is not None:
            await self._answered(self._driver.execute(begin))
        else:
            await self._answered(self._driver.execute(BEGIN_READ_ONLY))
            await self._answered(self._driver.fetchval(SET_REGION_PARAMETER, self._region_id))

    async def _prepared(self, statement: ClauseElement) -> tuple[_Prepared, CacheKey]:
        key = statement._generate_cache_key()
        if key is None:
            raise TypeError("a statement SQLAlchemy cannot cache cannot be read here")
        prepared = self._compiled.get(key.key)
        if prepared is None:
            prepared = self._compiled[key.key] = await self._compile(statement, key)
        return prepared, key

    async def _compile(self, statement: ClauseElement, key: CacheKey) -> _Prepared:
        # As SQLAlchemy compiles for its cache: later statements of the same shape carry their own
        # values of the literals it turned into parameters (``construct_params`` matches them up).
        compiled = self._dialect.statement_compiler(self._dialect, statement, cache_key=key)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise TypeError("parameters expanded at execution (in_ over a list): use = ANY(:array)")
        names = tuple(compiled.positiontup or ())
        binds = compiled._bind_processors
        # The database's types of the columns, which SQLAlchemy's processors are chosen by.
        sent = (await self._driver.prepare(compiled.string)).get_attributes()
        typed = compiled._result_columns
        row: Any = None
        if typed:
            row = _row_class([entry[0] for entry in typed])
            results = tuple(
                entry[3]._cached_result_processor(self._dialect, attribute.type.oid)
                for entry, attribute in zip(typed, sent, strict=True)
            )
        else:  # textual SQL without declared columns: named as the database names them, unprocessed
            if sent:
                row = _row_class([attribute.name for attribute in sent], rename=True)
            results = ()
        return _Prepared(
            compiled,
            compiled.string,
            names,
            tuple(cast(Callable[[Any], Any] | None, binds.get(name)) for name in names),
            row,
            results if any(results) else None,
        )

    async def execute(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> ReadRows:
        """The statement's rows (``parameters`` by bind name, as ``AsyncSession.execute`` takes them);
        a ``RegionCall``'s in one round trip, with the reader's region."""
        if isinstance(statement, RegionCall):
            parameters = {**(parameters or {}), "region_id": self._region_id}
            statement = statement.statement
        elif not self._begun:
            await self._begin()
        prepared, key = await self._prepared(statement)
        values = prepared.compiled.construct_params(
            dict(parameters) if parameters else None,
            extracted_parameters=key.bindparams,
            _collected_params=key.params,
        )
        arguments = [
            values[name] if process is None or values[name] is None else process(values[name])
            for name, process in zip(prepared.names, prepared.bind, strict=True)
        ]
        records = await self._answered(self._driver.fetch(prepared.sql, *arguments))
        row, results = prepared.row, prepared.results
        if row is None:
            return ReadRows([])
        if results is None:
            return ReadRows([row(*record) for record in records])
        return ReadRows([row(*_processed(record, results)) for record in records])

    async def scalar(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        return (await self.execute(statement, parameters)).scalar()


#: Compiled statements by SQLAlchemy cache key, per engine (its dialect compiles them).
_compiled_by_engine: weakref.WeakKeyDictionary[Any, dict[Any, _Prepared]] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def region_read(engine: AsyncEngine, region_id: str) -> AsyncIterator[RegionReader]:
    """A read that sees only ``region_id`` on a pooled connection: read-only, rolled back at the end."""
    compiled = _compiled_by_engine.setdefault(engine.sync_engine, {})
    # The pool's connection itself, without SQLAlchemy's Connection around it (about 30 µs a read);
    # its checkout runs in a greenlet, as the pool may connect, recycle or wait for a connection.
    pooled = await engine.raw_connection()
    driver: Any = pooled.driver_connection
    reader = RegionReader(driver, engine.dialect, compiled, region_id)
    left = False
    try:
        yield reader
    except CONNECTION_LOST as exc:
        # The database dropped the connection (a restart): SQLAlchemy, bypassed here, cannot
        # notice; it is invalidated below, and the client sends again (503), as elsewhere.
        raise database_reconnecting() from exc
    finally:
        try:
            if reader.settled and not driver.is_closed() and driver.is_in_transaction():
                await driver.execute("ROLLBACK")
            left = reader.settled and not driver.is_closed() and not driver.is_in_transaction()
        finally:
            if left:
                # Out of any transaction, its return awaits nothing (the pool's rollback on return
                # is SQLAlchemy's, which began none on this connection): returned at once.
                pooled.close()
            else:
                try:
                    # Never pooled inside this region's transaction, nor busy with a statement.
                    await greenlet_spawn(pooled.invalidate)
                finally:
                    await greenlet_spawn(pooled.close)


#: What the read use cases take: a route's lean ``RegionReader``, or an ORM session (other callers).
Reads = AsyncSession | RegionReader
