"""Real objects of one region, made through the services' own APIs, for the object-level access tests.

Planning's events reach reporting, scoring and feedback the way the relay and the consumers carry
them: each event is read from the producing service's outbox and applied by the consuming service's
own handlers, with its de-duplication row, in one region-restricted transaction (no consumer group
joins, which cost ~20 s each on the embedded broker).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from shared.contracts import EVENT_TYPES, Envelope
from shared.db import restrict_to_region
from shared.runtime import build_app
from shared.service_definition import Component
from tests.conftest import RunningService, apply_event, auth, new_region_id

NOW = datetime.now(UTC)
YEAR = NOW.year
PERIOD = f"{YEAR}-Q{(NOW.month - 1) // 3 + 1}"
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
SKM_ITEMS = (
    "requirements",
    "procedure",
    "completion_time",
    "cost",
    "product_specification",
    "staff_competence",
    "staff_behaviour",
    "facilities",
    "complaint_handling",
)
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
    #: Every identifier region A's objects carry; none may reach a caller of another region.
    identifiers: set[str] = field(default_factory=set)
    _forwarded: dict[tuple[str, str], int] = field(default_factory=dict)

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
        envelopes = [Envelope.model_validate(orjson.loads(row.value)) for row in rows]
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
        context = self.services[service].context
        assert context is not None
        outbox = context.tables.outbox
        async with context.session_factory() as session, session.begin():
            await restrict_to_region(session, self.region)
            rows = (
                await session.execute(
                    select(outbox.c.value)
                    .where(outbox.c.region_id == self.region, outbox.c.event_type == event_type)
                    .order_by(outbox.c.id)
                )
            ).all()
        return [orjson.loads(row.value)["payload"] for row in rows]


async def start_services() -> dict[str, RunningService]:
    """The four services' APIs in this event loop (no relay, no consumer: events are forwarded)."""
    return {name: await RunningService(name, {Component.API}).start() for name in SERVICE_NAMES}


async def seed_world(services: dict[str, RunningService], make_token: Callable[..., str]) -> World:
    """Region A with an approved plan, activity, evidence, field visit, complaint, feedback and a rating."""
    world = World(services, make_token, region=new_region_id(), other_region=new_region_id())
    world.ids["hr"] = unique("hr-bkpsdm")
    world.remember(world.ids["hr"])
    await _seed_planning(world)
    await world.forward("planning")
    await _seed_reporting(world)
    await world.forward("reporting")
    await _seed_feedback(world)
    await world.forward("feedback")
    await _seed_scoring(world)
    world.remember(world.region)
    return world


async def _seed_planning(world: World) -> None:
    planning = world.services["planning"].client
    assert planning is not None
    platform = world.headers(["platform_admin"])
    for region in (world.region, world.other_region):
        ok(
            await planning.post(
                "/v1/regions", json={"region_id": region, "name": unique("Kota")}, headers=platform
            )
        )
    admin = world.hr
    unit = ok(
        await planning.post(
            "/v1/units", json={"code": unique("DUKCAPIL"), "name": unique("Dinas Dukcapil")}, headers=admin
        )
    )
    world.ids["unit_id"], world.ids["unit_code"] = unit["unit_id"], unit["code"]
    world.remember(unit["unit_id"], unit["code"], unit["name"])
    for person, supervisor in (("head", None), ("owner", "head"), ("colleague", "head")):
        employee_id, nip, name = unique(f"p-{person}"), random_nip(), unique("Pegawai")
        ok(
            await planning.post(
                "/v1/employees",
                json={
                    "employee_id": employee_id,
                    "nip": nip,
                    "name": name,
                    "unit_id": unit["unit_id"],
                    "position": "Petugas Registrasi",
                    "job_type": "id_card_registrar",
                    "supervisor_id": world.ids.get(supervisor) if supervisor else None,
                    "effective_from": f"{YEAR}-01-01",
                },
                headers=admin,
            )
        )
        world.ids[person] = employee_id
        world.ids[f"{person}_nip"] = nip
        world.remember(employee_id, nip, name)
    owner = world.headers(["employee"], employee=world.ids["owner"])
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    quarters = {f"{YEAR}-Q{q}": 100 for q in range(1, 5)}
    indicator = {
        "name": "KTP-el diterbitkan",
        "unit_of_measure": "keping",
        "target": 400,
        "period_targets": quarters,
    }
    plan = ok(
        await planning.post(
            "/v1/work-plans",
            json={
                "year": YEAR,
                "results": [{"text": unique("KTP-el tepat waktu"), "indicators": [indicator]}],
            },
            headers=owner,
        )
    )
    ok(await planning.post(f"/v1/work-plans/{plan['plan_id']}/submit", headers=owner))
    plan = ok(await planning.post(f"/v1/work-plans/{plan['plan_id']}/approve", headers=head))
    result = plan["results"][0]
    world.ids.update(
        plan_id=plan["plan_id"],
        result_id=result["result_id"],
        indicator_id=result["indicators"][0]["indicator_id"],
    )
    world.remember(
        plan["plan_id"], result["result_id"], result["text"], result["indicators"][0]["indicator_id"]
    )


async def _seed_reporting(world: World) -> None:
    reporting = world.services["reporting"].client
    assert reporting is not None
    owner = world.headers(["employee"], employee=world.ids["owner"])
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    activity = ok(
        await reporting.post(
            "/v1/activities",
            json={
                "activity_id": unique("act"),
                "indicator_id": world.ids["indicator_id"],
                "occurred_at": (NOW - timedelta(hours=2)).isoformat(),
                "quantity": 12,
                "description": unique("Layanan loket KTP-el"),
            },
            headers=owner,
        ),
        201,
    )
    world.ids["activity_id"] = activity["activity_id"]
    world.remember(activity["activity_id"], activity["description"])
    evidence = ok(
        await reporting.post(
            f"/v1/activities/{activity['activity_id']}/evidence",
            files={"file": (f"{unique('foto')}.jpg", PHOTO, "image/jpeg")},
            headers=owner,
        ),
        201,
    )
    assert evidence["sha256"] == hashlib.sha256(PHOTO).hexdigest()
    world.ids["sha256"] = evidence["sha256"]
    world.remember(evidence["sha256"], evidence["filename"])
    visit = ok(
        await reporting.post(
            "/v1/field-visits",
            json={
                "visit_id": unique("visit"),
                "employee_ids": [world.ids["owner"]],
                "location": unique("Kantor Kecamatan"),
                "visited_at": (NOW - timedelta(hours=1)).isoformat(),
                "findings": unique("Antrean tertib"),
            },
            headers=head,
        ),
        201,
    )
    world.ids["visit_id"] = visit["visit_id"]
    world.remember(visit["visit_id"], visit["location"], visit["findings"])


async def _seed_feedback(world: World) -> None:
    service = world.services["feedback"]
    feedback = service.client
    assert feedback is not None
    admin = world.hr
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    unit_id = world.ids["unit_id"]
    declared = ok(
        await feedback.post(
            f"/v1/units/{unit_id}/services",
            json={"service_id": unique("ktp"), "name": unique("Layanan KTP-el")},
            headers=admin,
        )
    )
    world.ids["service_id"] = declared["service_id"]
    world.remember(declared["service_id"], declared["name"])
    holiday = ok(
        await feedback.post(
            "/v1/complaint-calendar/holidays",
            json={"day": f"{YEAR}-12-26", "name": unique("Cuti bersama")},
            headers=admin,
        )
    )
    world.ids["day"] = holiday["day"]
    world.remember(holiday["name"])
    async with citizen(service) as client:
        public = f"/v1/public/regions/{world.region}"
        ok(
            await client.post(
                f"{public}/units/{unit_id}/survey-responses",
                json={"scores": dict.fromkeys(SKM_ITEMS, 4), "service_id": declared["service_id"]},
            )
        )
        receipt = ok(
            await client.post(
                f"{public}/complaints",
                json={
                    "unit_id": unit_id,
                    "description": unique("Antrean KTP-el tidak bergerak tiga jam"),
                    "contact": {"email": f"{unique('warga')}@example.id"},
                },
            )
        )
        # The citizen's photo, so that staff of region A can read it and no one else can.
        attached = await client.put(
            f"{public}/complaints/{receipt['tracking_code']}/photo",
            content=PHOTO,
            headers={"Content-Type": "image/jpeg"},
        )
        assert attached.status_code == 204, f"seeding the complaint's photo: {attached.text[:500]}"
    world.ids["tracking_code"] = receipt["tracking_code"]
    (filed,) = await world.outbox_payloads("feedback", "ComplaintFiled")
    world.ids["complaint_id"] = filed["complaint_id"]
    complaint = ok(await feedback.get(f"/v1/complaints/{filed['complaint_id']}", headers=admin))
    world.remember(
        receipt["tracking_code"],
        complaint["complaint_id"],
        complaint["description"],
        (complaint["contact"] or {}).get("email"),
    )
    given = ok(
        await feedback.post(
            f"/v1/employees/{world.ids['owner']}/continuous-feedback",
            json={
                "result_id": world.ids["result_id"],
                "activity_ids": [world.ids["activity_id"]],
                "text": unique("Capaian bagus; perhatikan antrean sore"),
            },
            headers=head,
        )
    )
    world.remember(given["feedback_id"], given["text"])
    assessed = ok(
        await feedback.post(
            f"/v1/employees/{world.ids['owner']}/behaviour-assessments",
            json={"period": PERIOD, "scores": dict.fromkeys(BERAKHLAK, 4), "note": unique("Sigap melayani")},
            headers=head,
        )
    )
    world.remember(assessed["assessment_id"])


async def _seed_scoring(world: World) -> None:
    scoring = world.services["scoring"].client
    assert scoring is not None
    head = world.headers(["employee", "rater"], employee=world.ids["head"])
    card = ok(
        await scoring.get(
            f"/v1/employees/{world.ids['owner']}/scorecard", params={"period": PERIOD}, headers=head
        )
    )
    decision = ok(
        await scoring.post(
            f"/v1/employees/{world.ids['owner']}/ratings/{PERIOD}",
            json={
                "result_rating": "ABOVE",
                "behaviour_rating": "ABOVE",
                "reason": unique("Melampaui target layanan dan sikap pelayanan sangat baik"),
            },
            headers=head,
        ),
        201,
    )
    world.remember(decision["decision_id"], decision["reason"], card.get("last_event_id"))
    ok(await scoring.post("/v1/rules", json={"effective_from": f"{YEAR}-01-01"}, headers=world.hr), 201)
