"""The outbox writes an envelope's JSON directly; it must read back as the same ``Envelope``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import MetaData

from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported
from shared.db import outbox_table
from shared.outbox import OutboxWriter


def test_an_outbox_row_reads_back_as_the_envelope_the_model_would_build() -> None:
    event = ActivityReported(
        region_id="kab-sleman",
        activity_id="activity-0001",
        employee_id="199001012020011001",
        plan_id="plan-1",
        result_id="result-1",
        indicator_id="indicator-1",
        occurred_at=datetime(2026, 11, 29, 3, 15, tzinfo=UTC),
        quantity=Decimal("12.5"),
        denominator=None,
        description="Menerbitkan KTP-el",
        obstacles=None,
    )
    writer = OutboxWriter(outbox_table(MetaData()), producer="reporting")
    row = writer.row(event, causation_id="cause-1", correlation_id="corr-1")

    envelope = Envelope.model_validate_json(row["value"])

    expected = Envelope.wrap(
        event,
        producer="reporting",
        correlation_id="corr-1",
        causation_id="cause-1",
        occurred_at=envelope.occurred_at,
        event_id=row["event_id"],
    )
    assert envelope == expected
    assert (row["topic"], row["partition_key"], row["event_type"], row["region_id"]) == (
        event.topic,
        event.partition_key(),
        "ActivityReported",
        "kab-sleman",
    )
