"""Region A and region B as the object-level access tests see them: their services, callers and ids.

``World`` carries planning's, reporting's and feedback's events to their consumers the way the relay
and the consumers do: each event is read from the producing service's outbox and applied by the
consuming service's own handlers, with its de-duplication row, in one region-restricted transaction
(no consumer group joins, which cost ~20 s each on the embedded broker).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from services.feedback.domain.satisfaction import ServiceItem
from shared.contracts import EVENT_TYPES, Envelope
from shared.db import restrict_to_region
from shared.outbox import envelopes_of
from shared.region_time import DEFAULT_TIMEZONE
from shared.runtime import build_app
from shared.service_definition import Component
from tests.conftest import RunningService, apply_event, auth, outbox_payloads
from tests.region_clock import quarter_in

#: A small JPEG (magic bytes first): evidence the reporting service accepts.
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(range(256)) * 4
BERAKHLAK = (
    "service_oriented",
    "accountable",
    "competent",
    "harmonious",
    "loyal",
    "adaptive",
    "collaborative",
)
SKM_ITEMS = tuple(item.value for item in ServiceItem)
SERVICE_NAMES = ("planning", "reporting", "scoring", "feedback")
#: Who consumes whose events (the topics each service subscribes to, see kinerja/services.py).
CONSUMERS = {
    "planning": ("reporting", "scoring", "feedback"),
    "reporting": ("scoring", "feedback"),
    "feedback": ("scoring",),
}


def unique(prefix: str) -> str:
    """An identifier no other test or region uses, long enough to be searched for in a response body."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def random_nip() -> str:
    """A well-formed NIP: birth date, appointment month, sex digit, sequence."""
    n = uuid.uuid4().int
    return f"1990{n % 12 + 1:02d}{n % 28 + 1:02d}2015{n % 9 + 1:02d}{n % 2 + 1}{n % 999 + 1:03d}"


def citizen(service: RunningService) -> httpx.AsyncClient:
    """An anonymous client from an address of its own, so the citizen rate limits never interfere."""
    n = uuid.uuid4().int
    assert service.context is not None
    app = build_app(service.definition, service.context)
    address = f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test"
    )


def ok(response: httpx.Response, *expected: int) -> dict[str, Any]:
    """The JSON body of a seeding call, which must succeed."""
    assert response.status_code in (expected or (200, 201)), (
        f"seeding {response.request.method} {response.request.url.path}: "
        f"{response.status_code} {response.text[:500]}"
    )
    body: dict[str, Any] = response.json()
    return body


@dataclass
class World:
    """Region A with real objects of an employee ("owner"), their colleague and their head, and region B."""

    services: dict[str, RunningService]
    make_token: Callable[..., str]
    region: str
    other_region: str
    ids: dict[str, str] = field(default_factory=dict)
    #: The region's quarter when the world is made, which its plan, rating and figures are of (WIB:
    #: its regions are registered without a zone). Read then, not at import: a run crossing a new
    #: year would otherwise plan for the old one.
    period: str = field(default_factory=lambda: quarter_in(DEFAULT_TIMEZONE))
    #: Every identifier region A's objects carry; none may reach a caller of another region.
    identifiers: set[str] = field(default_factory=set)
    _forwarded: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def year(self) -> int:
        """The year of the world's period."""
        return int(self.period[:4])

    def headers(
        self,
        roles: Iterable[str],
        *,
        region: str | None = None,
        employee: str | None = None,
        subject: str | None = None,
    ) -> dict[str, str]:
        """Authorization for a caller holding ``roles`` in ``region`` (region A by default)."""
        token = self.make_token(
            ",".join(sorted(roles)), region=region or self.region, employee=employee, subject=subject
        )
        return auth(token)

    @property
    def hr(self) -> dict[str, str]:
        """Region A's HR (BKPSDM), whose user id is one of region A's identifiers."""
        return self.headers(["region_admin"], subject=self.ids["hr"])

    def remember(self, *values: Any) -> None:
        """Add identifiers of region A to the set searched for in other regions' answers."""
        self.identifiers.update(str(v) for v in values if v is not None and len(str(v)) >= 8)

    async def forward(self, source: str) -> None:
        """Carry the source's new outbox events (both regions) to its consumers' handlers."""
        for region in (self.region, self.other_region):
            await self._forward_region(source, region)

    async def _forward_region(self, source: str, region: str) -> None:
        producer = self.services[source]
        assert producer.context is not None
        outbox = producer.context.tables.outbox
        after = self._forwarded.get((source, region), 0)
        async with producer.context.session_factory() as session, session.begin():
            await restrict_to_region(session, region)
            rows = (
                await session.execute(
                    select(outbox.c.id, outbox.c.value)
                    .where(outbox.c.region_id == region, outbox.c.id > after)
                    .order_by(outbox.c.id)
                )
            ).all()
        if not rows:
            return
        self._forwarded[(source, region)] = rows[-1].id
        envelopes = [
            Envelope.model_validate(orjson.loads(envelope))
            for row in rows
            for envelope in envelopes_of(row.value)
        ]
        for target in CONSUMERS[source]:
            await self._apply(self.services[target], envelopes)

    @staticmethod
    async def _apply(consumer: RunningService, envelopes: list[Envelope]) -> None:
        """What the consumer runner does with a batch: de-duplication row, region, handler."""
        context = consumer.context
        assert context is not None
        assert consumer.definition.handlers is not None
        handlers = {
            cls.event_type(): handler for cls, handler in consumer.definition.handlers(context).items()
        }
        processed = context.tables.processed_events
        async with context.session_factory() as session, session.begin():
            for offset, envelope in enumerate(envelopes):
                if envelope.type not in handlers:
                    continue
                event = EVENT_TYPES[envelope.type].model_validate(envelope.payload)
                inserted = await session.execute(
                    insert(processed)
                    .values(event_id=envelope.event_id, topic=event.topic, partition=0, offset=offset)
                    .on_conflict_do_nothing(index_elements=["event_id"])
                    .returning(processed.c.event_id)
                )
                if inserted.first() is None:
                    continue
                await restrict_to_region(session, envelope.region_id)
                await apply_event(handlers[envelope.type], session, context.outbox, event, envelope)

    async def outbox_payloads(self, service: str, event_type: str) -> list[dict[str, Any]]:
        """Payloads of region A's outbox rows of one type, oldest first."""
        return await outbox_payloads(self.services[service], self.region, event_type)


async def start_services() -> dict[str, RunningService]:
    """The four services' APIs in this event loop (no relay, no consumer: events are forwarded)."""
    return {name: await RunningService(name, {Component.API}).start() for name in SERVICE_NAMES}
