"""The scoring consumer benchmark's throughput events.

Planning's contract events for one region (a unit, its head, employees with approved plans) and
``ActivityReported`` events spread over those employees, put on their topics as the services'
relays would (``bench._platform.bare_consume`` reads them back as the baseline). Each activity's
moment is sent in its region's offset, as phones and ``kinerja simulate`` send it (+00:00 before
session 29). Ids are random, or drawn from ``FixedIds`` where a run must see the very same events
again (``bench.scoring_consumer_replay``).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import orjson

from shared.contracts import Envelope, Event
from shared.contracts.planning import (
    EmployeeUpserted,
    IndicatorSnapshot,
    PlannedResultSnapshot,
    RegionRegistered,
    UnitUpserted,
    WorkPlanApproved,
)
from shared.contracts.reporting import ActivityReported
from shared.messaging.kafka import make_producer
from shared.region_time import region_now

ACTIVITY_TOPIC = ActivityReported.topic
REGION = "bench-medan"
REGION_TIMEZONE = "Asia/Jakarta"  # Medan's, WIB (+07:00)


class FixedIds:
    """Ids drawn from a seeded generator: the same sequence in every run."""

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def __call__(self) -> uuid.UUID:
        return uuid.UUID(int=self._random.getrandbits(128), version=4)


def population_events(
    employees: int, ids: Callable[[], uuid.UUID] = uuid.uuid4
) -> tuple[list[Event], list[tuple[str, str, str, str]]]:
    """Planning's events for one region, and (employee, plan, result, indicator) of each employee;
    the plans are of the region's year."""
    year = region_now(REGION_TIMEZONE).year
    unit = "unit-dukcapil"
    head = "bench-medan-kepala"
    events: list[Event] = [
        RegionRegistered(region_id=REGION, name="Kota Medan", timezone=REGION_TIMEZONE),
        UnitUpserted(region_id=REGION, unit_id=unit, code="dukcapil", name="Dinas Dukcapil", kind="dinas"),
        EmployeeUpserted(
            region_id=REGION,
            employee_id=head,
            nip="197001011995031001",
            name="Kepala Dinas",
            unit_id=unit,
            position="Kepala Dinas",
            job_type="head",
            effective_from=date(year, 1, 1),
        ),
    ]
    plans: list[tuple[str, str, str, str]] = []
    for number in range(employees):
        employee = f"bench-medan-{number}"
        plan, result, indicator = (ids().hex for _ in range(3))
        events.append(
            EmployeeUpserted(
                region_id=REGION,
                employee_id=employee,
                nip=f"19900101201503{1 + number % 2}{1 + number % 999:03d}",
                name=f"Petugas {number}",
                unit_id=unit,
                position="Petugas Registrasi KTP-el",
                job_type="id_card_registrar",
                supervisor_id=head,
                effective_from=date(year, 1, 1),
            )
        )
        events.append(
            WorkPlanApproved(
                region_id=REGION,
                plan_id=plan,
                employee_id=employee,
                rater_id=head,
                unit_id=unit,
                job_type="id_card_registrar",
                year=year,
                version=1,
                results=[
                    PlannedResultSnapshot(
                        result_id=result,
                        kind="main",
                        text="KTP-el diterbitkan sesuai standar pelayanan",
                        indicators=[
                            IndicatorSnapshot(
                                indicator_id=indicator,
                                name="KTP-el diterbitkan",
                                aspect="quantity",
                                direction="higher_is_better",
                                aggregation="sum",
                                unit_of_measure="dokumen",
                                target=Decimal(2400),
                                period_targets={f"{year}-Q{q}": Decimal(600) for q in range(1, 5)},
                            )
                        ],
                    )
                ],
            )
        )
        plans.append((employee, plan, result, indicator))
    return events, plans


def activity_events(
    plans: list[tuple[str, str, str, str]],
    count: int,
    *,
    now: datetime | None = None,
    ids: Callable[[], uuid.UUID] = uuid.uuid4,
) -> list[Event]:
    """``count`` activity reports spread over the employees, in the eight hours up to ``now`` (the
    region's present moment by default), each moment in the region's offset (as a phone sends it)
    and inside the region's year (the plans')."""
    now = now or region_now(REGION_TIMEZONE)
    start_of_year = datetime(now.year, 1, 1, tzinfo=now.tzinfo)
    events: list[Event] = []
    for number in range(count):
        employee, plan, result, indicator = plans[number % len(plans)]
        events.append(
            ActivityReported(
                region_id=REGION,
                activity_id=ids().hex,
                employee_id=employee,
                plan_id=plan,
                result_id=result,
                indicator_id=indicator,
                occurred_at=max(now - timedelta(minutes=number % 480), start_of_year),
                quantity=Decimal(1 + number % 30),
                description="Perekaman dan penerbitan KTP-el di loket 3",
            )
        )
    return events


def envelope_value(
    event: Event,
    producer_name: str,
    *,
    event_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> bytes:
    """An event's record value as a service's relay sends it (its envelope's JSON).

    The envelope's moment in UTC, as every service's outbox stamps it (``datetime.now(UTC)``): a
    consumer reads a time sent at another offset with a zone object of its own, whose every
    comparison and conversion asks that zone its offset.
    """
    if occurred_at is not None:
        occurred_at = occurred_at.astimezone(UTC)
    envelope = Envelope.wrap(event, producer=producer_name, event_id=event_id, occurred_at=occurred_at)
    return orjson.dumps(envelope.model_dump(mode="json"))


async def publish(bootstrap: str, events: list[Event], producer_name: str) -> None:
    """Put events on their topics as a service's relay would (enveloped, keyed by aggregate)."""
    producer = make_producer(bootstrap, client_id=f"bench-{producer_name}")
    await producer.start()
    try:
        deliveries = []
        for event in events:
            value = envelope_value(event, producer_name)
            deliveries.append(
                await producer.send(event.topic, value=value, key=event.partition_key().encode())
            )
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()
