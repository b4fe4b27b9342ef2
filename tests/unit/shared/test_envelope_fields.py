"""An envelope's fields after its event id, written whole or around each correlation id, are the
fields of the ``Envelope`` the consumers parse (shared/outbox.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from sqlalchemy import MetaData

from shared.contracts import Envelope
from shared.contracts.reporting import ActivityReported
from shared.db import outbox_table
from shared.outbox import OutboxWriter

_WRITER = OutboxWriter(outbox_table(MetaData()), producer="reporting")


@pytest.mark.parametrize("correlation_id", [None, "0123456789abcdef", 'a "quoted" \\ id\n', "\u00e9\u2028"])
@pytest.mark.parametrize("causation_id", [None, "cause-1"])
@pytest.mark.parametrize(
    "occurred_at",
    [
        datetime(2026, 12, 5, 0, 1, 2, 345678, tzinfo=UTC),
        datetime(2026, 12, 5, 7, tzinfo=timezone(timedelta(hours=7))),
    ],
)
def test_the_fields_written_around_each_correlation_id_are_the_envelopes(
    correlation_id: str | None, causation_id: str | None, occurred_at: datetime
) -> None:
    fields = {
        "type": ActivityReported.event_type(),
        "occurred_at": occurred_at,
        "producer": "reporting",
        "region_id": "kab-sleman",
        "correlation_id": correlation_id,
        "causation_id": causation_id,
    }
    whole = b',%s,"payload":' % orjson.dumps(fields)[1:-1]  # every field in one dump, as before
    each = _WRITER.envelopes_after_id(
        ActivityReported, region_id="kab-sleman", occurred_at=occurred_at, causation_id=causation_id
    )

    assert each(correlation_id) == whole
    assert (
        _WRITER.envelope_after_id(
            ActivityReported,
            region_id="kab-sleman",
            occurred_at=occurred_at,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        == whole
    )
    envelope = Envelope.model_validate_json(
        b'{"event_id":"%s"%s{"a":1}}' % (b"0" * 8 + b"-0000-7000-8000-" + b"0" * 12, whole)
    )
    assert (envelope.correlation_id, envelope.causation_id) == (correlation_id, causation_id)
