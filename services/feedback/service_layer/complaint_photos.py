"""The one photo a citizen may attach to a complaint, right after filing it (while it is submitted).

Recognised by its leading bytes (JPEG, PNG or WebP), whatever it is labelled; kept in PostgreSQL
beside the complaint (a phone photo resized before upload is a few hundred kilobytes). Staff who may
read the complaint may see it; the tracking page only says whether one is attached.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.feedback.adapters.tables import complaint_photos, complaints
from services.feedback.domain.complaints import ComplaintStatus
from services.feedback.domain.tracking_code import is_valid_tracking_code, parse_tracking_code
from services.feedback.service_layer.complaints import complaint_detail
from shared.auth import Principal
from shared.file_types import sniff_photo_type
from shared.refusals import Refusal, RefusalKind
from shared.unit_of_work import UnitOfWork


def _unknown() -> Refusal:
    return Refusal("unknown_complaint", "No complaint has this tracking code.", kind=RefusalKind.NOT_FOUND)


async def attach_photo(*, uow: UnitOfWork, region_id: str, tracking_code: str, content: bytes) -> str:
    """Keep the photo of a just-filed complaint; returns the complaint's id."""
    if not is_valid_tracking_code(tracking_code):
        raise _unknown()
    code = parse_tracking_code(tracking_code)
    row = (
        await uow.session.execute(
            select(complaints.c.complaint_id, complaints.c.status)
            .where(complaints.c.region_id == region_id, complaints.c.tracking_code == code)
            .with_for_update()
        )
    ).first()
    if row is None:
        raise _unknown()
    if row.status != ComplaintStatus.SUBMITTED.value:
        raise Refusal(
            "photo_too_late",
            "A photo can be added only before the complaint is checked.",
            field="photo",
            kind=RefusalKind.CONFLICT,
        )
    if await uow.session.scalar(select(exists().where(complaint_photos.c.complaint_id == row.complaint_id))):
        raise Refusal("photo_exists", "This complaint already has a photo.", kind=RefusalKind.CONFLICT)
    content_type = sniff_photo_type(content[:16])
    if content_type is None:
        raise Refusal("photo_type", "The photo must be a JPEG, PNG or WebP image.", field="photo")
    await uow.session.execute(
        insert(complaint_photos).values(
            complaint_id=row.complaint_id,
            region_id=region_id,
            content_type=content_type,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
    )
    return str(row.complaint_id)


async def has_photo(session: AsyncSession, complaint_id: str) -> bool:
    """Whether a photo is attached."""
    return bool(await session.scalar(select(exists().where(complaint_photos.c.complaint_id == complaint_id))))


async def photo_of(*, session: AsyncSession, principal: Principal, complaint_id: str) -> tuple[str, bytes]:
    """The photo of a complaint the caller may read (404 otherwise, or when there is none)."""
    await complaint_detail(session=session, principal=principal, complaint_id=complaint_id)
    row = (
        await session.execute(
            select(complaint_photos.c.content_type, complaint_photos.c.content).where(
                complaint_photos.c.complaint_id == complaint_id
            )
        )
    ).first()
    if row is None:
        raise Refusal("no_photo", "This complaint has no photo.", kind=RefusalKind.NOT_FOUND)
    return str(row.content_type), bytes(row.content)
