"""Each handler runs under its own event's correlation id, and the one set before the batch is set
again after it, however the batch ends (the runner sets an id only when it changes)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import MetaData

from shared.contracts.planning import RegionRegistered
from shared.db import processed_events_table
from shared.messaging.consumer import EventConsumer, runner
from shared.messaging.consumer.decode import ConsumedEvent
from shared.messaging.scope import Batch
from shared.observability import correlation_id_var

EVENT = RegionRegistered(region_id="medan", name="Kota Medan")


class _Inbox:
    async def record_batch(self, session: Any, items: list[ConsumedEvent]) -> set[int]:
        return {item.event_id.int for item in items}


async def _region_set(session: Any, region_id: str) -> None:
    pass


def _item(correlation_id: str | None, region_id: str = "medan") -> ConsumedEvent:
    item = object.__new__(ConsumedEvent)
    item.envelope = item.record = None  # type: ignore[assignment]
    item.event, item.event_id, item.type = EVENT, uuid.uuid4(), RegionRegistered.event_type()
    item.region_id, item.correlation_id = region_id, correlation_id
    return item


def _runner(seen: list[str | None], *, fail_at: int | None = None) -> EventConsumer[Any]:
    async def handler(scope: Any, event: Any, envelope: Any) -> None:
        seen.append(correlation_id_var.get())
        if len(seen) == fail_at:
            raise RuntimeError("the handler failed")

    consumer = EventConsumer(
        consumer=None,
        dead_letter_producer=None,
        group_id="scoring",
        session_factory=None,  # type: ignore[arg-type]
        processed_events=processed_events_table(MetaData()),
        outbox=None,  # type: ignore[arg-type]
        handlers={RegionRegistered: handler},
    )
    consumer._inbox = _Inbox()  # type: ignore[assignment]
    return consumer


IDS = [None, None, "web-a", "web-a", None, "web-b", "web-b", None]


async def test_each_handler_sees_its_events_correlation_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "restrict_to_region", _region_set)
    seen: list[str | None] = []
    token = correlation_id_var.set("outer")
    try:
        items = [_item(cid) for cid in IDS] + [_item("web-c", "aceh")]
        await _runner(seen)._apply_all(Batch(None, outbox=None), items)  # type: ignore[arg-type]
        assert seen == ["web-c", *IDS]  # region by region: aceh's first
        assert correlation_id_var.get() == "outer"
    finally:
        correlation_id_var.reset(token)


async def test_the_id_before_the_batch_is_set_again_when_a_handler_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "restrict_to_region", _region_set)
    seen: list[str | None] = []
    with pytest.raises(RuntimeError):
        await _runner(seen, fail_at=3)._apply_all(Batch(None, outbox=None), [_item(cid) for cid in IDS])  # type: ignore[arg-type]
    assert seen == IDS[:3]
    assert correlation_id_var.get() is None
