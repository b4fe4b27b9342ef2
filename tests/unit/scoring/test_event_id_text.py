"""An event's id as the rows it changes record it: the text ``str(UUID)`` spells."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.scoring.service_layer.projections.handling import event_id_of, stamp_of
from shared.contracts import EnvelopeHead


def test_an_event_id_is_spelt_as_str_spells_it() -> None:
    ids = [uuid.uuid4() for _ in range(200)] + [uuid.UUID(int=0), uuid.UUID(int=(1 << 128) - 1)]
    for event_id in ids:
        envelope = EnvelopeHead(
            event_id=event_id,
            type="ActivityReported",
            occurred_at=datetime(2026, 3, 4, tzinfo=UTC),
            producer="reporting",
            region_id="medan",
        )
        assert event_id_of(envelope) == str(event_id)
        assert stamp_of(envelope).event_id == str(event_id)
