"""Evidence routes: attaching a file (bukti dukung) to an activity, downloading it."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Path, Response, UploadFile, status

from services.reporting.entrypoints.dependencies import evidence_store, reporting_settings
from services.reporting.entrypoints.routing import ActivityId, AsEmployee, AsReader, reporting_router
from services.reporting.service_layer import evidence
from services.reporting.service_layer.schemas import EvidenceRead
from shared.auth import Principal
from shared.region_time import shown_in
from shared.region_zones import region_zone
from shared.request_values import without_nul_at
from shared.route_work import Context, RegionSession, RegionWork

Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, lowercase hex.")]

router = reporting_router()


@router.post(
    "/activities/{activity_id}/evidence", status_code=status.HTTP_201_CREATED, response_model=EvidenceRead
)
async def attach_evidence(
    activity_id: ActivityId,
    file: Annotated[UploadFile, File(description="JPEG, PNG, WebP, HEIC photo or PDF document.")],
    context: Context,
    work: RegionWork,
    response: Response,
    principal: Principal = AsEmployee,
) -> EvidenceRead:
    """Attach evidence (bukti dukung) to your activity; the same file attached again answers 200."""
    settings = reporting_settings(context)
    # One byte over the limit is enough to know the file is too large.
    data = await file.read(settings.evidence_max_bytes + 1)
    attached, created = await evidence.attach_evidence(
        uow=work.uow,
        store=evidence_store(context),
        principal=principal,
        activity_id=activity_id,
        filename=without_nul_at(file.filename, "file", "filename"),
        declared_type=file.content_type,
        data=data,
        max_bytes=settings.evidence_max_bytes,
        max_files=settings.evidence_per_activity,
    )
    if created:
        work.record("evidence.attach", activity_id, detail=attached.sha256)
    else:
        response.status_code = status.HTTP_200_OK
    return shown_in(attached, await region_zone(context, principal.region))


@router.get(
    "/activities/{activity_id}/evidence/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file."}},
)
async def download_evidence(
    activity_id: ActivityId,
    sha256: Sha256,
    session: RegionSession,
    context: Context,
    principal: Principal = AsReader,
) -> Response:
    """Download an evidence file of an activity you may see."""
    record = await evidence.evidence_to_download(
        session=session, principal=principal, activity_id=activity_id, sha256=sha256
    )
    data = await evidence.read_evidence(evidence_store(context), sha256)
    filename = "".join(c for c in (record.filename or sha256) if c.isalnum() or c in "._- ")[:120] or sha256
    return Response(
        content=data,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=86400, immutable",
        },
    )
