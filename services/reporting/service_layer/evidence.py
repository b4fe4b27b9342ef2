"""Use cases of evidence (bukti dukung): attach a file to an activity, fetch it back."""

from __future__ import annotations

import logging

from sqlalchemy import exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.reporting.adapters.evidence_store import EvidenceMissing, EvidenceStore, EvidenceStoreError
from services.reporting.adapters.tables import activities, activity_evidence
from services.reporting.domain.activity import ActivityStatus, evidence_may_change
from services.reporting.domain.evidence import SNIFF_BYTES, check_evidence_file, sha256_hex
from services.reporting.metrics import EVIDENCE_BYTES, EVIDENCE_UPLOADS
from services.reporting.service_layer.access import ensure_owner, may_see, rater_today
from services.reporting.service_layer.schemas import EvidenceRead
from shared.auth import Principal
from shared.contracts.reporting import EvidenceAttached
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

NOT_THE_OWNER_TO_ATTACH = Refusal(
    "not_the_owner",
    "Only the employee who reported an activity can attach evidence to it.",
    kind=RefusalKind.FORBIDDEN,
)


def _store_unavailable() -> Refusal:
    return Refusal(
        "evidence_store_unavailable",
        "The evidence store is unavailable; try again later.",
        kind=RefusalKind.UNAVAILABLE,
    )


async def attach_evidence(
    *,
    uow: UnitOfWork,
    store: EvidenceStore,
    principal: Principal,
    activity_id: str,
    filename: str | None,
    declared_type: str | None,
    data: bytes,
    max_bytes: int,
    max_files: int,
) -> tuple[EvidenceRead, bool]:
    """Attach a file the owner uploaded; returns it and whether it is newly attached (False: already was)."""
    content_type, refusal = check_evidence_file(
        declared_type=declared_type, head=data[:SNIFF_BYTES], size=len(data), max_bytes=max_bytes
    )
    if refusal is not None:
        EVIDENCE_UPLOADS.labels("refused").inc()
        raise refusal
    digest = sha256_hex(data)
    region_id = principal.region
    session = uow.session
    evidence_of_activity = (activity_evidence.c.activity_id == activities.c.activity_id) & (
        activity_evidence.c.region_id == activities.c.region_id
    )
    row = (
        await session.execute(
            select(
                activities.c.employee_id,
                activities.c.status,
                rater_today(region_id, activities.c.employee_id).label("rater_id"),
                select(func.count()).where(evidence_of_activity).scalar_subquery().label("file_count"),
                exists()
                .where(evidence_of_activity, activity_evidence.c.sha256 == digest)
                .label("already_attached"),
            )
            .where(activities.c.activity_id == activity_id, activities.c.region_id == region_id)
            # Serialises uploads to one activity, so the per-activity file limit holds under concurrency.
            .with_for_update(of=activities)
        )
    ).first()
    row = ensure_owner(principal, row, not_the_owner=NOT_THE_OWNER_TO_ATTACH)
    frozen = evidence_may_change(ActivityStatus(row.status))
    if frozen is not None:
        raise frozen
    if row.already_attached:
        EVIDENCE_UPLOADS.labels("already_attached").inc()
        existing = (
            await session.execute(
                select(activity_evidence).where(
                    activity_evidence.c.activity_id == activity_id,
                    activity_evidence.c.region_id == region_id,
                    activity_evidence.c.sha256 == digest,
                )
            )
        ).one()
        return EvidenceRead.model_validate(dict(existing._mapping)), False
    if row.file_count >= max_files:
        raise Refusal(
            "too_many_files",
            "An activity holds at most %(max_files)s evidence files.",
            field="file",
            params={"max_files": max_files},
        )
    # The bytes go to the store before the row is committed: a row never points at a missing file,
    # and a file left behind by a failed commit is reused by the next upload of the same content.
    try:
        stored_now = await store.put(digest, data, content_type)
    except EvidenceStoreError as exc:
        log.error("evidence store failed", extra={"fields": {"error": str(exc)[:300]}})
        raise _store_unavailable() from exc
    EVIDENCE_UPLOADS.labels("stored" if stored_now else "deduplicated").inc()
    if stored_now:
        EVIDENCE_BYTES.inc(len(data))
    values = {
        "activity_id": activity_id,
        "sha256": digest,
        "region_id": region_id,
        "employee_id": row.employee_id,
        "content_type": content_type,
        "size_bytes": len(data),
        "filename": (filename or "")[:255] or None,
        "uploaded_by": principal.subject,
    }
    created = (
        await session.execute(
            insert(activity_evidence).values(**values).returning(activity_evidence.c.uploaded_at)
        )
    ).scalar_one()
    # Scoring counts the evidence and looks for files claimed by two employees: it must hear of it.
    uow.emit(
        EvidenceAttached(
            region_id=region_id,
            activity_id=activity_id,
            employee_id=row.employee_id,
            sha256=digest,
            content_type=content_type,
            size_bytes=len(data),
        )
    )
    return EvidenceRead.model_validate(values | {"uploaded_at": created}), True


async def evidence_to_download(
    *, session: AsyncSession, principal: Principal, activity_id: str, sha256: str
) -> EvidenceRead:
    """The evidence record, if the caller may see its activity (404 otherwise)."""
    row = (
        await session.execute(
            select(
                activity_evidence,
                rater_today(principal.region, activity_evidence.c.employee_id).label("rater_id"),
            ).where(
                activity_evidence.c.activity_id == activity_id,
                activity_evidence.c.region_id == principal.region,
                activity_evidence.c.sha256 == sha256,
            )
        )
    ).first()
    if row is None or not may_see(principal, employee_id=row.employee_id, rater_id=row.rater_id):
        raise Refusal("unknown_evidence", "No such evidence.", kind=RefusalKind.NOT_FOUND)
    return EvidenceRead.model_validate(dict(row._mapping))


async def read_evidence(store: EvidenceStore, sha256: str) -> bytes:
    """The stored bytes; a recorded file missing from the store is logged loudly and answered 404."""
    try:
        return await store.get(sha256)
    except EvidenceMissing as exc:
        log.error("evidence recorded but missing from the store", extra={"fields": {"sha256": sha256}})
        raise Refusal(
            "evidence_missing", "The evidence file is missing.", kind=RefusalKind.NOT_FOUND
        ) from exc
    except EvidenceStoreError as exc:
        raise _store_unavailable() from exc
