"""What a failure to apply events means: retry the batch (the infrastructure), or dead-letter the event."""

from __future__ import annotations

from aiokafka.errors import KafkaError
from asyncpg.exceptions import InternalClientError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

#: A handler that keeps raising something other than a transient fault is a poison event after this.
MAX_HANDLER_ATTEMPTS = 3


class EventRejected(Exception):
    """Raised by a handler when an event can never be applied (e.g. it refers to an unknown plan)."""


#: PostgreSQL's answers while it is unavailable (class 08: connection exception; 57P01-57P03: shut
#: down or starting up), which asyncpg raises as errors SQLAlchemy wraps as plain DBAPIErrors.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def is_transient_failure(exc: BaseException) -> bool:
    """Whether a failure comes from the infrastructure (retry the batch) rather than from the event
    (dead-letter it): a database restart must never turn a valid event into a dead letter."""
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):  # PoolTimeout: every connection busy
        return True
    if isinstance(exc, DBAPIError) and (exc.connection_invalidated or _database_unavailable(exc)):
        return True
    return isinstance(exc, OSError | ConnectionError | TimeoutError | KafkaError)


def _database_unavailable(exc: DBAPIError) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        # A connection broken mid-statement leaves asyncpg "another operation is in progress".
        if isinstance(cause, InternalClientError):
            return True
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
            return True
        cause = cause.__cause__
    return False
