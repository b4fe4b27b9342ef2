"""Evidence files (bukti dukung) claimed by more than one employee: claims stored, flags raised."""

from __future__ import annotations

from functools import partial

from sqlalchemy import String, any_, select, text

from services.scoring.adapters.sql_arrays import array_of
from services.scoring.adapters.tables import evidence_claims
from services.scoring.domain.activity import ActivityState
from services.scoring.domain.calendar import Calendar
from services.scoring.domain.objectivity import EvidenceClaim, SharedEvidence, shared_evidence
from services.scoring.service_layer.flags import FlagKind, raise_flag
from services.scoring.service_layer.projections.backlog import ActivityChange, ViewBacklog
from shared.contracts import EnvelopeHead
from shared.json_rows import insert_from_json_rows, json_rows
from shared.messaging.scope import Batch

_CLAIM_COLUMNS = ("sha256", "activity_id", "region_id", "employee_id")
_STORE_CLAIMS = insert_from_json_rows(evidence_claims, _CLAIM_COLUMNS).on_conflict_do_nothing(
    index_elements=["region_id", "sha256", "activity_id"]
)


#: Transaction locks on evidence files, taken in one order (by lock key) so that two never wait on
#: each other in a cycle.
_LOCK_FILES = text(
    "SELECT pg_advisory_xact_lock(lock_key) FROM (SELECT DISTINCT hashtextextended(file, 0) AS lock_key "
    "FROM unnest(CAST(:keys AS text[])) AS file ORDER BY lock_key OFFSET 0) AS ordered"
)


async def check_shared_evidence(
    batch: Batch[ViewBacklog],
    region_id: str,
    reports: list[tuple[ActivityChange, ActivityState]],
    region_calendar: Calendar,
) -> None:
    """Flag evidence files (bukti dukung) claimed by more than one employee, a batch's reports at once.

    The claims already stored for the batch's files are read once; each report then adds its claims,
    in order, and is checked against everything claimed so far (as if the reports came one by one).
    """
    wanted: list[tuple[ActivityChange, ActivityState, list[str]]] = []
    for change, state in reports:
        assert state.identity is not None
        digests = []
        for digest in state.evidence:
            try:
                digests.append(EvidenceClaim(change.employee_id, digest).sha256)
            except ValueError:
                continue  # not a SHA-256 digest: nothing to compare
        if digests:
            wanted.append((change, state, digests))
    if not wanted:
        return
    session = batch.session
    claimed: dict[str, dict[str, str]] = {}  # file -> activity -> employee
    every_digest = sorted({digest for _, _, digests in wanted for digest in digests})
    # Another consumer (a replay's other worker, another instance) may be claiming the same file
    # for another employee right now: neither would see the other's uncommitted claim.
    await session.execute(_LOCK_FILES, {"keys": [f"{region_id}/{digest}" for digest in every_digest]})
    claim = evidence_claims.c
    for row in await session.execute(
        select(claim.sha256, claim.activity_id, claim.employee_id).where(
            claim.region_id == region_id, claim.sha256 == any_(array_of(every_digest, String()))
        )
    ):
        claimed.setdefault(row.sha256, {})[row.activity_id] = row.employee_id
    new_claims: list[tuple[str, str, str]] = []
    for change, state, digests in wanted:
        for digest in digests:
            claims = claimed.setdefault(digest, {})
            if change.activity_id not in claims:
                claims[change.activity_id] = change.employee_id
                new_claims.append((digest, change.activity_id, change.employee_id))
        shared = shared_evidence(
            EvidenceClaim(employee_id, digest, activity_id)
            for digest in digests
            for activity_id, employee_id in claimed[digest].items()
        )
        if shared:
            assert state.measure is not None
            await _flag_shared_evidence(
                batch, change.envelope, shared, region_calendar.period_of(state.measure.occurred_at).key
            )
    if new_claims:
        await session.execute(
            _STORE_CLAIMS,
            {
                "rows": json_rows(
                    (
                        {
                            "sha256": digest,
                            "activity_id": activity_id,
                            "region_id": region_id,
                            "employee_id": employee,
                        }
                        for digest, activity_id, employee in new_claims
                    ),
                    _CLAIM_COLUMNS,
                )
            },
        )


async def _flag_shared_evidence(
    batch: Batch[ViewBacklog], envelope: EnvelopeHead, found: tuple[SharedEvidence, ...], period: str
) -> None:
    """Flag each employee claiming a shared file; the flags are caused by the activity's event."""
    for shared in found:
        for employee_id in shared.employee_ids:
            await raise_flag(
                batch.session,
                partial(batch.emit, caused_by=envelope),
                region_id=envelope.region_id,
                kind=FlagKind.SHARED_EVIDENCE,
                subject_id=f"{employee_id}/{shared.sha256}",
                period=period,
                details={
                    "employee_id": employee_id,
                    "sha256": shared.sha256,
                    "employee_ids": list(shared.employee_ids),
                    "activity_ids": list(shared.contribution_ids),
                },
            )
