"""The unit of work: one transaction for a state change, its audit entry and its outbox events."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.contracts import Event
from shared.db import restrict_each_transaction
from shared.observability import correlation_id_var
from shared.outbox import OutboxWriter


def audit_row(
    *,
    region_id: str,
    actor: str,
    action: str,
    subject: str,
    detail: str | None = None,
    client_address: str | None = None,
    correlation_id: str | None = None,
) -> dict[str, Any]:
    """An audit entry of a state-changing action (with the current correlation id)."""
    return {
        "region_id": region_id,
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
        "client_address": client_address,
        "correlation_id": correlation_id or correlation_id_var.get(),
    }


class UnitOfWork:
    """One database transaction; events emitted here reach the outbox in that same transaction.

    The region set here is applied with ``set_config(..., is_local => true)``, so PostgreSQL
    row-level security restricts this transaction (and only it) to that region.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        outbox: OutboxWriter,
        audit_log: Table | None = None,
        region_id: str | None = None,
        causation_id: str | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._outbox = outbox
        self._audit_log = audit_log
        self._region_id = region_id
        self._causation_id = causation_id
        self._pending_events: list[dict[str, Any]] = []
        self._pending_audit: list[dict[str, Any]] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The open session; only valid inside ``async with``."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._session_factory()
        if self._region_id is not None:
            restrict_each_transaction(self._session, self._region_id)
        await self._session.begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is not None:
                await self.rollback()
        finally:
            await self.session.close()
            self._session = None

    def emit(self, event: Event, *, occurred_at: datetime | None = None) -> uuid.UUID:
        """Queue an event for the outbox; it is written with the state change at commit."""
        row = self._outbox.row(event, causation_id=self._causation_id, occurred_at=occurred_at)
        self._pending_events.append(row)
        event_id: uuid.UUID = row["event_id"]
        return event_id

    async def audit(
        self,
        *,
        actor: str,
        action: str,
        subject: str,
        detail: str | None = None,
        client_address: str | None = None,
    ) -> None:
        """Record a state-changing action in the append-only audit trail of this service.

        The entry is written at ``commit``, in the same transaction as the change (together with the
        outbox rows, so a typical change costs one statement fewer).
        """
        if self._audit_log is None:
            raise RuntimeError("this unit of work has no audit log table")
        if self._region_id is None:
            raise RuntimeError("an audited action needs a region")
        self._pending_audit.append(
            audit_row(
                region_id=self._region_id,
                actor=actor,
                action=action,
                subject=subject,
                detail=detail,
                client_address=client_address,
            )
        )

    async def commit(self) -> None:
        """Write queued audit entries and events to the outbox, and commit everything at once."""
        audit, events = self._pending_audit, self._pending_events
        self._pending_audit, self._pending_events = [], []
        await self._outbox.write(self.session, events, audit_log=self._audit_log, audit=audit)
        await self.session.commit()

    async def rollback(self) -> None:
        """Discard the transaction, the queued audit entries and the queued events."""
        self._pending_events = []
        self._pending_audit = []
        await self.session.rollback()
