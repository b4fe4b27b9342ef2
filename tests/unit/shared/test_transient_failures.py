"""Which failures the consumer waits out (retrying the batch) rather than dead-lettering an event.

A PostgreSQL restart must never turn a valid event into a dead letter: while the server starts up
it refuses connections with SQLSTATE 57P03, and a connection broken mid-statement leaves asyncpg
reporting "another operation is in progress"; neither is wrapped by SQLAlchemy as an
OperationalError nor marked as an invalidated connection.
"""

from __future__ import annotations

import asyncpg.exceptions
from sqlalchemy.exc import DBAPIError, IntegrityError, InternalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared.messaging.consumer import is_transient_failure


def wrapped(cls: type[DBAPIError], orig: BaseException) -> DBAPIError:
    error = cls("SELECT 1", None, orig)
    error.__cause__ = orig
    return error


def test_a_database_that_is_starting_up_is_waited_out() -> None:
    starting = asyncpg.exceptions.CannotConnectNowError("the database system is starting up")
    assert is_transient_failure(wrapped(DBAPIError, starting))


def test_a_connection_broken_mid_operation_is_waited_out() -> None:
    busy = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation is in progress"
    )
    assert is_transient_failure(wrapped(InternalError, busy))
    gone = asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    assert is_transient_failure(wrapped(DBAPIError, gone))
    shutdown = asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")
    assert is_transient_failure(wrapped(DBAPIError, shutdown))


def test_a_pool_whose_connections_all_stayed_busy_is_waited_out() -> None:
    # SQLAlchemy's pool timeout is not the built-in TimeoutError: a burst of API requests holding
    # every connection of a service must not turn the consumer's events into dead letters.
    assert is_transient_failure(PoolTimeout("QueuePool limit of size 10 overflow 0 reached"))


def test_a_broken_rule_is_not_waited_out() -> None:
    duplicate = asyncpg.exceptions.UniqueViolationError("duplicate key value")
    assert not is_transient_failure(wrapped(IntegrityError, duplicate))
    assert not is_transient_failure(ValueError("a handler's bug"))
