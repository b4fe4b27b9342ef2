"""Evidence files in scoring: attached before or after the report, redelivered, claimed by two employees."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.scoring.adapters.tables import contributions, evidence_claims, flags, runtime_tables
from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported, ActivityVerified, EvidenceAttached
from shared.outbox import OutboxWriter
from tests.conftest import new_region_id
from tests.integration.scoring_scenarios import T0, Delivery, evidenced_report, wrap
from tests.integration.test_scoring_views import deliver, rows_of, scoring_db, scoring_service

pytestmark = pytest.mark.integration

__all__ = ["scoring_db", "scoring_service"]


async def test_evidence_attached_before_its_report_or_redelivered_counts_once_and_is_claimed(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    region, photo, scan = new_region_id(), "ab" * 32, "cd" * 32

    def report(employee: str, evidence: list[str]) -> ActivityReported:
        return evidenced_report(region, employee, evidence)

    def attached(employee: str, digest: str) -> EvidenceAttached:
        return EvidenceAttached(
            region_id=region,
            activity_id=f"{employee}-a",
            employee_id=employee,
            sha256=digest,
            content_type="image/jpeg",
            size_bytes=1000,
        )

    early = wrap(attached("e-1", photo), T0)
    verified = wrap(
        ActivityVerified(
            region_id=region, activity_id="e-1-a", employee_id="e-1", verifier_id="b", evidence_sha256=[photo]
        ),
        T0,
    )
    # The attachment and the verification naming it arrive before the report, and again after it.
    await deliver(scoring_db, [early, verified], deferred=False)
    await deliver(scoring_db, [wrap(report("e-1", [scan.upper()]), T0)])
    await deliver(scoring_db, [early, verified, wrap(attached("e-1", photo), T0)])
    # A colleague's report claims the same photo: both are flagged, whichever came first.
    await deliver(scoring_db, [wrap(report("e-2", []), T0), wrap(attached("e-2", photo), T0)])

    stored = {row.activity_id: row for row in await rows_of(scoring_db, region, contributions)}
    assert stored["e-1-a"].evidence_sha256 == [photo, scan]
    assert stored["e-1-a"].status == "VERIFIED"
    assert stored["e-2-a"].evidence_sha256 == [photo]
    claims = sorted(
        (row.sha256, row.employee_id) for row in await rows_of(scoring_db, region, evidence_claims)
    )
    assert claims == [(photo, "e-1"), (photo, "e-2"), (scan, "e-1")]
    shared = sorted(
        row.subject_id for row in await rows_of(scoring_db, region, flags) if row.kind == "shared_evidence"
    )
    assert shared == [f"e-1/{photo}", f"e-2/{photo}"]


async def test_a_flag_raised_by_a_handler_is_published_by_its_service_caused_by_the_claiming_event(
    scoring_db: async_sessionmaker[AsyncSession],
) -> None:
    region, photo = new_region_id(), "ef" * 32
    outbox = OutboxWriter(runtime_tables.outbox, producer="scoring-replica")

    def report(employee: str) -> Delivery:
        return wrap(evidenced_report(region, employee, [photo]), T0)

    first, second = report("e-1"), report("e-2")
    await deliver(scoring_db, [first], outbox=outbox)
    await deliver(scoring_db, [second], outbox=outbox)

    published = [
        Envelope.model_validate_json(row.value)
        for row in await rows_of(scoring_db, region, runtime_tables.outbox)
        if row.event_type == "FlagRaised"
    ]
    # Both employees flagged by the second claim, in the name of the service that wrote the outbox
    # (not a name written into the handler), caused by and correlated with the claiming report.
    assert sorted(envelope.payload["subject_id"] for envelope in published) == [
        f"e-1/{photo}",
        f"e-2/{photo}",
    ]
    for envelope in published:
        assert envelope.producer == "scoring-replica"
        assert envelope.causation_id == str(second.envelope.event_id)
        assert envelope.correlation_id == second.envelope.correlation_id
