"""Flags (temuan): anomalies and objectivity findings, stored once and published as FlagRaised."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from sqlalchemy import insert as plain_insert
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import flags, runtime_tables
from services.scoring.metrics import FLAGS_RAISED
from shared.contracts import Event
from shared.contracts.scoring import FlagRaised
from shared.unit_of_work import UnitOfWork, outbox_row

#: Publishes an event in the caller's transaction (the unit of work's outbox, or the handler's session).
Emit = Callable[[Event], Awaitable[None]]

_NAMESPACE = uuid.UUID("5f0c2b1e-7d1a-4f0e-9a53-6b7c0a6e2f11")


class FlagKind(StrEnum):
    """What a flag is about: the closed set auditors filter by."""

    SHARED_EVIDENCE = "shared_evidence"
    IMPLAUSIBLE_VOLUME = "implausible_volume"
    SYSTEM_PROBLEM = "system_problem"
    LENIENT_RATER = "lenient_rater"
    SEVERE_RATER = "severe_rater"
    FREQUENT_OVERRIDES = "frequent_overrides"


def flag_id(region_id: str, kind: FlagKind, subject_id: str, period: str) -> str:
    """A deterministic id, so re-running a check (or a replay) never raises the same flag twice."""
    return str(uuid.uuid5(_NAMESPACE, f"{region_id}|{kind.value}|{subject_id}|{period}"))


async def raise_flag(
    session: AsyncSession,
    emit: Emit,
    *,
    region_id: str,
    kind: FlagKind,
    subject_id: str,
    period: str,
    details: dict[str, Any],
) -> bool:
    """Record a flag and publish it, unless the same flag was raised before; True if raised now."""
    identifier = flag_id(region_id, kind, subject_id, period)
    inserted = await session.execute(
        insert(flags)
        .values(
            flag_id=identifier,
            region_id=region_id,
            kind=kind.value,
            subject_id=subject_id,
            period=period,
            details=details,
        )
        .on_conflict_do_nothing(index_elements=["region_id", "flag_id"])
        .returning(flags.c.flag_id)
    )
    if inserted.first() is None:
        return False
    FLAGS_RAISED.labels(kind.value).inc()
    await emit(
        FlagRaised(
            region_id=region_id,
            flag_id=identifier,
            kind=kind.value,
            subject_id=subject_id,
            period=period,
            details=details,
        )
    )
    return True


def session_emitter(session: AsyncSession, *, causation_id: str) -> Emit:
    """Publish from an event handler: the outbox row goes through the handler's own transaction."""

    async def emit(event: Event) -> None:
        row = outbox_row(event, producer="scoring", causation_id=causation_id)
        await session.execute(plain_insert(runtime_tables.outbox).values(row))

    return emit


def unit_of_work_emitter(uow: UnitOfWork) -> Emit:
    """Publish from a request: through the unit of work's outbox, committed with the change."""

    async def emit(event: Event) -> None:
        uow.emit(event)

    return emit
