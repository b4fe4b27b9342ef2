"""Flags (temuan): anomalies and objectivity findings, stored once and published as FlagRaised."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.adapters.tables import flags
from services.scoring.metrics import FLAGS_RAISED
from shared.contracts import Event
from shared.contracts.scoring import FlagRaised

#: Queues an event for the outbox of the caller's transaction: a unit of work's ``emit`` (a request)
#: or a handler scope's (an event being applied), written when that transaction commits.
Emit = Callable[[Event], object]

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
    emit(
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
